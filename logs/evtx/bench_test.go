package evtx

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/logs"
)

// BenchmarkReadShared parses every file of the shared EVTX corpus into
// events. The files are loaded first so that the figure is the parser's, not
// the disk's. Run with -cpu=1 for the per-core rate.
func BenchmarkReadShared(b *testing.B) {
	files := evtxFiles(b, testdata.Path(b, "evtx"))
	data := make([][]byte, len(files))
	size := 0
	for i, p := range files {
		d, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		data[i] = d
		size += len(d)
	}
	r := New()
	events := 0
	emit := func(*event.Event) error { events++; return nil }
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i, d := range data {
			in := logs.Input{Path: files[i], R: bytes.NewReader(d), Warn: func(w logs.Warning) { b.Fatal(w) }}
			if err := r.Read(context.Background(), in, emit); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	perOp := events / b.N
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(perOp), "events/op")
}
