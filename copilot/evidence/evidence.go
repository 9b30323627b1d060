// Package evidence gathers what a case rests on (the case, its alerts, the
// event behind each alert, the rules that fired and their ATT&CK
// techniques) into a copilot.Evidence: the input of case summaries, offline
// or by a model, and of the agent's first turn.
//
// Gathering is bounded: a case may hold thousands of alerts, and the
// evidence must fit a prompt and a page. The most severe and newest alerts
// are kept and Truncated says that some were left out.
package evidence

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/attack"
	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
)

// Source is what Gather reads: three store methods, and what the server
// knows of rules and techniques. FromStore builds one from a store.
type Source interface {
	StoreReader
	// Rule describes a rule by the key RuleKey gives its alerts.
	Rule(key string) (copilot.RuleInfo, bool)
	// Technique describes an ATT&CK technique ("T1003.001").
	Technique(id string) (attack.Technique, bool)
}

// Limits bound what Gather reads and keeps. Zero fields take the defaults.
type Limits struct {
	// MaxAlerts is how many alerts are kept (default 200).
	MaxAlerts int
	// MaxScanned is how many of the case's alerts are read to choose them
	// from, newest first (default 5 × MaxAlerts).
	MaxScanned int
	// MaxValueBytes bounds each event field's text (default 8192): a
	// command line can be megabytes long, which no reader needs.
	MaxValueBytes int
}

func (l Limits) withDefaults() Limits {
	if l.MaxAlerts <= 0 {
		l.MaxAlerts = 200
	}
	if l.MaxScanned <= 0 {
		l.MaxScanned = 5 * l.MaxAlerts
	}
	l.MaxScanned = max(l.MaxScanned, l.MaxAlerts)
	if l.MaxValueBytes <= 0 {
		l.MaxValueBytes = 8192
	}
	return l
}

// Gather reads a case's evidence. An alert or event that was deleted since
// the case was built is left out (and counts as truncation); any other
// store error fails the whole gathering.
func Gather(ctx context.Context, src Source, caseID int64, limits Limits) (copilot.Evidence, error) {
	limits = limits.withDefaults()
	c, err := src.GetCase(ctx, caseID)
	if err != nil {
		return copilot.Evidence{}, fmt.Errorf("evidence: case %d: %w", caseID, err)
	}
	ev := copilot.Evidence{Case: c, Rules: map[string]copilot.RuleInfo{}, Techniques: map[string]copilot.TechniqueInfo{}}

	alerts, truncated, err := readAlerts(ctx, src, c.AlertIDs, limits)
	if err != nil {
		return copilot.Evidence{}, fmt.Errorf("evidence: case %d: %w", caseID, err)
	}
	ev.Alerts, ev.Truncated = alerts, truncated

	seen := map[int64]bool{}
	for _, a := range alerts {
		if a.EventID <= 0 || seen[a.EventID] {
			continue
		}
		seen[a.EventID] = true
		e, ok, err := readEvent(ctx, src, a.EventID, limits.MaxValueBytes)
		if err != nil {
			return copilot.Evidence{}, fmt.Errorf("evidence: case %d: event %d: %w", caseID, a.EventID, err)
		}
		if !ok {
			ev.Truncated = true // removed by retention; the alert keeps its matches
			continue
		}
		ev.Events = append(ev.Events, e)
	}
	slices.SortFunc(ev.Events, func(a, b store.StoredEvent) int { return cmp.Compare(a.ID, b.ID) })

	for _, a := range alerts {
		key := RuleKey(a.Rule)
		if _, ok := ev.Rules[key]; ok {
			continue
		}
		info, ok := src.Rule(key)
		if !ok {
			info = ruleFromAlert(a.Rule) // the rule was removed or renamed since
		}
		info.ID = key
		ev.Rules[key] = info
		for _, id := range info.Techniques {
			if _, ok := ev.Techniques[id]; !ok {
				ev.Techniques[id] = techniqueInfo(src, id)
			}
		}
	}
	return ev, nil
}

