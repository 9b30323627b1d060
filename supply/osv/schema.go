// Package osv reads, validates and evaluates OSV vulnerability entries
// (https://ossf.github.io/osv-schema/): it decodes an entry, checks it
// against the schema's rules and rejects what cannot be evaluated with a
// reason (never dropping it silently), reduces each entry to one Record per
// affected package, and decides whether a package version is affected with
// the schema's own evaluation algorithm, in the ecosystem's version order
// (supply/version).
package osv

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Range types.
const (
	RangeSemVer    = "SEMVER"
	RangeEcosystem = "ECOSYSTEM"
	RangeGit       = "GIT"
)

// Event kinds, as the JSON keys of a range event.
const (
	Introduced   = "introduced"
	Fixed        = "fixed"
	LastAffected = "last_affected"
	Limit        = "limit"
)

// Entry is one OSV record as published. Fields that matching and reporting
// do not use (references, credits, details) are still decoded where cheap
// so that validation sees them, but Records keep only what a finding needs.
type Entry struct {
	SchemaVersion    string          `json:"schema_version,omitempty"`
	ID               string          `json:"id"`
	Modified         string          `json:"modified"`
	Published        string          `json:"published,omitempty"`
	Withdrawn        string          `json:"withdrawn,omitempty"`
	Aliases          []string        `json:"aliases,omitempty"`
	Related          []string        `json:"related,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Details          string          `json:"details,omitempty"`
	Severity         []Severity      `json:"severity,omitempty"`
	Affected         []Affected      `json:"affected,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is a scoring system and its vector ("score" in the schema).
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is one package and the versions of it an entry affects.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Package names an affected package.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range is one range of affected versions.
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"`
}

// Event is one range event. It is decoded from a one-key object; Keys
// counts the keys seen so that validation can reject {"introduced": "1",
// "fixed": "2"}, which the schema forbids.
type Event struct {
	Kind    string // Introduced, Fixed, LastAffected or Limit
	Version string
	Keys    int // how many known event keys the object had
	Unknown string
}

// UnmarshalJSON decodes {"introduced": "1.0"} and records malformed events
// for Validate instead of failing the whole entry.
func (e *Event) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for _, k := range []string{Introduced, Fixed, LastAffected, Limit} {
		raw, ok := m[k]
		if !ok {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("event %s: %w", k, err)
		}
		e.Keys++
		if e.Kind == "" {
			e.Kind, e.Version = k, s
		}
		delete(m, k)
	}
	for k := range m {
		e.Unknown = k
	}
	return nil
}

// MarshalJSON writes the event back as a one-key object.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{e.Kind: e.Version})
}

// Decode parses one OSV entry. It fails only on JSON that is not an entry
// at all; Validate judges the content.
func Decode(data []byte) (*Entry, error) {
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&e); err != nil {
		return nil, err
	}
	return &e, nil
}
