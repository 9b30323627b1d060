package measure

import (
	"context"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/sqlite"
)

func TestWeekly(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	alerts := []store.StoredAlert{
		{Alert: alert.Alert{Rule: alert.Rule{ID: "r", Title: "t", Level: "high"}, Time: now.Add(-2 * time.Minute)}},
		{Alert: alert.Alert{Rule: alert.Rule{ID: "r", Title: "t", Level: "high"}, Time: now.Add(-4 * time.Minute)}},
		// An old log uploaded today: counted, but not in the time to detect.
		{Alert: alert.Alert{Rule: alert.Rule{ID: "r", Title: "t", Level: "high"}, Time: now.Add(-6 * Stale)}},
	}
	if err := st.AddAlerts(ctx, alerts[:2], 0); err != nil {
		t.Fatal(err)
	}
	// The stale one is outside the window ListAlerts reads (by event time).
	if err := st.AddAlerts(ctx, alerts[2:], 0); err != nil {
		t.Fatal(err)
	}
	c := store.Case{Title: "c", Status: "new", Severity: "high"}
	if err := st.CreateCase(ctx, &c); err != nil {
		t.Fatal(err)
	}
	c.Status, c.Verdict = "closed", "benign"
	c.Acknowledged = c.Created.Add(10 * time.Minute)
	c.Closed = c.Created.Add(time.Hour)
	if err := st.UpdateCase(ctx, &c); err != nil {
		t.Fatal(err)
	}

	// To an hour ahead, and summed over the weeks, so that the test holds
	// when run just before a week ends.
	weeks, err := Weekly(ctx, st, now.AddDate(0, 0, -14), now.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(weeks) < 3 {
		t.Fatalf("%d weeks for a fortnight, want 3", len(weeks))
	}
	var w Week
	for _, x := range weeks {
		w.Alerts += x.Alerts
		w.Opened += x.Opened
		w.Acknowledged += x.Acknowledged
		w.Closed += x.Closed
		w.MTTD = max(w.MTTD, x.MTTD)
		w.MTTA = max(w.MTTA, x.MTTA)
		w.MTTR = max(w.MTTR, x.MTTR)
	}
	if w.Alerts != 2 || w.MTTD < 2*time.Minute || w.MTTD > 4*time.Minute {
		t.Errorf("%d alerts, MTTD %v; want 2 alerts, about 3 min", w.Alerts, w.MTTD)
	}
	if w.Opened != 1 || w.Acknowledged != 1 || w.MTTA != 10*time.Minute || w.Closed != 1 || w.MTTR != time.Hour {
		t.Errorf("%+v", w)
	}
	if weeks[0].Start.Weekday() != time.Monday {
		t.Errorf("weeks start on %v", weeks[0].Start.Weekday())
	}
}
