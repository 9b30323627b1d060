package jetstream

import (
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/demo"
	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/rules"
	"github.com/bulwarkhq/bulwark/sigma"
)

func benchEvents(b *testing.B) ([]event.Event, *detect.Engine) {
	b.Helper()
	rs, _, err := rules.Selection{}.Load()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	var evs []event.Event
	for r := range 20 {
		evs = append(evs, demo.Scenario(start.Add(time.Duration(r)*time.Hour))...)
	}
	return evs, detect.New(rs, detect.Options{})
}

// BenchmarkWorkerDetect is a worker's CPU per message without I/O: decode
// the message body and run the per-event rules (the built-in set) over
// the demo's events. Run with -cpu 1 for the per-core rate.
func BenchmarkWorkerDetect(b *testing.B) {
	evs, engine := benchEvents(b)
	body := encodeBatch(nil, evs)
	ld := newLoopDetector(engine, sigma.LevelLow)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		got, err := decodeBatch(body)
		if err != nil {
			b.Fatal(err)
		}
		ld.detect(got, nil)
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkCorrelatorDetect is the correlator's CPU per event: the rules
// correlations consume, with their windows, over every event.
func BenchmarkCorrelatorDetect(b *testing.B) {
	evs, engine := benchEvents(b)
	engine = correlationEngine(engine, 0, 1)
	body := encodeBatch(nil, evs)
	d := engine.NewDetector(engine.NewCorrelations(), sigma.LevelLow, func(*alert.Alert) error { return nil })
	b.ResetTimer()
	for b.Loop() {
		got, err := decodeBatch(body)
		if err != nil {
			b.Fatal(err)
		}
		for i := range got {
			_ = d.Process(&got[i])
		}
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEncode is an ingest node's CPU per event for the stream's
// encoding (the HTTP decoding before it is the single node's too).
func BenchmarkEncode(b *testing.B) {
	evs, _ := benchEvents(b)
	var buf []byte
	for b.Loop() {
		buf = encodeBatch(buf[:0], evs)
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
