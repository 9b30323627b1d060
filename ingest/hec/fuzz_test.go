package hec

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulwarkhq/bulwark/ingest"
	"github.com/bulwarkhq/bulwark/logs/jsonl"
)

// FuzzEnvelopes feeds arbitrary bodies to the envelope decoder. It must
// never panic, and what it accepts must be well formed: events numbered in
// order, each with its envelope's text, and within the budget of values.
func FuzzEnvelopes(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.json")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{"event":"a"}{"event":{"b":[1,{"c":null}]},"fields":{"x":"y"},"time":"1.5"}`,
		`{"event":"<13>1 2024-01-01T00:00:00Z h a - - [x a=\"1\"] m","host":7}`,
		`{"event":" {\"Event\":{\"System\":{\"EventID\":1}}}","time":1e18}`,
		`{"event":1}[`, `{"event":"\ud800"}`, `{"time":99999999999999999999999,"event":"x"}`,
	} {
		f.Add([]byte(s))
	}
	opt := Options{Limits: ingest.Limits{MaxValues: 1 << 14}}.withDefaults()
	p := jsonl.NewParser()
	f.Fuzz(func(t *testing.T, body []byte) {
		d := newDecoder(p, opt, nil)
		evs, err := d.envelopes(body)
		if err != nil {
			return
		}
		cost := 0
		for i := range evs {
			e := &evs[i]
			if e.Source.Record != int64(i)+1 || e.Source.Path != Name || e.Time.IsZero() {
				t.Fatalf("event %d: source %+v time %v", i, e.Source, e.Time)
			}
			off := int(e.Source.Offset)
			if off < 0 || off+len(e.Raw) > len(body) || !bytes.Equal(body[off:off+len(e.Raw)], e.Raw) {
				t.Fatalf("event %d: Raw is not the body at offset %d", i, off)
			}
			cost += 1 + len(e.Fields)
		}
		if cost > opt.MaxValues {
			t.Fatalf("cost %d over the budget", cost)
		}
	})
}

// FuzzRaw feeds arbitrary bodies to the raw endpoint's decoder.
func FuzzRaw(f *testing.F) {
	if b, err := os.ReadFile("testdata/raw.txt"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("{\"a\":1}\r\n<34>Oct 11 22:14:15 mymachine su: 'su root' failed\n\n{broken"))
	opt := Options{Limits: ingest.Limits{MaxValues: 1 << 14}}.withDefaults()
	p := jsonl.NewParser()
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := newDecoder(p, opt, nil).raw(body)
		if err != nil {
			return
		}
		for i := range evs {
			e := &evs[i]
			off := int(e.Source.Offset)
			if off < 0 || off+len(e.Raw) > len(body) || !bytes.Equal(body[off:off+len(e.Raw)], e.Raw) || len(e.Fields) == 0 {
				t.Fatalf("event %d: Raw %q at offset %d, %d fields", i, e.Raw, off, len(e.Fields))
			}
		}
	})
}
