// Package logtest holds what the readers' tests share: running a Reader
// over bytes or a file, a stable text rendering of events for golden files
// (rewritten with go test -update), and the invariants every reader keeps on
// any input, which the fuzz targets check.
package logtest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
)

// Update rewrites golden files instead of comparing against them.
var Update = flag.Bool("update", false, "rewrite golden files")

// Result is what a Reader produced from one input.
type Result struct {
	Events   []*event.Event
	Warnings []logs.Warning
	Err      error
}

// Run reads data with r, keeping clones of every event.
func Run(r logs.Reader, path string, data []byte) Result {
	return RunReader(r, path, bytes.NewReader(data))
}

// RunReader reads rd with r, keeping clones of every event.
func RunReader(r logs.Reader, path string, rd io.Reader) Result {
	var res Result
	in := logs.Input{Path: path, R: rd, Warn: func(w logs.Warning) { res.Warnings = append(res.Warnings, w) }}
	res.Err = r.Read(context.Background(), in, func(e *event.Event) error {
		res.Events = append(res.Events, e.Clone())
		return nil
	})
	return res
}

// RunFile opens path with logs.Open (so gzip is handled) and reads it.
func RunFile(tb testing.TB, r logs.Reader, path string) Result {
	tb.Helper()
	f, err := logs.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	return RunReader(r, path, f)
}

// Format renders events and warnings as stable text, one field per line.
func Format(res Result) string {
	var b strings.Builder
	for _, e := range res.Events {
		WriteEvent(&b, e)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(&b, "warning: offset %d: %s\n", w.Offset, w.Msg)
	}
	if res.Err != nil {
		fmt.Fprintf(&b, "error: %v\n", res.Err)
	}
	return b.String()
}

// WriteEvent renders one event.
func WriteEvent(w io.Writer, e *event.Event) {
	t := "-"
	if !e.Time.IsZero() {
		t = e.Time.UTC().Format(time.RFC3339Nano)
	}
	fmt.Fprintf(w, "--- record %d offset %d time %s\n", e.Source.Record, e.Source.Offset, t)
	for _, f := range e.Fields {
		fmt.Fprintf(w, "%s = %s\n", f.Name, FormatValue(f.Value))
	}
}

// FormatValue renders a value with its kind.
func FormatValue(v event.Value) string {
	switch v.Kind {
	case event.KindNull:
		return "null"
	case event.KindList:
		parts := make([]string, len(v.List))
		for i, x := range v.List {
			parts[i] = FormatValue(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprintf("%s %q", v.Kind, v.Str)
}

// Golden compares got with the file testdata/<name>, or rewrites the file
// with -update.
func Golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *Update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, diff(string(want), got))
	}
}

// diff shows the first differing lines.
func diff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant: %s\ngot:  %s", i+1, w, g)
		}
	}
	return "(no difference in lines)"
}

// CheckInvariants checks what every reader guarantees on any input, for fuzz
// targets: no error other than from emit, events with the format's name and
// unique field names, warnings with an offset inside the input.
func CheckInvariants(t *testing.T, r logs.Reader, data []byte) Result {
	t.Helper()
	res := Run(r, "fuzz", data)
	if res.Err != nil {
		t.Fatalf("Read returned an error on in-memory input: %v", res.Err)
	}
	for _, e := range res.Events {
		if e.Source.Format != r.Name() {
			t.Fatalf("event format %q, want %q", e.Source.Format, r.Name())
		}
		if e.Source.Offset < 0 || e.Source.Offset > int64(len(data)) {
			t.Fatalf("event offset %d outside input of %d bytes", e.Source.Offset, len(data))
		}
		seen := make(map[string]bool, len(e.Fields))
		for _, f := range e.Fields {
			if seen[f.Name] {
				t.Fatalf("duplicate field %q in %v", f.Name, e.Fields)
			}
			seen[f.Name] = true
			checkValue(t, f.Name, f.Value)
		}
	}
	for _, w := range res.Warnings {
		if w.Offset < -1 || w.Offset > int64(len(data)) {
			t.Fatalf("warning offset %d outside input of %d bytes: %s", w.Offset, len(data), w.Msg)
		}
	}
	return res
}

func checkValue(t *testing.T, name string, v event.Value) {
	t.Helper()
	switch v.Kind {
	case event.KindList:
		for _, x := range v.List {
			if x.Kind == event.KindList {
				t.Fatalf("field %q: nested list", name)
			}
		}
	case event.KindNull, event.KindString, event.KindInt, event.KindFloat, event.KindBool:
	default:
		t.Fatalf("field %q: bad kind %d", name, v.Kind)
	}
}
