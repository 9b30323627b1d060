package osv

import (
	"fmt"
	"slices"
	"sort"

	"github.com/bulwarkhq/bulwark/supply/version"
)

// Query is one package version, parsed once in each order it may meet:
// its ecosystem's (for ECOSYSTEM ranges) and SemVer (for SEMVER ranges).
type Query struct {
	Ecosystem string
	Version   string

	eco, sem       version.Version
	ecoErr, semErr error
}

// NewQuery parses version v of an ecosystem's package.
func NewQuery(ecosystem, v string) *Query {
	q := &Query{Ecosystem: ecosystem, Version: v}
	q.eco, q.ecoErr = version.Parse(ecosystem, v)
	if version.BaseEcosystem(ecosystem) == "Go" {
		// Go's order is SemVer's, and it also reads toolchain names.
		q.sem, q.semErr = q.eco, q.ecoErr
	} else {
		q.sem, q.semErr = version.SemVer.Parse(v)
	}
	return q
}

// compiledRecord holds a record's bounds parsed for evaluation.
type compiledRecord struct {
	versions []version.Version // nil where a listed version does not parse
	ranges   []compiledRange
	err      error
}

type compiledRange struct {
	semver bool
	events []compiledEvent // introduced, fixed and last_affected, sorted
	limits []compiledEvent
}

type compiledEvent struct {
	kind string
	// zero marks introduced "0" (before every version); star marks limit
	// "*" (after every version). v is nil for both.
	zero, star bool
	v          version.Version
}

func (r *Record) compile() *compiledRecord {
	if r.compiled != nil {
		return r.compiled
	}
	c := &compiledRecord{}
	eco, _ := version.For(r.Ecosystem)
	for _, s := range r.Versions {
		v, _ := eco.Parse(s) // an unparsable listed version still matches by text
		c.versions = append(c.versions, v)
	}
	for i, rg := range r.Ranges {
		scheme := eco
		if rg.Type == RangeSemVer {
			scheme = version.SemVer
		}
		cr := compiledRange{semver: rg.Type == RangeSemVer}
		for _, ev := range rg.Events {
			ce := compiledEvent{kind: ev.Kind}
			switch {
			case ev.Kind == Introduced && ev.Version == "0":
				ce.zero = true
			case ev.Kind == Limit && ev.Version == "*":
				ce.star = true
			default:
				v, err := scheme.Parse(ev.Version)
				if err != nil {
					c.err = fmt.Errorf("%s ranges[%d]: %w", r.ID, i, err)
					continue
				}
				ce.v = v
			}
			if ev.Kind == Limit {
				cr.limits = append(cr.limits, ce)
			} else {
				cr.events = append(cr.events, ce)
			}
		}
		sort.SliceStable(cr.events, func(a, b int) bool { return eventLess(cr.events[a], cr.events[b]) })
		c.ranges = append(c.ranges, cr)
	}
	r.compiled = c
	return c
}

// eventLess sorts events by version, introduced "0" first; at one version
// an introduced event comes before the event that closes, so that
// {introduced: X, fixed: X} is the empty range it says.
func eventLess(a, b compiledEvent) bool {
	switch {
	case a.zero || b.zero:
		return a.zero && !b.zero
	case a.v == nil || b.v == nil:
		return false
	}
	if c := a.v.Compare(b.v); c != 0 {
		return c < 0
	}
	return a.kind == Introduced && b.kind != Introduced
}

// Affects reports whether the query's version is affected, by the schema's
// evaluation algorithm: listed in versions, or inside a range. GIT ranges
// were left out when the record was built. The error says that something
// could not be evaluated (the query's version does not parse in a range's
// order, or a stored bound does not parse); the answer is still the best
// one from the rest.
func (r *Record) Affects(q *Query) (bool, error) {
	c := r.compile()
	for i, s := range r.Versions {
		if s == q.Version || c.versions[i] != nil && q.eco != nil && c.versions[i].Compare(q.eco) == 0 {
			return true, nil
		}
	}
	err := c.err
	for _, rg := range c.ranges {
		v, verr := q.eco, q.ecoErr
		if rg.semver {
			v, verr = q.sem, q.semErr
		}
		if verr != nil {
			err = verr
			continue
		}
		if rangeAffects(rg, v) {
			return true, nil
		}
	}
	return false, err
}

// rangeAffects is IncludedInRanges for one range: v must be below some
// limit (when there are limits), then the sorted events are replayed:
// introduced opens, fixed closes at its version, last_affected closes after
// its version.
func rangeAffects(rg compiledRange, v version.Version) bool {
	if len(rg.limits) > 0 {
		below := false
		for _, l := range rg.limits {
			if l.star || l.v != nil && v.Compare(l.v) < 0 {
				below = true
				break
			}
		}
		if !below {
			return false
		}
	}
	vulnerable := false
	for _, ev := range rg.events {
		switch ev.kind {
		case Introduced:
			if ev.zero || ev.v != nil && v.Compare(ev.v) >= 0 {
				vulnerable = true
			}
		case Fixed:
			if ev.v != nil && v.Compare(ev.v) >= 0 {
				vulnerable = false
			}
		case LastAffected:
			if ev.v != nil && v.Compare(ev.v) > 0 {
				vulnerable = false
			}
		}
	}
	return vulnerable
}

// Fixed returns the record's fixed versions, each once, lowest first in the
// ecosystem's order (SemVer bounds of SEMVER ranges compare as the
// ecosystem's too; text that does not parse sorts last).
func (r *Record) Fixed() []string {
	var out []string
	for _, rg := range r.Ranges {
		for _, ev := range rg.Events {
			if ev.Kind == Fixed && ev.Version != "0" && !slices.Contains(out, ev.Version) {
				out = append(out, ev.Version)
			}
		}
	}
	SortVersions(r.Ecosystem, out)
	return out
}

// SortVersions sorts version strings in the ecosystem's order; strings that
// do not parse go last, in text order.
func SortVersions(ecosystem string, vs []string) {
	scheme, _ := version.For(ecosystem)
	parsed := make(map[string]version.Version, len(vs))
	for _, s := range vs {
		if v, err := scheme.Parse(s); err == nil {
			parsed[s] = v
		}
	}
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := parsed[vs[i]], parsed[vs[j]]
		switch {
		case a != nil && b != nil:
			if c := a.Compare(b); c != 0 {
				return c < 0
			}
			return vs[i] < vs[j]
		case a != nil:
			return true
		case b != nil:
			return false
		}
		return vs[i] < vs[j]
	})
}
