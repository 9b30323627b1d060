// Package alert defines Alert, what a rule engine reports when an event (or
// a correlated group of events) matches: which rule fired, on what, and the
// evidence an analyst needs to judge it.
package alert

import (
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// Alert is one detection.
type Alert struct {
	Rule    Rule         `json:"rule"`
	Time    time.Time    `json:"time"`
	Host    string       `json:"host,omitempty"`
	Channel string       `json:"channel,omitempty"`
	EventID string       `json:"event_id,omitempty"`
	Source  event.Source `json:"source"`
	// Matches are the field values that satisfied the rule.
	Matches []Match `json:"matches,omitempty"`
	// Entities are what the alert is about beyond its host, by kind (the
	// Entity constants): triage groups alerts into cases through them.
	Entities map[string]string `json:"entities,omitempty"`
	// Correlation is set for alerts of correlation rules.
	Correlation *Correlation `json:"correlation,omitempty"`
}

// Kinds of entity an alert can name.
const (
	EntityUser    = "user"
	EntitySrcIP   = "src_ip"
	EntityDstIP   = "dst_ip"
	EntityProcess = "process"
	EntityFile    = "file"
	EntityHash    = "hash"
)

// Rule describes the rule that fired. Author and Link are kept with every
// alert: the Detection Rule License of SigmaHQ's rules asks for both.
type Rule struct {
	ID          string   `json:"id,omitempty"`
	Title       string   `json:"title"`
	Level       string   `json:"level"`
	Status      string   `json:"status,omitempty"`
	Author      string   `json:"author,omitempty"`
	Description string   `json:"description,omitempty"`
	Attack      []string `json:"attack,omitempty"` // technique ids: T1059.001
	Tags        []string `json:"tags,omitempty"`
	Path        string   `json:"path,omitempty"`
	Link        string   `json:"link,omitempty"`
}

// Match is one piece of evidence.
type Match struct {
	Condition string `json:"condition"`
	Field     string `json:"field"`
	Value     string `json:"value"`
}

// Correlation is the evidence of a correlation rule: the group it counted
// in, how many, over which time span, and some of the events.
type Correlation struct {
	Type   string            `json:"type"`
	Group  map[string]string `json:"group,omitempty"`
	Count  int64             `json:"count"`
	First  time.Time         `json:"first"`
	Last   time.Time         `json:"last"`
	Values []string          `json:"values,omitempty"`
	Events []EventRef        `json:"events,omitempty"`
}

// EventRef points back at an event that contributed to a correlation.
type EventRef struct {
	Time   time.Time    `json:"time"`
	Rule   string       `json:"rule"`
	Host   string       `json:"host,omitempty"`
	Source event.Source `json:"source"`
}
