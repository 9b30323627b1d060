// Package offline answers from structured data alone, with no model: a
// case summary built from its evidence (what happened, why it matters,
// what to do next, each claim citing the alerts and events it rests on),
// and explanations of an ATT&CK technique and of a rule. It is what the
// copilot shows when no model is configured or the model fails, and what a
// model's answer can be checked against.
//
// Output is deterministic: the same evidence always gives the same text,
// so summaries can be compared, cached and tested with golden files.
package offline

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/evidence"
	"github.com/bulwarkhq/bulwark/store"
)

// Claim is one statement of a summary with what it rests on.
type Claim struct {
	Text string `json:"text"`
	// Citations are "alert:12" and "event:345": ids of the evidence.
	Citations []string `json:"citations,omitempty"`
}

// Summary is a case summary in three parts.
type Summary struct {
	CaseID       int64   `json:"case_id"`
	Title        string  `json:"title"`
	WhatHappened []Claim `json:"what_happened"`
	WhyItMatters []Claim `json:"why_it_matters"`
	NextSteps    []Claim `json:"next_steps"`
	// Truncated says the case had more alerts or events than the
	// evidence held.
	Truncated bool `json:"truncated,omitempty"`
}

// Bounds on a summary, so that a case of thousands of alerts still reads
// in a minute.
const (
	maxTimeline    = 12  // rules in the timeline
	maxTechniques  = 8   // techniques explained
	maxMitigations = 6   // mitigations suggested
	maxDetections  = 3   // techniques whose detection advice is quoted
	maxEntities    = 8   // hosts, users, ... named per kind
	maxCommandLine = 160 // bytes of a quoted command line
	maxCitations   = 6   // citations per claim
)

// facts is the evidence indexed for writing.
type facts struct {
	ev     copilot.Evidence
	events map[int64]*store.StoredEvent
	groups []*ruleGroup // alerts by rule, in timeline order
}

// ruleGroup is the alerts of one rule.
type ruleGroup struct {
	key    string
	rule   copilot.RuleInfo
	alerts []store.StoredAlert
	tactic int // earliest tactic of the rule's techniques in matrix order; len(tacticOrder) when unknown
}

func (g *ruleGroup) first() store.StoredAlert { return g.alerts[0] }

func index(ev copilot.Evidence) *facts {
	f := &facts{ev: ev, events: map[int64]*store.StoredEvent{}}
	for i := range ev.Events {
		f.events[ev.Events[i].ID] = &ev.Events[i]
	}
	alerts := slices.Clone(ev.Alerts)
	evidence.SortTimeline(alerts)
	byKey := map[string]*ruleGroup{}
	for _, a := range alerts {
		key := evidence.RuleKey(a.Rule)
		g := byKey[key]
		if g == nil {
			r, ok := ev.Rules[key]
			if !ok {
				r = copilot.RuleInfo{ID: key, Title: a.Rule.Title, Level: a.Rule.Level, Description: a.Rule.Description, Techniques: a.Rule.Attack}
			}
			g = &ruleGroup{key: key, rule: r, tactic: len(tacticOrder)}
			for _, id := range r.Techniques {
				for _, tac := range ev.Techniques[id].Tactics {
					g.tactic = min(g.tactic, tacticIndex(tac))
				}
			}
			byKey[key] = g
			f.groups = append(f.groups, g)
		}
		g.alerts = append(g.alerts, a)
	}
	// By tactic (the stage of the intrusion), then by when the rule first
	// fired: the order the story is told in.
	slices.SortStableFunc(f.groups, func(a, b *ruleGroup) int {
		if c := cmp.Compare(a.tactic, b.tactic); c != 0 {
			return c
		}
		return a.first().Time.Compare(b.first().Time)
	})
	return f
}

// tacticOrder is the Enterprise ATT&CK matrix, left to right: later
// columns are later stages of an intrusion.
var tacticOrder = []string{"reconnaissance", "resource-development", "initial-access", "execution", "persistence",
	"privilege-escalation", "defense-evasion", "credential-access", "discovery", "lateral-movement", "collection",
	"command-and-control", "exfiltration", "impact"}

func tacticIndex(short string) int {
	if i := slices.Index(tacticOrder, short); i >= 0 {
		return i
	}
	return len(tacticOrder)
}

