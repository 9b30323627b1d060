package sqlite

import (
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/storetest"
)

const benchBatch = 1000

// BenchmarkAppendEvents measures the ingest hot path: one durable
// transaction per 1000-event batch.
func BenchmarkAppendEvents(b *testing.B) {
	db, err := Open(b.Context(), b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	batches := storetest.WindowsEventBatches(8, benchBatch)
	b.ReportAllocs()
	cpu0, _ := processCPUTime()
	n := 0
	for b.Loop() {
		if _, err := db.AppendEvents(b.Context(), batches[n%len(batches)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportRates(b, n*benchBatch, cpu0)
}

// reportRates reports events per second of wall time and, where it can be
// measured, per second of CPU time.
func reportRates(b *testing.B, events int, cpu0 time.Duration) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	if cpu1, ok := processCPUTime(); ok && cpu1 > cpu0 {
		b.ReportMetric(float64(events)/(cpu1-cpu0).Seconds(), "events/cpu-s")
	}
}

// BenchmarkScanEvents measures reading back and decoding stored events.
func BenchmarkScanEvents(b *testing.B) {
	db, err := Open(b.Context(), b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, batch := range storetest.WindowsEventBatches(10, benchBatch) {
		if _, err := db.AppendEvents(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	cpu0, _ := processCPUTime()
	n := 0
	for b.Loop() {
		err := db.ScanEvents(b.Context(), store.EventFilter{}, func(*store.StoredEvent) error {
			n++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	reportRates(b, n, cpu0)
}
