package sigma

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// CompiledCorrelation is a correlation rule with its references resolved.
type CompiledCorrelation struct {
	*Correlation
	Inputs []CorrelationInput
	// eager is true when the condition can only become true as matches
	// accumulate (gt, gte), so it is checked on every match rather than
	// when a window closes.
	eager bool
}

// CorrelationInput is one rule a correlation consumes.
type CorrelationInput struct {
	Ref  string
	Rule *Rule                // a detection rule, or
	Corr *CompiledCorrelation // a correlation (chaining)
	// GroupFields are the event fields holding each group-by key for this
	// input's events, after aliases.
	GroupFields []string
}

func (rs *RuleSet) compileCorrelations(corrs []*Correlation, status []int, ruleStatus map[*Rule]int) {
	byRef := map[string]*Rule{}
	for _, r := range rs.Rules {
		if rs.Status[ruleStatus[r]].Err != nil {
			continue
		}
		for _, k := range []string{r.ID, r.Name} {
			if k != "" {
				byRef[k] = r
			}
		}
	}
	compiled := make([]*CompiledCorrelation, len(corrs))
	corrByRef := map[string]int{}
	for i, c := range corrs {
		compiled[i] = &CompiledCorrelation{Correlation: c, eager: eagerCondition(c.Condition)}
		for _, k := range []string{c.ID, c.Name} {
			if k != "" {
				corrByRef[k] = i
			}
		}
	}
	generates := map[*Rule]bool{}
	for i, c := range corrs {
		cc := compiled[i]
		var err error
		for _, ref := range c.Rules {
			in := CorrelationInput{Ref: ref}
			name := ref
			if r, ok := byRef[ref]; ok {
				in.Rule = r
				if r.Name != "" {
					name = r.Name
				}
			} else if j, ok := corrByRef[ref]; ok && j != i {
				in.Corr = compiled[j]
				if compiled[j].Name != "" {
					name = compiled[j].Name
				}
			} else {
				err = fmt.Errorf("correlation refers to %q, which is not a loaded rule or correlation (by id or name)", ref)
				break
			}
			for _, g := range c.GroupBy {
				field := g
				if al, ok := c.Aliases[g]; ok {
					if f, ok := al[name]; ok {
						field = f
					} else if f, ok := al[ref]; ok {
						field = f
					}
				}
				in.GroupFields = append(in.GroupFields, field)
			}
			cc.Inputs = append(cc.Inputs, in)
		}
		if err == nil && hasCycle(cc, map[*CompiledCorrelation]bool{}) {
			err = fmt.Errorf("correlation chain refers back to itself")
		}
		if err != nil {
			rs.Status[status[i]].Err = &Error{Path: c.Path, Line: c.Line, Msg: err.Error()}
			continue
		}
		for _, in := range cc.Inputs {
			if in.Rule != nil {
				rs.Correlated[in.Rule] = true
				if c.Generate {
					generates[in.Rule] = true
				}
			}
		}
		rs.Correlations = append(rs.Correlations, cc)
	}
	for r := range generates {
		delete(rs.Correlated, r)
	}
}

func hasCycle(c *CompiledCorrelation, visiting map[*CompiledCorrelation]bool) bool {
	if visiting[c] {
		return true
	}
	visiting[c] = true
	for _, in := range c.Inputs {
		if in.Corr != nil && hasCycle(in.Corr, visiting) {
			return true
		}
	}
	delete(visiting, c)
	return false
}

func eagerCondition(c CorrelationCondition) bool {
	for _, op := range c.Ops {
		if op.Op != "gt" && op.Op != "gte" {
			return false
		}
	}
	return true
}

// CorrelationMatch is a correlation that fired.
type CorrelationMatch struct {
	Correlation *CompiledCorrelation
	Group       map[string]string // group-by field → value
	Count       int64             // events, distinct values or distinct rules, by type
	First, Last time.Time
	// Events are up to MaxEvidence of the contributing events, oldest first.
	Events []EventRef
	// Values are the distinct values counted by value_count (up to MaxEvidence).
	Values []string
}

// EventRef identifies an event that contributed to a correlation.
type EventRef struct {
	Time   time.Time
	Rule   string // the rule it matched (id or name)
	Host   string
	Source event.Source
}

// MaxEvidence bounds the events kept per correlation match.
const MaxEvidence = 20