// RuleKey is the key of an alert's rule in Evidence.Rules and in a
// Source's Rule: its id, or its title for rules without one.
func RuleKey(r alert.Rule) string {
	if r.ID != "" {
		return r.ID
	}
	return r.Title
}

// levelRank orders alert levels, most severe highest.
func levelRank(level string) int {
	switch strings.ToLower(level) {
	case "critical":
		return 5
	case "high":
		return 4
	case "medium":
		return 3
	case "low":
		return 2
	case "informational", "info":
		return 1
	}
	return 0
}

// readAlerts reads up to MaxScanned of ids, newest (highest id) first, and
// keeps the MaxAlerts most severe, newest first among equals, returned in
// time order for a timeline.
func readAlerts(ctx context.Context, src Source, ids []int64, l Limits) ([]store.StoredAlert, bool, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	truncated := false
	if len(ids) > l.MaxScanned {
		ids, truncated = ids[len(ids)-l.MaxScanned:], true
	}
	alerts := make([]store.StoredAlert, 0, min(len(ids), l.MaxAlerts))
	for i := len(ids) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		a, err := src.GetAlert(ctx, ids[i])
		if errors.Is(err, store.ErrNotFound) {
			truncated = true
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("alert %d: %w", ids[i], err)
		}
		alerts = append(alerts, a)
	}
	slices.SortStableFunc(alerts, func(a, b store.StoredAlert) int {
		if c := cmp.Compare(levelRank(b.Rule.Level), levelRank(a.Rule.Level)); c != 0 {
			return c
		}
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	if len(alerts) > l.MaxAlerts {
		alerts, truncated = alerts[:l.MaxAlerts], true
	}
	SortTimeline(alerts)
	return alerts, truncated, nil
}

// SortTimeline orders alerts by time, then id.
func SortTimeline(alerts []store.StoredAlert) {
	slices.SortStableFunc(alerts, func(a, b store.StoredAlert) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// readEvent reads the stored event with id, reporting false when retention
// removed it. The store has no lookup by id; a scan from just before it,
// limited to one event, is one indexed read.
func readEvent(ctx context.Context, src Source, id int64, maxValue int) (store.StoredEvent, bool, error) {
	var out store.StoredEvent
	found := false
	err := src.ScanEvents(ctx, store.EventFilter{AfterID: id - 1, Limit: 1}, func(e *store.StoredEvent) error {
		if e.ID == id {
			out = store.StoredEvent{ID: e.ID, Event: *boundedCopy(&e.Event, maxValue)}
			found = true
		}
		return store.ErrStop
	})
	if err != nil && !errors.Is(err, store.ErrStop) {
		return store.StoredEvent{}, false, err
	}
	return out, found, nil
}

// boundedCopy copies an event past the scan callback (which may reuse it)
// without its raw record and with every text cut to maxValue bytes.
func boundedCopy(e *event.Event, maxValue int) *event.Event {
	c := e.Clone()
	c.Raw = nil
	for i := range c.Fields {
		v := &c.Fields[i].Value
		v.Str = cut(v.Str, maxValue)
		for j := range v.List {
			v.List[j].Str = cut(v.List[j].Str, maxValue)
		}
	}
	return c
}

// cut bounds s to n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// ruleFromAlert describes a rule from the copy an alert keeps of it.
func ruleFromAlert(r alert.Rule) copilot.RuleInfo {
	return copilot.RuleInfo{ID: RuleKey(r), Title: r.Title, Description: r.Description, Level: r.Level, Techniques: techniqueIDs(r.Attack, r.Tags)}
}

// techniqueInfo describes a technique from the knowledge base, or by id
// alone when the source has none.
func techniqueInfo(src Source, id string) copilot.TechniqueInfo {
	t, ok := src.Technique(id)
	if !ok {
		return copilot.TechniqueInfo{ID: id}
	}
	info := copilot.TechniqueInfo{ID: t.ID, Name: t.Name, Tactics: t.Tactics, Description: t.Description, Detection: t.Detection}
	for _, m := range t.Mitigations {
		s := m.ID + " " + m.Name
		if m.Description != "" {
			s += ": " + m.Description
		}
		info.Mitigations = append(info.Mitigations, s)
	}
	return info
}
