// Package enrich adds what is known about exploitation to supply-chain
// findings and ranks them.
//
// It imports two feeds into a data directory: CISA's Known Exploited
// Vulnerabilities catalogue (JSON, checked against the fields its schema
// requires) and FIRST's EPSS scores (CSV or CSV.gz). Each import keeps a
// Source record (when, the publisher's date, entries, rejects) that a
// status command can show; bad entries are counted and listed, never
// silently dropped. Open loads them for lookups by CVE.
//
// Apply joins findings to both feeds through every id a finding carries,
// computes CVSS base scores from its vectors (supply/cvss), then ranks:
// malicious packages first, then KEV entries, then by priority band, EPSS
// and CVSS. The result is deterministic for the same input.
package enrich

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/cvss"
)

// KEVLookup finds a CVE in the KEV catalogue. *Store and KEVCatalog
// implement it.
type KEVLookup interface {
	KEV(cve string) (supply.KEVEntry, bool)
}

// EPSSLookup finds the EPSS score of a CVE. *Store and EPSSScores
// implement it.
type EPSSLookup interface {
	EPSS(cve string) (supply.EPSS, bool)
}

// KEVCatalog is an in-memory KEVLookup keyed by CVE id.
type KEVCatalog map[string]supply.KEVEntry

// KEV implements KEVLookup.
func (c KEVCatalog) KEV(cve string) (supply.KEVEntry, bool) { e, ok := c[cve]; return e, ok }

// EPSSScores is an in-memory EPSSLookup keyed by CVE id.
type EPSSScores map[string]supply.EPSS

// EPSS implements EPSSLookup.
func (s EPSSScores) EPSS(cve string) (supply.EPSS, bool) { e, ok := s[cve]; return e, ok }

// Priorities, most urgent first.
const (
	Critical = "critical"
	High     = "high"
	Medium   = "medium"
	Low      = "low"
)

// Priority cut-offs. EPSS is the probability of exploitation in the next
// 30 days; 0.1 puts a CVE among roughly the top 5% of all scored CVEs and
// 0.01 among roughly the top 15-20%.
const (
	HighEPSS   = 0.10
	MediumEPSS = 0.01
	HighCVSS   = 9.0
	MediumCVSS = 7.0
)

// PriorityOf gives a finding's priority:
//
//	critical  a malicious package, or a vulnerability listed in CISA KEV
//	high      EPSS >= 0.10, or CVSS >= 9.0
//	medium    EPSS >= 0.01, or CVSS >= 7.0
//	low       everything else
//
// It reads the enrichment fields (Malicious, KEV, EPSS, CVSS).
func PriorityOf(f supply.Finding) string {
	epss := 0.0
	if f.EPSS != nil {
		epss = f.EPSS.Score
	}
	switch {
	case f.Malicious || f.KEV != nil:
		return Critical
	case epss >= HighEPSS || f.CVSS >= HighCVSS:
		return High
	case epss >= MediumEPSS || f.CVSS >= MediumCVSS:
		return Medium
	}
	return Low
}

