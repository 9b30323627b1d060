package scan

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type rec struct {
	text string
	off  int64
	err  error
}

func lines(t *testing.T, r io.Reader, max int) []rec {
	t.Helper()
	s := New(r, max)
	var out []rec
	for range 10000 {
		line, off, err := s.Line()
		if err == io.EOF {
			return out
		}
		if err != nil && !errors.Is(err, ErrTooLong) {
			t.Fatalf("Line: %v", err)
		}
		out = append(out, rec{string(line), off, err})
	}
	t.Fatal("no end")
	return nil
}

func TestLine(t *testing.T) {
	in := "a\r\nbb\n\nlast"
	want := []rec{{"a", 0, nil}, {"bb", 3, nil}, {"", 6, nil}, {"last", 7, nil}}
	for name, r := range map[string]io.Reader{
		"whole":    strings.NewReader(in),
		"one byte": iotest.OneByteReader(strings.NewReader(in)),
		"half":     iotest.HalfReader(strings.NewReader(in)),
	} {
		got := lines(t, r, 100)
		if len(got) != len(want) {
			t.Fatalf("%s: got %v, want %v", name, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: line %d = %+v, want %+v", name, i, got[i], want[i])
			}
		}
	}
}

func TestLineTooLong(t *testing.T) {
	long := strings.Repeat("x", 300<<10) // longer than the buffer's first size too
	in := "ok\n" + long + "\nafter\n" + long
	for _, max := range []int{10, 200 << 10} {
		got := lines(t, iotest.HalfReader(strings.NewReader(in)), max)
		if len(got) != 4 || got[0].text != "ok" || got[2].text != "after" || got[2].off != int64(4+len(long)) {
			t.Fatalf("max %d: got %d records: %+v", max, len(got), got[:min(len(got), 3)])
		}
		for _, i := range []int{1, 3} {
			if !errors.Is(got[i].err, ErrTooLong) || got[i].text != "" {
				t.Errorf("max %d: record %d = %+v, want ErrTooLong", max, i, got[i])
			}
		}
		if got[1].off != 3 {
			t.Errorf("max %d: long line offset %d, want 3", max, got[1].off)
		}
	}
}

func TestLineReadError(t *testing.T) {
	boom := errors.New("boom")
	s := New(io.MultiReader(strings.NewReader("a\nb"), iotest.ErrReader(boom)), 100)
	if line, _, err := s.Line(); err != nil || string(line) != "a" {
		t.Fatalf("first line %q, %v", line, err)
	}
	// The error is not lost in a last line without newline.
	var err error
	for range 3 {
		if _, _, err = s.Line(); err != nil {
			break
		}
	}
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
}

func values(t *testing.T, in string, max int, pretty bool) []rec {
	t.Helper()
	s := New(iotest.HalfReader(strings.NewReader(in)), max)
	var out []rec
	for range 1000 {
		v, off, err := s.Value(pretty)
		if err == io.EOF {
			return out
		}
		if err != nil && !errors.Is(err, ErrTooLong) {
			t.Fatalf("Value: %v", err)
		}
		out = append(out, rec{string(v), off, err})
	}
	t.Fatal("no end")
	return nil
}

func TestValue(t *testing.T) {
	in := ` {"a":"}{\"","b":[1,{"c":2}]}` + "\n" + `[1,2] "s\"" 12.5e3,true}` + "\n{\n  \"x\": 1\n}\n"
	want := []string{`{"a":"}{\"","b":[1,{"c":2}]}`, `[1,2]`, `"s\""`, `12.5e3`, `,`, `true`, `}`, "{\n  \"x\": 1\n}"}
	got := values(t, in, 1000, false)
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i, w := range want {
		if got[i].text != w {
			t.Errorf("value %d = %q, want %q", i, got[i].text, w)
		}
	}
	if got[0].off != 1 || got[1].off != 30 {
		t.Errorf("offsets %d, %d; want 1, 30", got[0].off, got[1].off)
	}
}

