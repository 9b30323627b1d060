package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
)

// sampleAlert returns an alert with every part filled in, so that a store
// that drops any of it fails.
func sampleAlert(ruleID, level, host string, at time.Time, eventID int64) store.StoredAlert {
	return store.StoredAlert{
		EventID: eventID,
		Alert: alert.Alert{
			Rule: alert.Rule{
				ID: ruleID, Title: "Suspicious PowerShell " + ruleID, Level: level, Status: "test",
				Author: "Bulwark tests", Description: "fires in tests",
				Attack: []string{"T1059.001"}, Tags: []string{"attack.execution"},
				Path: "rules/" + ruleID + ".yml", Link: "https://example.invalid/" + ruleID,
			},
			Time:    at,
			Host:    host,
			Channel: "Microsoft-Windows-Sysmon/Operational",
			EventID: "1",
			Source:  event.Source{Path: "sysmon.evtx", Format: "evtx", Record: eventID, Offset: 4608},
			Matches: []alert.Match{{Condition: "contains", Field: "CommandLine", Value: "-enc"}},
		},
	}
}

// correlationAlert is an alert of a correlation rule, standing on several
// events and so on none by id.
func correlationAlert(at time.Time) store.StoredAlert {
	a := sampleAlert("corr-1", "high", "dc1", at, 0)
	a.Correlation = &alert.Correlation{
		Type:   "event_count",
		Group:  map[string]string{"TargetUserName": "alice"},
		Count:  12,
		First:  at.Add(-time.Minute),
		Last:   at,
		Values: []string{"10.0.0.5"},
		Events: []alert.EventRef{{Time: at, Rule: "failed-logon", Host: "dc1", Source: event.Source{Path: "Security.evtx", Format: "evtx", Record: 7}}},
	}
	return a
}

