// Package scan reads records out of a stream with bounded memory: lines, and
// JSON values that may span lines, each with the byte offset where it starts.
// A record longer than the limit is consumed and reported as ErrTooLong with
// its offset instead of being buffered, so a hostile or corrupt file can make
// a reader skip data but never exhaust memory.
package scan

import (
	"bytes"
	"errors"
	"io"
)

// ErrTooLong reports a record that exceeded the limit and was skipped.
var ErrTooLong = errors.New("record too long")

// minRead is the least free space handed to the underlying reader per Read,
// so that small reads do not dominate the cost of scanning.
const minRead = 64 << 10

// Scanner reads lines and JSON values from a stream. The slices it returns
// alias its buffer and are valid until the next call.
type Scanner struct {
	r        io.Reader
	buf      []byte
	pos, end int   // buf[pos:end] is read but not consumed
	base     int64 // stream offset of buf[0]
	max      int   // longest record returned
	err      error // sticky error from r; io.EOF at the end
	skipped  int64 // length of the last record skipped as too long
}

// New returns a Scanner over r that returns records of at most max bytes.
func New(r io.Reader, max int) *Scanner {
	if max < 1 {
		max = 1
	}
	return &Scanner{r: r, max: max}
}

// Offset returns the stream offset of the next unconsumed byte.
func (s *Scanner) Offset() int64 { return s.base + int64(s.pos) }

// Skipped returns the length of the record most recently reported as
// ErrTooLong.
func (s *Scanner) Skipped() int64 { return s.skipped }

// fill reads more bytes into the buffer, moving unconsumed bytes to its front
// and growing it when needed, but never beyond max plus one read's worth. It
// reports whether any byte was added.
func (s *Scanner) fill() bool {
	if s.err != nil {
		return false
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.pos, s.end = 0, n
	}
	if len(s.buf)-s.end < minRead/2 {
		size := 2 * len(s.buf)
		if size < minRead {
			size = minRead
		}
		if limit := s.max + minRead; size > limit {
			size = limit
		}
		if size > len(s.buf) {
			nb := make([]byte, size)
			copy(nb, s.buf[:s.end])
			s.buf = nb
		}
	}
	if s.end == len(s.buf) {
		return false // full: the caller handles an over-long record
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	s.err = io.ErrNoProgress
	return false
}

// readErr returns the error to report once the buffer is exhausted: nil is
// never returned, io.EOF at a clean end.
func (s *Scanner) readErr() error {
	if s.err == nil {
		return io.EOF
	}
	return s.err
}

// Line returns the next line without its line ending ("\n" or "\r\n") and the
// offset where it starts. A last line without a newline is returned as a
// line. At the end Line returns io.EOF; a line longer than the limit is
// consumed and reported as ErrTooLong with its offset (see Skipped).
func (s *Scanner) Line() ([]byte, int64, error) {
	scanned := 0
	for {
		if i := bytes.IndexByte(s.buf[s.pos+scanned:s.end], '\n'); i >= 0 {
			n := scanned + i
			if n > s.max {
				off := s.Offset()
				s.pos += n + 1
				s.skipped = int64(n)
				return nil, off, ErrTooLong
			}
			line := s.buf[s.pos : s.pos+n]
			off := s.Offset()
			s.pos += n + 1
			return trimCR(line), off, nil
		}
		scanned = s.end - s.pos
		if scanned > s.max {
			return s.discardLine()
		}
		if !s.fill() {
			if s.end-s.pos > s.max {
				return s.discardLine()
			}
			if s.pos == s.end {
				return nil, s.Offset(), s.readErr()
			}
			line := s.buf[s.pos:s.end]
			off := s.Offset()
			s.pos = s.end
			return trimCR(line), off, nil
		}
	}
}

// discardLine consumes the rest of an over-long line without keeping it.
func (s *Scanner) discardLine() ([]byte, int64, error) {
	off := s.Offset()
	var n int64
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); i >= 0 {
			n += int64(i)
			s.pos += i + 1
			break
		}
		n += int64(s.end - s.pos)
		s.pos = s.end
		if !s.fill() {
			break
		}
	}
	s.skipped = n
	return nil, off, ErrTooLong
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

// PeekLine returns the next line (as Line would) without consuming it, or
// ErrTooLong when it is longer than the limit.
func (s *Scanner) PeekLine() ([]byte, error) {
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); i >= 0 {
			if i > s.max {
				return nil, ErrTooLong
			}
			return trimCR(s.buf[s.pos : s.pos+i]), nil
		}
		if s.end-s.pos > s.max {
			return nil, ErrTooLong
		}
		if !s.fill() {
			if s.end-s.pos > s.max {
				return nil, ErrTooLong
			}
			if s.pos == s.end {
				return nil, s.readErr()
			}
			return trimCR(s.buf[s.pos:s.end]), nil
		}
	}
}

// isSpace reports JSON whitespace.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Peek skips JSON whitespace and returns the next byte without consuming it.
func (s *Scanner) Peek() (byte, error) {
	for {
		for s.pos < s.end {
			if c := s.buf[s.pos]; !isSpace(c) {
				return c, nil
			}
			s.pos++
		}
		if !s.fill() {
			return 0, s.readErr()
		}
	}
}

