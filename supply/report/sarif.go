package report

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strconv"
	"strings"

	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/enrich"
)

// SARIF 2.1.0, the subset GitHub code scanning reads.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	// srcRoot is the uriBaseId of lockfile paths: the repository root.
	srcRoot = "%SRCROOT%"
	// fingerprintKey names our partialFingerprints entry; the /v1 changes
	// if the inputs to it ever do, so alerts are not silently re-keyed.
	fingerprintKey = "bulwarkFinding/v1"
	informationURI = "https://github.com/bulwarkhq/bulwark"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleLevel `json:"defaultConfiguration"`
	Properties           sarifRuleProps `json:"properties"`
}

type sarifRuleLevel struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags []string `json:"tags"`
	// SecuritySeverity is what GitHub turns into the alert's severity
	// (9.0+ critical, 7.0+ high, 4.0+ medium, else low); it must be a
	// string holding a number.
	SecuritySeverity string `json:"security-severity"`
	Precision        string `json:"precision"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifResultProps  `json:"properties"`
}

type sarifResultProps struct {
	Priority  string  `json:"priority"`
	Rank      int     `json:"rank,omitempty"`
	Package   string  `json:"package"`
	Version   string  `json:"version"`
	Ecosystem string  `json:"ecosystem"`
	KEV       bool    `json:"kev,omitempty"`
	EPSS      float64 `json:"epss,omitempty"`
	CVSS      float64 `json:"cvss,omitempty"`
	Malicious bool    `json:"malicious,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// SARIF writes a SARIF 2.1.0 log for GitHub code scanning: one rule per
// advisory id, one result per finding and lockfile it was found in.
//
// A result's level follows its priority (critical and high: error;
// medium: warning; low: note). A rule's security-severity is the highest
// CVSS base score among its findings, raised to the floor of their
// priority (critical 9.0, high 7.0, medium 4.0) so GitHub never shows an
// advisory as less severe than we rank it; malicious packages are 10.0.
// The partial fingerprint hashes ecosystem, package name, advisory and
// file, not the version, so bumping to a still-vulnerable version keeps
// the same alert.
func SARIF(w io.Writer, findings []supply.Finding, opts Options) error {
	return writeJSON(w, buildSARIF(findings, opts))
}

func buildSARIF(findings []supply.Finding, opts Options) sarifLog {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: opts.toolName(), Version: opts.toolVersion(),
			InformationURI: informationURI, Rules: []sarifRule{}}},
		Results: []sarifResult{},
	}
	ruleIndex := map[string]int{}
	for _, f := range findings {
		i, ok := ruleIndex[f.ID]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			ruleIndex[f.ID] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, newRule(f))
		}
		rule := &run.Tool.Driver.Rules[i]
		if sev := securitySeverity(f); sev > parseSeverity(rule.Properties.SecuritySeverity) {
			rule.Properties.SecuritySeverity = formatSeverity(sev)
		}
		if lvl := sarifLevel(priority(f)); levelRank(lvl) > levelRank(rule.DefaultConfiguration.Level) {
			rule.DefaultConfiguration.Level = lvl
		}
		run.Results = append(run.Results, newResults(f, i, opts)...)
	}
	return sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}
}

func newRule(f supply.Finding) sarifRule {
	short := f.ID
	if f.Summary != "" {
		short = f.Summary
	}
	full := advisoryTitle(f)
	help := full + "\n\n" + strings.Join(f.Reasons, "\n")
	helpMD := "**" + mdEscape(f.ID) + "**"
	if f.Summary != "" {
		helpMD += ": " + mdEscape(f.Summary)
	}
	helpMD += "\n\n"
	for _, r := range f.Reasons {
		helpMD += "- " + mdEscape(r) + "\n"
	}
	helpMD += "\n[" + mdEscape(f.ID) + " on OSV](" + advisoryURL(f.ID) + ")"
	tags := []string{"security", "supply-chain"}
	if f.Malicious {
		tags = append(tags, "malicious")
	}
	if f.KEV != nil {
		tags = append(tags, "kev")
	}
	return sarifRule{
		ID:                   f.ID,
		ShortDescription:     sarifText{Text: truncate(short, 1024)},
		FullDescription:      sarifText{Text: truncate(full, 1024)},
		Help:                 sarifText{Text: help, Markdown: helpMD},
		HelpURI:              advisoryURL(f.ID),
		DefaultConfiguration: sarifRuleLevel{Level: sarifLevel(priority(f))},
		Properties:           sarifRuleProps{Tags: tags, SecuritySeverity: formatSeverity(securitySeverity(f)), Precision: "high"},
	}
}

func newResults(f supply.Finding, ruleIndex int, opts Options) []sarifResult {
	message := f.Package.Name + " " + f.Package.Version + " (" + f.Package.Ecosystem + ") is affected by " + advisoryTitle(f) +
		". Priority " + priority(f)
	if f.Rank > 0 {
		message += " (rank " + strconv.Itoa(f.Rank) + ")"
	}
	if len(f.Reasons) > 0 {
		message += ": " + strings.Join(f.Reasons, "; ")
	}
	message += "."
	props := sarifResultProps{Priority: priority(f), Rank: f.Rank, Package: f.Package.Name, Version: f.Package.Version,
		Ecosystem: f.Package.Ecosystem, KEV: f.KEV != nil, CVSS: f.CVSS, Malicious: f.Malicious}
	if f.EPSS != nil {
		props.EPSS = f.EPSS.Score
	}
	base := sarifResult{RuleID: f.ID, RuleIndex: ruleIndex, Level: sarifLevel(priority(f)),
		Message: sarifText{Text: message}, Properties: props}
	if len(f.Package.Locations) == 0 {
		base.PartialFingerprints = map[string]string{fingerprintKey: fingerprint(f, "")}
		return []sarifResult{base}
	}
	var out []sarifResult
	seen := map[string]bool{}
	for _, loc := range f.Package.Locations {
		uri := opts.relativePath(loc.File)
		key := uri + "\x00" + strconv.Itoa(loc.Line)
		if seen[key] {
			continue
		}
		seen[key] = true
		r := base
		phys := sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri, URIBaseID: srcRoot}}
		if loc.Line > 0 {
			phys.Region = &sarifRegion{StartLine: loc.Line}
		}
		r.Locations = []sarifLocation{{PhysicalLocation: phys}}
		r.PartialFingerprints = map[string]string{fingerprintKey: fingerprint(f, uri)}
		out = append(out, r)
	}
	return out
}

func fingerprint(f supply.Finding, uri string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{f.Package.Ecosystem, f.Package.Name, f.ID, uri}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

func sarifLevel(priority string) string {
	switch priority {
	case enrich.Critical, enrich.High:
		return "error"
	case enrich.Medium:
		return "warning"
	}
	return "note"
}

func levelRank(level string) int {
	switch level {
	case "error":
		return 3
	case "warning":
		return 2
	case "note":
		return 1
	}
	return 0
}

// securitySeverity is the number GitHub reads as the alert's severity.
func securitySeverity(f supply.Finding) float64 {
	if f.Malicious {
		return 10
	}
	floor := map[string]float64{enrich.Critical: 9, enrich.High: 7, enrich.Medium: 4}[priority(f)]
	return max(f.CVSS, floor)
}

func formatSeverity(s float64) string { return strconv.FormatFloat(s, 'f', 1, 64) }

func parseSeverity(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return -1
	}
	return f
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
