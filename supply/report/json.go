package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/bulwarkhq/bulwark/supply"
)

// JSONSchema names the shape JSON writes; it changes only when the shape
// changes incompatibly.
const JSONSchema = "bulwark.supply.report/v1"

// JSONReport is the JSON output:
//
//	{
//	  "schema": "bulwark.supply.report/v1",
//	  "generated": "2025-08-26T09:00:00Z",   // when Options.Generated is set
//	  "tool": {"name": "bulwark", "version": "..."},
//	  "summary": {"findings": 7, "packages": 6,
//	              "by_priority": {"critical": 3, "high": 1, "medium": 0, "low": 3},
//	              "kev": 3, "malicious": 1},
//	  "findings": [ supply.Finding, ... ],    // ranked, most urgent first
//	  "packages": [ {"ecosystem", "name", "version", "purl", "locations",
//	                 "priority", "fix_version", "remove", "advisories": [ids]} ]
//	}
//
// findings is the canonical stream (the fields of supply.Finding, with
// rank, priority and reasons); packages groups it for people.
type JSONReport struct {
	Schema    string           `json:"schema"`
	Generated *time.Time       `json:"generated,omitempty"`
	Tool      JSONTool         `json:"tool"`
	Summary   Summary          `json:"summary"`
	Findings  []supply.Finding `json:"findings"`
	Packages  []JSONPackage    `json:"packages"`
}

// JSONTool names the tool that wrote a report.
type JSONTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// JSONPackage is one affected package version.
type JSONPackage struct {
	Ecosystem  string            `json:"ecosystem"`
	Name       string            `json:"name"`
	Version    string            `json:"version"`
	PURL       string            `json:"purl,omitempty"`
	Locations  []supply.Location `json:"locations"`
	Priority   string            `json:"priority"`
	FixVersion string            `json:"fix_version,omitempty"` // fixes every advisory below
	Remove     bool              `json:"remove,omitempty"`      // malicious: remove the package
	Advisories []string          `json:"advisories"`            // ids, in rank order
}

// BuildJSON assembles the JSON report.
func BuildJSON(findings []supply.Finding, opts Options) JSONReport {
	r := JSONReport{
		Schema:   JSONSchema,
		Tool:     JSONTool{Name: opts.toolName(), Version: opts.toolVersion()},
		Summary:  Summarize(findings, opts),
		Findings: findings,
		Packages: []JSONPackage{},
	}
	if r.Findings == nil {
		r.Findings = []supply.Finding{}
	}
	if !opts.Generated.IsZero() {
		t := opts.Generated.UTC()
		r.Generated = &t
	}
	for _, g := range Group(findings, opts) {
		p := JSONPackage{Ecosystem: g.Package.Ecosystem, Name: g.Package.Name, Version: g.Package.Version,
			PURL: g.Package.PURL, Locations: g.Package.Locations, Priority: g.Priority,
			FixVersion: g.FixVersion, Remove: g.Remove}
		if p.Locations == nil {
			p.Locations = []supply.Location{}
		}
		for _, f := range g.Findings {
			p.Advisories = append(p.Advisories, f.ID)
		}
		r.Packages = append(r.Packages, p)
	}
	return r
}

// JSON writes the report as indented JSON.
func JSON(w io.Writer, findings []supply.Finding, opts Options) error {
	return writeJSON(w, BuildJSON(findings, opts))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
