package zeek

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/internal/jsonflat"
	"github.com/bulwarkhq/bulwark/logs/internal/scan"
	"github.com/bulwarkhq/bulwark/logs/internal/ts"
)

// kind is how a column's text becomes a value.
type kind uint8

const (
	kString kind = iota
	kInt
	kFloat
	kBool
	kList // set[...] or vector[...]; elem says of what
)

type column struct {
	name   string
	kind   kind
	elem   kind
	warned bool // a value failed to parse as kind; reported once
	hidden bool // a later column has the same name, and wins
}

// header is the schema of the lines that follow it.
type header struct {
	sep, setSep  []byte
	empty, unset string
	path         string
	cols         []column
	timeCol      int  // index of "ts", or -1
	hasPath      bool // #fields has a _path column
}

func newHeader(path string) header {
	return header{sep: []byte{'\t'}, setSep: []byte{','}, empty: "(empty)", unset: "-", path: path, timeCol: -1}
}

func parseKind(t string) kind {
	switch t {
	case "count", "int", "port":
		return kInt
	case "double", "interval", "time":
		return kFloat
	case "bool":
		return kBool
	}
	return kString
}

// tsvReader holds the state of one TSV read.
type tsvReader struct {
	in       logs.Input
	emit     func(*event.Event) error
	h        header
	filePath string // the log name from the file name
	e        *event.Event
	f        *jsonflat.Flattener // for Add's duplicate handling only
	lineNo   int64
	orphans  bool // warned about data lines without a #fields header
}

func readTSV(ctx context.Context, in logs.Input, path string, emit func(*event.Event) error) error {
	r := &tsvReader{in: in, emit: emit, h: newHeader(path), filePath: path, e: &event.Event{}}
	s := scan.New(in.R, jsonflat.MaxRecord)
	s.SkipBOM()
	for {
		if r.lineNo%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, off, err := s.Line()
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, scan.ErrTooLong):
			r.lineNo++
			in.Warnf(off, "line %d is %d bytes, longer than the limit of %d; skipped", r.lineNo, s.Skipped(), jsonflat.MaxRecord)
			continue
		case err != nil:
			return fmt.Errorf("reading at offset %d: %w", off, err)
		}
		r.lineNo++
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			r.directive(line, off)
			continue
		}
		if err := r.data(line, off); err != nil {
			return err
		}
	}
}

// directive applies one header line.
func (r *tsvReader) directive(line []byte, off int64) {
	if v, ok := bytes.CutPrefix(line, []byte("#separator ")); ok {
		// A new header block starts: forget the previous schema.
		r.h = newHeader(r.filePath)
		sep := unescape(string(v))
		if sep == "" {
			r.in.Warnf(off, "line %d: empty #separator; keeping tab", r.lineNo)
			return
		}
		r.h.sep = []byte(sep)
		return
	}
	parts := bytes.Split(line, r.h.sep)
	key, vals := string(parts[0]), parts[1:]
	one := func() string {
		if len(vals) == 0 {
			return ""
		}
		return unescape(string(vals[0]))
	}
	switch key {
	case "#set_separator":
		if s := one(); s != "" {
			r.h.setSep = []byte(s)
		}
	case "#empty_field":
		r.h.empty = one()
	case "#unset_field":
		r.h.unset = one()
	case "#path":
		if p := one(); p != "" {
			r.h.path = p
		}
	case "#fields":
		r.h.cols = make([]column, len(vals))
		r.h.timeCol, r.h.hasPath = -1, false
		last := make(map[string]int, len(vals))
		for i, v := range vals {
			name := string(v)
			r.h.cols[i].name = name
			if j, dup := last[name]; dup {
				// Zeek never repeats a name; if a header does, the last
				// column wins, as a repeated JSON key does.
				r.h.cols[j].hidden = true
			}
			last[name] = i
			switch name {
			case "ts":
				r.h.timeCol = i
			case "_path":
				r.h.hasPath = true
			}
		}
	case "#types":
		if len(vals) != len(r.h.cols) {
			r.in.Warnf(off, "line %d: #types has %d columns, #fields %d; values kept as text", r.lineNo, len(vals), len(r.h.cols))
			return
		}
		for i, v := range vals {
			t := string(v)
			c := &r.h.cols[i]
			if inner, ok := containerElem(t); ok {
				c.kind, c.elem = kList, parseKind(inner)
			} else {
				c.kind = parseKind(t)
			}
		}
	}
	// #open, #close and comments ("### ...") carry nothing we need.
}