// Correlator keeps the sliding windows of correlation rules. It expects
// matches roughly in time order; a match much older than the newest seen in
// its group may fall outside every window. Not safe for concurrent use.
type Correlator struct {
	byRule map[*Rule][]corrTarget
	byCorr map[*CompiledCorrelation][]corrTarget
	state  map[*CompiledCorrelation]map[string]*corrGroup
	all    []*CompiledCorrelation
	// MaxGroups bounds the groups kept per correlation, and MaxEntries the
	// matches held in all windows; beyond them the least recently active
	// groups are evicted, so memory never follows the input's size.
	MaxGroups  int
	MaxEntries int
	entries    int
	// HostOf names the host of an event, for the evidence; may be nil.
	HostOf func(*event.Event) string
	// Accept, when set, says whether this correlator keeps the window of
	// a correlation's group (its group-by values, as GroupKey renders
	// them): several correlators each keeping a share of the groups
	// split one correlation's work by its group-by key, and every window
	// stays whole in one of them. Correlations fed by other correlations
	// are not split (their inputs carry their own groups).
	Accept  func(cc *CompiledCorrelation, group string) bool
	Dropped int64
}

// GroupKey renders a group's values, in the order of the correlation's
// group-by fields, as one string: what Accept is given.
func GroupKey(cc *CompiledCorrelation, group map[string]string) string {
	return groupKey(cc.GroupBy, group)
}

type corrTarget struct {
	c     *CompiledCorrelation
	input int
}

type corrEntry struct {
	t     time.Time
	input int
	value string
	ref   EventRef
}

// corrGroup is the window of one group. The counts of distinct values and
// inputs in the window are kept up to date as entries come and go, so that
// checking a threshold on every match costs O(1), not a pass over the window.
type corrGroup struct {
	key     map[string]string
	entries []corrEntry // sorted by time
	last    time.Time
	values  map[string]int // value_count: entries per distinct value
	inputs  map[int]int    // temporal: entries per input
	// quietUntil holds back repeated firing: once a group fires, matches
	// that keep coming within the timespan belong to the same burst and
	// raise nothing new; each one pushes the quiet period on.
	quietUntil time.Time
}

// NewCorrelator prepares windows for the rule set's correlations.
func NewCorrelator(rs *RuleSet) *Correlator {
	c := &Correlator{
		byRule:     map[*Rule][]corrTarget{},
		byCorr:     map[*CompiledCorrelation][]corrTarget{},
		state:      map[*CompiledCorrelation]map[string]*corrGroup{},
		all:        rs.Correlations,
		MaxGroups:  100000,
		MaxEntries: 1000000,
	}
	for _, cc := range rs.Correlations {
		c.state[cc] = map[string]*corrGroup{}
		for i, in := range cc.Inputs {
			t := corrTarget{cc, i}
			if in.Rule != nil {
				c.byRule[in.Rule] = append(c.byRule[in.Rule], t)
			} else {
				c.byCorr[in.Corr] = append(c.byCorr[in.Corr], t)
			}
		}
	}
	return c
}

// Wants reports whether any correlation consumes matches of r.
func (c *Correlator) Wants(r *Rule) bool { return len(c.byRule[r]) > 0 }

// Observe feeds a detection rule's match on ev and returns the correlations
// that fired as a result (including chained ones).
func (c *Correlator) Observe(r *Rule, ev *event.Event) []CorrelationMatch {
	var out []CorrelationMatch
	for _, t := range c.byRule[r] {
		in := t.c.Inputs[t.input]
		key := make(map[string]string, len(in.GroupFields))
		for i, f := range in.GroupFields {
			key[t.c.GroupBy[i]] = ev.GetString(f)
		}
		if c.Accept != nil && !c.Accept(t.c, groupKey(t.c.GroupBy, key)) {
			continue
		}
		value := ""
		if t.c.Type == "value_count" {
			value = ev.GetString(t.c.Condition.Field)
		}
		ref := EventRef{Time: ev.Time, Rule: r.Ref(), Source: ev.Source}
		if c.HostOf != nil {
			ref.Host = c.HostOf(ev)
		}
		out = c.add(out, t, key, value, ev.Time, ref)
	}
	return out
}

