package triage

import (
	"fmt"
	"sort"
	"time"
)

// Options tune deduplication and grouping. Zero values take the defaults.
type Options struct {
	// DedupWindow: a repeat of the same rule on the same entities within
	// this time of the previous one collapses into it.
	DedupWindow time.Duration
	// Gap: an alert joins a case through a shared entity only if the case
	// saw an alert within Gap before it.
	Gap time.Duration
	// MaxSpan caps a case's duration, so that a busy entity (a firewall, a
	// DNS server) does not chain a whole week into one case.
	MaxSpan time.Duration
	// Baseline is the share of the input's time span during which rules and
	// (rule, entity) pairs are learnt rather than flagged as new: at the
	// start of any input every rule is "new", which says nothing.
	Baseline float64
}

// Defaults are chosen for alert streams from IDS and host agents: repeats
// within minutes are one finding, an intrusion's steps on one host follow
// each other within the hour, and few intrusions last longer than a shift.
var Defaults = Options{DedupWindow: 10 * time.Minute, Gap: 45 * time.Minute, MaxSpan: 3 * time.Hour, Baseline: 0.1}

func (o Options) withDefaults() Options {
	if o.DedupWindow <= 0 {
		o.DedupWindow = Defaults.DedupWindow
	}
	if o.Gap <= 0 {
		o.Gap = Defaults.Gap
	}
	if o.MaxSpan <= 0 {
		o.MaxSpan = Defaults.MaxSpan
	}
	if o.Baseline <= 0 || o.Baseline >= 1 {
		o.Baseline = Defaults.Baseline
	}
	return o
}

// Finding is a deduplicated alert: the first occurrence and its repeats.
type Finding struct {
	Alert       *Alert // the first occurrence
	Count       int
	Last        time.Time
	Lines       []int // input lines of every occurrence
	entityKeys  []string
	caseIndex   int
	novelOnAnyE bool
}

// Case is a group of findings linked by shared entities in time.
type Case struct {
	ID        string
	Score     float64
	Reasons   []string
	Entities  map[string][]string // kind -> sorted values
	FirstSeen time.Time
	LastSeen  time.Time
	Alerts    int   // input alerts, repeats included
	Lines     []int // every input line in the case, sorted
	Findings  []*Finding
	Rules     int // distinct rules
}

// Result is the engine's output: cases best first.
type Result struct {
	Alerts int
	Cases  []*Case
}

// Engine triages alerts into ranked cases.
type Engine struct{ opts Options }

// New returns an engine with the given options (zero fields take Defaults).
func New(opts Options) *Engine { return &Engine{opts: opts.withDefaults()} }

