package otlp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// errTooMany is a request with more messages than the budget.
var errTooMany = errors.New("more messages than the limit (Options.MaxValues)")

// wireError is protobuf that is not well formed.
type wireError struct {
	Off int // byte offset in the decoded body
	Msg string
}

func (e *wireError) Error() string {
	return fmt.Sprintf("invalid protobuf at byte %d of the body: %s", e.Off, e.Msg)
}

// message is a message type of ExportLogsServiceRequest, for counting.
type message uint8

const (
	mRequest message = iota
	mResourceLogs
	mResource
	mScopeLogs
	mScope
	mRecord
	mKeyValue
	mAnyValue
	mArray
	mKVList
	mLeaf // a message counted but not entered: its fields allocate nothing more
)

// child returns the type of the message that field f of a message of type m
// holds, from opentelemetry-proto's logs.proto and common.proto. Fields that
// hold no message (strings, bytes, packed numbers, unknown fields) give
// false.
func child(m message, f uint64) (message, bool) {
	switch {
	case m == mRequest && f == 1: // resource_logs
		return mResourceLogs, true
	case m == mResourceLogs && f == 1: // resource
		return mResource, true
	case m == mResourceLogs && f == 2: // scope_logs
		return mScopeLogs, true
	case m == mResource && f == 1: // attributes
		return mKeyValue, true
	case m == mResource && f == 3: // entity_refs
		return mLeaf, true
	case m == mScopeLogs && f == 1: // scope
		return mScope, true
	case m == mScopeLogs && f == 2: // log_records
		return mRecord, true
	case m == mScope && f == 3: // attributes
		return mKeyValue, true
	case m == mRecord && f == 5: // body
		return mAnyValue, true
	case m == mRecord && f == 6: // attributes
		return mKeyValue, true
	case m == mKeyValue && f == 2: // value
		return mAnyValue, true
	case m == mAnyValue && f == 5: // array_value
		return mArray, true
	case m == mAnyValue && f == 6: // kvlist_value
		return mKVList, true
	case m == mArray && f == 1: // values
		return mAnyValue, true
	case m == mKVList && f == 1: // values
		return mKeyValue, true
	}
	return 0, false
}

// maxNesting bounds the nesting the counter follows, so that hostile input
// cannot exhaust the stack. The decoder refuses AnyValues nested deeper than
// 100, three messages a level, well within it.
const maxNesting = 512

// countProto counts the messages of a protobuf ExportLogsServiceRequest,
// each of which the decoder turns into an object of its own, and returns
// errTooMany as soon as there are more than max. It checks the wire format
// as far as it reads it, and reports damage with its byte offset.
func countProto(b []byte, max int) (int, error) {
	c := counter{max: max}
	err := c.walk(b, 0, mRequest, 0)
	return c.n, err
}

type counter struct{ n, max int }

func (c *counter) walk(b []byte, base int, m message, depth int) error {
	if depth > maxNesting {
		return &wireError{Off: base, Msg: fmt.Sprintf("messages nested deeper than %d", maxNesting)}
	}
	for i := 0; i < len(b); {
		tag, n := binary.Uvarint(b[i:])
		if n <= 0 || tag>>3 == 0 || tag>>3 > 1<<29-1 {
			return &wireError{Off: base + i, Msg: "invalid field tag"}
		}
		i += n
		switch wt := tag & 7; wt {
		case 0: // varint
			if _, n = binary.Uvarint(b[i:]); n <= 0 {
				return &wireError{Off: base + i, Msg: "invalid varint"}
			}
			i += n
		case 1, 5: // fixed64, fixed32
			size := 8
			if wt == 5 {
				size = 4
			}
			if len(b)-i < size {
				return &wireError{Off: base + i, Msg: "truncated fixed-size field"}
			}
			i += size
		case 2: // length-delimited
			l, n := binary.Uvarint(b[i:])
			if n <= 0 {
				return &wireError{Off: base + i, Msg: "invalid length"}
			}
			i += n
			if l > uint64(len(b)-i) {
				return &wireError{Off: base + i, Msg: fmt.Sprintf("length %d runs past the end of the message", l)}
			}
			if sub, ok := child(m, tag>>3); ok {
				if c.n++; c.n > c.max {
					return errTooMany
				}
				if sub != mLeaf {
					if err := c.walk(b[i:i+int(l)], base+i, sub, depth+1); err != nil {
						return err
					}
				}
			}
			i += int(l)
		default: // groups (3, 4) are not in OTLP; 6 and 7 are not wire types
			return &wireError{Off: base + i - n, Msg: fmt.Sprintf("wire type %d", wt)}
		}
	}
	return nil
}

// countJSON bounds the objects and arrays of a JSON body from above,
// without parsing it: it counts the braces and brackets outside strings.
// Every message, and every list of them, of OTLP's JSON encoding is one of
// these. Malformed JSON is the decoder's to report.
func countJSON(b []byte, max int) (int, error) {
	n := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{', '[':
			if n++; n > max {
				return n, errTooMany
			}
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		}
	}
	return n, nil
}
