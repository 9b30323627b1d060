// Package cloudtrail reads AWS CloudTrail logs: the files CloudTrail
// delivers to S3 ({"Records": [ ... ]}, usually gzipped, which logs.Open
// undoes), several such objects concatenated, or one record per line as
// CloudWatch Logs and most exporters write them. Each record is one event,
// flattened like the jsonl reader's ("userIdentity.arn",
// "requestParameters.bucketName", "resources.ARN" as a list); Event.Time
// comes from eventTime.
//
// The Records array is streamed one record at a time, so a file of any size
// costs memory for one record only; a record longer than the limit (16 MiB)
// is skipped with a warning and reading goes on with the next. The stream is
// cut into records by the same bounded scanner the other JSON readers use
// rather than by encoding/json's Decoder, whose tokenizer buffers a whole
// value however large it is and cannot resume after a bad one.
// Source.Record is the 1-based record number in the file (the line number
// for one record per line).
package cloudtrail

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/internal/jsonflat"
	"github.com/bulwarkhq/bulwark/logs/internal/scan"
)

// Name is the format's name.
const Name = "cloudtrail"

// Reader reads CloudTrail logs.
type Reader struct{}

// New returns a Reader.
func New() *Reader { return &Reader{} }

// Name returns "cloudtrail".
func (*Reader) Name() string { return Name }

var timeFields = jsonflat.NewTimeFields("eventTime")

var bom = []byte("\xef\xbb\xbf")

// recordsStart reports whether b starts with `{"Records":[` (whitespace
// allowed), and returns what follows the bracket.
func recordsStart(b []byte) ([]byte, bool) {
	b = bytes.TrimLeft(bytes.TrimPrefix(b, bom), " \t\r\n")
	for _, tok := range []string{"{", `"Records"`, ":", "["} {
		if !bytes.HasPrefix(b, []byte(tok)) {
			return nil, false
		}
		b = bytes.TrimLeft(b[len(tok):], " \t\r\n")
	}
	return b, true
}

// Sniff reports a {"Records": [...]} file whose first record looks like
// CloudTrail's (or whose array is empty), or a first line that is a
// CloudTrail record.
func (*Reader) Sniff(head []byte) bool {
	if rest, ok := recordsStart(head); ok {
		if len(rest) > 0 && rest[0] == ']' {
			return true
		}
		return bytes.Contains(rest, []byte(`"eventVersion"`)) || bytes.Contains(rest, []byte(`"eventSource"`))
	}
	e, _ := jsonflat.First(head)
	return e != nil && isRecord(e)
}

func isRecord(e *event.Event) bool {
	for _, name := range []string{"eventTime", "eventSource", "eventName"} {
		if _, ok := e.Get(name); !ok {
			return false
		}
	}
	return true
}

// Read reads CloudTrail records from in.
func (*Reader) Read(ctx context.Context, in logs.Input, emit func(*event.Event) error) error {
	br := bufio.NewReaderSize(in.R, 4096)
	in.R = br
	peek, _ := br.Peek(4096)
	if _, ok := recordsStart(peek); !ok {
		return jsonflat.Read(ctx, in, jsonflat.Options{Format: Name, Time: timeFields}, emit)
	}
	r := &reader{ctx: ctx, in: in, emit: emit, s: scan.New(br, jsonflat.MaxRecord), f: jsonflat.New(), e: &event.Event{}}
	r.s.SkipBOM()
	return r.objects()
}

type reader struct {
	ctx  context.Context
	in   logs.Input
	emit func(*event.Event) error
	s    *scan.Scanner
	f    *jsonflat.Flattener
	e    *event.Event
	n    int64 // records seen
}

// errStop ends reading after a warning: the structure is damaged beyond
// what the scanner can resynchronise on.
var errStop = errors.New("stop")

// objects reads top-level {"Records": [...]} objects until the end.
func (r *reader) objects() error {
	for {
		c, err := r.s.Peek()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return r.readErr(err)
		}
		if c != '{' {
			r.in.Warnf(r.s.Offset(), "unexpected %q between objects; the rest of the input is skipped", c)
			return nil
		}
		r.s.Discard(1)
		if err := r.members(); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
	}
}

// expect consumes c after whitespace.
func (r *reader) expect(c byte, what string) error {
	got, err := r.s.Peek()
	if err != nil {
		if err == io.EOF {
			r.in.Warnf(r.s.Offset(), "the input ends where %s was expected", what)
			return errStop
		}
		return r.readErr(err)
	}
	if got != c {
		r.in.Warnf(r.s.Offset(), "expected %s, found %q; the rest of the input is skipped", what, got)
		return errStop
	}
	r.s.Discard(1)
	return nil
}

// members reads the members of a top-level object after its "{".
func (r *reader) members() error {
	for {
		c, err := r.s.Peek()
		if err != nil {
			return r.expect('}', `"}"`) // reports the end of input
		}
		if c == '}' {
			r.s.Discard(1)
			return nil
		}
		if c == ',' {
			r.s.Discard(1)
			continue
		}
		key, off, err := r.s.Value(false)
		if err != nil && !errors.Is(err, scan.ErrTooLong) {
			return r.readErr(err)
		}
		if len(key) == 0 || key[0] != '"' {
			r.in.Warnf(off, "expected a key in the top-level object; the rest of the input is skipped")
			return errStop
		}
		if err := r.expect(':', `":"`); err != nil {
			return err
		}
		if string(key) != `"Records"` {
			// Another member (CloudTrail writes none): skip its value.
			if _, _, err := r.s.Value(false); err != nil && !errors.Is(err, scan.ErrTooLong) && err != io.EOF {
				return r.readErr(err)
			}
			continue
		}
		if err := r.expect('[', `"[" after "Records"`); err != nil {
			return err
		}
		if err := r.records(); err != nil {
			return err
		}
	}
}

// records reads the elements of the Records array after its "[".
func (r *reader) records() error {
	for {
		if r.n%256 == 0 {
			if err := r.ctx.Err(); err != nil {
				return err
			}
		}
		c, err := r.s.Peek()
		if err == io.EOF {
			r.in.Warnf(r.s.Offset(), "the input ends inside the Records array")
			return errStop
		}
		if err != nil {
			return r.readErr(err)
		}
		switch c {
		case ']':
			r.s.Discard(1)
			return nil
		case ',':
			r.s.Discard(1)
			continue
		}
		val, off, err := r.s.Value(false)
		r.n++
		switch {
		case errors.Is(err, scan.ErrTooLong):
			r.in.Warnf(off, "record %d is %d bytes, longer than the limit of %d; skipped", r.n, r.s.Skipped(), jsonflat.MaxRecord)
			continue
		case err != nil:
			return r.readErr(err)
		}
		r.e.Reset()
		if err := r.f.Object(r.e, val); err != nil {
			woff := off
			var se *jsonflat.SyntaxError
			if errors.As(err, &se) {
				woff += int64(se.Off)
			}
			r.in.Warnf(woff, "record %d: %v; skipped", r.n, err)
			continue
		}
		r.e.Source = event.Source{Path: r.in.Path, Format: Name, Record: r.n, Offset: off}
		r.e.Raw = val
		timeFields.Set(r.e)
		if err := r.emit(r.e); err != nil {
			return err
		}
	}
}

func (r *reader) readErr(err error) error {
	return fmt.Errorf("reading at offset %d: %w", r.s.Offset(), err)
}
