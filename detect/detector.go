package detect

import (
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/sigma"
)

// Correlations holds the windows of correlation rules, shared by every
// Detector of one run so that events from different files (and goroutines)
// correlate.
type Correlations struct {
	mu sync.Mutex
	c  *sigma.Correlator
}

// NewCorrelations returns empty correlation windows for the engine's rules,
// or nil when the rule set has no correlations.
func (e *Engine) NewCorrelations() *Correlations {
	if len(e.rs.Correlations) == 0 {
		return nil
	}
	c := sigma.NewCorrelator(e.rs)
	c.HostOf = hostOf
	return &Correlations{c: c}
}

// Partition keeps, of the correlations' windows, only the groups accept
// takes (see sigma.Correlator.Accept): for correlators that share one
// correlation's work by its group-by key. Call it before any event.
func (c *Correlations) Partition(accept func(cc *sigma.CompiledCorrelation, group string) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c.Accept = accept
}

// Detector turns events into alerts for one goroutine.
type Detector struct {
	e     *Engine
	sess  *Session
	corr  *Correlations
	emit  func(*alert.Alert) error
	level sigma.Level
}

// NewDetector returns a Detector that calls emit for each alert. corr may be
// nil (no correlation rules) or shared between Detectors.
func (e *Engine) NewDetector(corr *Correlations, minLevel sigma.Level, emit func(*alert.Alert) error) *Detector {
	return &Detector{e: e, sess: e.NewSession(), corr: corr, emit: emit, level: minLevel}
}

// Session returns the detector's matching session (for statistics).
func (d *Detector) Session() *Session { return d.sess }

// Process evaluates one event. The event may be reused by the caller after
// Process returns: alerts copy what they keep.
func (d *Detector) Process(ev *event.Event) error {
	matched := d.sess.Match(ev)
	if len(matched) == 0 {
		return nil
	}
	rs := d.e.rs
	for _, c := range matched {
		if d.corr != nil && d.corr.wants(c.Rule) {
			for _, m := range d.corr.observe(c.Rule, ev) {
				if err := d.emitCorrelation(m); err != nil {
					return err
				}
			}
		}
		if rs.Correlated[c.Rule] || c.Rule.Level < d.level {
			continue
		}
		if err := d.emit(d.e.newAlert(c, d.sess.scratch, ev)); err != nil {
			return err
		}
	}
	return nil
}

// Flush closes the correlation windows at the end of the input and emits
// what they hold. Call it once, from one Detector, after all Process calls.
func (d *Detector) Flush() error {
	if d.corr == nil {
		return nil
	}
	d.corr.mu.Lock()
	ms := d.corr.c.Flush()
	d.corr.mu.Unlock()
	for _, m := range ms {
		if err := d.emitCorrelation(m); err != nil {
			return err
		}
	}
	return nil
}

// Expire closes the correlation windows that stream time now has passed
// and emits what they hold: Flush for a stream that does not end (the
// server's). Call it from one Detector at a time.
func (d *Detector) Expire(now time.Time) error {
	if d.corr == nil {
		return nil
	}
	d.corr.mu.Lock()
	ms := d.corr.c.Expire(now)
	d.corr.mu.Unlock()
	for _, m := range ms {
		if err := d.emitCorrelation(m); err != nil {
			return err
		}
	}
	return nil
}

func (c *Correlations) wants(r *sigma.Rule) bool {
	return c.c.Wants(r)
}

func (c *Correlations) observe(r *sigma.Rule, ev *event.Event) []sigma.CorrelationMatch {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c.Observe(r, ev)
}

func (d *Detector) emitCorrelation(m sigma.CorrelationMatch) error {
	if m.Correlation.Level < d.level {
		return nil
	}
	a := &alert.Alert{
		Rule: ruleInfo(&m.Correlation.Meta, m.Correlation.Path),
		Time: m.Last,
		Correlation: &alert.Correlation{
			Type: m.Correlation.Type, Group: m.Group, Count: m.Count,
			First: m.First, Last: m.Last, Values: m.Values,
		},
	}
	hosts := map[string]bool{}
	for _, r := range m.Events {
		a.Correlation.Events = append(a.Correlation.Events, alert.EventRef{Time: r.Time, Rule: r.Rule, Host: r.Host, Source: r.Source})
		hosts[r.Host] = true
	}
	if len(hosts) == 1 && len(m.Events) > 0 {
		a.Host = m.Events[0].Host // one host: the alert is about it
	}
	if len(m.Events) > 0 {
		a.Source = m.Events[len(m.Events)-1].Source
	}
	for k, v := range m.Group {
		a.Matches = append(a.Matches, alert.Match{Condition: "group-by", Field: k, Value: v})
	}
	return d.emit(a)
}

// newAlert builds the alert of a rule match, with its evidence.
func (e *Engine) newAlert(c *sigma.Compiled, s *sigma.Scratch, ev *event.Event) *alert.Alert {
	a := &alert.Alert{
		Rule:     e.infos[c.Rule],
		Time:     ev.Time,
		Host:     hostOf(ev),
		Channel:  ev.GetString("Channel"),
		EventID:  ev.GetString("EventID"),
		Source:   ev.Source,
		Entities: entitiesOf(ev),
	}
	for _, e := range c.Evidence(s) {
		a.Matches = append(a.Matches, alert.Match{Condition: e.Condition, Field: e.Field, Value: e.Value})
	}
	return a
}

// ruleInfo describes a rule for its alerts. The engine computes it once
// per rule; alerts share its slices and must not modify them.
func ruleInfo(m *sigma.Meta, path string) alert.Rule {
	return alert.Rule{
		ID: m.ID, Title: m.Title, Level: m.Level.String(), Status: m.Status,
		Author: m.Author, Description: m.Description,
		Attack: m.Techniques(), Tags: m.Tags,
		Path: path, Link: sigmaHQLink(path),
	}
}

func hostOf(ev *event.Event) string { return ev.Host() }

// sigmaHQLink returns the rule's page in the SigmaHQ repository when the
// path lies in one of SigmaHQ's rule folders.
func sigmaHQLink(path string) string {
	p := filepath.ToSlash(path)
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if part == "rules" || strings.HasPrefix(part, "rules-") {
			return "https://github.com/SigmaHQ/sigma/blob/master/" + strings.Join(parts[i:], "/")
		}
	}
	return ""
}