func (c *Correlator) add(out []CorrelationMatch, t corrTarget, key map[string]string, value string, ts time.Time, ref EventRef) []CorrelationMatch {
	cc := t.c
	groups := c.state[cc]
	gk := groupKey(cc.GroupBy, key)
	g := groups[gk]
	if g == nil {
		if len(groups) >= c.MaxGroups {
			c.evictOldest(groups)
		}
		g = &corrGroup{key: key, values: map[string]int{}, inputs: map[int]int{}}
		groups[gk] = g
	}
	// Windows that close before this match are evaluated first (for
	// conditions such as lt that need the whole window).
	if !cc.eager && len(g.entries) > 0 && ts.Sub(g.entries[0].t) > cc.Timespan {
		if m, ok := c.evaluate(cc, g, g.entries[0].t.Add(cc.Timespan)); ok {
			out = c.emit(out, m)
		}
		c.reset(g)
	}
	before := len(g.entries)
	g.insert(corrEntry{t: ts, input: t.input, value: value, ref: ref})
	if ts.After(g.last) {
		g.last = ts
	}
	g.prune(g.last.Add(-cc.Timespan))
	c.entries += len(g.entries) - before
	for c.entries > c.MaxEntries && len(groups) > 1 {
		c.evictOldest(groups)
	}
	// A group that never fired has no quiet period, whatever ts is: events
	// without a timestamp (the zero time) must still be able to fire.
	if cc.eager && !g.quietUntil.IsZero() && !ts.After(g.quietUntil) {
		g.quietUntil = ts.Add(cc.Timespan)
		c.reset(g)
		return out
	}
	if cc.eager && cc.Condition.Holds(g.count(cc)) {
		if m, ok := c.evaluate(cc, g, g.last); ok {
			c.reset(g) // one alert per burst, then start afresh
			g.quietUntil = g.last.Add(cc.Timespan)
			out = c.emit(out, m)
		}
	}
	return out
}

// count is the correlation's measure over the whole current window.
func (g *corrGroup) count(cc *CompiledCorrelation) int64 {
	switch cc.Type {
	case "value_count":
		n := len(g.values)
		if _, empty := g.values[""]; empty {
			n--
		}
		return int64(n)
	case "temporal":
		return int64(len(g.inputs))
	case "temporal_ordered":
		return orderedRun(g.entries, len(cc.Inputs))
	}
	return int64(len(g.entries))
}

// reset empties a group's window.
func (c *Correlator) reset(g *corrGroup) {
	c.entries -= len(g.entries)
	g.entries = g.entries[:0]
	clear(g.values)
	clear(g.inputs)
}

// emit returns m and feeds it to correlations chained on it.
func (c *Correlator) emit(out []CorrelationMatch, m CorrelationMatch) []CorrelationMatch {
	out = append(out, m)
	for _, t := range c.byCorr[m.Correlation] {
		key := map[string]string{}
		for i, f := range t.c.Inputs[t.input].GroupFields {
			key[t.c.GroupBy[i]] = m.Group[f]
		}
		ref := EventRef{Time: m.Last, Rule: m.Correlation.Ref()}
		if len(m.Events) > 0 {
			ref.Source = m.Events[len(m.Events)-1].Source
		}
		out = c.add(out, t, key, "", m.Last, ref)
	}
	return out
}

// Flush evaluates every open window (at the end of the input) and clears
// the state.
func (c *Correlator) Flush() []CorrelationMatch {
	var out []CorrelationMatch
	for _, cc := range c.all {
		groups := c.state[cc]
		keys := make([]string, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			g := groups[k]
			if !cc.eager && len(g.entries) > 0 {
				if m, ok := c.evaluate(cc, g, g.last); ok {
					out = c.emit(out, m)
				}
			}
			c.entries -= len(g.entries)
			delete(groups, k)
		}
	}
	return out
}

