package triage

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// stats holds what scoring needs to know about the whole input: how often
// each rule and each (rule, entity) pair fires, and when each was first seen.
type stats struct {
	n          float64
	rule       map[string]int // raw alerts per rule
	ruleCases  map[string]int // cases in which the rule appears
	pairFirst  map[string]time.Time
	ruleFirst  map[string]time.Time
	baselineTo time.Time
	// entityRules holds, per entity, the distinct-rule count of every case
	// it appears in, sorted, for the burstiness measure.
	entityRules map[string][]int
}

func newStats(alerts []Alert, findings []*Finding, cases []*Case, o Options) *stats {
	st := &stats{n: float64(len(alerts)), rule: map[string]int{}, ruleCases: map[string]int{},
		pairFirst: map[string]time.Time{}, ruleFirst: map[string]time.Time{}}
	for i := range alerts {
		st.rule[alerts[i].RuleKey()]++
	}
	for _, f := range findings { // findings are in time order
		r := f.Alert.RuleKey()
		if _, ok := st.ruleFirst[r]; !ok {
			st.ruleFirst[r] = f.Alert.Time
		}
		for _, ek := range f.entityKeys {
			if _, ok := st.pairFirst[r+"\x01"+ek]; !ok {
				st.pairFirst[r+"\x01"+ek] = f.Alert.Time
			}
		}
	}
	st.entityRules = map[string][]int{}
	for _, c := range cases {
		seen := map[string]bool{}
		ents := map[string]bool{}
		for _, f := range c.Findings {
			if r := f.Alert.RuleKey(); !seen[r] {
				seen[r] = true
				st.ruleCases[r]++
			}
			for _, ek := range f.entityKeys {
				ents[ek] = true
			}
		}
		for ek := range ents {
			st.entityRules[ek] = append(st.entityRules[ek], len(seen))
		}
	}
	for _, v := range st.entityRules {
		sort.Ints(v)
	}
	if len(alerts) > 0 {
		t0, t1 := alerts[0].Time, alerts[len(alerts)-1].Time
		st.baselineTo = t0.Add(time.Duration(float64(t1.Sub(t0)) * o.Baseline))
	}
	return st
}

// idf is the inverse frequency of a rule over the whole input: a rule behind
// 40% of all alerts weighs about 1, one that fired twice in 100,000 about 11.
func (st *stats) idf(rule string) float64 {
	return math.Log(st.n / float64(st.rule[rule]))
}

type reason struct {
	weight float64
	text   string
}

