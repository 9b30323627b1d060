package osv

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/supply/version"
)

// Reject is an entry, or one affected package of an entry, that cannot be
// evaluated. Rejects are kept and reported with the file they came from:
// a database that silently loses advisories looks clean when it is not.
type Reject struct {
	File string `json:"file"`
	ID   string `json:"id,omitempty"`
	// Affected is the index of the rejected affected[] element, or -1 when
	// the whole entry is rejected.
	Affected int `json:"affected"`
	// Range is the index of the rejected range of that element, or -1 when
	// the whole element is rejected. The element's other ranges and its
	// versions list are still used.
	Range   int    `json:"range"`
	Package string `json:"package,omitempty"` // "ecosystem/name" of the rejected element
	Reason  string `json:"reason"`
	// Kept marks a problem that does not affect evaluation (a malformed
	// modified time): it is reported, and the entry is still used.
	Kept bool `json:"kept,omitempty"`
}

func (r Reject) String() string {
	where := r.File
	if r.ID != "" {
		where += " (" + r.ID + ")"
	}
	if r.Affected >= 0 {
		where += fmt.Sprintf(" affected[%d] %s", r.Affected, r.Package)
	}
	if r.Range >= 0 {
		where += fmt.Sprintf(" ranges[%d]", r.Range)
	}
	if r.Kept {
		return where + ": " + r.Reason + " (kept)"
	}
	return where + ": " + r.Reason
}

// idPattern is the schema's id: a database prefix, a dash and the entry id.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*-[A-Za-z0-9._:-]+$`)

// Validate checks an entry against the schema's rules that matching relies
// on, and returns what is wrong: entry-level problems (Affected -1) make the
// entry unusable; an affected-level problem (Range -1) removes only that
// package; a range-level problem removes only that range. Problems marked
// Kept change nothing but are reported.
// Checked: an id, an RFC 3339 modified time, at least one affected package
// unless withdrawn, a package ecosystem and name, known range types, events
// with exactly one of introduced/fixed/last_affected/limit, an introduced
// event in every range, a repo for GIT ranges, and event versions that parse
// in the range's order (SEMVER as SemVer, ECOSYSTEM in the ecosystem's).
func Validate(file string, e *Entry) []Reject {
	var out []Reject
	entry := func(reason string) {
		out = append(out, Reject{File: file, ID: e.ID, Affected: -1, Range: -1, Reason: reason})
	}
	kept := func(reason string) {
		out = append(out, Reject{File: file, ID: e.ID, Affected: -1, Range: -1, Reason: reason, Kept: true})
	}
	switch {
	case e.ID == "":
		entry("no id")
	case !idPattern.MatchString(e.ID):
		entry("malformed id")
	}
	// A bad timestamp does not change which versions are affected, so the
	// entry is kept; losing an advisory over metadata would be worse.
	if e.Modified == "" {
		kept("no modified time")
	} else if _, err := time.Parse(time.RFC3339, e.Modified); err != nil {
		kept("modified is not an RFC 3339 time: " + e.Modified)
	}
	if e.Withdrawn != "" {
		if _, err := time.Parse(time.RFC3339, e.Withdrawn); err != nil {
			kept("withdrawn is not an RFC 3339 time (still treated as withdrawn): " + e.Withdrawn)
		}
	}
	if len(e.Affected) == 0 && e.Withdrawn == "" {
		entry("no affected packages")
	}
	for i, a := range e.Affected {
		pkg := a.Package.Ecosystem + "/" + a.Package.Name
		switch {
		case a.Package.Ecosystem == "" || a.Package.Name == "":
			out = append(out, Reject{File: file, ID: e.ID, Affected: i, Range: -1, Package: pkg, Reason: "package without ecosystem or name"})
			continue
		case len(a.Ranges) == 0 && len(a.Versions) == 0:
			out = append(out, Reject{File: file, ID: e.ID, Affected: i, Range: -1, Package: pkg, Reason: "neither ranges nor versions"})
			continue
		}
		for j, r := range a.Ranges {
			if reason := validateRange(a.Package.Ecosystem, r); reason != "" {
				out = append(out, Reject{File: file, ID: e.ID, Affected: i, Range: j, Package: pkg, Reason: reason})
			}
		}
	}
	return out
}

func validateRange(ecosystem string, r Range) string {
	var scheme version.Scheme
	switch r.Type {
	case RangeSemVer:
		scheme = version.SemVer
	case RangeEcosystem:
		scheme, _ = version.For(ecosystem)
	case RangeGit:
		if r.Repo == "" {
			return "GIT range without repo"
		}
	default:
		return fmt.Sprintf("unknown range type %q", r.Type)
	}
	if len(r.Events) == 0 {
		return "no events"
	}
	introduced := false
	for k, ev := range r.Events {
		switch {
		case ev.Unknown != "":
			return fmt.Sprintf("events[%d]: unknown key %q", k, ev.Unknown)
		case ev.Keys != 1:
			return fmt.Sprintf("events[%d]: %d event keys, want exactly one", k, ev.Keys)
		case ev.Version == "":
			return fmt.Sprintf("events[%d]: empty %s", k, ev.Kind)
		}
		if ev.Kind == Introduced {
			introduced = true
		}
		if scheme == nil || ev.Kind == Introduced && ev.Version == "0" || ev.Kind == Limit && ev.Version == "*" {
			continue
		}
		if _, err := scheme.Parse(ev.Version); err != nil {
			return fmt.Sprintf("events[%d]: %v", k, err)
		}
	}
	if !introduced {
		return "no introduced event"
	}
	return ""
}