// checkAlert compares alerts by value, times by instant.
func checkAlert(t *testing.T, what string, got, want store.StoredAlert) {
	t.Helper()
	checkTime(t, what, got.Time, want.Time)
	got.Time, want.Time = time.Time{}, time.Time{}
	if gc, wc := got.Correlation, want.Correlation; gc != nil && wc != nil {
		checkTime(t, what+" correlation first", gc.First, wc.First)
		checkTime(t, what+" correlation last", gc.Last, wc.Last)
		g, w := *gc, *wc
		g.First, g.Last, w.First, w.Last = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		g.Events, w.Events = slices.Clone(g.Events), slices.Clone(w.Events)
		for i := range min(len(g.Events), len(w.Events)) {
			checkTime(t, what+" correlation event", g.Events[i].Time, w.Events[i].Time)
			g.Events[i].Time, w.Events[i].Time = time.Time{}, time.Time{}
		}
		got.Correlation, want.Correlation = &g, &w
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func testAlertsCRUD(t *testing.T, h *harness) {
	alerts := []store.StoredAlert{
		sampleAlert("r1", "high", "ws1", base, 41),
		correlationAlert(base.In(time.FixedZone("CET", 3600))),
	}
	check(t, "AddAlerts", h.s.AddAlerts(h.ctx, alerts, 41))
	if alerts[0].ID <= 0 || alerts[1].ID <= alerts[0].ID {
		t.Fatalf("AddAlerts set ids %d and %d, want increasing positive ids", alerts[0].ID, alerts[1].ID)
	}
	if d := alerts[0].Detected; d.IsZero() || time.Since(d) > time.Minute {
		t.Errorf("AddAlerts set Detected %v, want about now", d)
	}
	for i, want := range alerts {
		got, err := h.s.GetAlert(h.ctx, want.ID)
		check(t, "GetAlert", err)
		checkAlert(t, fmt.Sprintf("alert %d", i), got, want)
	}
	n, err := h.s.CountAlerts(h.ctx)
	check(t, "CountAlerts", err)
	if n != 2 {
		t.Errorf("CountAlerts = %d, want 2", n)
	}

	check(t, "DeleteAlert", h.s.DeleteAlert(h.ctx, alerts[0].ID))
	_, err = h.s.GetAlert(h.ctx, alerts[0].ID)
	checkIs(t, "GetAlert after delete", err, store.ErrNotFound)
	checkIs(t, "DeleteAlert twice", h.s.DeleteAlert(h.ctx, alerts[0].ID), store.ErrNotFound)
	_, err = h.s.GetAlert(h.ctx, 424242)
	checkIs(t, "GetAlert unknown id", err, store.ErrNotFound)
	if n, err := h.s.CountAlerts(h.ctx); err != nil || n != 1 {
		t.Errorf("CountAlerts after delete = %d (%v), want 1", n, err)
	}

	// Ids are not given out again, even after the newest alert was deleted:
	// cases refer to alerts by id.
	check(t, "DeleteAlert", h.s.DeleteAlert(h.ctx, alerts[1].ID))
	more := []store.StoredAlert{sampleAlert("r2", "low", "ws2", base, 50)}
	check(t, "AddAlerts", h.s.AddAlerts(h.ctx, more, 50))
	if more[0].ID <= alerts[1].ID {
		t.Errorf("alert id %d given out again", more[0].ID)
	}
}

func testDetectedThrough(t *testing.T, h *harness) {
	through := func() int64 {
		t.Helper()
		n, err := h.s.DetectedThrough(h.ctx)
		check(t, "DetectedThrough", err)
		return n
	}
	if n := through(); n != 0 {
		t.Errorf("fresh store: DetectedThrough = %d, want 0", n)
	}
	// Detection moves on through events that raised no alerts.
	check(t, "AddAlerts(nil)", h.s.AddAlerts(h.ctx, nil, 10))
	if n := through(); n != 10 {
		t.Errorf("DetectedThrough = %d, want 10", n)
	}
	check(t, "AddAlerts", h.s.AddAlerts(h.ctx, []store.StoredAlert{sampleAlert("r1", "high", "ws1", base, 15)}, 20))
	if n := through(); n != 20 {
		t.Errorf("DetectedThrough = %d, want 20", n)
	}
}

// Alerts and the detection mark are written together or not at all. A
// cancelled context is the failure a caller can cause through the
// interface; after a reopen both parts of a successful call are there.
func testAlertsAtomic(t *testing.T, h *harness) {
	check(t, "AddAlerts", h.s.AddAlerts(h.ctx, []store.StoredAlert{sampleAlert("r1", "high", "ws1", base, 5)}, 5))
	ctx, cancel := context.WithCancel(h.ctx)
	cancel()
	failed := []store.StoredAlert{sampleAlert("r2", "high", "ws1", base, 9)}
	if err := h.s.AddAlerts(ctx, failed, 9); err == nil {
		t.Fatal("AddAlerts with a cancelled context returned no error")
	}
	if failed[0].ID != 0 {
		t.Errorf("a failed AddAlerts set alert id %d", failed[0].ID)
	}
	h.reopen()
	n, err := h.s.CountAlerts(h.ctx)
	check(t, "CountAlerts", err)
	through, err := h.s.DetectedThrough(h.ctx)
	check(t, "DetectedThrough", err)
	if n != 1 || through != 5 {
		t.Errorf("after a failed AddAlerts and reopen: %d alerts, through %d; want 1 and 5", n, through)
	}
}

func testListAlerts(t *testing.T, h *harness) {
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	// minute, rule, host, level; the two at minute 4 tie on time.
	specs := []struct {
		minute      int
		rule, host  string
		level       string
		correlation bool
	}{
		{3, "r1", "ws1", "high", false},
		{1, "r2", "ws2", "low", false},
		{4, "r1", "ws2", "critical", false},
		{0, "r3", "ws1", "high", true},
		{4, "r2", "ws1", "high", false},
		{2, "r1", "ws1", "medium", false},
	}
	alerts := make([]store.StoredAlert, len(specs))
	for i, s := range specs {
		if s.correlation {
			alerts[i] = correlationAlert(at(s.minute))
			alerts[i].Rule.ID, alerts[i].Rule.Level, alerts[i].Host = s.rule, s.level, s.host
		} else {
			alerts[i] = sampleAlert(s.rule, s.level, s.host, at(s.minute), int64(100+i))
		}
	}
	check(t, "AddAlerts", h.s.AddAlerts(h.ctx, alerts, 200))
	indexOf := map[int64]int{}
	for i, a := range alerts {
		indexOf[a.ID] = i
	}

	// Newest first by alert time; among equal times the later-stored first.
	newestFirst := []int{4, 2, 0, 5, 1, 3}
	tests := []struct {
		name   string
		filter store.AlertFilter
		want   []int
	}{
		{"everything", store.AlertFilter{}, newestFirst},
		{"from is inclusive", store.AlertFilter{From: at(3)}, []int{4, 2, 0}},
		{"to is exclusive", store.AlertFilter{To: at(3)}, []int{5, 1, 3}},
		{"from and to", store.AlertFilter{From: at(1), To: at(4)}, []int{0, 5, 1}},
		{"rule", store.AlertFilter{RuleID: "r1"}, []int{2, 0, 5}},
		{"host", store.AlertFilter{Host: "ws2"}, []int{2, 1}},
		{"level", store.AlertFilter{Level: "high"}, []int{4, 0, 3}},
		{"unknown level", store.AlertFilter{Level: "High"}, nil},
		{"after id", store.AlertFilter{AfterID: alerts[2].ID}, []int{4, 5, 3}},
		{"limit", store.AlertFilter{Limit: 2}, []int{4, 2}},
		{"stored order", store.AlertFilter{Stored: true}, []int{0, 1, 2, 3, 4, 5}},
		{"paging forward", store.AlertFilter{Stored: true, AfterID: alerts[1].ID, Limit: 2}, []int{2, 3}},
		{"everything at once", store.AlertFilter{From: at(1), To: at(5), RuleID: "r1", Host: "ws1", Level: "high", AfterID: alerts[0].ID - 1, Limit: 5}, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.s.ListAlerts(h.ctx, tt.filter)
			check(t, "ListAlerts", err)
			var idx []int
			for _, a := range got {
				i, ok := indexOf[a.ID]
				if !ok {
					t.Fatalf("unknown alert id %d", a.ID)
				}
				checkAlert(t, fmt.Sprintf("alert %d", i), a, alerts[i])
				idx = append(idx, i)
			}
			if !slices.Equal(idx, tt.want) {
				t.Errorf("ListAlerts(%+v) = alerts %v, want %v", tt.filter, idx, tt.want)
			}
		})
	}
}
