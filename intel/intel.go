// Package intel is Bulwark's threat-intelligence sharing: STIX 2.1 objects
// (intel/stix), STIX patterning (intel/pattern), indicators compiled into
// fast lookups and matched against every event (intel/ioc, intel/match),
// and the TAXII 2.1 server and client (intel/taxii).
//
// This file holds the types the parts share.
package intel

import "time"

// TLP is a Traffic Light Protocol 2.0 level.
type TLP string

// TLP 2.0 levels, from the most to the least shareable.
const (
	TLPClear       TLP = "clear"
	TLPGreen       TLP = "green"
	TLPAmber       TLP = "amber"
	TLPAmberStrict TLP = "amber+strict"
	TLPRed         TLP = "red"
)

// Indicator is a STIX indicator reduced to what detection needs.
type Indicator struct {
	ID          string    `json:"id"` // indicator--<uuid>
	Name        string    `json:"name,omitempty"`
	Description string    `json:"description,omitempty"`
	Pattern     string    `json:"pattern"`      // STIX patterning
	PatternType string    `json:"pattern_type"` // "stix"; others are kept but not evaluated
	ValidFrom   time.Time `json:"valid_from"`
	// ValidUntil is zero when the indicator does not expire.
	ValidUntil time.Time `json:"valid_until,omitzero"`
	Confidence int       `json:"confidence,omitempty"` // 0-100, STIX's scale
	TLP        TLP       `json:"tlp,omitempty"`
	Labels     []string  `json:"labels,omitempty"`
	// Source names the feed or peer it came from (a TAXII collection, a
	// file).
	Source string `json:"source,omitempty"`
	// KillChain holds ATT&CK technique ids or tactic names when the
	// indicator or its relationships name them.
	KillChain []string `json:"kill_chain,omitempty"`
}

// Valid reports whether the indicator applies at t.
func (i *Indicator) Valid(t time.Time) bool {
	if !i.ValidFrom.IsZero() && t.Before(i.ValidFrom) {
		return false
	}
	return i.ValidUntil.IsZero() || t.Before(i.ValidUntil)
}

// Sighting is an indicator seen in the organisation's own data: what
// detection records and can share back.
type Sighting struct {
	IndicatorID string    `json:"indicator_id"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Count       int       `json:"count"`
	// EventIDs are stored events that matched (bounded).
	EventIDs []int64 `json:"event_ids,omitempty"`
	// Observed names what matched: "ipv4-addr:value = 203.0.113.45".
	Observed string `json:"observed,omitempty"`
}
