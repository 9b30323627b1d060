package jetstream_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/pipeline/jetstream/applied"
	"github.com/bulwarkhq/bulwark/store"
)

func events(prefix string, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i].Time = time.Date(2026, 3, 2, 8, 0, i, 0, time.UTC)
		evs[i].Set("message", event.String(prefix+string(rune('a'+i))))
	}
	return evs
}

func ruleAlert(id string, eventIndex int64) store.StoredAlert {
	return store.StoredAlert{EventID: eventIndex, Alert: alert.Alert{Rule: alert.Rule{ID: id, Title: id, Level: "high"}, Time: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}}
}

// TestApplyBatchesOnce checks the exactly-once contract on PostgreSQL: a
// batch applied again (a redelivered message) stores nothing, and alerts
// point at their own events.
func TestApplyBatchesOnce(t *testing.T) {
	pgURL := os.Getenv("BULWARK_TEST_POSTGRES")
	if pgURL == "" {
		t.Skip("BULWARK_TEST_POSTGRES not set: needs a PostgreSQL database")
	}
	_, st := freshSchema(t, pgURL)
	var ast applied.Store = st
	ctx := context.Background()
	b1 := applied.Batch{Key: "m1", Events: events("one-", 3), Alerts: []store.StoredAlert{ruleAlert("r1", 2)}}
	b2 := applied.Batch{Key: "m2", Events: events("two-", 2), Alerts: []store.StoredAlert{ruleAlert("r2", 1), ruleAlert("r3", 0)}}
	b3 := applied.Batch{Key: "m3", Events: events("three-", 4), Alerts: []store.StoredAlert{ruleAlert("r4", 4)}}
	if n, err := ast.ApplyBatches(ctx, []applied.Batch{b1, b2}); err != nil || n != 2 {
		t.Fatalf("first apply: %d, %v; want 2", n, err)
	}
	// m1 again (redelivered after a crash before its ack), with m3 new.
	if n, err := ast.ApplyBatches(ctx, []applied.Batch{b1, b3, b3}); err != nil || n != 1 {
		t.Fatalf("second apply: %d, %v; want 1", n, err)
	}
	if n, err := ast.ApplyBatches(ctx, []applied.Batch{b1, b2, b3}); err != nil || n != 0 {
		t.Fatalf("third apply: %d, %v; want 0", n, err)
	}
	if n, _ := st.CountEvents(ctx); n != 9 {
		t.Errorf("%d events stored, want 9", n)
	}
	alerts, err := st.ListAlerts(ctx, store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 4 {
		t.Fatalf("%d alerts stored, want 4", len(alerts))
	}
	want := map[string]string{"r1": "one-b", "r2": "two-a", "r4": "three-d"}
	for _, a := range alerts {
		msg, ok := want[a.Rule.ID]
		if !ok {
			if a.EventID != 0 {
				t.Errorf("alert %s: event %d, want none", a.Rule.ID, a.EventID)
			}
			continue
		}
		var got string
		err := st.ScanEvents(ctx, store.EventFilter{AfterID: a.EventID - 1, Limit: 1}, func(se *store.StoredEvent) error {
			got = se.GetString("message")
			return nil
		})
		if err != nil || got != msg {
			t.Errorf("alert %s points at event %d %q (%v), want %q", a.Rule.ID, a.EventID, got, err, msg)
		}
	}

	// Correlation alerts: once per key, and the position never moves back.
	c1 := applied.KeyedAlert{Key: "corr:1", Alert: ruleAlert("c1", 0)}
	c2 := applied.KeyedAlert{Key: "corr:2", Alert: ruleAlert("c2", 0)}
	if err := ast.CommitCorrelation(ctx, "correlator", 10, []applied.KeyedAlert{c1}); err != nil {
		t.Fatal(err)
	}
	if err := ast.CommitCorrelation(ctx, "correlator", 7, []applied.KeyedAlert{c1, c2}); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.CountAlerts(ctx); n != 6 {
		t.Errorf("%d alerts after the correlations, want 6", n)
	}
	if pos, err := ast.CorrelationPosition(ctx, "correlator"); err != nil || pos != 10 {
		t.Errorf("position %d (%v), want 10", pos, err)
	}
	if err := ast.ForgetBatchesBefore(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}
