package evidence_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/attack"
	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/evidence"
	"github.com/bulwarkhq/bulwark/copilot/evidence/evidencetest"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/sigma"
	"github.com/bulwarkhq/bulwark/store"
)

func demoSource(t *testing.T, kb *attack.KB) *evidencetest.Source {
	t.Helper()
	src, err := evidencetest.Demo(kb)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestGatherDemo(t *testing.T) {
	src := demoSource(t, nil)
	ev, err := evidence.Gather(context.Background(), src, 1, evidence.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Alerts) != len(src.Cases[1].AlertIDs) || ev.Truncated {
		t.Fatalf("%d alerts of %d, truncated %v", len(ev.Alerts), len(src.Cases[1].AlertIDs), ev.Truncated)
	}
	for i := 1; i < len(ev.Alerts); i++ {
		if ev.Alerts[i].Time.Before(ev.Alerts[i-1].Time) {
			t.Fatalf("alerts not in time order at %d", i)
		}
	}
	// Every alert on one event has that event; correlations stand on none.
	events := map[int64]bool{}
	for _, e := range ev.Events {
		events[e.ID] = true
		if e.Raw != nil {
			t.Errorf("event %d keeps its raw record", e.ID)
		}
	}
	for _, a := range ev.Alerts {
		if a.EventID > 0 && !events[a.EventID] {
			t.Errorf("alert %d: event %d not gathered", a.ID, a.EventID)
		}
		r, ok := ev.Rules[evidence.RuleKey(a.Rule)]
		if !ok || r.Title != a.Rule.Title || r.Level == "" {
			t.Errorf("alert %d: rule %+v", a.ID, r)
		}
	}
	lsass := findRule(ev.Rules, "LSASS Memory Dumped With A System Tool")
	if lsass == nil || !strings.Contains(strings.Join(lsass.Techniques, ","), "T1003.001") || lsass.Description == "" {
		t.Fatalf("LSASS rule: %+v", lsass)
	}
	// Without a knowledge base techniques are known by id alone.
	if ti, ok := ev.Techniques["T1003.001"]; !ok || ti.ID != "T1003.001" || ti.Name != "" {
		t.Errorf("T1003.001 without a KB: %+v", ti)
	}
}

func findRule(rules map[string]copilot.RuleInfo, title string) *copilot.RuleInfo {
	for _, r := range rules {
		if r.Title == title {
			return &r
		}
	}
	return nil
}

func TestGatherWithKB(t *testing.T) {
	kb, err := attack.LoadFile(testdata.Path(t, "stix", "enterprise-attack-18.1.stix21.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := evidence.Gather(context.Background(), demoSource(t, kb), 1, evidence.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ti := ev.Techniques["T1003.001"]
	if ti.Name != "LSASS Memory" || ti.Description == "" || ti.Detection == "" || len(ti.Tactics) == 0 {
		t.Errorf("T1003.001: %+v", ti)
	}
	if !strings.HasPrefix(strings.Join(ti.Mitigations, "\n"), "M1017 User Training: ") {
		t.Errorf("mitigations: %q", ti.Mitigations)
	}
}

func TestGatherKeepsMostSevere(t *testing.T) {
	src := demoSource(t, nil)
	ev, err := evidence.Gather(context.Background(), src, 1, evidence.Limits{MaxAlerts: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Alerts) != 5 || !ev.Truncated {
		t.Fatalf("%d alerts, truncated %v", len(ev.Alerts), ev.Truncated)
	}
	for _, a := range ev.Alerts {
		if a.Rule.Level != "critical" {
			t.Errorf("kept a %s alert over critical ones: %s", a.Rule.Level, a.Rule.Title)
		}
	}
}

func TestGatherMissingRecords(t *testing.T) {
	src := demoSource(t, nil)
	c := src.Cases[1]
	first := src.Alerts[c.AlertIDs[0]]
	delete(src.Alerts, c.AlertIDs[1])
	// Retention removed the first alert's event: the alert stays, the
	// evidence says it is incomplete.
	for i, e := range src.Events {
		if e.ID == first.EventID {
			src.Events = append(src.Events[:i:i], src.Events[i+1:]...)
			break
		}
	}
	ev, err := evidence.Gather(context.Background(), src, 1, evidence.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Truncated || len(ev.Alerts) != len(c.AlertIDs)-1 {
		t.Errorf("%d alerts of %d, truncated %v", len(ev.Alerts), len(c.AlertIDs), ev.Truncated)
	}
	for _, e := range ev.Events {
		if e.ID == first.EventID {
			t.Errorf("event %d was deleted but gathered", e.ID)
		}
	}
	if _, err := evidence.Gather(context.Background(), src, 99, evidence.Limits{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown case: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := evidence.Gather(ctx, src, 1, evidence.Limits{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestRuleIndexFromAlertFallback(t *testing.T) {
	src := demoSource(t, nil)
	src.Rules = nil // rules since removed: each alert's copy describes its rule
	ev, err := evidence.Gather(context.Background(), src, 1, evidence.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if r := findRule(ev.Rules, "Mimikatz Command Line"); r == nil || r.Level != "critical" || len(r.Techniques) == 0 {
		t.Errorf("rule from the alert: %+v", r)
	}
}

func TestRuleIndex(t *testing.T) {
	rs := sigma.Compile(sigma.Parse("r.yml", []byte(`title: Test Rule
id: 11111111-2222-3333-4444-555555555555
description: Something bad.
level: high
tags: [attack.credential_access, attack.t1003.001, attack.T1003, attack.g0016]
falsepositives: [Backup software]
logsource: {product: windows, category: process_creation}
detection:
  sel: {Image|endswith: '\x.exe'}
  condition: sel
`)), sigma.Options{})
	lookup := evidence.RuleIndex(rs)
	r, ok := lookup("11111111-2222-3333-4444-555555555555")
	if !ok || r.Title != "Test Rule" || r.Level != "high" || r.Description != "Something bad." ||
		strings.Join(r.Techniques, ",") != "T1003.001,T1003" || strings.Join(r.FalsePositives, ",") != "Backup software" {
		t.Errorf("%+v %v", r, ok)
	}
	if _, ok := lookup("nope"); ok {
		t.Error("unknown rule found")
	}
	if _, ok := evidence.RuleIndex(nil)("x"); ok {
		t.Error("nil rule set")
	}
}
