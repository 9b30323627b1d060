package list

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/logs"
)

// TestEveryReaderListed checks that each reader package under logs/ is in
// All, under the package's name: adding a reader without registering it
// fails here.
func TestEveryReaderListed(t *testing.T) {
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	names := Names()
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "list" || e.Name() == "internal" || e.Name() == "testdata" {
			continue
		}
		goFiles, _ := filepath.Glob(filepath.Join("..", e.Name(), "*.go"))
		if len(goFiles) == 0 {
			continue
		}
		if !slices.Contains(names, e.Name()) {
			t.Errorf("logs/%s is not registered in list.All (names: %v)", e.Name(), names)
		}
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("reader %q listed twice", n)
		}
		seen[n] = true
		if r, ok := ByName(n); !ok || r.Name() != n {
			t.Errorf("ByName(%q) = %v, %v", n, r, ok)
		}
	}
	if _, ok := ByName("nope"); ok {
		t.Error("ByName(nope) found something")
	}
}

// TestDetectTestdata sniffs every reader's own test inputs: each must be
// recognised as its reader's format, whatever comes earlier in the order.
func TestDetectTestdata(t *testing.T) {
	// Inputs that are deliberately not in their format, or too damaged to
	// tell from their start.
	skip := map[string]bool{
		"zeek/testdata/orphan.log": true, // data before any header: not recognisable
	}
	n := 0
	for _, r := range All() {
		files, _ := filepath.Glob(filepath.Join("..", r.Name(), "testdata", "*"))
		for _, p := range files {
			rel := strings.TrimPrefix(filepath.ToSlash(p), "../")
			if skip[rel] || strings.HasSuffix(p, ".golden") {
				continue
			}
			if st, err := os.Stat(p); err != nil || st.IsDir() {
				continue
			}
			f, err := logs.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Detect(f.Head)
			f.Close()
			if err != nil || got.Name() != r.Name() {
				t.Errorf("Detect(%s) = %v, %v; want %s", rel, got, err, r.Name())
			}
			n++
		}
	}
	if n < 10 {
		t.Errorf("only %d inputs found", n)
	}
}

// TestDetectRealData sniffs the real data: SigmaHQ's evtx_dump JSON,
// Zeek baselines with headers, and (once logs/evtx is registered) the EVTX
// samples.
func TestDetectRealData(t *testing.T) {
	root := testdata.Dir(t)
	cases := []struct {
		glob, want string
	}{
		{"sigma/regression_data/rules/windows/*/*/*.json", "jsonl"},
		{"pcap/*/icsnpp-*/baseline/conn.log", "zeek"},
		{"pcap/dnp3/icsnpp-dnp3/baseline/dnp3*.log", "zeek"},
	}
	if _, ok := ByName("evtx"); ok {
		cases = append(cases, struct{ glob, want string }{"evtx/*/*.evtx", "evtx"})
	}
	for _, c := range cases {
		files, _ := filepath.Glob(filepath.Join(root, c.glob))
		if len(files) == 0 {
			t.Errorf("no files for %s", c.glob)
		}
		for _, p := range files {
			f, err := logs.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Detect(f.Head)
			f.Close()
			if err != nil || got.Name() != c.want {
				t.Errorf("Detect(%s) = %v, %v; want %s", p, got, err, c.want)
			}
		}
	}
}

func TestDetectErrors(t *testing.T) {
	if _, err := Detect(nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: %v", err)
	}
	_, err := Detect([]byte("\x00\x01binary junk"))
	if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "--format one of ") || !strings.Contains(err.Error(), "jsonl") {
		t.Errorf("binary: %v", err)
	}
	if !strings.Contains(err.Error(), "bytes 00 01") {
		t.Errorf("binary preview: %v", err)
	}

	dir := t.TempDir()
	p := filepath.Join(dir, "notes.txt")
	os.WriteFile(p, []byte("dear diary,\ntoday nothing happened\n"), 0o644)
	_, _, err = Open(p, "")
	if err == nil || !strings.Contains(err.Error(), "cannot recognise the format of "+p) || !strings.Contains(err.Error(), `"dear diary`) {
		t.Errorf("Open: %v", err)
	}
	f, r, err := Open(p, "syslog")
	if err != nil || r.Name() != "syslog" {
		t.Fatalf("Open with --format: %v", err)
	}
	f.Close()
	empty := filepath.Join(dir, "empty.log")
	os.WriteFile(empty, nil, 0o644)
	if f, r, err := Open(empty, ""); err != nil || r == nil {
		t.Errorf("empty file: %v", err)
	} else {
		f.Close()
	}
	if _, _, err := Open(p, "nope"); err == nil || !strings.Contains(err.Error(), `unknown format "nope"`) {
		t.Errorf("unknown format: %v", err)
	}
}

