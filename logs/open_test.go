package logs

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func gz(t *testing.T, parts ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, p := range parts { // one member per part, as logrotate appends them
		w := gzip.NewWriter(&b)
		w.Write(p)
		w.Close()
	}
	return b.Bytes()
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpen(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef\n"), SniffLen/8) // twice SniffLen
	tests := []struct {
		name, file string
		data, want []byte
		gzip       bool
	}{
		{"plain", "a.log", []byte("hello\n"), []byte("hello\n"), false},
		{"empty", "e.log", nil, nil, false},
		{"big plain", "b.log", big, big, false},
		{"gzip named .log", "a.log", gz(t, []byte("hello\n")), []byte("hello\n"), true},
		{"gzip multi-member", "m.gz", gz(t, []byte("one\n"), []byte("two\n")), []byte("one\ntwo\n"), true},
		{"big gzip", "b.gz", gz(t, big), big, true},
		{"plain named .gz", "p.gz", []byte("not gzip"), []byte("not gzip"), false},
		{"one byte 1f", "x", []byte{0x1f}, []byte{0x1f}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.file, tt.data)
			f, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Gzip != tt.gzip {
				t.Errorf("Gzip = %v", f.Gzip)
			}
			if f.Size != int64(len(tt.data)) {
				t.Errorf("Size = %d, want %d", f.Size, len(tt.data))
			}
			wantHead := tt.want
			if len(wantHead) > SniffLen {
				wantHead = wantHead[:SniffLen]
			}
			if !bytes.Equal(f.Head, wantHead) {
				t.Errorf("Head = %.40q (%d bytes), want %d bytes", f.Head, len(f.Head), len(wantHead))
			}
			got, err := io.ReadAll(f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("content = %.40q (%d bytes), want %d bytes", got, len(got), len(tt.want))
			}
			if f.Consumed() != int64(len(tt.data)) {
				t.Errorf("Consumed = %d, want %d", f.Consumed(), len(tt.data))
			}
		})
	}
}

func TestOpenDamagedGzip(t *testing.T) {
	full := gz(t, bytes.Repeat([]byte("line of text\n"), 20000))
	// Cut short: the readable start comes back, then the error.
	f, err := Open(writeFile(t, "cut.gz", full[:len(full)/2]))
	if err != nil {
		t.Fatalf("Open of a truncated gzip: %v", err)
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err == nil {
		t.Error("no error at the cut")
	}
	if len(got) < SniffLen || !bytes.HasPrefix(got, []byte("line of text\n")) {
		t.Errorf("read %d bytes before the error", len(got))
	}
	// A gzip magic number with garbage after it cannot be opened.
	if _, err := Open(writeFile(t, "bad.gz", []byte{0x1f, 0x8b, 0, 0, 0})); err == nil {
		t.Error("Open of a bad gzip header succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
}

func TestNewFile(t *testing.T) {
	f, err := NewFile("stdin", io.NopCloser(bytes.NewReader(gz(t, []byte("x\n")))))
	if err != nil {
		t.Fatal(err)
	}
	in := f.Input(nil)
	if in.Path != "stdin" {
		t.Errorf("Path %q", in.Path)
	}
	if got, _ := io.ReadAll(in.R); string(got) != "x\n" || f.Size != -1 {
		t.Errorf("read %q, size %d", got, f.Size)
	}
}
