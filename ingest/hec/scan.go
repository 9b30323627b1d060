package hec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// maxDepth bounds the nesting the envelope scanner follows.
const maxDepth = 512

// scanEnvelope reads the envelope object that starts at body[i] (after
// whitespace) and returns the raw values of its keys and the offset just
// past it.
//
// It only finds where values start and end: each value is checked where
// it is used (the event by the JSON parser, the metadata by
// encoding/json), and values of keys the format does not define are
// checked here with json.Valid. encoding/json's Decoder did the same job
// at a third of the server's ingest CPU; this keeps a body's bytes from
// being tokenised twice.
func scanEnvelope(body []byte, i int) (envelope, int, error) {
	var env envelope
	if i >= len(body) {
		return env, i, errors.New("the body ends inside an envelope")
	}
	if body[i] != '{' {
		return env, i, fmt.Errorf("envelope is %s, not a JSON object", kindAt(body, i))
	}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return env, i + 1, nil
	}
	for {
		if i >= len(body) {
			return env, i, errors.New("the body ends inside an envelope")
		}
		if body[i] != '"' {
			return env, i, fmt.Errorf("invalid JSON at byte %d of the body: expected a key", i)
		}
		kend, err := skipString(body, i)
		if err != nil {
			return env, i, err
		}
		key := body[i+1 : kend-1]
		i = skipSpace(body, kend)
		if i >= len(body) || body[i] != ':' {
			return env, i, fmt.Errorf("invalid JSON at byte %d of the body: expected ':' after a key", i)
		}
		vstart := skipSpace(body, i+1)
		vend, err := skipValue(body, vstart, 0)
		if err != nil {
			return env, vstart, fmt.Errorf("value of %q: %w", key, err)
		}
		raw := json.RawMessage(body[vstart:vend:vend])
		// Keys are matched exactly, as Splunk does; a key written with
		// escapes is not one of the format's.
		switch string(key) {
		case "time":
			env.time = raw
		case "host":
			env.host = raw
		case "source":
			env.source = raw
		case "sourcetype":
			env.sourcetype = raw
		case "index":
			env.index = raw
		case "event":
			env.event = raw
		case "fields":
			env.fields = raw
		default:
			if !json.Valid(raw) {
				return env, vstart, fmt.Errorf("invalid JSON at byte %d of the body: value of %q", vstart, key)
			}
		}
		i = skipSpace(body, vend)
		if i >= len(body) {
			return env, i, errors.New("the body ends inside an envelope")
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case '}':
			return env, i + 1, nil
		default:
			return env, i, fmt.Errorf("invalid JSON at byte %d of the body: expected ',' or '}'", i)
		}
	}
}

// skipString returns the offset just past the string starting at b[i]. It
// jumps from quote to quote (bytes.IndexByte is vectorised); a quote
// preceded by an odd run of backslashes is escaped and does not end the
// string. Windows paths make backslashes common, quotes within strings
// rare.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			break
		}
		q := j + k
		n := 0
		for q-1-n > i && b[q-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q + 1, nil
		}
		j = q + 1
	}
	return len(b), errors.New("the body ends inside a string")
}

// skipValue returns the offset just past the value starting at b[i].
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, errors.New("the body ends before a value")
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return i, fmt.Errorf("invalid JSON at byte %d of the body: nested deeper than %d", i, maxDepth)
		}
		close := byte('}')
		if c == '[' {
			close = ']'
		}
		j := skipSpace(b, i+1)
		if j < len(b) && b[j] == close {
			return j + 1, nil
		}
		for {
			if c == '{' {
				if j >= len(b) || b[j] != '"' {
					return j, fmt.Errorf("invalid JSON at byte %d of the body: expected a key", j)
				}
				end, err := skipString(b, j)
				if err != nil {
					return end, err
				}
				j = skipSpace(b, end)
				if j >= len(b) || b[j] != ':' {
					return j, fmt.Errorf("invalid JSON at byte %d of the body: expected ':'", j)
				}
				j = skipSpace(b, j+1)
			}
			end, err := skipValue(b, j, depth+1)
			if err != nil {
				return end, err
			}
			j = skipSpace(b, end)
			if j >= len(b) {
				return j, errors.New("the body ends inside a value")
			}
			if b[j] == close {
				return j + 1, nil
			}
			if b[j] != ',' {
				return j, fmt.Errorf("invalid JSON at byte %d of the body: expected ',' or %q", j, close)
			}
			j = skipSpace(b, j+1)
		}
	default:
		// A number or literal: it runs to the next delimiter.
		j := i
		for j < len(b) {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				if j == i {
					return j, fmt.Errorf("invalid JSON at byte %d of the body: expected a value", j)
				}
				return j, nil
			}
			j++
		}
		return j, nil
	}
}

// kindAt names the kind of value at b[i], for errors.
func kindAt(b []byte, i int) string {
	switch b[i] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