// tacticName writes a tactic short name for people: command-and-control
// → Command and Control.
func tacticName(short string) string {
	words := strings.Split(short, "-")
	for i, w := range words {
		if w != "" && (i == 0 || (w != "and" && w != "of")) {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// Summarize writes a case summary from its evidence.
func Summarize(ev copilot.Evidence) Summary {
	f := index(ev)
	s := Summary{CaseID: ev.Case.ID, Title: ev.Case.Title, Truncated: ev.Truncated}
	if len(ev.Alerts) == 0 {
		s.WhatHappened = []Claim{{Text: "The case holds no alerts that could be read: there is nothing to summarize."}}
		return s
	}
	s.WhatHappened = f.whatHappened()
	s.WhyItMatters = f.whyItMatters()
	s.NextSteps = f.nextSteps()
	return s
}

func (f *facts) whatHappened() []Claim {
	ev := f.ev
	first, last := ev.Alerts[0], ev.Alerts[0]
	for _, a := range ev.Alerts {
		if a.Time.Before(first.Time) || (a.Time.Equal(first.Time) && a.ID < first.ID) {
			first = a
		}
		if a.Time.After(last.Time) || (a.Time.Equal(last.Time) && a.ID > last.ID) {
			last = a
		}
	}
	hosts := f.entities(func(a store.StoredAlert) []string { return []string{a.Host} })
	overview := fmt.Sprintf("%s: %s on %s between %s and %s (%s).",
		caseName(ev.Case), plural(len(ev.Alerts), "alert"), plural(len(hosts), "host"),
		clock(first.Time), clock(last.Time), span(last.Time.Sub(first.Time)))
	if len(f.groups) > 1 {
		overview = strings.TrimSuffix(overview, ".") + fmt.Sprintf(", from %s.", plural(len(f.groups), "rule"))
	}
	claims := []Claim{{Text: overview, Citations: alertCites(first, last)}}
	for i, g := range f.groups {
		if i == maxTimeline {
			claims = append(claims, Claim{Text: fmt.Sprintf("%s more fired; the case lists them all.", plural(len(f.groups)-maxTimeline, "rule"))})
			break
		}
		claims = append(claims, f.timelineClaim(g))
	}
	kinds := []struct {
		name string
		of   func(store.StoredAlert) []string
	}{
		{"Hosts", func(a store.StoredAlert) []string { return []string{a.Host} }},
		{"Users", func(a store.StoredAlert) []string { return f.usersOf(a) }},
		{"Processes", func(a store.StoredAlert) []string {
			return []string{f.field(a, "Image"), a.Entities[alert.EntityProcess]}
		}},
		{"Remote addresses", func(a store.StoredAlert) []string {
			return []string{a.Entities[alert.EntityDstIP], a.Entities[alert.EntitySrcIP], f.field(a, "DestinationIp")}
		}},
	}
	var parts []string
	var cites []string
	for _, k := range kinds {
		vals := f.entities(k.of)
		if len(vals) == 0 {
			continue
		}
		parts = append(parts, k.name+": "+list(vals, maxEntities, true))
		for _, v := range vals[:min(2, len(vals))] {
			cites = appendCites(cites, f.alertsWith(k.of, v)...)
		}
	}
	if len(parts) > 0 {
		claims = append(claims, Claim{Text: "Involved. " + strings.Join(parts, ". ") + ".", Citations: limitCites(cites)})
	}
	return claims
}

// timelineClaim tells what one rule saw: when, where, how often, and the
// command line of its first event.
func (f *facts) timelineClaim(g *ruleGroup) Claim {
	a := g.first()
	var b strings.Builder
	if g.tactic < len(tacticOrder) {
		b.WriteString(tacticName(tacticOrder[g.tactic]) + ". ")
	}
	fmt.Fprintf(&b, "%s on %s: %q (%s)", clock(a.Time), orUnknown(a.Host), g.rule.Title, orUnknown(g.rule.Level))
	if n := len(g.alerts); n > 1 {
		hosts := map[string]bool{}
		for _, x := range g.alerts {
			hosts[x.Host] = true
		}
		fmt.Fprintf(&b, " fired %d times", n)
		if len(hosts) > 1 {
			fmt.Fprintf(&b, " on %d hosts", len(hosts))
		}
		fmt.Fprintf(&b, " until %s", clock(g.alerts[n-1].Time))
	}
	b.WriteString(".")
	cites := alertCites(g.alerts...)
	if cmd := f.field(a, "CommandLine"); cmd != "" {
		fmt.Fprintf(&b, " Command line: %s.", code(cmd, maxCommandLine))
		cites = appendCites([]string{cite("alert", a.ID), cite("event", a.EventID)}, cites...)
	} else if a.Correlation != nil {
		fmt.Fprintf(&b, " A correlation of %d events", a.Correlation.Count)
		if len(a.Correlation.Group) > 0 {
			fmt.Fprintf(&b, " grouped by %s", mapText(a.Correlation.Group))
		}
		b.WriteString(".")
	} else if len(a.Matches) > 0 {
		m := a.Matches[0]
		fmt.Fprintf(&b, " Matched %s = %s.", m.Field, code(m.Value, maxCommandLine))
	}
	return Claim{Text: b.String(), Citations: limitCites(cites)}
}

// field returns a field of the event behind an alert, or "".
func (f *facts) field(a store.StoredAlert, name string) string {
	if e := f.events[a.EventID]; e != nil && a.EventID > 0 {
		return e.GetString(name)
	}
	return ""
}

// usersOf names the accounts an alert is about: its user entity, else
// the user fields of its event. Machine accounts (ending in $) and the
// system's own accounts are left out: they are no one to call.
func (f *facts) usersOf(a store.StoredAlert) []string {
	var out []string
	for _, u := range strings.Split(a.Entities[alert.EntityUser], ",") {
		out = append(out, u)
	}
	if len(out) == 1 && out[0] == "" {
		out = []string{f.field(a, "User"), f.field(a, "TargetUserName")}
	}
	for i, u := range out {
		u = strings.TrimSpace(u)
		if strings.HasSuffix(u, "$") || u == "-" || systemAccount(u) {
			u = ""
		}
		out[i] = u
	}
	return out
}

func systemAccount(u string) bool {
	name := strings.ToUpper(u[strings.LastIndexByte(u, '\\')+1:])
	switch name {
	case "SYSTEM", "LOCAL SERVICE", "NETWORK SERVICE", "ANONYMOUS LOGON":
		return true
	}
	return false
}

// entities returns the distinct non-empty values of of over the alerts,
// most frequent first, then by name.
func (f *facts) entities(of func(store.StoredAlert) []string) []string {
	count := map[string]int{}
	for _, a := range f.ev.Alerts {
		seen := map[string]bool{}
		for _, v := range of(a) {
			v = strings.TrimSpace(v)
			if v != "" && !seen[v] {
				seen[v] = true
				count[v]++
			}
		}
	}
	out := make([]string, 0, len(count))
	for v := range count {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b string) int {
		if c := cmp.Compare(count[b], count[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return out
}

// alertsWith returns citations of the alerts where of gives v.
func (f *facts) alertsWith(of func(store.StoredAlert) []string, v string) []string {
	var out []string
	for _, a := range f.ev.Alerts {
		if slices.Contains(of(a), v) {
			out = append(out, cite("alert", a.ID))
			if len(out) == 2 {
				break
			}
		}
	}
	return out
}

func caseName(c store.Case) string {
	name := fmt.Sprintf("Case %d", c.ID)
	if c.Title != "" {
		name += fmt.Sprintf(" (%q)", c.Title)
	}
	return name
}

func cite(kind string, id int64) string {
	if id <= 0 {
		return ""
	}
	return kind + ":" + strconv.FormatInt(id, 10)
}

func alertCites(alerts ...store.StoredAlert) []string {
	var out []string
	for _, a := range alerts {
		out = appendCites(out, cite("alert", a.ID))
	}
	return limitCites(out)
}

// appendCites appends citations not already in cites.
func appendCites(cites []string, more ...string) []string {
	for _, c := range more {
		if c != "" && !slices.Contains(cites, c) {
			cites = append(cites, c)
		}
	}
	return cites
}

func limitCites(c []string) []string {
	if len(c) > maxCitations {
		return c[:maxCitations]
	}
	return c
}

func clock(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < 2*time.Hour:
		return plural(int(d.Round(time.Minute)/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d.Round(time.Hour)/time.Hour), "hour")
	}
	return plural(int(d.Round(24*time.Hour)/(24*time.Hour)), "day")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// list joins values, at most n, saying how many more there are.
func list(vals []string, n int, quote bool) string {
	shown := vals[:min(n, len(vals))]
	if quote {
		q := make([]string, len(shown))
		for i, v := range shown {
			q[i] = code(v, 80)
		}
		shown = q
	}
	s := strings.Join(shown, ", ")
	if len(vals) > n {
		s += fmt.Sprintf(" and %d more", len(vals)-n)
	}
	return s
}

func mapText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + code(m[k], 60)
	}
	return strings.Join(parts, ", ")
}
