package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/jsonl"
	"github.com/bulwarkhq/bulwark/rules"
)

// readBack reads NDJSON output with the jsonl reader, as an upload would.
func readBack(t *testing.T, data []byte) []event.Event {
	t.Helper()
	r := jsonl.New()
	if !r.Sniff(data) {
		t.Fatal("the jsonl reader does not recognise the output")
	}
	var out []event.Event
	in := logs.Input{Path: "demo.ndjson", R: bytes.NewReader(data), Warn: func(w logs.Warning) { t.Errorf("warning: %s", w) }}
	err := r.Read(context.Background(), in, func(ev *event.Event) error {
		out = append(out, *ev.Clone())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNDJSONRoundTrip writes the scenario as NDJSON, reads it back with the
// jsonl reader and checks that every event comes back with the same fields
// in the same order, values, time and record number, and that the built-in
// rules raise the same alerts on it: the ingest path sees what Scenario
// returns.
func TestNDJSONRoundTrip(t *testing.T) {
	evs := Scenario(testStart)
	var buf bytes.Buffer
	if err := NDJSON(&buf, evs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(evs) {
		t.Fatalf("%d lines for %d events", len(lines), len(evs))
	}
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("line %d is not JSON: %s", i+1, l)
		}
	}
	back := readBack(t, buf.Bytes())
	if len(back) != len(evs) {
		t.Fatalf("read back %d events of %d", len(back), len(evs))
	}
	for i := range evs {
		want, got := &evs[i], &back[i]
		for _, f := range []string{"EventID", "Channel", "Computer", "Image", "CommandLine", "Provider_Name", "EventRecordID"} {
			if w, g := want.GetString(f), got.GetString(f); w != g {
				t.Errorf("event %d: %s = %q, read back %q", i+1, f, w, g)
			}
		}
		if len(got.Fields) != len(want.Fields) {
			t.Errorf("event %d: %d fields, read back %d", i+1, len(want.Fields), len(got.Fields))
			continue
		}
		for k, wf := range want.Fields {
			gf := got.Fields[k]
			if gf.Name != wf.Name || gf.Value.Str != wf.Value.Str {
				t.Errorf("event %d field %d: %s=%q, read back %s=%q", i+1, k, wf.Name, wf.Value.Str, gf.Name, gf.Value.Str)
			}
		}
		if !got.Time.Equal(want.Time) {
			t.Errorf("event %d: time %v, read back %v", i+1, want.Time, got.Time)
		}
		if got.Source.Record != want.Source.Record {
			t.Errorf("event %d: record %d, read back %d", i+1, want.Source.Record, got.Source.Record)
		}
	}
	// Numbers stay numbers, so that rules comparing EventID or LogonType
	// as integers see integers.
	if v, _ := back[0].Get("EventID"); v.Kind != event.KindInt {
		t.Errorf("EventID read back as %v", v.Kind)
	}

	recs := build(testStart)
	want := summarize(t, recs, detectAll(t, compile(t, rules.Builtin()), evs))
	got := summarize(t, recs, detectAll(t, compile(t, rules.Builtin()), back))
	if got != want {
		t.Errorf("alerts on the NDJSON read back differ from those on the events:\n%s", lineDiff(want, got))
	}
}

func TestNDJSONValues(t *testing.T) {
	ev := event.Event{}
	ev.Add("s", event.String(`a "quoted" <b> & c:\path`+"\n"))
	ev.Add("i", event.Int(-42))
	ev.Add("h", event.Hex(0x1fffff))
	ev.Add("f", event.Float(1.5))
	ev.Add("t", event.Bool(true))
	ev.Add("n", event.Null())
	ev.Add("l", event.List(event.String("x"), event.Int(1)))
	var buf bytes.Buffer
	if err := NDJSON(&buf, []event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	want := `{"s":"a \"quoted\" <b> & c:\\path\n","i":-42,"h":"0x1fffff","f":1.5,"t":true,"n":null,"l":["x",1]}` + "\n"
	if buf.String() != want {
		t.Errorf("got  %s\nwant %s", buf.String(), want)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestNDJSONWriteError(t *testing.T) {
	if err := NDJSON(failingWriter{}, Scenario(testStart)); err == nil {
		t.Error("a write error was not reported")
	}
}