// Record is what matching and reporting need of one entry for one package:
// the entry's identity and summary, and every range and listed version of
// all its affected[] elements that name that package. Several elements for
// one package (some databases merge advisories that way) join into one
// Record; OSV affects a version if any element does, so joining is exact.
type Record struct {
	ID        string     `json:"id"`
	Ecosystem string     `json:"ecosystem"`
	Name      string     `json:"name"`
	Aliases   []string   `json:"aliases,omitempty"`
	Related   []string   `json:"related,omitempty"`
	Summary   string     `json:"summary,omitempty"`
	Modified  string     `json:"modified,omitempty"`
	Withdrawn string     `json:"withdrawn,omitempty"`
	Malicious bool       `json:"malicious,omitempty"`
	Severity  []Severity `json:"severity,omitempty"`
	Versions  []string   `json:"versions,omitempty"`
	Ranges    []Range    `json:"ranges,omitempty"`

	compiled *compiledRecord // parsed bounds, built on first use
}

// Key is the record's package identity: the ecosystem without its suffix
// and the canonical package name.
func (r *Record) Key() (ecosystem, name string) {
	return version.BaseEcosystem(r.Ecosystem), CanonicalName(r.Ecosystem, r.Name)
}

// Records validates an entry and reduces it to one Record per affected
// package, leaving out what Validate rejects. Withdrawn entries are reduced
// too, with Withdrawn set; they never match.
func Records(file string, e *Entry) ([]*Record, []Reject) {
	rejects := Validate(file, e)
	badAffected := map[int]bool{}
	badRange := map[[2]int]bool{}
	for _, r := range rejects {
		switch {
		case r.Kept:
		case r.Affected < 0:
			return nil, rejects
		case r.Range < 0:
			badAffected[r.Affected] = true
		default:
			badRange[[2]int{r.Affected, r.Range}] = true
		}
	}
	malicious := IsMalicious(e)
	var out []*Record
	byKey := map[[2]string]*Record{}
	for i, a := range e.Affected {
		if badAffected[i] {
			continue
		}
		var ranges []Range
		for j, r := range a.Ranges {
			// GIT ranges name commits, not package versions; rejected
			// ranges cannot be evaluated.
			if r.Type != RangeGit && !badRange[[2]int{i, j}] {
				ranges = append(ranges, Range{Type: r.Type, Events: slices.Clone(r.Events)})
			}
		}
		if len(ranges) == 0 && len(a.Versions) == 0 {
			continue
		}
		key := [2]string{version.BaseEcosystem(a.Package.Ecosystem), CanonicalName(a.Package.Ecosystem, a.Package.Name)}
		rec := byKey[key]
		if rec == nil {
			sev := e.Severity
			if len(sev) == 0 {
				sev = a.Severity
			}
			rec = &Record{
				ID: e.ID, Ecosystem: a.Package.Ecosystem, Name: a.Package.Name,
				Aliases: e.Aliases, Related: e.Related, Summary: e.Summary,
				Modified: e.Modified, Withdrawn: e.Withdrawn, Malicious: malicious,
				Severity: sev,
			}
			byKey[key] = rec
			out = append(out, rec)
		}
		rec.Ranges = append(rec.Ranges, ranges...)
		for _, v := range a.Versions {
			if !slices.Contains(rec.Versions, v) {
				rec.Versions = append(rec.Versions, v)
			}
		}
	}
	return out, rejects
}

// IsMalicious reports a malicious-package advisory: an OSV MAL- id, the
// malicious-packages database's "malicious-packages-origins", or CWE-506
// (Embedded Malicious Code) in database_specific.cwe_ids, which is how the
// GitLab advisory database marks malware such as the Shai-Hulud packages.
func IsMalicious(e *Entry) bool {
	if strings.HasPrefix(e.ID, "MAL-") {
		return true
	}
	if len(e.DatabaseSpecific) == 0 {
		return false
	}
	var ds struct {
		Origins json.RawMessage `json:"malicious-packages-origins"`
		CWEs    []string        `json:"cwe_ids"`
	}
	if json.Unmarshal(e.DatabaseSpecific, &ds) != nil {
		return false
	}
	return len(ds.Origins) > 0 && string(ds.Origins) != "null" || slices.Contains(ds.CWEs, "CWE-506")
}

var pypiSeparators = regexp.MustCompile(`[-_.]+`)

// CanonicalName is the name under which a package is looked up, so that an
// advisory and a lockfile that spell one package differently still meet:
// PyPI by PEP 503 (lower case, runs of "-", "_" and "." as one "-");
// npm, NuGet, Packagist, Pub, Hex and Maven in lower case (npm has refused
// new names that differ only in case since 2017, and advisories do write
// "Colors" for colors); crates.io in lower case with "_" as "-", the
// equivalence crates.io enforces; Go module paths, RubyGems and everything
// else as written.
func CanonicalName(ecosystem, name string) string {
	name = strings.TrimSpace(name)
	switch version.BaseEcosystem(ecosystem) {
	case "PyPI":
		return pypiSeparators.ReplaceAllString(strings.ToLower(name), "-")
	case "npm", "NuGet", "Packagist", "Pub", "Hex", "Maven":
		return strings.ToLower(name)
	case "crates.io":
		return strings.ReplaceAll(strings.ToLower(name), "_", "-")
	}
	return name
}