// Run triages alerts. The input slice is sorted by time, source and line;
// alerts are otherwise not modified.
func (e *Engine) Run(alerts []Alert) *Result {
	// Order by time, then source and line, so that the result does not
	// depend on the order files were given or records were written in.
	sort.SliceStable(alerts, func(i, j int) bool {
		a, b := &alerts[i], &alerts[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		return a.Line < b.Line
	})
	findings := e.dedup(alerts)
	cases := e.group(findings)
	st := newStats(alerts, findings, cases, e.opts)
	for _, c := range cases {
		st.score(c)
	}
	campaign(cases, st, e.opts)
	sortCases(cases)
	return &Result{Alerts: len(alerts), Cases: cases}
}

// sortCases orders cases best first; ties go to the earlier case, then the
// lower id, so that the order never depends on the input's order.
func sortCases(cases []*Case) {
	sort.SliceStable(cases, func(i, j int) bool {
		a, b := cases[i], cases[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if !a.FirstSeen.Equal(b.FirstSeen) {
			return a.FirstSeen.Before(b.FirstSeen)
		}
		return a.ID < b.ID
	})
}

// dedup collapses repeats of one rule on the same entities. A repeat extends
// the window (it is measured from the latest repeat), so a steady drizzle of
// one alert stays one finding until it pauses.
func (e *Engine) dedup(alerts []Alert) []*Finding {
	open := map[string]*Finding{}
	var out []*Finding
	for i := range alerts {
		a := &alerts[i]
		ek := a.entityKey()
		key := a.RuleKey() + "\x01" + ek
		// A finding never outgrows a case (MaxSpan), or one periodic rule
		// would stretch a case over the whole input.
		if f := open[key]; f != nil && a.Time.Sub(f.Last) <= e.opts.DedupWindow && a.Time.Sub(f.Alert.Time) <= e.opts.MaxSpan {
			f.Count++
			f.Last = a.Time
			f.Lines = append(f.Lines, a.Line)
			continue
		}
		f := &Finding{Alert: a, Count: 1, Last: a.Time, Lines: []int{a.Line}}
		for _, k := range sortedKeys(a.Entities) {
			if v := a.Entities[k]; v != "" {
				f.entityKeys = append(f.entityKeys, k+"="+v)
			}
		}
		if len(f.entityKeys) == 0 {
			// Without entities, the rule itself is the only link: repeated
			// entity-less alerts of one rule form one case.
			f.entityKeys = []string{"rule=" + a.RuleKey()}
		}
		open[key] = f
		out = append(out, f)
	}
	return out
}

// group links findings into cases: a finding joins the open case of any of
// its entities that saw activity within Gap, and findings that bridge two
// open cases merge them, as long as the result stays within MaxSpan. This is
// union-find over (entity, activity window) with a span cap.
func (e *Engine) group(findings []*Finding) []*Case {
	type span struct{ first, last time.Time }
	var parent []int
	var spans []span
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	open := map[string]int{}
	for _, f := range findings {
		t := f.Alert.Time
		chosen := -1
		for _, ek := range f.entityKeys {
			c, ok := open[ek]
			if !ok {
				continue
			}
			c = find(c)
			s := spans[c]
			if t.Sub(s.last) > e.opts.Gap {
				continue
			}
			if chosen < 0 {
				if f.Last.Sub(s.first) <= e.opts.MaxSpan {
					chosen = c
				}
				continue
			}
			if c == chosen {
				continue
			}
			cs := spans[chosen]
			first, last := minTime(cs.first, s.first), maxTime(cs.last, s.last)
			if last.Sub(first) <= e.opts.MaxSpan {
				lo, hi := min(chosen, c), max(chosen, c)
				parent[hi] = lo
				spans[lo] = span{first, last}
				chosen = lo
			}
		}
		if chosen < 0 {
			chosen = len(parent)
			parent = append(parent, chosen)
			spans = append(spans, span{t, f.Last})
		} else if f.Last.After(spans[chosen].last) {
			spans[chosen].last = f.Last
		}
		f.caseIndex = chosen
		for _, ek := range f.entityKeys {
			open[ek] = chosen
		}
	}
	byRoot := map[int]*Case{}
	var cases []*Case
	for _, f := range findings {
		r := find(f.caseIndex)
		f.caseIndex = r
		c := byRoot[r]
		if c == nil {
			c = &Case{ID: fmt.Sprintf("C%d", len(cases)+1), FirstSeen: f.Alert.Time, LastSeen: f.Last, Entities: map[string][]string{}}
			byRoot[r] = c
			cases = append(cases, c)
		}
		c.Findings = append(c.Findings, f)
		c.Alerts += f.Count
		c.Lines = append(c.Lines, f.Lines...)
		c.LastSeen = maxTime(c.LastSeen, f.Last)
	}
	for _, c := range cases {
		sort.Ints(c.Lines)
		seen := map[string]bool{}
		rules := map[string]bool{}
		for _, f := range c.Findings {
			rules[f.Alert.RuleKey()] = true
			for k, v := range f.Alert.Entities {
				if v != "" && !seen[k+"="+v] {
					seen[k+"="+v] = true
					c.Entities[k] = append(c.Entities[k], v)
				}
			}
		}
		c.Rules = len(rules)
		for k := range c.Entities {
			sort.Strings(c.Entities[k])
		}
	}
	return cases
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
