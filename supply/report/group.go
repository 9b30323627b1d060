package report

import (
	"strconv"
	"strings"

	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/enrich"
)

// PackageGroup is one package version and the findings that affect it.
type PackageGroup struct {
	Package  supply.Package
	Priority string           // the worst priority of its findings
	Findings []supply.Finding // in the order given (rank order)
	// FixVersion is the lowest fixed version that fixes every finding, or
	// "" when there is none (a finding without a fix, or a malicious
	// package, which no version fixes).
	FixVersion string
	// Remove is set for malicious packages: the answer is to remove them.
	Remove bool
}

// Group gathers findings by package (ecosystem, name, version), in the
// order of each package's most urgent finding.
func Group(findings []supply.Finding, opts Options) []PackageGroup {
	var groups []PackageGroup
	index := map[string]int{}
	for _, f := range findings {
		key := f.Package.Ecosystem + "\x00" + f.Package.Name + "\x00" + f.Package.Version
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, PackageGroup{Package: f.Package})
		}
		g := &groups[i]
		g.Package.Locations = mergeLocations(g.Package.Locations, f.Package.Locations)
		g.Findings = append(g.Findings, f)
		if p := priority(f); enrich.PriorityLevel(p) > enrich.PriorityLevel(g.Priority) {
			g.Priority = p
		}
		if f.Malicious {
			g.Remove = true
		}
	}
	cmp := opts.compare()
	for i := range groups {
		if !groups[i].Remove {
			groups[i].FixVersion = fixAll(groups[i].Package, groups[i].Findings, cmp)
		}
	}
	return groups
}

func mergeLocations(have, add []supply.Location) []supply.Location {
	for _, l := range add {
		dup := false
		for _, h := range have {
			if h == l {
				dup = true
				break
			}
		}
		if !dup {
			have = append(have, l)
		}
	}
	return have
}

// fixAll finds the lowest fixed version that fixes every finding.
//
// Each finding contributes the lowest of its fixed versions above the
// installed one; the candidate is the highest of those. Advisories' fixed
// lists do not say where vulnerable ranges start again, so a release line
// (same major.minor) that has its own, higher fix in some finding's list is
// taken to still be vulnerable, and the candidate moves up to that fix.
func fixAll(p supply.Package, findings []supply.Finding, cmp func(string, string, string) int) string {
	eco := p.Ecosystem
	candidate := ""
	for _, f := range findings {
		next := ""
		for _, v := range f.Fixed {
			if cmp(eco, v, p.Version) > 0 && (next == "" || cmp(eco, v, next) < 0) {
				next = v
			}
		}
		if next == "" {
			return "" // no fix above the installed version
		}
		if candidate == "" || cmp(eco, next, candidate) > 0 {
			candidate = next
		}
	}
	// Each pass only moves the candidate up to one of the listed fixes, so
	// the loop ends after at most that many passes.
	for moved := true; moved; {
		moved = false
		for _, f := range findings {
			for _, v := range f.Fixed {
				if releaseLine(v) == releaseLine(candidate) && cmp(eco, v, candidate) > 0 {
					candidate, moved = v, true
				}
			}
		}
	}
	return candidate
}

// releaseLine is a version's major.minor ("1.21" for "1.21.3").
func releaseLine(v string) string {
	v = strings.TrimPrefix(v, "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return parts[0]
	}
	return parts[0] + "." + strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
}

// CompareVersions is a generic version order for when no ecosystem-exact
// one is plugged in: numeric runs compare as numbers, other runs as text,
// and a pre-release ("1.0.0-rc1", "1.0a1") sorts before its release.
func CompareVersions(a, b string) int {
	a, b = strings.TrimPrefix(a, "v"), strings.TrimPrefix(b, "v")
	ta, tb := versionTokens(a), versionTokens(b)
	for i := 0; i < len(ta) || i < len(tb); i++ {
		switch {
		case i >= len(ta):
			return -tailSign(tb[i:])
		case i >= len(tb):
			return tailSign(ta[i:])
		}
		if c := compareToken(ta[i], tb[i]); c != 0 {
			return c
		}
	}
	return 0
}

// tailSign says whether extra tokens make a version newer (1.0.1 > 1.0)
// or older (1.0-rc1 < 1.0).
func tailSign(extra []string) int {
	for _, t := range extra {
		if isNumber(t) {
			if n, _ := strconv.ParseUint(t, 10, 64); n != 0 {
				return 1
			}
			continue
		}
		if t == "post" || t == "p" {
			return 1
		}
		return -1 // rc, alpha, beta, a, b, dev, ...
	}
	return 0
}

func compareToken(a, b string) int {
	na, nb := isNumber(a), isNumber(b)
	switch {
	case na && nb:
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return sign(len(a) - len(b))
		}
		return strings.Compare(a, b)
	case na:
		return 1 // a number outranks a pre-release label
	case nb:
		return -1
	}
	return strings.Compare(a, b)
}

func versionTokens(v string) []string {
	var out []string
	start := 0
	for i := 1; i <= len(v); i++ {
		if i == len(v) || isSeparator(v[i]) || isDigit(v[i]) != isDigit(v[i-1]) {
			if tok := strings.Trim(v[start:i], ".-+_~"); tok != "" {
				out = append(out, strings.ToLower(tok))
			}
			start = i
		}
	}
	return out
}

func isSeparator(c byte) bool { return c == '.' || c == '-' || c == '+' || c == '_' || c == '~' }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }

func isNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
