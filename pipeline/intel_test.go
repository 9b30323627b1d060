package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/intel"
	"github.com/bulwarkhq/bulwark/intel/match"
	"github.com/bulwarkhq/bulwark/store"
)

// TestIntelAlerts checks that every ingested event is matched against the
// indicators and that a hit is stored as an alert tied to its event.
func TestIntelAlerts(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	p := New(st, builtinEngine(t), Options{})
	d, rep := match.Compile([]intel.Indicator{
		{ID: "indicator--c2", Name: "C2 server", Pattern: "[ipv4-addr:value = '203.0.113.45']", PatternType: "stix", Confidence: 90, Source: "isac"},
	}, time.Now())
	if rep.Simple != 1 {
		t.Fatalf("report %s", rep)
	}
	p.SetIntel(d)
	stop := run(t, p)
	conn := func(dst string) event.Event {
		var e event.Event
		e.Time = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		e.Add("Channel", event.String("Microsoft-Windows-Sysmon/Operational"))
		e.Add("EventID", event.Int(3))
		e.Add("Computer", event.String("ws7"))
		e.Add("DestinationIp", event.String(dst))
		return e
	}
	if err := p.Submit(context.Background(), []event.Event{conn("198.51.100.1"), conn("203.0.113.45")}, true); err != nil {
		t.Fatal(err)
	}
	waitDetected(t, p)
	stop()
	alerts, err := st.ListAlerts(context.Background(), store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var intelAlerts []store.StoredAlert
	for _, a := range alerts {
		if a.Rule.ID == "indicator--c2" {
			intelAlerts = append(intelAlerts, a)
		}
	}
	if len(intelAlerts) != 1 {
		t.Fatalf("%d intel alerts, want 1 (of %d alerts)", len(intelAlerts), len(alerts))
	}
	a := intelAlerts[0]
	if a.EventID != 2 || a.Host != "ws7" || a.Rule.Level != "high" || a.Rule.Title != "Threat intel: C2 server" {
		t.Errorf("alert %+v", a)
	}
}