// score sets the case's score and reasons. The score adds up:
//   - rarity: the IDF of every distinct rule in the case, so many distinct
//     rare rules (an attack's progression) outrank one noisy rule repeated;
//   - exclusivity: rules whose every alert in the input is in this case;
//   - novelty: (rule, entity) pairs never seen before this case, counted
//     only after the baseline period;
//   - severity, when the input has it, and the number of entities;
//   - threat-intel hits: distinct indicators that matched, up to three.
func (st *stats) score(c *Case) {
	type ruleInfo struct {
		key, title string
		count      int
		idf        float64
		first      time.Time
	}
	rules := map[string]*ruleInfo{}
	novel := map[string]bool{}
	var sev float64
	var tactics = map[string]bool{}
	intel := map[string]bool{}
	for _, f := range c.Findings {
		a := f.Alert
		r := a.RuleKey()
		ri := rules[r]
		if ri == nil {
			ri = &ruleInfo{key: r, title: a.Title(), idf: st.idf(r), first: a.Time}
			rules[r] = ri
		}
		ri.count += f.Count
		sev = math.Max(sev, severityWeight(a.Severity))
		for _, t := range a.Tactics {
			tactics[strings.ToLower(t)] = true
		}
		if a.Intel != "" {
			intel[a.Intel] = true
		}
		if a.Time.After(st.baselineTo) {
			for _, ek := range f.entityKeys {
				if st.pairFirst[r+"\x01"+ek].Equal(a.Time) {
					novel[r+" on "+ek] = true
				}
			}
		}
	}
	list := make([]*ruleInfo, 0, len(rules))
	for _, ri := range rules {
		list = append(list, ri)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].idf != list[j].idf {
			return list[i].idf > list[j].idf
		}
		return list[i].key < list[j].key
	})

	var reasons []reason
	var rarity, exclusive float64
	for _, ri := range list {
		rarity += ri.idf
		if st.ruleCases[ri.key] == 1 && ri.idf > 3 {
			exclusive += 1
			reasons = append(reasons, reason{ri.idf + 1, fmt.Sprintf("rule %q fired %s here and only here in %s alerts",
				ri.title, times(ri.count), thousands(int(st.n)))})
		} else if ri.idf > 5 {
			reasons = append(reasons, reason{ri.idf, fmt.Sprintf("rare rule %q (%s in %s alerts, %s here)",
				ri.title, times(st.rule[ri.key]), thousands(int(st.n)), times(ri.count))})
		}
	}
	where := mainEntity(c)
	var burst float64
	if len(list) >= 3 {
		text := fmt.Sprintf("%d distinct rules on %s within %s", len(list), where, human(c.LastSeen.Sub(c.FirstSeen)))
		// Burstiness: compare with what the same entities usually produce
		// in a case, so a chatty firewall's dozen rules is not news but a
		// quiet server's dozen is.
		if usual := st.usualRules(c); usual > 0 && float64(len(list)) >= 3*usual {
			burst = math.Log2(float64(len(list)) / usual)
			text += fmt.Sprintf(", %.0fx its usual %.0f", float64(len(list))/usual, usual)
		}
		reasons = append(reasons, reason{float64(len(list)), text})
	}
	nov := math.Min(float64(len(novel)), 10)
	if len(novel) > 0 {
		reasons = append(reasons, reason{nov, fmt.Sprintf("%s never seen before in the input", plural(len(novel), "rule and entity pair"))})
	}
	if sev > 0 {
		reasons = append(reasons, reason{sev, fmt.Sprintf("severity up to %s", sevName(sev))})
	}
	if len(tactics) > 1 {
		reasons = append(reasons, reason{float64(len(tactics)), fmt.Sprintf("%d ATT&CK tactics", len(tactics))})
	}
	// A threat-intel hit is someone else's evidence that an entity of the
	// case is hostile: it weighs like a rare rule, per distinct indicator,
	// up to three.
	hits := math.Min(float64(len(intel)), 3)
	if len(intel) > 0 {
		names := make([]string, 0, len(intel))
		for n := range intel {
			names = append(names, n)
		}
		sort.Strings(names)
		text := "threat-intel hit: " + names[0]
		if len(names) > 1 {
			text += fmt.Sprintf(" (and %d more)", len(names)-1)
		}
		reasons = append(reasons, reason{10 + hits, text})
	}
	nEnt := 0
	for _, vs := range c.Entities {
		nEnt += len(vs)
	}
	// Rules pile up on a busy entity over hours; an intrusion packs them
	// into minutes. Damp the rarity of long cases accordingly.
	if hours := c.LastSeen.Sub(c.FirstSeen).Hours(); hours > 1 {
		rarity /= 1 + math.Log2(hours)
	}
	c.Score = round2(rarity + 2*burst + 2*exclusive + 0.5*nov + 3*sev + 2*float64(max(len(tactics)-1, 0)) + 5*hits + math.Log1p(float64(nEnt)))
	sort.SliceStable(reasons, func(i, j int) bool { return reasons[i].weight > reasons[j].weight })
	if len(reasons) > 6 {
		reasons = reasons[:6]
	}
	c.Reasons = make([]string, 0, len(reasons)+1)
	for _, r := range reasons {
		c.Reasons = append(c.Reasons, r.text)
	}
	if len(c.Reasons) == 0 {
		c.Reasons = append(c.Reasons, fmt.Sprintf("%s of common rules on %s", plural(c.Alerts, "alert"), where))
	}
}

// mainEntity names the case's entities briefly: "host 'web'" or
// "3 hosts, 2 src_ips".
func mainEntity(c *Case) string {
	for _, k := range EntityKinds {
		if vs := c.Entities[k]; len(vs) == 1 {
			return fmt.Sprintf("%s %q", k, vs[0])
		}
	}
	var parts []string
	for _, k := range EntityKinds {
		if n := len(c.Entities[k]); n > 0 {
			parts = append(parts, plural(n, k))
		}
	}
	if len(parts) == 0 {
		return "no entity"
	}
	return strings.Join(parts, ", ")
}

func sevName(w float64) string {
	switch {
	case w >= 4:
		return "critical"
	case w >= 3:
		return "high"
	case w >= 2:
		return "medium"
	case w >= 1:
		return "low"
	}
	return "informational"
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return thousands(n) + " times"
}

func plural(n int, s string) string {
	if n == 1 {
		return "1 " + s
	}
	if strings.HasSuffix(s, "s") || strings.HasSuffix(s, "sh") {
		return thousands(n) + " " + s + "es" // processes, hashes
	}
	return thousands(n) + " " + s + "s"
}

// thousands formats 45000 as "45,000".
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// human formats a duration briefly: "45s", "20 min", "3.5 h".
func human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%.1f h", d.Hours())
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// rarest is the IDF of the case's rarest rule relative to the IDF of a rule
// seen once: 1 for a one-off, near 0 for a rule behind most alerts.
func (st *stats) rarest(c *Case) float64 {
	if st.n < 2 {
		return 0
	}
	best := 0.0
	for _, f := range c.Findings {
		best = math.Max(best, st.idf(f.Alert.RuleKey()))
	}
	return best / math.Log(st.n)
}

// usualRules is the median distinct-rule count of the cases of the case's
// busiest entity (the one in most cases), or 0 when it has too few cases to
// say what is usual.
func (st *stats) usualRules(c *Case) float64 {
	var counts []int
	for _, f := range c.Findings {
		for _, ek := range f.entityKeys {
			if v := st.entityRules[ek]; len(v) > len(counts) {
				counts = v
			}
		}
	}
	if len(counts) < 5 {
		return 0
	}
	return float64(counts[len(counts)/2])
}
