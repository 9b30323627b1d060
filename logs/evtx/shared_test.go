package evtx

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/logs"
)

// evtxFiles lists the .evtx files under dir, sorted.
func evtxFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !de.IsDir() && strings.HasSuffix(p, ".evtx") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// readAll reads one file and returns clones of its events and its warnings.
func readAll(tb testing.TB, path string) ([]*event.Event, []logs.Warning) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var evs []*event.Event
	var warns []logs.Warning
	in := logs.Input{Path: path, R: f, Warn: func(w logs.Warning) { warns = append(warns, w) }}
	if err := New().Read(context.Background(), in, func(e *event.Event) error {
		evs = append(evs, e.Clone())
		return nil
	}); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return evs, warns
}

// liveRecordOffsets counts records without the decoder: for every chunk it
// follows the record sizes from the end of the chunk header to the free
// space offset, and checks the total against the chunk header's first and
// last record numbers. It returns the records' file offsets.
func liveRecordOffsets(tb testing.TB, path string) []int64 {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	le := binary.LittleEndian
	var offs []int64
	for base := 4096; base+65536 <= len(data); base += 65536 {
		c := data[base : base+65536]
		if !bytes.HasPrefix(c, []byte("ElfChnk\x00")) {
			continue
		}
		first, last := le.Uint64(c[8:]), le.Uint64(c[16:])
		free := int(le.Uint32(c[48:]))
		n := 0
		for off := 512; off < free; n++ {
			if !bytes.HasPrefix(c[off:], []byte("**\x00\x00")) {
				tb.Fatalf("%s: chunk at %d: no record signature at %d", path, base, off)
			}
			offs = append(offs, int64(base+off))
			off += int(le.Uint32(c[off+4:]))
		}
		if uint64(n) != last-first+1 {
			tb.Errorf("%s: chunk at %d holds %d records, header says %d", path, base, n, last-first+1)
		}
	}
	return offs
}

// TestSharedFiles reads every shared EVTX file: no warnings, and exactly the
// live records that an independent walk of the chunks finds, in order.
func TestSharedFiles(t *testing.T) {
	dir := testdata.Dir(t)
	files := append(evtxFiles(t, filepath.Join(dir, "evtx")), evtxFiles(t, filepath.Join(dir, "sigma", "regression_data"))...)
	if len(files) == 0 {
		t.Skip("no EVTX files in the shared data")
	}
	total := 0
	for _, path := range files {
		evs, warns := readAll(t, path)
		for _, w := range warns {
			t.Errorf("warning: %v", w)
		}
		want := liveRecordOffsets(t, path)
		got := make([]int64, len(evs))
		for i, e := range evs {
			got[i] = e.Source.Offset
			if e.Source.Format != Name || e.Source.Path != path {
				t.Errorf("%s: source %+v", path, e.Source)
			}
			if e.Time.IsZero() || len(e.Fields) == 0 {
				t.Errorf("%s: record at %d: empty event", path, e.Source.Offset)
			}
			if id := e.GetString("EventRecordID"); id != fmt.Sprint(e.Source.Record) {
				t.Errorf("%s: record at %d: EventRecordID %q, Source.Record %d", path, e.Source.Offset, id, e.Source.Record)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d events, %d live records (offsets differ)", path, len(got), len(want))
		}
		total += len(evs)
	}
	t.Logf("%d files, %d records, all parsed", len(files), total)
}

// TestRegressionJSON compares every record of SigmaHQ's regression data with
// its evtx_dump rendering, flattened under docs/windows-fields.md.
func TestRegressionJSON(t *testing.T) {
	dir := testdata.Path(t, "sigma", "regression_data")
	files := evtxFiles(t, dir)
	records := 0
	for _, path := range files {
		jsonPath := strings.TrimSuffix(path, ".evtx") + ".json"
		want, err := readRenderings(jsonPath)
		if err != nil {
			t.Errorf("%s: %v", jsonPath, err)
			continue
		}
		evs, warns := readAll(t, path)
		for _, w := range warns {
			t.Errorf("warning: %v", w)
		}
		if len(evs) != len(want) {
			t.Errorf("%s: %d records, the rendering has %d", path, len(evs), len(want))
			continue
		}
		for i, e := range evs {
			for _, diff := range compareFields(e, want[i]) {
				if reason, ok := knownRenderingDiffs[filepath.Base(path)+" "+diff]; ok {
					t.Logf("%s: known difference (%s): %s", filepath.Base(path), reason, diff)
					continue
				}
				t.Errorf("%s: record %d (EventRecordID %d): %s", filepath.Base(path), i, e.Source.Record, diff)
			}
		}
		records += len(evs)
	}
	t.Logf("%d files, %d records match their JSON rendering", len(files), records)
}

// knownRenderingDiffs are differences where the JSON, not the record, is
// off. This one rendering was not made by evtx_dump from this file: its time
// has nine fractional digits (evtx_dump writes six) and its
// ParentCommandLine ends in "Explorer.exe" where the record's UTF-16 bytes
// say "Explorer.EXE".
var knownRenderingDiffs = map[string]string{
	`ad691d92-15f2-4181-9aa4-723c74f9ddc3.evtx ParentCommandLine: got ["C:\\Windows\\Explorer.EXE"] (string), want {null:false list:false strs:[C:\Windows\Explorer.exe]}`:               "JSON edited by hand",
	`ad691d92-15f2-4181-9aa4-723c74f9ddc3.evtx TimeCreated_SystemTime: got ["2026-03-20T08:31:26.751156Z"] (string), want {null:false list:false strs:[2026-03-20T08:31:26.751156500Z]}`: "JSON from another renderer (nanoseconds)",
}

// readRenderings decodes a stream of concatenated JSON objects.
func readRenderings(path string) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.UseNumber()
	var out []map[string]any
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
}

