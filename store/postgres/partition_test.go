package postgres

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
	"github.com/bulwarkhq/bulwark/store/storetest"
)

func partitions(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestPartitionDays(t *testing.T) {
	for _, tt := range []struct {
		t    time.Time
		name string
		ok   bool
	}{
		{time.Date(2025, 11, 27, 0, 0, 0, 0, time.UTC), "events_20251127", true},
		{time.Date(2025, 11, 27, 23, 59, 59, 999999999, time.UTC), "events_20251127", true},
		{time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), "events_19691231", true},
		{time.Time{}, "events_19700101", true}, // stored as 0
		{time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), "", false},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), "", false},
	} {
		d, ok := dayOf(codec.UnixNanos(tt.t))
		if ok != tt.ok || ok && partitionName(d) != tt.name {
			t.Errorf("%v: day %d (%s) %v, want %s %v", tt.t, d, partitionName(d), ok, tt.name, tt.ok)
		}
		if ok {
			if back, _ := partitionDay(partitionName(d)); back != d {
				t.Errorf("%s reads back as day %d, want %d", partitionName(d), back, d)
			}
		}
	}
}

// Events go to the partition of their day; retention drops whole days
// before the cutoff and deletes exactly the older events of the day that
// straddles it, edge partitions included.
func TestPartitionRetention(t *testing.T) {
	s := openTest(t, t.Name(), Options{DeleteBatch: 2})
	defer s.Close()
	ctx := t.Context()
	day := time.Date(2025, 11, 25, 0, 0, 0, 0, time.UTC)
	times := []time.Time{
		day.Add(time.Hour), day.Add(23 * time.Hour), // 25th
		day.Add(30 * time.Hour),                                                   // 26th
		day.Add(49 * time.Hour), day.Add(50 * time.Hour), day.Add(60 * time.Hour), // 27th: cutoff at 50h
		{}, time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	var evs []event.Event
	for i, at := range times {
		evs = append(evs, storetest.WindowsEvent(i, at))
	}
	first, err := s.AppendEvents(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"events_19700101", "events_20251125", "events_20251126", "events_20251127", "events_after", "events_before"}
	if got := partitions(t, s); !slices.Equal(got, want) {
		t.Errorf("partitions %v, want %v", got, want)
	}
	var orphans int
	defer func() {
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname = 'events_20251126'`).Scan(&orphans); err != nil || orphans != 0 {
			t.Errorf("the detached day is still there (%v)", err)
		}
	}()
	var compression string
	if err := s.pool.QueryRow(ctx, `SELECT attcompression FROM pg_attribute WHERE attrelid = 'events_20251125'::regclass AND attname = 'search_text'`).Scan(&compression); err != nil || compression != "l" {
		t.Errorf("a day partition's search_text compression is %q (%v), want lz4 (l) from the parent", compression, err)
	}
	// A server that crashed between detaching a day and dropping it left
	// the 26th detached: retention still drops it and counts its event.
	if _, err := s.pool.Exec(ctx, `ALTER TABLE events DETACH PARTITION events_20251126`); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteEventsBefore(ctx, day.Add(50*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 { // 25th (2), 26th, 49h, zero time, 1600
		t.Errorf("removed %d, want 6", n)
	}
	want = []string{"events_20251127", "events_after", "events_before"}
	if got := partitions(t, s); !slices.Equal(got, want) {
		t.Errorf("after retention: partitions %v, want %v", got, want)
	}
	// Retention also indexed the day that remains, which is long over.
	var indexed bool
	if err := s.pool.QueryRow(ctx, `SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('events_20251127_search')`).Scan(&indexed); err != nil || !indexed {
		t.Errorf("events_20251127 has no valid search index after retention (%v)", err)
	}
	if n, err := s.IndexClosedDays(ctx, time.Now()); err != nil || n != 0 {
		t.Errorf("indexing again built %d (%v), want 0", n, err)
	}
	var kept []int64
	err = s.ScanEvents(ctx, store.EventFilter{}, func(se *store.StoredEvent) error {
		kept = append(kept, se.ID-first)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kept, []int64{4, 5, 8}) {
		t.Errorf("kept %v, want [4 5 8]", kept)
	}

	checkCount(t, s, 3)

	// A late event for a dropped day gets its partition back.
	if _, err := s.AppendEvents(ctx, []event.Event{storetest.WindowsEvent(20, day.Add(time.Hour))}); err != nil {
		t.Fatalf("append to a dropped day: %v", err)
	}
	checkCount(t, s, 4)
}

// checkCount checks CountEvents, which event_counts answers, against the
// rows themselves.
func checkCount(t *testing.T, s *Store, want int64) {
	t.Helper()
	var rows int64
	if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM events`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountEvents(t.Context()); err != nil || n != want || rows != want {
		t.Errorf("CountEvents %d (%v), rows %d; want %d", n, err, rows, want)
	}
}

// Another server's retention can drop a partition this one remembers:
// the append notices and creates it again.
func TestAppendAfterAnotherServerDroppedThePartition(t *testing.T) {
	s1 := openTest(t, t.Name(), Options{})
	defer s1.Close()
	s2 := openTest(t, t.Name(), Options{})
	defer s2.Close()
	ctx := t.Context()
	day := time.Date(2025, 11, 25, 0, 0, 0, 0, time.UTC)
	if _, err := s1.AppendEvents(ctx, []event.Event{storetest.WindowsEvent(0, day)}); err != nil {
		t.Fatal(err)
	}
	if n, err := s2.DeleteEventsBefore(ctx, day.Add(48*time.Hour)); err != nil || n != 1 {
		t.Fatalf("retention on the other server: %d, %v", n, err)
	}
	if _, err := s1.AppendEvents(ctx, []event.Event{storetest.WindowsEvent(1, day)}); err != nil {
		t.Fatalf("append after the partition was dropped elsewhere: %v", err)
	}
	if n, err := s2.CountEvents(ctx); err != nil || n != 1 {
		t.Errorf("count %d, %v; want 1", n, err)
	}
}

// Retention waits for a long reader to finish before it drops a day, but
// ingest does not wait for retention meanwhile (a plain DROP TABLE queued
// every later query behind it).
func TestRetentionDoesNotBlockIngest(t *testing.T) {
	s := openTest(t, t.Name(), Options{})
	defer s.Close()
	ctx := t.Context()
	day := time.Date(2025, 11, 25, 0, 0, 0, 0, time.UTC)
	if _, err := s.AppendEvents(ctx, []event.Event{storetest.WindowsEvent(0, day), storetest.WindowsEvent(1, day.Add(48*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	reader, err := s.pool.Begin(ctx) // a long search, still open
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := reader.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	retained := make(chan error, 1)
	go func() {
		_, err := s.DeleteEventsBefore(ctx, day.Add(24*time.Hour))
		retained <- err
	}()
	time.Sleep(200 * time.Millisecond) // let retention reach the reader
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := s.AppendEvents(actx, []event.Event{storetest.WindowsEvent(2, day.Add(48*time.Hour))}); err != nil {
		t.Errorf("append while retention waits for a reader: %v", err)
	}
	select {
	case err := <-retained:
		t.Errorf("retention finished (%v) while a reader still had the table", err)
	default:
	}
	reader.Rollback(ctx)
	if err := <-retained; err != nil {
		t.Fatal(err)
	}
	checkCount(t, s, 2)
}
