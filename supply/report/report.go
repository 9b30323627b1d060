// Package report writes a ranked supply-chain scan in the formats people
// and tools read: a text table grouped by package, JSON (the canonical,
// documented shape every other format could be derived from), SARIF 2.1.0
// for GitHub code scanning, CycloneDX 1.6 VEX, and Markdown for a pull
// request comment. FailOn decides whether a scan should fail a build.
//
// Every writer takes findings as supply/enrich ranked them and produces
// the same bytes for the same input: nothing depends on map order, the
// clock or the machine, so outputs can be diffed and golden-tested.
package report

import (
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/enrich"
)

// Options tune the writers. The zero value works.
type Options struct {
	ToolName    string // default "bulwark"
	ToolVersion string // default "dev"
	// Generated stamps JSON and CycloneDX output; zero leaves it out, which
	// keeps output reproducible.
	Generated time.Time
	// Root, when set, is the directory lockfile paths are made relative
	// to (SARIF needs paths relative to the repository root).
	Root string
	// Compare orders two versions of an ecosystem (negative, zero,
	// positive); default CompareVersions. Plug the ecosystem-exact order
	// of supply/version in here.
	Compare func(ecosystem, a, b string) int
}

func (o Options) toolName() string {
	if o.ToolName == "" {
		return "bulwark"
	}
	return o.ToolName
}

func (o Options) toolVersion() string {
	if o.ToolVersion == "" {
		return "dev"
	}
	return o.ToolVersion
}

func (o Options) compare() func(string, string, string) int {
	if o.Compare != nil {
		return o.Compare
	}
	return func(_, a, b string) int { return CompareVersions(a, b) }
}

// relativePath turns a lockfile path into a forward-slash path relative to
// Root, as SARIF's artifactLocation.uri with a uriBaseId wants it.
func (o Options) relativePath(file string) string {
	if o.Root != "" && filepath.IsAbs(file) {
		if rel, err := filepath.Rel(o.Root, file); err == nil && !strings.HasPrefix(rel, "..") {
			file = rel
		}
	}
	file = filepath.ToSlash(file)
	file = path.Clean(file)
	return strings.TrimPrefix(file, "./")
}

// Formats lists the names Write accepts.
func Formats() []string { return []string{"table", "json", "sarif", "cyclonedx", "markdown"} }

// Write writes findings in the named format.
func Write(w io.Writer, format string, findings []supply.Finding, opts Options) error {
	switch format {
	case "table", "":
		return Table(w, findings, opts)
	case "json":
		return JSON(w, findings, opts)
	case "sarif":
		return SARIF(w, findings, opts)
	case "cyclonedx", "vex":
		return CycloneDX(w, findings, opts)
	case "markdown", "md":
		return Markdown(w, findings, opts)
	}
	return fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(Formats(), ", "))
}

// priority returns a finding's priority, computing it when the finding was
// not enriched.
func priority(f supply.Finding) string {
	if f.Priority != "" {
		return f.Priority
	}
	return enrich.PriorityOf(f)
}

// advisoryURL links an advisory id to its OSV page.
func advisoryURL(id string) string { return "https://osv.dev/vulnerability/" + id }

// Summary counts a scan's findings.
type Summary struct {
	Findings   int            `json:"findings"`
	Packages   int            `json:"packages"`
	ByPriority map[string]int `json:"by_priority"` // critical, high, medium, low: always all four
	KEV        int            `json:"kev"`
	Malicious  int            `json:"malicious"`
}

// Summarize counts findings by priority, KEV and malicious.
func Summarize(findings []supply.Finding, opts Options) Summary {
	s := Summary{Findings: len(findings), Packages: len(Group(findings, opts)),
		ByPriority: map[string]int{enrich.Critical: 0, enrich.High: 0, enrich.Medium: 0, enrich.Low: 0}}
	for _, f := range findings {
		s.ByPriority[priority(f)]++
		if f.KEV != nil {
			s.KEV++
		}
		if f.Malicious {
			s.Malicious++
		}
	}
	return s
}

// String reads "7 findings in 6 packages: 3 critical, 1 high, 0 medium, 2 low; 3 in CISA KEV; 1 malicious".
func (s Summary) String() string {
	if s.Findings == 0 {
		return "no known vulnerabilities found"
	}
	out := fmt.Sprintf("%s in %s: %d critical, %d high, %d medium, %d low",
		plural(s.Findings, "finding"), plural(s.Packages, "package"),
		s.ByPriority[enrich.Critical], s.ByPriority[enrich.High], s.ByPriority[enrich.Medium], s.ByPriority[enrich.Low])
	if s.KEV > 0 {
		out += fmt.Sprintf("; %d in CISA KEV", s.KEV)
	}
	if s.Malicious > 0 {
		out += fmt.Sprintf("; %d malicious", s.Malicious)
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
