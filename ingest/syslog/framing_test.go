package syslog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// frame is what one Next call gave.
type frame struct {
	msg string
	off int64
	err error // the sentinel, for comparison
}

func (f frame) String() string {
	if f.err != nil {
		return fmt.Sprintf("@%d err %v", f.off, f.err)
	}
	return fmt.Sprintf("@%d %q", f.off, f.msg)
}

// frames runs a Framer to the end (or its first fatal error).
func frames(t testing.TB, r io.Reader, max, inputLen int) []frame {
	fr := NewFramer(r, max)
	var out []frame
	// Every call consumes at least one byte or ends: more calls than bytes
	// means the Framer is stuck.
	for range inputLen + 2 {
		msg, off, err := fr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FrameError", err)
			}
			if fe.Offset != off {
				t.Fatalf("FrameError offset %d, Next offset %d", fe.Offset, off)
			}
			out = append(out, frame{off: off, err: fe.Err})
			if !errors.Is(err, ErrLineTooLong) {
				// Fatal: it must stick.
				if _, _, again := fr.Next(); !errors.Is(again, fe.Err) {
					t.Fatalf("after %v, Next returned %v", err, again)
				}
				return out
			}
			continue
		}
		out = append(out, frame{msg: string(msg), off: off})
	}
	t.Fatalf("Framer made no progress after %d calls", inputLen+2)
	return nil
}

func TestFramer(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want []frame
	}{
		{"newline", "<13>a\n<13>bc\n", 0, []frame{{msg: "<13>a"}, {msg: "<13>bc", off: 6}}},
		{"crlf", "<13>a\r\n<13>b\r\n", 0, []frame{{msg: "<13>a"}, {msg: "<13>b", off: 7}}},
		{"nul trailer", "<13>a\x00<13>b\x00", 0, []frame{{msg: "<13>a"}, {msg: "<13>b", off: 6}}},
		{"last without trailer", "<13>a\n<13>b", 0, []frame{{msg: "<13>a"}, {msg: "<13>b", off: 6}}},
		{"empty frames skipped", "\n\r\n\x00<13>a\n\n", 0, []frame{{msg: "<13>a", off: 4}}},
		{"octet counted", "6 <13>ab5 <13>c", 0, []frame{{msg: "<13>ab"}, {msg: "<13>c", off: 8}}},
		{"octet counted with LF counted in", "7 <13>ab\n6 <13>cd", 0, []frame{{msg: "<13>ab"}, {msg: "<13>cd", off: 9}}},
		{"octet counted then stray LF", "6 <13>ab\n6 <13>cd", 0, []frame{{msg: "<13>ab"}, {msg: "<13>cd", off: 9}}},
		{"octet message holding LF", "9 <13>a\nb\nc", 0, []frame{{msg: "<13>a\nb\nc"}}},
		{
			"mixed framing on one stream",
			"6 <13>ab\n<13>line\r\n7 <13>abc<13>x\x00",
			0,
			[]frame{{msg: "<13>ab"}, {msg: "<13>line", off: 9}, {msg: "<13>abc", off: 19}, {msg: "<13>x", off: 28}},
		},
		{"digits without SP are a line", "2025-03-01 host msg\n", 0, []frame{{msg: "2025-03-01 host msg"}}},
		{"eleven digits are a line", "12345678901 x\n", 0, []frame{{msg: "12345678901 x"}}},
		{"leading zero is a line", "05 <13>a\n", 0, []frame{{msg: "05 <13>a"}}},
		{"lone digit at the end", "5", 0, []frame{{msg: "5"}}},
		{"count at the limit", "5 <13>a", 5, []frame{{msg: "<13>a"}}},
		{"count over the limit", "4 <1>a6 <13>ab", 5, []frame{{msg: "<1>a"}, {off: 6, err: ErrFrameTooLarge}}},
		{"huge count", "9999999999 <13>a", 64, []frame{{err: ErrFrameTooLarge}}},
		{"truncated count", "10 <13>ab", 0, []frame{{err: ErrTruncated}}},
		{"line over the limit skipped", "<13>abcdefgh\n<13>a\n", 6, []frame{{err: ErrLineTooLong}, {msg: "<13>a", off: 13}}},
		{"line over the limit at the end", "<13>a\n<13>abcdefgh", 6, []frame{{msg: "<13>a"}, {off: 6, err: ErrLineTooLong}}},
		{"line at the limit", "<13>ab\n", 6, []frame{{msg: "<13>ab"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			max := tt.max
			if max == 0 {
				max = 1024
			}
			readers := map[string]func() io.Reader{
				"whole":    func() io.Reader { return strings.NewReader(tt.in) },
				"one byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(tt.in)) },
			}
			for name, r := range readers {
				got := frames(t, r(), max, len(tt.in))
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("%s reads:\n got %v\nwant %v", name, got, tt.want)
				}
			}
		})
	}
}

