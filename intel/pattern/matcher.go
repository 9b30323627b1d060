package pattern

import (
	"fmt"
	"math"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// plan kinds.
const (
	pLeaf = iota
	pAnd
	pOr
	pFollowedBy
	pWithin
	pRepeats
	pStartStop
)

// plan is the compiled, immutable form of an observation expression.
type plan struct {
	kind        int
	left, right *plan // left is the qualified expression for qualifiers
	comp        *cnode
	window      time.Duration // WITHIN; also the tightest enclosing window (see limit)
	times       int
	start, stop time.Time
	// limit is the tightest WITHIN enclosing this node: a partial match
	// older than that can never complete, so the Matcher drops it.
	limit time.Duration
	// from, to bound the time of observations this leaf may use: the
	// intersection of enclosing START/STOP ranges (zero: unbounded).
	from, to time.Time
	keep     bool // the parent combines this node's past matches
}

func (c *Compiled) plan(x ObsExpr, m *Mapping, seen map[string]bool) (*plan, error) {
	n := &plan{}
	switch x := x.(type) {
	case *Observation:
		comp, err := c.compileComp(x.Comp, m, seen)
		if err != nil {
			return nil, err
		}
		n.kind, n.comp = pLeaf, comp
		c.leaves = append(c.leaves, n)
	case *ObsBinary:
		l, err := c.plan(x.Left, m, seen)
		if err != nil {
			return nil, err
		}
		r, err := c.plan(x.Right, m, seen)
		if err != nil {
			return nil, err
		}
		n.left, n.right = l, r
		switch x.Op {
		case ObsAnd:
			n.kind = pAnd
			l.keep, r.keep = true, true
		case ObsOr:
			n.kind = pOr
		default:
			n.kind = pFollowedBy
			l.keep = true
		}
	case *Qualified:
		inner, err := c.plan(x.Expr, m, seen)
		if err != nil {
			return nil, err
		}
		n.left = inner
		switch q := x.Qual.(type) {
		case *Within:
			n.kind = pWithin
			n.window = time.Duration(math.Min(q.Seconds*float64(time.Second), math.MaxInt64))
		case *Repeats:
			if q.Times > MaxRepeats {
				return nil, &Error{Msg: fmt.Sprintf("REPEATS %d TIMES exceeds the supported %d", q.Times, MaxRepeats)}
			}
			n.kind, n.times = pRepeats, q.Times
			inner.keep = true
		case *StartStop:
			n.kind, n.start, n.stop = pStartStop, q.Start, q.Stop
		}
	default:
		return nil, fmt.Errorf("stix pattern: unknown observation node %T", x)
	}
	return n, nil
}

// MaxRepeats bounds REPEATS so that one match's evidence stays small.
const MaxRepeats = 1000

// single reports whether one event satisfies the expression on its own.
func (n *plan) single(ev *event.Event) bool {
	switch n.kind {
	case pLeaf:
		return n.comp.eval(ev)
	case pOr:
		return n.left.single(ev) || n.right.single(ev)
	case pWithin:
		return n.left.single(ev)
	case pRepeats:
		return n.times == 1 && n.left.single(ev)
	case pStartStop:
		return !ev.Time.Before(n.start) && ev.Time.Before(n.stop) && n.left.single(ev)
	}
	return false // AND and FOLLOWEDBY need two observations
}

// Match is a satisfied pattern: the span of the observations used and
// their sequence numbers (1 for the first event fed to the Matcher).
type Match struct {
	First, Last time.Time
	Seqs        []uint64
}

// partial is a match of one sub-expression.
type partial struct {
	first, last time.Time
	seqs        []uint64 // sorted
}

// DefaultMaxState is the default cap on the partial matches a Matcher keeps
// per sub-expression.
const DefaultMaxState = 1024

// maxFanout caps the new matches one event may produce at one node, so a
// pattern like [a] AND [b] over a burst of a's cannot go quadratic.
const maxFanout = 64

// Matcher evaluates a compiled pattern over one stream of events fed in
// time order. It keeps, for each sub-expression whose parent needs them,
// the partial matches seen so far; partials older than an enclosing WITHIN
// window are expired on every Feed, and each list is capped (the oldest go
// first), so memory is bounded whatever the stream. After reporting a
// match the Matcher starts afresh, so each match uses new observations.
//
// A Matcher is not safe for concurrent use.
type Matcher struct {
	c        *Compiled
	hist     map[*plan][]partial
	seq      uint64
	now      time.Time
	maxState int
}

// NewMatcher returns a matcher keeping at most maxState partial matches per
// sub-expression (DefaultMaxState when maxState <= 0).
func (c *Compiled) NewMatcher(maxState int) *Matcher {
	if maxState <= 0 {
		maxState = DefaultMaxState
	}
	return &Matcher{c: c, hist: map[*plan][]partial{}, maxState: maxState}
}

// annotate pushes enclosing WITHIN windows and START/STOP ranges down the
// tree, once, at Compile.
func annotate(n *plan, limit time.Duration, from, to time.Time) {
	if n == nil {
		return
	}
	switch n.kind {
	case pWithin:
		if limit == 0 || n.window < limit {
			limit = n.window
		}
	case pStartStop:
		if from.IsZero() || n.start.After(from) {
			from = n.start
		}
		if to.IsZero() || n.stop.Before(to) {
			to = n.stop
		}
	}
	n.limit, n.from, n.to = limit, from, to
	annotate(n.left, limit, from, to)
	annotate(n.right, limit, from, to)
}

// Feed processes the next event and reports a match if the pattern is now
// satisfied.
func (m *Matcher) Feed(ev *event.Event) (Match, bool) {
	m.seq++
	if ev.Time.After(m.now) {
		m.now = ev.Time
	}
	m.expire()
	out := m.step(m.c.root, ev)
	if len(out) == 0 {
		return Match{}, false
	}
	best := out[0]
	for _, p := range out[1:] {
		if p.last.Sub(p.first) < best.last.Sub(best.first) {
			best = p
		}
	}
	clear(m.hist)
	return Match{First: best.first, Last: best.last, Seqs: best.seqs}, true
}

// State returns the number of partial matches held, for tests and metrics.
func (m *Matcher) State() int {
	n := 0
	for _, h := range m.hist {
		n += len(h)
	}
	return n
}

// expire drops partials that started before now minus the tightest window
// enclosing their node: any completion would need a later observation, and
// the span would exceed the window.
func (m *Matcher) expire() {
	for n, h := range m.hist {
		if n.limit <= 0 {
			continue
		}
		cut := m.now.Add(-n.limit)
		i := 0
		for i < len(h) && h[i].first.Before(cut) {
			i++
		}
		if i > 0 {
			// Reslice rather than shift: step holds views of these
			// slices while it appends to them.
			m.hist[n] = h[i:]
		}
	}
}

// step returns the new matches of n that use ev, and records them when
// n's parent will need them later.
func (m *Matcher) step(n *plan, ev *event.Event) []partial {
	var out []partial
	switch n.kind {
	case pLeaf:
		if !n.from.IsZero() && (ev.Time.Before(n.from) || !ev.Time.Before(n.to)) {
			break
		}
		if n.comp.eval(ev) {
			out = []partial{{first: ev.Time, last: ev.Time, seqs: []uint64{m.seq}}}
		}
	case pOr:
		out = append(m.step(n.left, ev), m.step(n.right, ev)...)
	case pAnd:
		oldL, oldR := m.hist[n.left], m.hist[n.right]
		nl, nr := m.step(n.left, ev), m.step(n.right, ev)
		for _, x := range nl {
			out = combineAll(out, x, oldR, n.limit, false)
			out = combineAll(out, x, nr, n.limit, false)
		}
		for _, y := range nr {
			out = combineAll(out, y, oldL, n.limit, false)
		}
	case pFollowedBy:
		oldL := m.hist[n.left]
		nl, nr := m.step(n.left, ev), m.step(n.right, ev)
		for _, y := range nr {
			out = combineAll(out, y, oldL, n.limit, true)
			out = combineAll(out, y, nl, n.limit, true)
		}
	case pWithin:
		for _, p := range m.step(n.left, ev) {
			if p.last.Sub(p.first) <= n.window {
				out = append(out, p)
			}
		}
	case pRepeats:
		old := m.hist[n.left]
		for _, y := range m.step(n.left, ev) {
			if p, ok := repeat(y, old, n.times); ok {
				out = append(out, p)
			}
		}
	case pStartStop:
		out = m.step(n.left, ev) // leaves already filtered by from/to
	}
	if len(out) > maxFanout {
		out = out[:maxFanout]
	}
	if n.keep && len(out) > 0 {
		h := append(m.hist[n], out...)
		if len(h) > m.maxState {
			h = h[len(h)-m.maxState:]
		}
		m.hist[n] = h
	}
	return out
}

// combineAll appends y joined with each x in xs that uses other
// observations (and, for FOLLOWEDBY, ends no later than y starts), newest
// first, until maxFanout.
func combineAll(out []partial, y partial, xs []partial, limit time.Duration, followed bool) []partial {
	for i := len(xs) - 1; i >= 0 && len(out) < maxFanout; i-- {
		x := xs[i]
		if followed && x.last.After(y.first) {
			continue
		}
		if p, ok := join(x, y); ok && (limit <= 0 || p.last.Sub(p.first) <= limit) {
			out = append(out, p)
		}
	}
	return out
}

// join merges two partials over disjoint observations.
func join(a, b partial) (partial, bool) {
	seqs := make([]uint64, 0, len(a.seqs)+len(b.seqs))
	i, j := 0, 0
	for i < len(a.seqs) || j < len(b.seqs) {
		switch {
		case j == len(b.seqs) || i < len(a.seqs) && a.seqs[i] < b.seqs[j]:
			seqs = append(seqs, a.seqs[i])
			i++
		case i == len(a.seqs) || b.seqs[j] < a.seqs[i]:
			seqs = append(seqs, b.seqs[j])
			j++
		default:
			return partial{}, false // shared observation
		}
	}
	p := partial{first: a.first, last: a.last, seqs: seqs}
	if b.first.Before(p.first) {
		p.first = b.first
	}
	if b.last.After(p.last) {
		p.last = b.last
	}
	return p, true
}

// repeat builds a match of REPEATS times from y and earlier matches,
// taking the newest disjoint ones first: the greedy choice keeps the span
// smallest, which is what an enclosing WITHIN wants.
func repeat(y partial, old []partial, times int) (partial, bool) {
	acc, need := y, times-1
	for i := len(old) - 1; i >= 0 && need > 0; i-- {
		if p, ok := join(old[i], acc); ok {
			acc, need = p, need-1
		}
	}
	return acc, need == 0
}