// SkipBOM consumes a UTF-8 byte order mark at the current position.
func (s *Scanner) SkipBOM() {
	for s.end-s.pos < 3 && s.fill() {
	}
	if bytes.HasPrefix(s.buf[s.pos:s.end], []byte("\xef\xbb\xbf")) {
		s.pos += 3
	}
}

// Discard consumes n buffered bytes; n must not exceed what Peek or PeekLine
// has shown.
func (s *Scanner) Discard(n int) {
	s.pos = min(s.pos+n, s.end)
}

// Value returns the next JSON value after any whitespace, and its offset.
// It finds the value's extent only (strings, and brackets by depth); the
// caller parses and validates it. A value that does not start like JSON
// (",", "}", a stray byte) is returned as a single byte so that the caller
// can report it and go on. A value longer than the limit is consumed, and
// reported as ErrTooLong. At the end Value returns io.EOF; a value cut short
// by the end of the stream is returned as it is (it fails to parse).
//
// With pretty set, the input is taken to be pretty-printed objects, whose
// top-level braces sit in the first column: a "{" that starts a line where a
// nested value cannot start (not after ",", "[" or ":") ends the value
// before it, and a string never spans lines. A damaged object then costs
// only itself, not every object after it.
func (s *Scanner) Value(pretty bool) ([]byte, int64, error) {
	c, err := s.Peek()
	if err != nil {
		return nil, s.Offset(), err
	}
	off := s.Offset()
	st := extent{pretty: pretty}
	switch c {
	case '{', '[', '"':
	case '}', ']', ',', ':':
		s.pos++
		return s.buf[s.pos-1 : s.pos], off, nil
	default:
		st.scalar = true
	}
	i := s.pos
	discarding := false
	var dropped int64
	for {
		n, done := st.scan(s.buf[i:s.end])
		i += n
		if done {
			if discarding || i-s.pos > s.max {
				s.skipped = dropped + int64(i-s.pos)
				s.pos = i
				return nil, off, ErrTooLong
			}
			v := s.buf[s.pos:i]
			s.pos = i
			return v, off, nil
		}
		if discarding {
			dropped += int64(i - s.pos)
			s.pos = i
		} else if i-s.pos > s.max {
			discarding = true
			dropped = int64(i - s.pos)
			s.pos = i
		}
		rel := i - s.pos
		if !s.fill() {
			// The stream ended inside the value.
			if discarding {
				s.skipped = dropped + int64(s.end-s.pos)
				s.pos = s.end
				return nil, off, ErrTooLong
			}
			v := s.buf[s.pos:s.end]
			s.pos = s.end
			if len(v) == 0 {
				return nil, off, s.readErr()
			}
			if len(v) > s.max {
				s.skipped = int64(len(v))
				return nil, off, ErrTooLong
			}
			return v, off, nil
		}
		i = s.pos + rel
	}
}

// extent tracks where a JSON value ends, across buffer refills.
type extent struct {
	depth    int
	inString bool
	escape   bool
	scalar   bool
	pretty   bool // see Value
	nl       bool // a newline came after the last non-space byte outside strings
	prev     byte // the last non-space byte outside strings
}

// scan consumes bytes of b and reports how many belong to the value and
// whether the value ended within them.
func (x *extent) scan(b []byte) (int, bool) {
	if x.scalar {
		for i, c := range b {
			switch c {
			case ' ', '\t', '\n', '\r', ',', ']', '}', ':', '[', '{', '"':
				return i, true
			}
		}
		return len(b), false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if x.inString {
			switch {
			case x.escape:
				x.escape = false
			case c == '\\':
				x.escape = true
			case c == '"':
				x.inString = false
				x.prev, x.nl = c, false
				if x.depth == 0 {
					return i + 1, true
				}
			case c == '\n' && x.pretty:
				x.inString = false
				x.prev, x.nl = '"', true
			}
			continue
		}
		switch c {
		case '\n':
			x.nl = true
			continue
		case ' ', '\t', '\r':
			continue
		case '"':
			x.inString = true
		case '{', '[':
			if c == '{' && x.pretty && x.nl && x.depth > 0 && x.prev != ',' && x.prev != '[' && x.prev != ':' {
				return i, true
			}
			x.depth++
		case '}', ']':
			x.depth--
			if x.depth <= 0 {
				return i + 1, true
			}
		}
		x.prev, x.nl = c, false
	}
	return len(b), false
}

// SkipToLine consumes input until the start of a line whose first byte is c,
// or the end, and returns how many bytes it consumed. Readers of concatenated
// pretty-printed JSON use it to resynchronise after damage: top-level objects
// start with "{" in the first column.
func (s *Scanner) SkipToLine(c byte) int64 {
	var n int64
	for {
		for s.pos < s.end {
			i := bytes.IndexByte(s.buf[s.pos:s.end], '\n')
			if i < 0 {
				n += int64(s.end - s.pos)
				s.pos = s.end
				break
			}
			n += int64(i + 1)
			s.pos += i + 1
			for s.pos == s.end {
				if !s.fill() {
					return n
				}
			}
			if s.buf[s.pos] == c {
				return n
			}
		}
		if !s.fill() {
			return n
		}
	}
}
