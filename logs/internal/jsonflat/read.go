package jsonflat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/internal/scan"
	"github.com/bulwarkhq/bulwark/logs/internal/ts"
)

// MaxRecord is the longest record (a line, or one object of a stream) a
// reader keeps; longer ones are skipped with a warning. Real records are
// kilobytes; 16 MiB leaves room for huge PowerShell script blocks.
const MaxRecord = 16 << 20

// ctxEvery is how many records pass between checks of the context.
const ctxEvery = 256

// Options adapt Read to one format.
type Options struct {
	Format string // recorded in event.Source.Format
	// Time lists, best first, the fields whose value becomes Event.Time.
	Time *TimeFields
	// Fix, if set, runs on every event after flattening and before the
	// time is set: aliases, derived fields. It may call f.Add and
	// f.AddIfAbsent.
	Fix func(f *Flattener, e *event.Event)
}

// TimeFields is an ordered set of field names that may hold the event time.
type TimeFields struct {
	rank map[string]int
}

// NewTimeFields returns the set of names, best first.
func NewTimeFields(names ...string) *TimeFields {
	t := &TimeFields{rank: make(map[string]int, len(names))}
	for i, n := range names {
		if _, dup := t.rank[n]; !dup {
			t.rank[n] = i
		}
	}
	return t
}

// Set sets e.Time from the best-ranked field of e whose value parses as a
// time, in one pass over the fields. It leaves e.Time alone when none does.
func (t *TimeFields) Set(e *event.Event) {
	if t == nil {
		return
	}
	best := len(t.rank)
	var when time.Time
	for k := range e.Fields {
		r, ok := t.rank[e.Fields[k].Name]
		if !ok || r >= best {
			continue
		}
		if tm, ok := ts.FromValue(e.Fields[k].Value); ok {
			best, when = r, tm
		}
	}
	if best < len(t.rank) {
		e.Time = when
	}
}

// Read reads JSON records from in and emits one event per object. The shape
// is chosen from the first bytes: a top-level array or pretty-printed
// objects are read as a stream of values (Source.Record is then the 1-based
// object number), anything else one object per line (Source.Record is the
// line number). Damaged records are warnings; Read returns an error only when
// reading fails, emit fails or ctx is done.
func Read(ctx context.Context, in logs.Input, opt Options, emit func(*event.Event) error) error {
	r := reader{
		ctx: ctx, in: in, opt: opt, emit: emit,
		s:    scan.New(in.R, MaxRecord),
		f:    New(),
		e:    &event.Event{},
		line: 0,
	}
	r.s.SkipBOM()
	// Find the first non-blank line to choose the shape, counting lines.
	for {
		line, err := r.s.PeekLine()
		if err == io.EOF {
			return nil
		}
		if err != nil && !errors.Is(err, scan.ErrTooLong) {
			return fmt.Errorf("reading at offset %d: %w", r.s.Offset(), err)
		}
		if err == nil && len(bytes.TrimSpace(line)) == 0 {
			r.s.Line()
			r.line++
			continue
		}
		if err == nil && streamShape(line) {
			return r.values()
		}
		return r.lines()
	}
}

// streamShape reports whether the first line shows a top-level array or an
// object pretty-printed over several lines: "[", "{" alone, or a line that
// ends inside an object ("{", ",", "[" last).
func streamShape(line []byte) bool {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return false
	}
	if line[0] == '[' {
		return true
	}
	if line[0] != '{' {
		return false
	}
	switch line[len(line)-1] {
	case '{', '[', ',':
		return true
	}
	return false
}

type reader struct {
	ctx  context.Context
	in   logs.Input
	opt  Options
	emit func(*event.Event) error
	s    *scan.Scanner
	f    *Flattener
	e    *event.Event
	line int64 // lines consumed, or objects read in stream shape
	n    int   // records since the context was last checked
}

func (r *reader) checkCtx() error {
	if r.n++; r.n%ctxEvery == 0 {
		return r.ctx.Err()
	}
	return nil
}