func TestFramerLongLineDoesNotGrowBuffer(t *testing.T) {
	// 10 MB without a trailer, then a message: memory stays near the limit.
	const max = 1000
	in := io.MultiReader(
		io.LimitReader(infiniteA{}, 10<<20),
		strings.NewReader("\n<13>ok\n"),
	)
	fr := NewFramer(in, max)
	_, _, err := fr.Next()
	var fe *FrameError
	if !errors.As(err, &fe) || fe.Err != ErrLineTooLong || fe.Len != 10<<20 {
		t.Fatalf("got %v, want ErrLineTooLong for 10 MiB", err)
	}
	msg, _, err := fr.Next()
	if err != nil || string(msg) != "<13>ok" {
		t.Fatalf("after the long line: %q, %v", msg, err)
	}
	if c := cap(fr.buf); c > max+maxLenDigits+2 {
		t.Errorf("buffer grew to %d bytes, limit %d", c, max)
	}
}

type infiniteA struct{}

func (infiniteA) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestFramerReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("<13>a\n<13>partial"), iotest.ErrReader(boom))
	fr := NewFramer(r, 100)
	if msg, _, err := fr.Next(); err != nil || string(msg) != "<13>a" {
		t.Fatalf("first: %q %v", msg, err)
	}
	// A message cut by a read error is not delivered: only the end of the
	// stream completes a newline frame.
	if _, off, err := fr.Next(); !errors.Is(err, boom) || off != 6 {
		t.Fatalf("second: off %d err %v, want the read error at 6", off, err)
	}
}

func TestFrameErrorNamesOffset(t *testing.T) {
	fr := NewFramer(strings.NewReader("6 <13>ab70000 <13>"), 64)
	fr.Next()
	_, _, err := fr.Next()
	if err == nil || !strings.Contains(err.Error(), "offset 8") || !strings.Contains(err.Error(), "70000") {
		t.Fatalf("error %v should name offset 8 and the declared length", err)
	}
}

func TestTrimTrailer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<13>a\n", "<13>a"},
		{"<13>a\r\n", "<13>a"},
		{"<13>a\x00", "<13>a"},
		{"<13>a\n\x00", "<13>a"},
		{"<13>a b", "<13>a b"},
		{"\n", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := string(trimTrailer([]byte(tt.in))); got != tt.want {
			t.Errorf("trimTrailer(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzFraming checks the Framer's invariants on any stream: it never panics
// or stalls, messages are non-empty and within the limit, offsets increase
// and lie inside the input, and reading byte by byte gives exactly what
// reading in one piece does.
func FuzzFraming(f *testing.F) {
	seeds := []string{
		"<13>a\n<13>b\r\n<13>c\x00",
		"6 <13>ab5 <13>c",
		"6 <13>ab\n<13>line\r\n7 <13>abc<13>x\x00",
		"9999999999 <13>a",
		"10 <13>ab",
		"12345678901 x\n05 y\n",
		"<13>" + strings.Repeat("x", 100) + "\n<13>a",
		"1 \n2 \n\n3 abc",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(32))
	}
	f.Fuzz(func(t *testing.T, data []byte, maxb uint8) {
		max := int(maxb) + 1
		whole := frames(t, bytes.NewReader(data), max, len(data))
		last := int64(-1)
		for _, fr := range whole {
			if fr.off <= last || fr.off >= int64(len(data)) {
				t.Fatalf("offset %d after %d, input %d bytes", fr.off, last, len(data))
			}
			last = fr.off
			if fr.err != nil {
				continue
			}
			if len(fr.msg) == 0 || len(fr.msg) > max {
				t.Fatalf("message of %d bytes, limit %d", len(fr.msg), max)
			}
		}
		bytewise := frames(t, iotest.OneByteReader(bytes.NewReader(data)), max, len(data))
		if fmt.Sprint(whole) != fmt.Sprint(bytewise) {
			t.Fatalf("whole and byte-by-byte reads differ:\n%v\n%v", whole, bytewise)
		}
	})
}