// containerElem returns T for "set[T]", "vector[T]" and "table[T]".
func containerElem(t string) (string, bool) {
	for _, p := range []string{"set[", "vector[", "table["} {
		if rest, ok := strings.CutPrefix(t, p); ok && strings.HasSuffix(rest, "]") {
			return rest[:len(rest)-1], true
		}
	}
	return "", false
}

// data turns one data line into an event.
func (r *tsvReader) data(line []byte, off int64) error {
	h := &r.h
	if len(h.cols) == 0 {
		if !r.orphans {
			r.orphans = true
			r.in.Warnf(off, "line %d: data before any #fields header; skipped, as is every such line", r.lineNo)
		}
		return nil
	}
	n := bytes.Count(line, h.sep) + 1
	if n != len(h.cols) {
		r.in.Warnf(off, "line %d: %d columns, the header has %d; skipped", r.lineNo, n, len(h.cols))
		return nil
	}
	if bytes.Count(line, h.setSep) > jsonflat.MaxValues {
		r.in.Warnf(off, "line %d: more than %d set elements; skipped", r.lineNo, jsonflat.MaxValues)
		return nil
	}
	e := r.e
	e.Reset()
	e.Source = event.Source{Path: r.in.Path, Format: Name, Record: r.lineNo, Offset: off}
	e.Raw = line
	text := string(line) // one allocation; values are substrings of it
	pos := 0
	for i := range h.cols {
		end := len(text)
		if j := strings.Index(text[pos:], string(h.sep)); j >= 0 {
			end = pos + j
		}
		raw := text[pos:end]
		pos = end + len(h.sep)
		c := &h.cols[i]
		if raw == h.unset || c.hidden {
			continue
		}
		v, ok := r.value(raw, c)
		if !ok && !c.warned {
			c.warned = true
			r.in.Warnf(off, "line %d: column %s: %q is not a valid %s; kept as text (further values of this column are not reported)", r.lineNo, c.name, raw, kindName(c))
		}
		e.Add(c.name, v)
		if i == h.timeCol {
			if t, ok := ts.Parse(raw); ok {
				e.Time = t
			}
		}
	}
	if !h.hasPath && h.path != "" {
		e.Add("_path", event.String(h.path))
	}
	return r.emit(e)
}

func kindName(c *column) string {
	names := [...]string{kString: "string", kInt: "integer", kFloat: "number", kBool: "bool", kList: "list"}
	if c.kind == kList {
		return "list of " + names[c.elem]
	}
	return names[c.kind]
}

// value converts one column's text, reporting false when it did not parse
// as the column's type (the text is then kept as a string).
func (r *tsvReader) value(raw string, c *column) (event.Value, bool) {
	h := &r.h
	if c.kind == kList {
		if raw == h.empty {
			return event.List(), true
		}
		parts := strings.Split(raw, string(h.setSep))
		vs := make([]event.Value, len(parts))
		ok := true
		for i, p := range parts {
			if p == h.unset {
				vs[i] = event.Null()
				continue
			}
			var good bool
			vs[i], good = scalar(p, c.elem)
			ok = ok && good
		}
		return event.List(vs...), ok
	}
	if raw == h.empty && c.kind == kString {
		return event.String(""), true
	}
	return scalar(raw, c.kind)
}

func scalar(raw string, k kind) (event.Value, bool) {
	switch k {
	case kInt:
		if isInt(raw) {
			return jsonflat.Number(raw, true), true
		}
	case kFloat:
		if f, err := strconv.ParseFloat(raw, 64); err == nil && isDecimal(raw) {
			return event.Value{Kind: event.KindFloat, Str: raw, Num: f}, true
		}
	case kBool:
		switch raw {
		case "T":
			return event.Bool(true), true
		case "F":
			return event.Bool(false), true
		}
	default:
		return event.String(unescape(raw)), true
	}
	return event.String(unescape(raw)), false
}

func isInt(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isDecimal rejects what ParseFloat accepts but Zeek never writes and a
// rule would not expect as a number: "inf", "NaN", hex floats, "1_000".
func isDecimal(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return false
		}
	}
	return true
}

// unescape decodes Zeek's \xHH escapes, leaving any other backslash as is.
func unescape(s string) string {
	i := strings.Index(s, `\x`)
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' && isHex(s[i+2]) && isHex(s[i+3]) {
			b = append(b, unhex(s[i+2])<<4|unhex(s[i+3]))
			i += 3
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