// record flattens one record and emits it, warning about damage.
func (r *reader) record(data []byte, off int64, what string) error {
	r.e.Reset()
	if err := r.f.Object(r.e, data); err != nil {
		woff := off
		var se *SyntaxError
		if errors.As(err, &se) {
			woff += int64(se.Off)
		}
		r.in.Warnf(woff, "%s %d: %v; skipped", what, r.line, err)
		r.e.Reset()
		return nil
	}
	r.e.Source = event.Source{Path: r.in.Path, Format: r.opt.Format, Record: r.line, Offset: off}
	r.e.Raw = data
	if r.opt.Fix != nil {
		r.opt.Fix(r.f, r.e)
	}
	r.opt.Time.Set(r.e)
	return r.emit(r.e)
}

func (r *reader) lines() error {
	for {
		if err := r.checkCtx(); err != nil {
			return err
		}
		line, off, err := r.s.Line()
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, scan.ErrTooLong):
			r.line++
			r.in.Warnf(off, "line %d is %d bytes, longer than the limit of %d; skipped", r.line, r.s.Skipped(), MaxRecord)
			continue
		case err != nil:
			return fmt.Errorf("reading at offset %d: %w", off, err)
		}
		r.line++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := r.record(line, off, "line"); err != nil {
			return err
		}
	}
}

// values reads a stream of JSON values: objects, and arrays of objects,
// in any layout.
func (r *reader) values() error {
	inArray := false
	for {
		if err := r.checkCtx(); err != nil {
			return err
		}
		c, err := r.s.Peek()
		if err == io.EOF {
			if inArray {
				r.in.Warnf(r.s.Offset(), "the input ends inside a JSON array")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading at offset %d: %w", r.s.Offset(), err)
		}
		switch {
		case c == ',':
			r.s.Discard(1)
			continue
		case c == '[' && !inArray:
			r.s.Discard(1)
			inArray = true
			continue
		case c == ']' && inArray:
			r.s.Discard(1)
			inArray = false
			continue
		}
		// Top-level objects of pretty-printed streams start in the first
		// column, so a "{" there ends a damaged object before it.
		val, off, err := r.s.Value(!inArray)
		r.line++
		switch {
		case errors.Is(err, scan.ErrTooLong):
			r.in.Warnf(off, "object %d is %d bytes, longer than the limit of %d; skipped", r.line, r.s.Skipped(), MaxRecord)
			continue
		case err == io.EOF:
			return nil
		case err != nil:
			return fmt.Errorf("reading at offset %d: %w", off, err)
		}
		if !inArray && val[0] != '{' && val[0] != '[' {
			// Stray text between objects: skip to the next object in one
			// warning rather than one per token.
			n := r.s.SkipToLine('{')
			r.in.Warnf(off, "object %d: unexpected text %q; skipped %d bytes to the next object", r.line, truncate(val, 32), int64(len(val))+n)
			continue
		}
		if err := r.record(val, off, "object"); err != nil {
			return err
		}
	}
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// First returns the first record in head, flattened: the first value after
// a byte order mark and whitespace, or the first element of a top-level
// array. It returns nil when that is not a JSON object; truncated reports
// that the record ran past the end of head, so that it could not be judged.
// Readers sniff with it.
func First(head []byte) (e *event.Event, truncated bool) {
	s := scan.New(bytes.NewReader(head), len(head)+1)
	s.SkipBOM()
	c, err := s.Peek()
	if err != nil {
		return nil, false
	}
	if c == '[' {
		s.Discard(1)
		if c, err = s.Peek(); err != nil {
			return nil, true
		}
		if c == ']' {
			return nil, false
		}
	}
	val, _, err := s.Value(false)
	if err != nil || len(val) == 0 || val[0] != '{' {
		return nil, false
	}
	e = &event.Event{}
	if err := New().Object(e, val); err != nil {
		return nil, s.Offset() == int64(len(head))
	}
	return e, false
}
