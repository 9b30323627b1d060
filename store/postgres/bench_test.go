package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/search"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/storetest"
)

const benchBatch = 1000

// BenchmarkAppendEvents measures the ingest hot path: one committed
// transaction (COPY) per 1000-event batch.
func BenchmarkAppendEvents(b *testing.B) {
	s := openTest(b, b.Name(), Options{})
	defer s.Close()
	batches := storetest.WindowsEventBatches(8, benchBatch)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := s.AppendEvents(b.Context(), batches[n%len(batches)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n*benchBatch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkScanEvents measures reading back and decoding stored events.
func BenchmarkScanEvents(b *testing.B) {
	s := openTest(b, b.Name(), Options{})
	defer s.Close()
	for _, batch := range storetest.WindowsEventBatches(10, benchBatch) {
		if _, err := s.AppendEvents(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		err := s.ScanEvents(b.Context(), store.EventFilter{}, func(*store.StoredEvent) error {
			n++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSearchEvents measures a search as the server runs one (newest
// first, the first 100 matches) over 100,000 stored events, through the
// trigram index and, for comparison, as a scan with Match.
func BenchmarkSearchEvents(b *testing.B) {
	s := openTest(b, b.Name(), Options{})
	defer s.Close()
	for _, batch := range storetest.WindowsEventBatches(100, benchBatch) {
		if _, err := s.AppendEvents(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.pool.Exec(b.Context(), `ANALYZE events`); err != nil {
		b.Fatal(err)
	}
	// Searches run first as on the current day, whose partition has no
	// trigram index yet, then once IndexClosedDays built it.
	runSearches(b, s, "open-day")
	start := time.Now()
	if n, err := s.IndexClosedDays(b.Context(), time.Now()); err != nil || n != 1 {
		b.Fatalf("indexed %d days (%v), want 1", n, err)
	}
	b.Logf("trigram index of 100,000 events built in %v", time.Since(start).Round(time.Millisecond))
	if _, err := s.pool.Exec(b.Context(), `ANALYZE events`); err != nil {
		b.Fatal(err)
	}
	runSearches(b, s, "index")
}

func runSearches(b *testing.B, s *Store, how string) {
	queries := []struct{ name, q string }{
		{"rare-word", `task77777.ps1`},                                      // one event
		{"absent-word", `mimikatz`},                                         // none
		{"field-prefix", `ProcessGuid:0197231E-005A-6928-A50B-0000000123*`}, // a prefix of many
		{"common-and-rare", `powershell AND Computer:ws3.corp.local AND task123*`},
		{"common-word", `powershell`}, // every event: stops at 100
	}
	for _, bq := range queries {
		q, err := search.Parse(bq.q)
		if err != nil {
			b.Fatal(err)
		}
		f := q.Filter()
		f.Desc, f.Limit = true, 100
		hows := []string{how}
		if how == "index" {
			hows = append(hows, "scan")
		}
		for _, how := range hows {
			b.Run(fmt.Sprintf("%s/%s", bq.name, how), func(b *testing.B) {
				found := 0
				for b.Loop() {
					found = 0
					var err error
					if how != "scan" {
						err = s.SearchEvents(b.Context(), q, f, func(*store.StoredEvent) error { found++; return nil })
					} else {
						err = s.ScanEvents(b.Context(), store.EventFilter{Desc: true}, func(se *store.StoredEvent) error {
							if q.Match(&se.Event) {
								if found++; found == 100 {
									return store.ErrStop
								}
							}
							return nil
						})
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(found), "matches")
			})
		}
	}
}