// Expire is Flush for a stream that does not end: it closes the windows
// that now has passed. Windows of conditions such as lt, which need the
// whole window, are evaluated when it closes; groups with nothing in
// their window and no quiet period running are dropped, so memory follows
// the active groups, not every group ever seen. now is stream time (the
// newest event time, advanced by the wall clock while the stream is idle).
func (c *Correlator) Expire(now time.Time) []CorrelationMatch {
	var out []CorrelationMatch
	for _, cc := range c.all {
		groups := c.state[cc]
		keys := make([]string, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			g := groups[k]
			if len(g.entries) > 0 && now.Sub(g.entries[0].t) <= cc.Timespan {
				continue // window still open
			}
			switch {
			case len(g.entries) == 0:
			case !cc.eager:
				if m, ok := c.evaluate(cc, g, g.entries[0].t.Add(cc.Timespan)); ok {
					out = c.emit(out, m)
				}
				c.reset(g)
			default:
				before := len(g.entries)
				g.prune(now.Add(-cc.Timespan))
				c.entries -= before - len(g.entries)
			}
			if len(g.entries) == 0 && now.After(g.quietUntil) {
				delete(groups, k)
			}
		}
	}
	return out
}

func (c *Correlator) evictOldest(groups map[string]*corrGroup) {
	var oldestKey string
	var oldest time.Time
	found := false
	for k, g := range groups {
		if !found || g.last.Before(oldest) {
			oldestKey, oldest, found = k, g.last, true
		}
	}
	c.entries -= len(groups[oldestKey].entries)
	delete(groups, oldestKey)
	c.Dropped++
}

// evaluate checks the window of entries ending at (or containing) ts.
func (c *Correlator) evaluate(cc *CompiledCorrelation, g *corrGroup, ts time.Time) (CorrelationMatch, bool) {
	var win []corrEntry
	for _, e := range g.entries {
		if !e.t.Before(ts.Add(-cc.Timespan)) && !e.t.After(ts) {
			win = append(win, e)
		}
	}
	if len(win) == 0 {
		return CorrelationMatch{}, false
	}
	m := CorrelationMatch{Correlation: cc, Group: g.key, First: win[0].t, Last: win[len(win)-1].t}
	switch cc.Type {
	case "event_count":
		m.Count = int64(len(win))
	case "value_count":
		seen := map[string]bool{}
		for _, e := range win {
			if e.value != "" && !seen[e.value] {
				seen[e.value] = true
				if len(m.Values) < MaxEvidence {
					m.Values = append(m.Values, e.value)
				}
			}
		}
		m.Count = int64(len(seen))
	case "temporal":
		seen := map[int]bool{}
		for _, e := range win {
			seen[e.input] = true
		}
		m.Count = int64(len(seen))
	case "temporal_ordered":
		m.Count = orderedRun(win, len(cc.Inputs))
	}
	if !cc.Condition.Holds(m.Count) {
		return CorrelationMatch{}, false
	}
	for _, e := range win {
		if len(m.Events) == MaxEvidence {
			break
		}
		m.Events = append(m.Events, e.ref)
	}
	return m, true
}

// orderedRun returns how many of the inputs 0..n-1 occur in order in win
// (sorted by time): the length of the longest prefix of the input sequence
// found as a subsequence.
func orderedRun(win []corrEntry, n int) int64 {
	next := 0
	for _, e := range win {
		if next < n && e.input == next {
			next++
		}
	}
	return int64(next)
}

func groupKey(fields []string, key map[string]string) string {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(key[f])
		b.WriteByte(0)
	}
	return b.String()
}

func (g *corrGroup) insert(e corrEntry) {
	i := sort.Search(len(g.entries), func(i int) bool { return g.entries[i].t.After(e.t) })
	g.entries = append(g.entries, corrEntry{})
	copy(g.entries[i+1:], g.entries[i:])
	g.entries[i] = e
	g.values[e.value]++
	g.inputs[e.input]++
	// Bound memory: a window never needs more entries than this.
	const maxEntries = 100000
	if len(g.entries) > maxEntries {
		g.drop(len(g.entries) - maxEntries)
	}
}

// prune drops the entries older than before.
func (g *corrGroup) prune(before time.Time) {
	i := 0
	for i < len(g.entries) && g.entries[i].t.Before(before) {
		i++
	}
	g.drop(i)
}

// drop removes the n oldest entries.
func (g *corrGroup) drop(n int) {
	if n <= 0 {
		return
	}
	for _, e := range g.entries[:n] {
		if g.values[e.value]--; g.values[e.value] == 0 {
			delete(g.values, e.value)
		}
		if g.inputs[e.input]--; g.inputs[e.input] == 0 {
			delete(g.inputs, e.input)
		}
	}
	g.entries = append(g.entries[:0], g.entries[n:]...)
}
