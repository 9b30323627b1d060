package evtx

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/evtx/evtxtest"
)

// FuzzRead feeds arbitrary bytes to the reader: it must never panic, never
// return an error for damaged input (only warnings), and produce events
// that are well formed. The committed corpus in testdata/fuzz/FuzzRead
// holds evtxtest files cut after their last record and damaged variants
// (see TestWriteFuzzSeeds); the first chunk of each shared EVTX file is
// added when the shared data is present.
func FuzzRead(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	if dir, ok := testdata.Find(); ok {
		for _, p := range evtxFiles(f, filepath.Join(dir, "evtx")) {
			// The file header and the used part of the first chunk: the
			// zeros after it would only slow the fuzzer down.
			if b, err := readHead(p, fileHeaderSize+chunkSize); err == nil && len(b) == fileHeaderSize+chunkSize {
				if free := int(binary.LittleEndian.Uint32(b[fileHeaderSize+48:])); free >= chunkHeaderSize && free <= chunkSize {
					b = b[:fileHeaderSize+free]
				}
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := logs.Input{Path: "fuzz", R: bytes.NewReader(data), Warn: func(w logs.Warning) {
			if w.Path != "fuzz" || w.Offset < -1 || w.Offset > int64(len(data)) || w.Msg == "" {
				t.Fatalf("bad warning %+v", w)
			}
		}}
		err := New().Read(context.Background(), in, func(e *event.Event) error {
			if e.Source.Offset < 0 || e.Source.Offset >= int64(len(data)) {
				t.Fatalf("event offset %d outside the input", e.Source.Offset)
			}
			for _, fl := range e.Fields {
				if fl.Value.Kind == event.KindNull && fl.Value.Str != "" {
					t.Fatalf("null field %s with text %q", fl.Name, fl.Value.Str)
				}
				if fl.Value.Kind == event.KindList {
					// A list's text is its elements' texts joined by spaces
					// (event.List); an empty array is an empty list.
					parts := make([]string, len(fl.Value.List))
					for i, x := range fl.Value.List {
						parts[i] = x.Str
					}
					if got := strings.Join(parts, " "); got != fl.Value.Str {
						t.Fatalf("list field %s: text %q, elements %q", fl.Name, fl.Value.Str, got)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
	})
}

func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	m, _ := f.Read(b)
	for m < n {
		k, err := f.Read(b[m:])
		if err != nil {
			break
		}
		m += k
	}
	return b[:m], nil
}

// fuzzSeeds returns small valid files (cut right after their last record,
// which the reader reports as a truncated chunk but parses) and damaged
// variants of them.
func fuzzSeeds() [][]byte {
	q := uint16(16384)
	sets := [][]evtxtest.Record{
		{sysmonRecord(0), sysmonRecord(1)},
		{{
			Provider: "Service Control Manager", Qualifiers: &q, EventID: 7045, Time: t0, Channel: "System", Computer: "srv",
			Unnamed: []any{"svc", `C:\x.exe`, nil, uint8(3), evtxtest.Hex32(16)},
		}},
		{{
			Provider: "Microsoft-Windows-Eventlog", EventID: 1102, Time: t0, Channel: "Security", Computer: "dc",
			ActivityID: "6B3DFF46-F4E6-4CDA-983B-76B101728AA5", UserID: "S-1-5-21-1-2-3-500",
			UserData: &evtxtest.UserData{Element: "LogFileCleared", Namespace: "urn:x", Fields: []evtxtest.Data{
				{Name: "SubjectUserName", Value: "admin"}, {Name: "SubjectLogonId", Value: evtxtest.Hex64(0x3e7)},
				{Name: "When", Value: time.Unix(0, 0)}, {Name: "Bin", Value: []byte{1, 2}}, {Name: "F", Value: 2.5}, {Name: "B", Value: true},
			}},
		}},
	}
	var seeds [][]byte
	for _, recs := range sets {
		full := evtxtest.MustBuild(recs, evtxtest.Options{})
		free := int(binary.LittleEndian.Uint32(full[fileHeaderSize+48:]))
		seed := full[:fileHeaderSize+free]
		seeds = append(seeds, seed)
		// Damaged: a record size, a template offset, a name offset.
		for _, at := range []int{fileHeaderSize + chunkHeaderSize + 4, fileHeaderSize + chunkHeaderSize + 34, fileHeaderSize + chunkHeaderSize + 80} {
			d := bytes.Clone(seed)
			d[at] ^= 0x5a
			seeds = append(seeds, d)
		}
	}
	return seeds
}

// TestWriteFuzzSeeds regenerates the committed seed corpus when
// EVTX_WRITE_FUZZ_SEEDS=1; otherwise it checks every seed reads without
// error.
func TestWriteFuzzSeeds(t *testing.T) {
	seeds := fuzzSeeds()
	for _, s := range seeds {
		if r := read(s); r.err != nil {
			t.Fatal(r.err)
		}
	}
	if os.Getenv("EVTX_WRITE_FUZZ_SEEDS") != "1" {
		return
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range seeds {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-evtxtest-%02d", i)), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
