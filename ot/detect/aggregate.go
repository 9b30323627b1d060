package detect

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/ot"
)

// aggKey is what repeats aggregate by: a rule and the pair of hosts.
type aggKey struct {
	k      kind
	proto  ot.Proto
	src, d netip.Addr
	// level keeps an occurrence at a higher level from hiding in the
	// aggregate of a lower one (a known master's routine new function
	// and its first operate).
	level string
}

// aggState is an open aggregate: the alert raised for its first
// occurrence and the repeats counted since.
type aggState struct {
	first                 *alert.Alert
	start, last           time.Time
	firstFrame, lastFrame int64
	count                 int64
}

// raise alerts at once on the first occurrence of a rule for a pair and
// counts the repeats. build makes the alert; it is called only when one
// is emitted.
func (d *Detector) raise(key aggKey, t time.Time, frame int64, build func() *alert.Alert, emit func(*alert.Alert)) {
	if st := d.aggs[key]; st != nil {
		if !d.expired(st, t) {
			st.count++
			st.last = maxTime(st.last, t)
			st.lastFrame = max(st.lastFrame, frame)
			return
		}
		d.close(st, emit)
		delete(d.aggs, key)
	}
	a := build()
	emit(a)
	if len(d.aggs) >= d.cfg.MaxState {
		d.sweep(emit, false)
		if len(d.aggs) >= d.cfg.MaxState {
			return // too many open aggregates: alert on every occurrence
		}
	}
	// Keep a copy: the caller owns the emitted alert.
	c := *a
	c.Matches = append([]alert.Match(nil), a.Matches...)
	d.aggs[key] = &aggState{first: &c, start: t, last: t, firstFrame: frame, lastFrame: frame, count: 1}
}

// expired says whether an occurrence at t falls outside the aggregate.
func (d *Detector) expired(st *aggState, t time.Time) bool {
	return t.Sub(st.start) > d.cfg.Window || t.Sub(st.last) > d.cfg.IdleGap || t.Before(st.start.Add(-d.cfg.IdleGap))
}

// close emits the summary of an aggregate that counted repeats.
func (d *Detector) close(st *aggState, emit func(*alert.Alert)) {
	if st.count < 2 {
		return
	}
	a := *st.first
	span := strconv.FormatInt(st.firstFrame, 10) + "-" + strconv.FormatInt(st.lastFrame, 10)
	a.Rule.Title += " (repeated " + strconv.FormatInt(st.count, 10) + " times)"
	a.EventID = "frame:" + span
	a.Matches = append(append([]alert.Match(nil), st.first.Matches...),
		alert.Match{Condition: "equals", Field: "frame_last", Value: strconv.FormatInt(st.lastFrame, 10)},
		alert.Match{Condition: "gte", Field: "count", Value: strconv.FormatInt(st.count, 10)})
	group := make(map[string]string, len(a.Entities)+1)
	for k, v := range a.Entities {
		group[k] = v
	}
	group["rule"] = a.Rule.ID
	a.Correlation = &alert.Correlation{Type: "aggregate", Group: group, Count: st.count, First: st.start, Last: st.last}
	emit(&a)
}

// sweep closes the aggregates that are over (all of them when all is
// set).
func (d *Detector) sweep(emit func(*alert.Alert), all bool) {
	for k, st := range d.aggs {
		if all || d.now-st.start.UnixNano() > int64(d.cfg.Window) || d.now-st.last.UnixNano() > int64(d.cfg.IdleGap) {
			d.close(st, emit)
			delete(d.aggs, k)
		}
	}
}

// Flush closes every open aggregate, emitting the summaries of those
// that counted repeats. Call it at the end of a capture.
func (d *Detector) Flush(emit func(*alert.Alert)) {
	d.sweep(emit, true)
	if d.learning {
		d.base.Until = maxTime(d.base.Until, time.Unix(0, d.now).UTC())
	}
}