// expectation is one field flattened from a JSON rendering.
type expectation struct {
	null bool
	list bool
	strs []string // the text, or the texts of the list elements
}

// flattenRendering applies the naming convention to an evtx_dump object.
// It is written against the convention document, independently of the
// decoder's compiler.
func flattenRendering(doc map[string]any) map[string]expectation {
	out := map[string]expectation{}
	ev, _ := doc["Event"].(map[string]any)
	text := func(v any) string {
		switch v := v.(type) {
		case string:
			return v
		case json.Number:
			return v.String()
		case bool:
			return fmt.Sprint(v)
		}
		return fmt.Sprint(v)
	}
	leaf := func(name string, v any) {
		switch v := v.(type) {
		case nil:
			out[name] = expectation{null: true}
		case []any:
			e := expectation{list: true}
			for _, x := range v {
				e.strs = append(e.strs, text(x))
			}
			out[name] = e
		default:
			out[name] = expectation{strs: []string{text(v)}}
		}
	}
	attrs := func(elem string, v any) {
		m, _ := v.(map[string]any)
		for k, a := range m {
			if k != "xmlns" && !strings.HasPrefix(k, "xmlns:") {
				leaf(elem+"_"+k, a)
			}
		}
	}
	var walkOther func(name string, v any)
	walkOther = func(name string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			leaf(name, v)
			return
		}
		for k, x := range m {
			switch k {
			case "#attributes":
				attrs(name, x)
			case "#text":
				leaf(name, x)
			default:
				walkOther(k, x)
			}
		}
	}
	for section, body := range ev {
		switch section {
		case "#attributes":
			attrs("Event", body)
		case "System":
			m, _ := body.(map[string]any)
			for k, v := range m {
				switch v := v.(type) {
				case nil:
				case map[string]any:
					attrs(k, v["#attributes"])
					if t, ok := v["#text"]; ok && t != nil {
						leaf(k, t)
					}
				default:
					leaf(k, v)
				}
			}
		case "EventData":
			m, ok := body.(map[string]any)
			if !ok {
				if body != nil {
					leaf(section, body)
				}
				continue
			}
			for k, v := range m {
				switch {
				case k == "#attributes":
					attrs(section, v)
				case k == "Data":
					// Unnamed <Data> elements: {"#text": value or [values]}.
					t := v
					if dm, ok := v.(map[string]any); ok {
						t = dm["#text"]
					}
					if l, ok := t.([]any); ok {
						leaf("Data", l)
					} else {
						leaf("Data", []any{t})
					}
				default:
					walkOther(k, v)
				}
			}
		default:
			if body != nil {
				m, _ := body.(map[string]any)
				for k, v := range m {
					if k == "#attributes" {
						attrs(section, v)
						continue
					}
					walkOther(k, v)
				}
			}
		}
	}
	return out
}

// compareFields lists the differences between an event and a rendering.
// isUnspacedAlias reports whether f is the space-less alias the reader adds
// for a field whose name holds spaces.
func isUnspacedAlias(e *event.Event, f event.Field) bool {
	for _, g := range e.Fields {
		if strings.Contains(g.Name, " ") && strings.ReplaceAll(g.Name, " ", "") == f.Name {
			return g.Value.Str == f.Value.Str
		}
	}
	return false
}

func compareFields(e *event.Event, doc map[string]any) []string {
	want := flattenRendering(doc)
	var diffs []string
	seen := map[string]bool{}
	for _, f := range e.Fields {
		if seen[f.Name] {
			diffs = append(diffs, fmt.Sprintf("field %s appears twice", f.Name))
		}
		seen[f.Name] = true
		w, ok := want[f.Name]
		if !ok {
			if isUnspacedAlias(e, f) {
				continue // "ThreatName" for "Threat Name": not in the rendering
			}
			diffs = append(diffs, fmt.Sprintf("extra field %s = %q", f.Name, f.Value.Str))
			continue
		}
		var got []string
		switch {
		case f.Value.Kind == event.KindNull:
			if !w.null {
				diffs = append(diffs, fmt.Sprintf("%s: null, want %q", f.Name, w.strs))
			}
			continue
		case f.Value.Kind == event.KindList:
			for _, x := range f.Value.List {
				got = append(got, x.Str)
			}
		default:
			got = []string{f.Value.Str}
		}
		if w.null || w.list != (f.Value.Kind == event.KindList) || !slices.Equal(got, w.strs) {
			diffs = append(diffs, fmt.Sprintf("%s: got %q (%s), want %+v", f.Name, got, f.Value.Kind, w))
		}
	}
	for name, w := range want {
		if !seen[name] {
			diffs = append(diffs, fmt.Sprintf("missing field %s = %+v", name, w))
		}
	}
	slices.Sort(diffs)
	return diffs
}
