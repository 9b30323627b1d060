package triage

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// campaignWeight is the share of a concurrent case's score that a case
// inherits. Intruders move between hosts: the port scan on one host, the
// password cracking on another and the web exploit on a third happen in the
// same hour but share no entity, so grouping keeps them apart. A short case
// that overlaps a much stronger case elsewhere is lifted by part of that
// case's score, so the ten best cases cover the whole intrusion.
const campaignWeight = 0.6

// campaign adds the concurrency boost. It reads base scores only, so the
// result does not depend on the order cases are visited in.
func campaign(cases []*Case, st *stats, o Options) {
	if len(cases) < 2 {
		return
	}
	order := make([]*Case, len(cases))
	copy(order, cases)
	sort.SliceStable(order, func(i, j int) bool { return order[i].FirstSeen.Before(order[j].FirstSeen) })
	base := make(map[*Case]float64, len(cases))
	for _, c := range cases {
		base[c] = c.Score
	}
	for i, c := range order {
		lo, hi := c.FirstSeen.Add(-o.Gap), c.LastSeen.Add(o.Gap)
		var best *Case
		// Scan neighbours in start order; a case that overlaps this one
		// starts at most its own length (a merge may stretch it a little
		// past MaxSpan, hence twice) plus Gap earlier, which bounds the scan.
		for j := i - 1; j >= 0 && c.FirstSeen.Sub(order[j].FirstSeen) <= 2*o.MaxSpan+o.Gap; j-- {
			if d := order[j]; overlaps(d, lo, hi) && base[d] > base[c] && (best == nil || base[d] > base[best]) {
				best = d
			}
		}
		for j := i + 1; j < len(order) && !order[j].FirstSeen.After(hi); j++ {
			if d := order[j]; overlaps(d, lo, hi) && base[d] > base[c] && (best == nil || base[d] > base[best]) {
				best = d
			}
		}
		if best == nil {
			continue
		}
		// A long case overlaps everything; only short ones are evidence.
		// And overlap alone is weak: a lone routine alert that happens to
		// fire during an intrusion is still routine, so the boost grows with
		// the rarity of the case's own rarest rule.
		span := c.LastSeen.Sub(c.FirstSeen)
		focus := math.Min(1, 2*float64(o.Gap)/float64(max(span, time.Second)))
		boost := campaignWeight * (base[best] - base[c]) * focus * st.rarest(c)
		if boost < 1 {
			continue
		}
		c.Score = round2(c.Score + boost)
		// The reason goes where its weight puts it: first when the
		// concurrency is most of the score, else after the strongest reason.
		why := fmt.Sprintf("during case %s (score %.1f) on %s", best.ID, base[best], mainEntity(best))
		at := min(1, len(c.Reasons))
		if boost >= base[c] {
			at = 0
		}
		c.Reasons = append(c.Reasons[:at], append([]string{why}, c.Reasons[at:]...)...)
	}
}

func overlaps(d *Case, lo, hi time.Time) bool {
	return !d.LastSeen.Before(lo) && !d.FirstSeen.After(hi)
}
