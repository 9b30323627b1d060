// Package triage turns a flood of alerts into a short list of ranked cases.
//
// Alerts from any source (Bulwark's own detections, CSV or NDJSON exports of
// other tools) are first reduced to a generic Alert. The Engine then
// deduplicates repeats, groups alerts that share an entity (host, user, IP,
// process, file hash) within a time window into cases, and scores each case
// with reasons in words, so an analyst reads the best few cases instead of
// thousands of alerts. Evaluation label columns are never part of an Alert,
// so they cannot leak into grouping or scoring.
package triage

import (
	"sort"
	"strings"
	"time"
)

// Entity kinds an alert may carry. Grouping links alerts through any of them.
const (
	Host    = "host"
	User    = "user"
	SrcIP   = "src_ip"
	DstIP   = "dst_ip"
	Process = "process"
	Hash    = "hash"
)

// EntityKinds lists every entity kind in the order reports show them.
var EntityKinds = []string{Host, User, SrcIP, DstIP, Process, Hash}

// Alert is one input alert in the generic form triage works on.
type Alert struct {
	// Line is the 0-based input line (record) number, header excluded.
	Line int
	Time time.Time
	// Name is the human-readable rule title; Rule a short identifier. Either
	// may be empty; RuleKey picks the one that identifies the rule.
	Name, Rule string
	// Severity is optional: informational, low, medium, high, critical, or a
	// number (Wazuh levels 0-15 are scaled).
	Severity string
	// Entities maps an entity kind to its value.
	Entities map[string]string
	// Tactics are optional ATT&CK tactic names.
	Tactics []string
	// Intel, when set, says the alert is a threat-intel hit and which:
	// an indicator's name, source and confidence in words. Mapped from an
	// input column with --map intel=..., or set for Bulwark's own
	// indicator alerts.
	Intel string
	// Source names the file the alert came from.
	Source string
}

// RuleKey is the identity of the alert's rule for rarity and deduplication.
func (a *Alert) RuleKey() string {
	if a.Rule != "" {
		return a.Rule
	}
	return a.Name
}

// Title is the best human-readable name of the alert's rule.
func (a *Alert) Title() string {
	if a.Name != "" {
		return a.Name
	}
	return a.Rule
}

// entityKey is a canonical string of the alert's entities, used to decide
// whether two alerts are repeats of each other.
func (a *Alert) entityKey() string {
	keys := make([]string, 0, len(a.Entities))
	for k, v := range a.Entities {
		if v != "" {
			keys = append(keys, k+"="+v)
		}
	}
	sort.Strings(keys)
	return strings.Join(keys, "\x00")
}

// severityWeight maps a severity to 0..4 (informational..critical); unknown
// or absent severities weigh nothing rather than guessing.
func severityWeight(s string) float64 {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "unknown":
		return 0
	case "informational", "info", "information":
		return 0
	case "low":
		return 1
	case "medium", "moderate":
		return 2
	case "high":
		return 3
	case "critical", "crit":
		return 4
	}
	// Numeric levels: 1-4 read as Suricata priority (1 = worst) only when
	// the value is small is ambiguous, so read numbers as Wazuh-like levels
	// 0-15 and scale to 0-4.
	var n float64
	var digits int
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + float64(c-'0')
		digits++
		if digits > 3 {
			return 0
		}
	}
	if n > 15 {
		n = 15
	}
	return n * 4 / 15
}
