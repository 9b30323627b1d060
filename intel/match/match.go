// Package match turns threat-intel indicators into detection: every event
// the pipeline ingests is checked against them, and a hit becomes an alert
// naming the indicator, its source, confidence and TLP.
//
// Simple indicators (one value per observation, the bulk of shared intel)
// go to intel/ioc's hash and prefix lookups; the rest are compiled with
// intel/pattern. Patterns one event can satisfy are evaluated per event;
// patterns over several observations (AND or FOLLOWEDBY between them,
// WITHIN, REPEATS) run in stream matchers fed in ingest order.
package match

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/intel"
	"github.com/bulwarkhq/bulwark/intel/ioc"
	"github.com/bulwarkhq/bulwark/intel/pattern"
)

// Report says what Compile did with the indicators.
type Report struct {
	Simple   int // in the fast lookups
	Patterns int // evaluated per event with the full pattern evaluator
	Streams  int // evaluated over the event stream
	Expired  int
	// Rejected are indicators that cannot be evaluated, with why.
	Rejected []error
}

func (r Report) String() string {
	return fmt.Sprintf("%d indicators: %d simple, %d patterns, %d stream patterns, %d expired, %d rejected",
		r.Simple+r.Patterns+r.Streams+r.Expired+len(r.Rejected), r.Simple, r.Patterns, r.Streams, r.Expired, len(r.Rejected))
}

// Detector matches events against a fixed set of indicators. It is safe
// for concurrent use through Workers.
type Detector struct {
	set      *ioc.Set
	patterns []compiled // one event can satisfy them
	streams  []*streamPattern
}

type compiled struct {
	ind *intel.Indicator
	c   *pattern.Compiled
}

// streamPattern is a pattern over several observations: its matcher keeps
// state across events, so it is shared and locked.
type streamPattern struct {
	ind *intel.Indicator
	mu  sync.Mutex
	m   *pattern.Matcher
}

// maxStreamState bounds each stream pattern's partial matches.
const maxStreamState = 256

// Compile builds a detector. Indicators expired at now are left out; they
// count in the report.
func Compile(inds []intel.Indicator, now time.Time) (*Detector, Report) {
	set, rep := ioc.Compile(inds, ioc.Options{ExpiredBefore: now})
	d := &Detector{set: set}
	r := Report{Simple: rep.Compiled, Expired: rep.Expired}
	for _, e := range rep.Invalid {
		r.Rejected = append(r.Rejected, e)
	}
	if rep.Unsupported > 0 {
		r.Rejected = append(r.Rejected, fmt.Errorf("%d indicators with a pattern_type other than stix", rep.Unsupported))
	}
	mapping := pattern.DefaultMapping()
	for i := range rep.NotSimple {
		ind := &rep.NotSimple[i]
		c, err := pattern.CompileString(ind.Pattern, mapping)
		if err != nil {
			r.Rejected = append(r.Rejected, fmt.Errorf("indicator %s: %w", ind.ID, err))
			continue
		}
		if singleEvent(c.Pattern().Root) {
			d.patterns = append(d.patterns, compiled{ind, c})
			r.Patterns++
		} else {
			d.streams = append(d.streams, &streamPattern{ind: ind, m: c.NewMatcher(maxStreamState)})
			r.Streams++
		}
	}
	return d, r
}

// singleEvent reports whether one event alone decides the pattern: one
// observation, or observations joined by OR, with no qualifiers.
func singleEvent(e pattern.ObsExpr) bool {
	switch x := e.(type) {
	case *pattern.Observation:
		return true
	case *pattern.ObsBinary:
		return x.Op == pattern.ObsOr && singleEvent(x.Left) && singleEvent(x.Right)
	}
	return false
}

// Len is the number of indicators the detector evaluates.
func (d *Detector) Len() int { return d.set.Len() + len(d.patterns) + len(d.streams) }

// Worker matches events for one goroutine at a time.
type Worker struct {
	d    *Detector
	m    *ioc.Matcher
	hits []ioc.Hit
}

// NewWorker returns a worker; keep one per goroutine.
func (d *Detector) NewWorker() *Worker { return &Worker{d: d, m: d.set.NewMatcher()} }

// Process checks one event and calls emit for every indicator it hits.
func (w *Worker) Process(ev *event.Event, emit func(*alert.Alert)) {
	w.hits = w.m.Match(ev, w.hits[:0])
	for i := range w.hits {
		h := &w.hits[i]
		emit(newAlert(ev, &h.Indicator, []alert.Match{{Condition: "intel", Field: h.Field, Value: h.Value}}, entityOf(h)))
	}
	for _, p := range w.d.patterns {
		if p.ind.Valid(eventTime(ev)) && p.c.MatchEvent(ev) {
			emit(newAlert(ev, p.ind, []alert.Match{{Condition: "intel", Field: "pattern", Value: p.ind.Pattern}}, nil))
		}
	}
	for _, s := range w.d.streams {
		s.mu.Lock()
		_, ok := s.m.Feed(ev)
		s.mu.Unlock()
		if ok && s.ind.Valid(eventTime(ev)) {
			emit(newAlert(ev, s.ind, []alert.Match{{Condition: "intel", Field: "pattern", Value: s.ind.Pattern}}, nil))
		}
	}
}

func eventTime(ev *event.Event) time.Time {
	if ev.Time.IsZero() {
		return time.Now()
	}
	return ev.Time
}

// entityOf names the entity a simple hit is about, so triage groups the
// alert with others on the same address, user or file.
func entityOf(h *ioc.Hit) map[string]string {
	switch h.Kind.Path() {
	case "ipv4-addr:value", "ipv6-addr:value":
		return map[string]string{alert.EntityDstIP: h.Value}
	case "email-addr:value":
		return map[string]string{alert.EntityUser: h.Value}
	}
	if len(h.Kind.Path()) > 11 && h.Kind.Path()[:11] == "file:hashes" {
		return map[string]string{alert.EntityHash: h.Match}
	}
	return nil
}

// levelOf maps an indicator's confidence to an alert level: intel the
// source is sure of is worth an analyst's look at once.
func levelOf(confidence int) string {
	switch {
	case confidence >= 80:
		return "high"
	case confidence >= 40 || confidence == 0:
		return "medium"
	}
	return "low"
}

func newAlert(ev *event.Event, ind *intel.Indicator, matches []alert.Match, entities map[string]string) *alert.Alert {
	name := ind.Name
	if name == "" {
		name = ind.Pattern
	}
	tags := []string{"intel"}
	if ind.Source != "" {
		tags = append(tags, "source:"+ind.Source)
	}
	if ind.Confidence > 0 {
		tags = append(tags, "confidence:"+strconv.Itoa(ind.Confidence))
	}
	if ind.TLP != "" {
		tags = append(tags, "tlp:"+string(ind.TLP))
	}
	a := &alert.Alert{
		Rule: alert.Rule{
			ID:          ind.ID,
			Title:       "Threat intel: " + name,
			Level:       levelOf(ind.Confidence),
			Description: ind.Description,
			Tags:        tags,
		},
		Time:     ev.Time,
		Host:     ev.Host(),
		Source:   ev.Source,
		Matches:  matches,
		Entities: entities,
	}
	for _, k := range ind.KillChain {
		if len(k) > 1 && k[0] == 'T' && k[1] >= '0' && k[1] <= '9' {
			a.Rule.Attack = append(a.Rule.Attack, k)
		}
	}
	return a
}
