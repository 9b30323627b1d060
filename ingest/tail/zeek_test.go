package tail

import (
	"bytes"
	"testing"
)

func TestHeaderScan(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"leading header", "#separator \\x09\n#fields\ta\n1\n2\n", "#separator \\x09\n#fields\ta\n"},
		{"second block replaces the first", "#separator \\x09\n#fields\ta\n1\n#close\tx\n#separator |\n#fields|b\n2\n", "#separator |\n#fields|b\n"},
		{"directives after data stay in force", "#separator \\x09\n1\n#close\tx\n", "#separator \\x09\n#close\tx\n"},
		{"unterminated directive is not kept", "#separator \\x09\n#fields\ta", "#separator \\x09\n"},
		{"hash inside a line is not a directive", "#separator \\x09\na#b\n", "#separator \\x09\n"},
		{"no header", "{\"ts\":1}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHeaderScan(nil)
			h.Write([]byte(tt.in))
			if string(h.header) != tt.want {
				t.Errorf("header %q, want %q", h.header, tt.want)
			}
		})
	}
}

// FuzzHeaderScan: on any bytes, the header holds only complete '#' lines,
// stays within maxHeader, and does not depend on how the bytes were split
// into writes.
func FuzzHeaderScan(f *testing.F) {
	f.Add([]byte("#separator \\x09\n#fields\ta\tb\n1\t2\n#close\tx\n#separator |\n#fields|c\n3\n"), uint8(3))
	f.Add([]byte("#a\n#b"), uint8(1))
	f.Add([]byte("x\n#\n\n#"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		whole := newHeaderScan(nil)
		whole.Write(data)
		split := newHeaderScan(nil)
		n := int(step%16) + 1
		for p := data; len(p) > 0; {
			k := min(n, len(p))
			split.Write(p[:k])
			p = p[k:]
		}
		if !bytes.Equal(whole.header, split.header) {
			t.Fatalf("split writes give %q, one write %q", split.header, whole.header)
		}
		if len(whole.header) > maxHeader {
			t.Fatalf("header of %d bytes", len(whole.header))
		}
		for rest := whole.header; len(rest) > 0; {
			i := bytes.IndexByte(rest, '\n')
			if rest[0] != '#' || i < 0 {
				t.Fatalf("header holds a line that is not a complete directive: %q", rest)
			}
			rest = rest[i+1:]
		}
	})
}