func TestValuePretty(t *testing.T) {
	// A damaged object (cut short) followed by good ones: with pretty set,
	// the damage costs only the damaged object.
	in := "{\n  \"a\": {\n    \"b\": 1\n  }\n{\n  \"c\": [\n{\"d\": 2}\n  ],\n  \"e\": \"unterminated\n}\n{\"f\": 3}\n"
	got := values(t, in, 1000, true)
	want := []string{"{\n  \"a\": {\n    \"b\": 1\n  }\n", "{\n  \"c\": [\n{\"d\": 2}\n  ],\n  \"e\": \"unterminated\n}", `{"f": 3}`}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i, w := range want {
		if got[i].text != w {
			t.Errorf("value %d = %q, want %q", i, got[i].text, w)
		}
	}
}

func TestValueTooLong(t *testing.T) {
	big := `{"a":"` + strings.Repeat("x", 200<<10) + `"}`
	got := values(t, big+" "+`{"b":1}`+big, 1000, false)
	if len(got) != 3 || !errors.Is(got[0].err, ErrTooLong) || got[1].text != `{"b":1}` || !errors.Is(got[2].err, ErrTooLong) {
		t.Fatalf("got %d values: %v", len(got), got)
	}
	if got[1].off != int64(len(big)+1) {
		t.Errorf("offset %d, want %d", got[1].off, len(big)+1)
	}
}

func TestValueJustTooLong(t *testing.T) {
	// Longer than the limit but inside one buffer: still skipped.
	v := `"` + strings.Repeat("x", 150) + `"`
	got := values(t, v+" 1 "+v, 100, false)
	if len(got) != 3 || !errors.Is(got[0].err, ErrTooLong) || got[1].text != "1" || !errors.Is(got[2].err, ErrTooLong) {
		t.Fatalf("got %+v", got)
	}
}

func TestSkipToLine(t *testing.T) {
	s := New(strings.NewReader("junk junk\n  {nested\nmore\n{next}"), 100)
	if n := s.SkipToLine('{'); n != int64(len("junk junk\n  {nested\nmore\n")) {
		t.Errorf("skipped %d", n)
	}
	if v, _, _ := s.Value(false); string(v) != "{next}" {
		t.Errorf("then %q", v)
	}
}

func TestPeekLineAndBOM(t *testing.T) {
	s := New(strings.NewReader("\xef\xbb\xbffirst\nsecond"), 100)
	s.SkipBOM()
	if l, err := s.PeekLine(); err != nil || string(l) != "first" {
		t.Fatalf("PeekLine %q %v", l, err)
	}
	if l, off, _ := s.Line(); string(l) != "first" || off != 3 {
		t.Fatalf("Line %q at %d", l, off)
	}
	if _, err := New(bytes.NewReader(bytes.Repeat([]byte("x"), 500)), 100).PeekLine(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("PeekLine of a long line: %v", err)
	}
}

// FuzzLines checks that lines and skipped lengths account for every byte.
func FuzzLines(f *testing.F) {
	f.Add([]byte("a\nbb\r\n\nccc"), 2)
	f.Add([]byte("{\"a\":1}\n"), 100)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		if max < 1 || max > 1<<20 {
			return
		}
		s := New(iotest.HalfReader(bytes.NewReader(data)), max)
		var total int64
		for {
			line, off, err := s.Line()
			if err == io.EOF {
				break
			}
			if off != total {
				t.Fatalf("offset %d, want %d", off, total)
			}
			n := int64(len(line))
			if errors.Is(err, ErrTooLong) {
				n = s.Skipped()
				if n <= int64(max) {
					t.Fatalf("skipped %d bytes with max %d", n, max)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if len(line) > max {
				t.Fatalf("line of %d with max %d", len(line), max)
			}
			total = s.Offset()
			_ = n
		}
		if total != int64(len(data)) {
			t.Fatalf("consumed %d of %d", total, len(data))
		}
	})
}