// PriorityLevel orders priorities: critical 4, high 3, medium 2, low 1,
// anything else 0.
func PriorityLevel(priority string) int {
	switch priority {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// Option adjusts Apply.
type Option func(*options)

type options struct {
	related func(id string) []string
}

// WithRelated supplies more related ids of an advisory than the finding's
// own Related (OSV's "related" field): KEV sometimes lists a
// vulnerability under a different CVE than the advisory's alias (Go's
// GO-2023-2102 is CVE-2023-39325; KEV lists the HTTP/2 rapid reset as
// CVE-2023-44487, a related id), so the join takes them too.
func WithRelated(related func(id string) []string) Option {
	return func(o *options) { o.related = related }
}

// Apply returns the findings enriched and ranked, most urgent first; the
// input is not modified. For each finding it:
//
//   - looks up KEV and EPSS under every CVE among the finding's ID, its
//     Aliases, its Related ids (and WithRelated's); when several match it
//     keeps the most urgent KEV entry (ransomware use, then earliest
//     added) and the highest EPSS score;
//   - computes every Severity vector's score and sets CVSS to the highest;
//   - sets Priority (PriorityOf), Reasons in words, and Rank (1 = most
//     urgent) after sorting by: malicious first; then KEV-listed, those
//     used by ransomware first, then earliest added (longest exploited,
//     most overdue); then priority; then EPSS score; then CVSS; then id,
//     and package ecosystem, name and version to break ties.
//
// Within a priority band the order is EPSS, then CVSS; ranking by band
// first means a finding never ranks above one of higher priority.
func Apply(findings []supply.Finding, kev KEVLookup, epss EPSSLookup, opts ...Option) []supply.Finding {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	out := make([]supply.Finding, len(findings))
	for i, f := range findings {
		out[i] = enrichOne(f, kev, epss, o)
	}
	sort.SliceStable(out, func(i, j int) bool { return moreUrgent(out[i], out[j]) })
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

// joinedID is a CVE a finding was joined through, and how.
type joinedID struct {
	cve     string
	related bool // from the related ids, not the finding's own ids
}

// cveIDs lists the CVE ids of a finding, its own first, without repeats.
func cveIDs(f supply.Finding, o options) []joinedID {
	var ids []joinedID
	seen := map[string]bool{}
	add := func(id string, related bool) {
		id = strings.TrimSpace(id)
		if !strings.HasPrefix(id, "CVE-") || seen[id] {
			return
		}
		seen[id] = true
		ids = append(ids, joinedID{id, related})
	}
	add(f.ID, false)
	for _, a := range f.Aliases {
		add(a, false)
	}
	for _, r := range f.Related {
		add(r, true)
	}
	if o.related != nil {
		for _, r := range o.related(f.ID) {
			add(r, true)
		}
	}
	return ids
}

func enrichOne(f supply.Finding, kevs KEVLookup, scores EPSSLookup, o options) supply.Finding {
	f.KEV, f.EPSS, f.CVSS, f.Rank, f.Priority, f.Reasons = nil, nil, 0, 0, "", nil
	if strings.HasPrefix(f.ID, "MAL-") {
		f.Malicious = true
	}
	var kevVia, epssVia joinedID
	for _, id := range cveIDs(f, o) {
		if kevs != nil {
			if e, ok := kevs.KEV(id.cve); ok && (f.KEV == nil || kevMoreUrgent(e, *f.KEV)) {
				e := e
				f.KEV, kevVia = &e, id
			}
		}
		if scores != nil {
			if e, ok := scores.EPSS(id.cve); ok && (f.EPSS == nil || e.Score > f.EPSS.Score) {
				e := e
				f.EPSS, epssVia = &e, id
			}
		}
	}

	// Score a copy of Severity: the caller's slice stays as it was.
	bestVector := ""
	if len(f.Severity) > 0 {
		sev := make([]supply.Severity, len(f.Severity))
		copy(sev, f.Severity)
		for i := range sev {
			score, _, err := cvss.Score(sev[i].Vector)
			if err != nil {
				score = 0
			}
			sev[i].Score = score
			if score > f.CVSS {
				f.CVSS, bestVector = score, sev[i].Vector
			}
		}
		f.Severity = sev
	}

	f.Priority = PriorityOf(f)
	f.Reasons = reasons(f, kevVia, epssVia, bestVector)
	return f
}

// kevMoreUrgent orders KEV entries: ransomware use first, then earliest
// added (dates are YYYY-MM-DD, so strings compare as dates), then CVE.
func kevMoreUrgent(a, b supply.KEVEntry) bool {
	if a.Ransomware != b.Ransomware {
		return a.Ransomware
	}
	if a.DateAdded != b.DateAdded {
		return a.DateAdded < b.DateAdded
	}
	return a.CVE < b.CVE
}

func moreUrgent(a, b supply.Finding) bool {
	if a.Malicious != b.Malicious {
		return a.Malicious
	}
	if (a.KEV != nil) != (b.KEV != nil) {
		return a.KEV != nil
	}
	if a.KEV != nil && *a.KEV != *b.KEV {
		if a.KEV.Ransomware != b.KEV.Ransomware || a.KEV.DateAdded != b.KEV.DateAdded {
			return kevMoreUrgent(*a.KEV, *b.KEV)
		}
	}
	if la, lb := PriorityLevel(a.Priority), PriorityLevel(b.Priority); la != lb {
		return la > lb
	}
	if ea, eb := epssScore(a), epssScore(b); ea != eb {
		return ea > eb
	}
	if a.CVSS != b.CVSS {
		return a.CVSS > b.CVSS
	}
	if a.ID != b.ID {
		return a.ID < b.ID
	}
	if a.Package.Ecosystem != b.Package.Ecosystem {
		return a.Package.Ecosystem < b.Package.Ecosystem
	}
	if a.Package.Name != b.Package.Name {
		return a.Package.Name < b.Package.Name
	}
	return a.Package.Version < b.Package.Version
}

func epssScore(f supply.Finding) float64 {
	if f.EPSS == nil {
		return -1 // unscored sorts below a score of 0
	}
	return f.EPSS.Score
}

// reasons says in words why a finding ranks where it does.
func reasons(f supply.Finding, kevVia, epssVia joinedID, bestVector string) []string {
	var out []string
	if f.Malicious {
		out = append(out, "malicious package: remove now")
	}
	if k := f.KEV; k != nil {
		s := "listed in CISA KEV"
		if kevVia.related {
			s += " as " + k.CVE + " (a related id)"
		}
		s += " since " + k.DateAdded
		if k.DueDate != "" {
			s += " (federal due date " + k.DueDate + ")"
		}
		if k.Ransomware {
			s += ", used in ransomware campaigns"
		}
		out = append(out, s)
	}
	if e := f.EPSS; e != nil {
		s := "EPSS " + FormatEPSS(e.Score) + " (" + ordinal(int(math.Floor(e.Percentile*100+1e-9))) + " percentile)"
		if epssVia.related {
			s += " for " + e.CVE + " (a related id)"
		}
		out = append(out, s)
	}
	if f.CVSS > 0 {
		out = append(out, "CVSS "+strconv.FormatFloat(f.CVSS, 'f', 1, 64)+" from "+bestVector)
	}
	switch {
	case f.Malicious:
		// No version of a malicious package is a fix.
	case len(f.Fixed) == 0:
		out = append(out, "no fixed version yet")
	default:
		out = append(out, "fixed in "+strings.Join(f.Fixed, ", "))
	}
	return out
}

// FormatEPSS writes an EPSS probability with two decimals, or two
// significant digits below 0.01 so small scores do not read as zero.
func FormatEPSS(score float64) string {
	if score >= 0.01 || score <= 0 {
		return strconv.FormatFloat(score, 'f', 2, 64)
	}
	decimals := 2
	for v := score; v < 0.1 && decimals < 12; v *= 10 {
		decimals++
	}
	s := strconv.FormatFloat(score, 'f', decimals, 64)
	return strings.TrimRight(s, "0")
}

// ordinal writes 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, ...
func ordinal(n int) string {
	if n < 0 {
		n = 0
	}
	if n > 100 {
		n = 100
	}
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}
