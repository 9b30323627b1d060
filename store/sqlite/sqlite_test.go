package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
	"github.com/bulwarkhq/bulwark/store/storetest"
)

// testOptions make retention delete in tiny batches, so that the suite's
// retention test crosses several of them.
var testOptions = Options{DeleteBatch: 3}

func openTest(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(t.Context(), dir, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dir string) store.Store { return openTest(t, dir) })
}

func TestOpenTwiceIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	for range 3 {
		db := openTest(t, dir)
		var steps, max int
		err := db.read.QueryRow(`SELECT count(*), max(version) FROM schema_migrations`).Scan(&steps, &max)
		if err != nil {
			t.Fatal(err)
		}
		if steps != len(migrations) || max != len(migrations) {
			t.Errorf("schema_migrations holds %d steps up to %d, want %d", steps, max, len(migrations))
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMigrateAppliesOnlyNewSteps(t *testing.T) {
	db := openTest(t, t.TempDir())
	defer db.Close()
	ctx := t.Context()
	steps := append(append([]string{}, migrations...), `CREATE TABLE later (x INTEGER)`)
	for range 2 { // the second run must find nothing to do
		if err := migrateTo(ctx, db.write, steps); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.write.Exec(`INSERT INTO later (x) VALUES (1)`); err != nil {
		t.Errorf("new step not applied: %v", err)
	}
	// A failing step leaves nothing behind, not even the steps before it.
	bad := append(append([]string{}, steps...), `CREATE TABLE good (x INTEGER)`, `NOT SQL`)
	err := migrateTo(ctx, db.write, bad)
	if want := fmt.Sprintf("step %d", len(bad)); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("failing step: got %v, want an error naming %s", err, want)
	}
	if _, err := db.write.Exec(`SELECT * FROM good`); err == nil {
		t.Error("the step before a failing one was kept")
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	db := openTest(t, dir)
	if _, err := db.write.Exec(`INSERT INTO schema_migrations (version, applied) VALUES (?, 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(t.Context(), dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema: got %v", err)
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	// The '?' and '#' would cut a carelessly built URI short.
	dir := filepath.Join(t.TempDir(), "data ?#%dir", "nested")
	db := openTest(t, dir)
	defer db.Close()
	if _, err := db.AppendEvents(t.Context(), []event.Event{storetest.WindowsEvent(0, time.Now())}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, filepath.Join(dir, FileName): 0o600, filepath.Join(dir, EventsFileName): 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want {
			t.Errorf("%s has mode %v, want %v", path, st.Mode(), want)
		}
	}
}

func TestPragmas(t *testing.T) {
	db := openTest(t, t.TempDir())
	defer db.Close()
	tests := []struct {
		pool   string
		pragma string
		want   string
	}{
		{"write", "journal_mode", "wal"},
		{"write", "synchronous", "2"}, // FULL
		{"write", "foreign_keys", "1"},
		{"write", "busy_timeout", "10000"},
		{"write", "page_size", "32768"},
		{"write", "cache_size", "-32768"},
		{"write", "journal_size_limit", "134217728"},
		{"read", "journal_mode", "wal"},
		{"read", "busy_timeout", "10000"},
	}
	for _, tt := range tests {
		conn := db.write
		if tt.pool == "read" {
			conn = db.read
		}
		var got string
		if err := conn.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%s pool: PRAGMA %s = %s, want %s", tt.pool, tt.pragma, got, tt.want)
		}
	}
}

func TestReadPoolIsReadOnly(t *testing.T) {
	db := openTest(t, t.TempDir())
	defer db.Close()
	if _, err := db.read.Exec(`INSERT INTO settings (key, value) VALUES ('k', 'v')`); err == nil {
		t.Error("the read pool accepted a write")
	}
}

// A scan holds a read connection; writes from inside its callback must go
// through, or a search that triggers a write would deadlock ingest.
func TestAppendDuringScan(t *testing.T) {
	db := openTest(t, t.TempDir())
	defer db.Close()
	ctx := t.Context()
	evs := []event.Event{storetest.WindowsEvent(0, time.Now()), storetest.WindowsEvent(1, time.Now())}
	if _, err := db.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	scanned := 0
	err := db.ScanEvents(ctx, store.EventFilter{}, func(*store.StoredEvent) error {
		scanned++
		_, err := db.AppendEvents(ctx, evs[:1])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned != 2 {
		t.Errorf("scan saw %d events; it must see the snapshot it started with, 2", scanned)
	}
}

func TestSessionForUnknownUser(t *testing.T) {
	db := openTest(t, t.TempDir())
	defer db.Close()
	err := db.CreateSession(t.Context(), store.Session{Hash: "h", User: "nobody", Expires: time.Now().Add(time.Hour)})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session for an unknown user: got %v, want ErrNotFound", err)
	}
}

func TestScanReportsCorruptEvent(t *testing.T) {
	db := openTest(t, t.TempDir())
	defer db.Close()
	ctx := t.Context()
	first, err := db.AppendEvents(ctx, []event.Event{storetest.WindowsEvent(0, time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ewrite.Exec(`UPDATE event_blocks SET data = x'00030100ff' WHERE first_id = ?`, first); err != nil {
		t.Fatal(err)
	}
	err = db.ScanEvents(ctx, store.EventFilter{}, func(*store.StoredEvent) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "event 1:") || !strings.Contains(err.Error(), "at byte") {
		t.Errorf("corrupt event: got %v, want an error naming the event and the byte", err)
	}
}

func TestEventHost(t *testing.T) {
	f := func(name, value string) event.Field { return event.Field{Name: name, Value: event.String(value)} }
	tests := []struct {
		fields []event.Field
		want   string
	}{
		{nil, ""},
		{[]event.Field{f("host", "h"), f("Computer", "c")}, "c"},
		{[]event.Field{f("Hostname", "H"), f("hostname", "h")}, "h"},
		{[]event.Field{f("Computer", ""), f("host", "x")}, "x"},
		{[]event.Field{{Name: "Computer", Value: event.Int(7)}}, "7"},
	}
	for _, tt := range tests {
		if got := eventHost(&event.Event{Fields: tt.fields}); got != tt.want {
			t.Errorf("eventHost(%+v) = %q, want %q", tt.fields, got, tt.want)
		}
	}
}

func TestUnixNanos(t *testing.T) {
	tests := []struct {
		t    time.Time
		want int64
	}{
		{time.Time{}, 0},
		{time.Unix(1, 5), 1_000_000_005},
		{time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), -1 << 63},
		{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 1<<63 - 1},
	}
	for _, tt := range tests {
		if got := codec.UnixNanos(tt.t); got != tt.want {
			t.Errorf("codec.UnixNanos(%v) = %d, want %d", tt.t, got, tt.want)
		}
	}
	if got := codec.FromUnixNanos(0); !got.IsZero() {
		t.Errorf("codec.FromUnixNanos(0) = %v, want the zero time", got)
	}
	if got := codec.FromUnixNanos(5); got.Location() != time.UTC {
		t.Errorf("fromUnixNanos returned %v, not UTC", got.Location())
	}
}

func TestCloseTwice(t *testing.T) {
	db := openTest(t, t.TempDir())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := db.CountEvents(context.Background()); err == nil {
		t.Error("CountEvents after Close returned no error")
	}
}
