// Package evidencetest builds realistic case evidence for tests: the demo
// intrusion (package demo) run through the built-in rules, kept in an
// in-memory Source that evidence.Gather reads like a store.
package evidencetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/attack"
	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/evidence"
	"github.com/bulwarkhq/bulwark/demo"
	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/rules"
	"github.com/bulwarkhq/bulwark/sigma"
	"github.com/bulwarkhq/bulwark/store"
)

// Start is when the demo intrusion starts in the evidence Demo builds, so
// that its times, and the goldens built on them, never change.
var Start = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// Source is an in-memory evidence.Source.
type Source struct {
	Cases  map[int64]store.Case
	Alerts map[int64]store.StoredAlert
	Events []store.StoredEvent // by id, ascending
	Rules  evidence.RuleLookup
	KB     *attack.KB // nil: techniques by id only
}

// GetCase implements evidence.Source.
func (s *Source) GetCase(_ context.Context, id int64) (store.Case, error) {
	if c, ok := s.Cases[id]; ok {
		return c, nil
	}
	return store.Case{}, fmt.Errorf("case %d: %w", id, store.ErrNotFound)
}

// GetAlert implements evidence.Source.
func (s *Source) GetAlert(_ context.Context, id int64) (store.StoredAlert, error) {
	if a, ok := s.Alerts[id]; ok {
		return a, nil
	}
	return store.StoredAlert{}, fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
}

// ScanEvents implements the part of store.Events' ScanEvents that Gather
// uses: AfterID and Limit, ascending.
func (s *Source) ScanEvents(ctx context.Context, f store.EventFilter, fn func(*store.StoredEvent) error) error {
	i, _ := slices.BinarySearchFunc(s.Events, f.AfterID+1, func(e store.StoredEvent, id int64) int { return cmp.Compare(e.ID, id) })
	for n := 0; i < len(s.Events) && (f.Limit == 0 || n < f.Limit); i, n = i+1, n+1 {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := s.Events[i]
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}

// Rule implements evidence.Source.
func (s *Source) Rule(key string) (copilot.RuleInfo, bool) {
	if s.Rules == nil {
		return copilot.RuleInfo{}, false
	}
	return s.Rules(key)
}

// Technique implements evidence.Source.
func (s *Source) Technique(id string) (attack.Technique, bool) {
	if s.KB == nil {
		return attack.Technique{}, false
	}
	return s.KB.Technique(id)
}

// Demo returns a Source holding the demo intrusion from Start: its events
// (stored ids are their positions in the scenario), the alerts of the
// built-in rules, and case 1, which holds every alert. kb may be nil.
func Demo(kb *attack.KB) (*Source, error) {
	evs := demo.Scenario(Start)
	rs := sigma.Compile(rules.Builtin(), sigma.Options{})
	if failed := rs.Failed(); len(failed) > 0 {
		return nil, fmt.Errorf("built-in rule %s: %v", failed[0].Path, failed[0].Err)
	}
	eng := detect.New(rs, detect.Options{})
	var raised []*alert.Alert
	d := eng.NewDetector(eng.NewCorrelations(), sigma.LevelUnknown, func(a *alert.Alert) error {
		raised = append(raised, a)
		return nil
	})
	src := &Source{Cases: map[int64]store.Case{}, Alerts: map[int64]store.StoredAlert{}, Rules: evidence.RuleIndex(rs), KB: kb}
	for i := range evs {
		if err := d.Process(&evs[i]); err != nil {
			return nil, err
		}
		src.Events = append(src.Events, store.StoredEvent{ID: int64(i + 1), Event: evs[i]})
	}
	if err := d.Flush(); err != nil {
		return nil, err
	}
	c := store.Case{ID: 1, Title: "Intrusion at Riverside", Status: "new", Severity: "critical", Score: 97,
		Entities: map[string]string{}, Created: Start.Add(demo.Duration), Updated: Start.Add(demo.Duration)}
	hosts, users := []string{}, []string{}
	for i, a := range raised {
		sa := store.StoredAlert{ID: int64(i + 1), Detected: a.Time.Add(2 * time.Second), Alert: *a}
		if a.Correlation == nil {
			sa.EventID = a.Source.Record // the demo's record is the event's position
		}
		src.Alerts[sa.ID] = sa
		c.AlertIDs = append(c.AlertIDs, sa.ID)
		if !slices.Contains(c.RuleIDs, evidence.RuleKey(a.Rule)) {
			c.RuleIDs = append(c.RuleIDs, evidence.RuleKey(a.Rule))
		}
		if a.Host != "" && !slices.Contains(hosts, a.Host) {
			hosts = append(hosts, a.Host)
		}
		if u := a.Entities[alert.EntityUser]; u != "" && !slices.Contains(users, u) {
			users = append(users, u)
		}
		if c.FirstSeen.IsZero() || a.Time.Before(c.FirstSeen) {
			c.FirstSeen = a.Time
		}
		if a.Time.After(c.LastSeen) {
			c.LastSeen = a.Time
		}
	}
	c.Entities["host"] = strings.Join(hosts, ",")
	if len(users) > 0 {
		c.Entities[alert.EntityUser] = strings.Join(users, ",")
	}
	src.Cases[c.ID] = c
	return src, nil
}

// Event returns the stored event with id, for building fixtures.
func (s *Source) Event(id int64) (event.Event, bool) {
	i, ok := slices.BinarySearchFunc(s.Events, id, func(e store.StoredEvent, id int64) int { return cmp.Compare(e.ID, id) })
	if !ok {
		return event.Event{}, false
	}
	return s.Events[i].Event, true
}