// TestWindowsConventionAgrees reads each SigmaHQ regression sample twice,
// from the .evtx file and from its evtx_dump .json rendering, and checks
// that both readers give every field of docs/windows-fields.md the same
// name and text: a Sigma rule must match the same events from either.
func TestWindowsConventionAgrees(t *testing.T) {
	root := testdata.Path(t, "sigma", "regression_data")
	evtxReader, ok := ByName("evtx")
	if !ok {
		t.Skip("logs/evtx not registered")
	}
	jsonReader, _ := ByName("jsonl")
	var pairs []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".evtx") {
			if _, err := os.Stat(strings.TrimSuffix(p, ".evtx") + ".json"); err == nil {
				pairs = append(pairs, strings.TrimSuffix(p, ".evtx"))
			}
		}
		return nil
	})
	if len(pairs) == 0 {
		t.Fatal("no .evtx/.json pairs")
	}
	compared, mismatches := 0, 0
	for _, base := range pairs {
		if notRendering[filepath.Base(base)] {
			continue
		}
		fromEVTX := readAll(t, evtxReader, base+".evtx")
		fromJSON := readAll(t, jsonReader, base+".json")
		if len(fromEVTX) != len(fromJSON) {
			t.Errorf("%s: %d events from .evtx, %d from .json", base, len(fromEVTX), len(fromJSON))
			continue
		}
		for i, ev := range fromEVTX {
			js := fromJSON[i]
			if !ev.Time.Truncate(time.Microsecond).Equal(js.Time.Truncate(time.Microsecond)) { // evtx_dump renders microseconds
				t.Errorf("%s event %d: time %v from .evtx, %v from .json", base, i+1, ev.Time, js.Time)
			}
			for _, f := range ev.Fields {
				v, ok := js.Get(f.Name)
				compared++
				if !ok || v.Str != f.Value.Str {
					mismatches++
					if mismatches <= 20 {
						t.Errorf("%s event %d: %s = %q from .evtx, %q (present %v) from .json", filepath.Base(base), i+1, f.Name, f.Value.Str, v.Str, ok)
					}
				}
			}
			// And no alias the EVTX reader would not give.
			for _, f := range js.Fields {
				if strings.HasPrefix(f.Name, "Event.") {
					continue
				}
				if _, ok := ev.Get(f.Name); !ok {
					mismatches++
					t.Errorf("%s event %d: %s = %q from .json only", filepath.Base(base), i+1, f.Name, f.Value.Str)
				}
			}
		}
	}
	t.Logf("%d samples, %d fields compared, %d mismatches", len(pairs), compared, mismatches)
}

// notRendering lists samples whose .json is not evtx_dump's rendering of
// their .evtx: this one has a 7-digit SystemTime and "Explorer.exe" where the
// binary log says "Explorer.EXE", so it was written or edited by hand.
var notRendering = map[string]bool{
	"ad691d92-15f2-4181-9aa4-723c74f9ddc3": true,
}

func readAll(t *testing.T, r logs.Reader, path string) []*event.Event {
	t.Helper()
	f, err := logs.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*event.Event
	err = r.Read(context.Background(), f.Input(func(w logs.Warning) { t.Errorf("%s", w) }), func(e *event.Event) error {
		out = append(out, e.Clone())
		return nil
	})
	if err != nil {
		t.Errorf("%s: %v", path, err)
	}
	return out
}
