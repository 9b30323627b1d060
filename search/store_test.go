package search_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/search"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/sqlite"
)

// TestFilterOnSQLite runs searches as the server does, against the
// server's default store: a scan narrowed by Filter must find exactly the
// events a full scan finds, for hosts in several fields and cases and for
// time bounds of every kind.
func TestFilterOnSQLite(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	base := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	hosts := [][]string{
		{"Computer", "DC01"}, {"Computer", "dc01"}, {"host.name", "web01"}, {"hostname", "WEB01"},
		{"host", "dc01"}, {"agent.hostname", "dc01"}, {"Computer", "", "host", "dc01"},
		{"host", "x", "Computer", "dc01"}, {},
	}
	var evs []event.Event
	for i := range 96 {
		e := event.Event{Time: base.Add(time.Duration(i) * 30 * time.Minute)}
		h := hosts[i%len(hosts)]
		for j := 0; j+1 < len(h); j += 2 {
			e.Add(h[j], event.String(h[j+1]))
		}
		e.Add("EventID", event.Int(int64(4624+i%3)))
		evs = append(evs, e)
	}
	if _, err := db.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}

	scan := func(q *search.Query, f store.EventFilter) (ids []int64, scanned int) {
		t.Helper()
		err := db.ScanEvents(ctx, f, func(se *store.StoredEvent) error {
			scanned++
			if q.Match(&se.Event) {
				ids = append(ids, se.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids, scanned
	}
	now := base.Add(48 * time.Hour)
	for _, tc := range []struct {
		q       string
		narrows bool // Filter must select fewer events than all
	}{
		{`host:dc01`, true},
		{`host:DC01`, true},
		{`host:web01`, true},
		{`host:WEB01 EventID:4624`, true},
		{`host:dc01*`, false},
		{`host:dc01 OR host:web01`, false},
		{`NOT host:dc01`, false},
		{`time:>now-12h`, true},
		{`time:2024-03-02`, true},
		{`time:[2024-03-02 TO 2024-03-02]`, true},
		{`time:2024-03-03T10:00:00Z`, true},
		{`time:{2024-03-02T10:00:00Z TO 2024-03-02T12:00:00Z]`, true},
		{`time:>=now-24h host:dc01`, true},
		{`(host:dc01 time:<now-40h) OR (host:dc01 time:>now-1h)`, true},
		{`EventID:4624 OR time:>now-1h`, false},
	} {
		q, err := search.ParseAt(tc.q, now)
		if err != nil {
			t.Fatal(err)
		}
		want, all := scan(q, store.EventFilter{})
		got, scanned := scan(q, q.Filter())
		if !slices.Equal(got, want) {
			t.Errorf("%s: Filter %+v finds %v, a full scan %v", tc.q, q.Filter(), got, want)
		}
		if tc.narrows && scanned >= all {
			t.Errorf("%s: Filter %+v scans all %d events", tc.q, q.Filter(), all)
		}
		if len(want) == 0 {
			t.Errorf("%s matches nothing: the test needs events it matches", tc.q)
		}
	}
}
