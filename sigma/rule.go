// Package sigma implements the Sigma detection format as SigmaHQ's rules use
// it: rule, correlation and filter documents; every value modifier; wildcards
// and escapes; the condition grammar; log source mapping to Windows channels,
// event ids and field names; and compilation into matchers that evaluate
// events with no allocation on the hot path.
//
// The package parses and compiles; it never reads files itself beyond an
// fs.FS it is handed, and it imports no storage or network code. The detect
// package runs compiled rules over event streams.
package sigma

import (
	"fmt"
	"strings"
	"time"
)

// Level is a rule's severity.
type Level int

// Levels in increasing severity.
const (
	LevelUnknown Level = iota
	LevelInformational
	LevelLow
	LevelMedium
	LevelHigh
	LevelCritical
)

var levelNames = [...]string{"unknown", "informational", "low", "medium", "high", "critical"}

func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// ParseLevel accepts the level names of the Sigma specification and the
// common abbreviation "info".
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "informational", "info":
		return LevelInformational, nil
	case "low":
		return LevelLow, nil
	case "medium":
		return LevelMedium, nil
	case "high":
		return LevelHigh, nil
	case "critical":
		return LevelCritical, nil
	case "", "unknown":
		return LevelUnknown, nil
	}
	return LevelUnknown, fmt.Errorf("unknown level %q (want informational, low, medium, high or critical)", s)
}

// MarshalText renders the level name.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Logsource says which logs a rule applies to.
type Logsource struct {
	Category   string `yaml:"category" json:"category,omitempty"`
	Product    string `yaml:"product" json:"product,omitempty"`
	Service    string `yaml:"service" json:"service,omitempty"`
	Definition string `yaml:"definition" json:"definition,omitempty"`
}

func (l Logsource) String() string {
	var parts []string
	for _, kv := range [][2]string{{"product", l.Product}, {"category", l.Category}, {"service", l.Service}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if len(parts) == 0 {
		return "any"
	}
	return strings.Join(parts, " ")
}

// Contains reports whether every field set in l equals the same field of o:
// a filter for product=windows applies to rules for product=windows
// category=process_creation.
func (l Logsource) Contains(o Logsource) bool {
	eq := func(a, b string) bool { return a == "" || strings.EqualFold(a, b) }
	return eq(l.Category, o.Category) && eq(l.Product, o.Product) && eq(l.Service, o.Service)
}

// Related links a rule to another.
type Related struct {
	ID   string `yaml:"id" json:"id"`
	Type string `yaml:"type" json:"type"`
}

// Meta is what every Sigma document carries besides its logic.
type Meta struct {
	Title          string    `json:"title"`
	ID             string    `json:"id,omitempty"`
	Name           string    `json:"name,omitempty"`
	Status         string    `json:"status,omitempty"`
	Description    string    `json:"description,omitempty"`
	Author         string    `json:"author,omitempty"`
	License        string    `json:"license,omitempty"`
	References     []string  `json:"references,omitempty"`
	Date           string    `json:"date,omitempty"`
	Modified       string    `json:"modified,omitempty"`
	Tags           []string  `json:"tags,omitempty"`
	Level          Level     `json:"level"`
	Falsepositives []string  `json:"falsepositives,omitempty"`
	Fields         []string  `json:"fields,omitempty"`
	Related        []Related `json:"related,omitempty"`
	Logsource      Logsource `json:"logsource"`
}

// Attack returns the rule's MITRE ATT&CK technique, tactic and group tags
// without the "attack." prefix ("t1059.001", "execution", "g0016").
func (m *Meta) Attack() []string {
	var out []string
	for _, t := range m.Tags {
		if rest, ok := strings.CutPrefix(strings.ToLower(t), "attack."); ok {
			out = append(out, rest)
		}
	}
	return out
}

// Techniques returns the ATT&CK technique ids of the rule's tags, upper-case
// ("T1059.001").
func (m *Meta) Techniques() []string {
	var out []string
	for _, t := range m.Attack() {
		if len(t) >= 5 && t[0] == 't' && t[1] >= '0' && t[1] <= '9' {
			out = append(out, strings.ToUpper(t))
		}
	}
	return out
}

// Ref is the id a rule is best referred to by: its id, else its name, else
// its title.
func (m *Meta) Ref() string {
	switch {
	case m.ID != "":
		return m.ID
	case m.Name != "":
		return m.Name
	}
	return m.Title
}

// Rule is a Sigma detection rule.
type Rule struct {
	Meta
	Detection Detection
	// Path and Line locate the document in its file (Line is 1-based).
	Path string
	Line int
}

// Detection is a rule's search identifiers and condition, still uncompiled.
type Detection struct {
	// Searches maps each search identifier to its definition, in file order
	// by Order.
	Searches map[string]*Search
	Order    []string
	// Conditions are alternatives: a rule with several matches if any does.
	Conditions []string
	// ConditionLine is the YAML line of the condition, for messages.
	ConditionLine int
}

// Search is one search identifier's definition: a disjunction of
// conjunctions of field conditions, or keywords.
type Search struct {
	Name string
	Line int
	// AnyOf lists alternatives (a YAML list of maps or of keywords); a search
	// given as a single map has exactly one.
	AnyOf []SearchBranch
}

// SearchBranch is one element of a search: either a map of field conditions,
// all of which must hold, or a keyword list, any of which must match.
type SearchBranch struct {
	Fields   []FieldCond // AND
	Keywords *FieldCond  // field-less values matched against every field
}

// FieldCond is one "Field|mod1|mod2: values" entry.
type FieldCond struct {
	Field     string // "" for keywords
	Modifiers []string
	Values    []RawValue
	Line      int
}

// ValueKind is the YAML type of a detection value.
type ValueKind uint8

// Value kinds.
const (
	ValString ValueKind = iota
	ValNumber
	ValBool
	ValNull
)

// RawValue is a detection value as written: its YAML type and text.
type RawValue struct {
	Kind ValueKind
	Text string
}

// Correlation is a Sigma correlation rule.
type Correlation struct {
	Meta
	Type      string // event_count, value_count, temporal, temporal_ordered
	Rules     []string
	GroupBy   []string
	Timespan  time.Duration
	Condition CorrelationCondition
	// Aliases maps an alias to, per referenced rule name, the event field.
	Aliases  map[string]map[string]string
	Generate bool
	Path     string
	Line     int
}

// CorrelationCondition is the threshold of a correlation; the comparisons
// present are ANDed. Field is the counted field of value_count.
type CorrelationCondition struct {
	Field string
	Ops   []CountOp
}

// CountOp is one comparison of a count with a threshold.
type CountOp struct {
	Op    string // gt, gte, lt, lte, eq, neq
	Value int64
}

// Holds reports whether n satisfies every comparison.
func (c CorrelationCondition) Holds(n int64) bool {
	for _, op := range c.Ops {
		var ok bool
		switch op.Op {
		case "gt":
			ok = n > op.Value
		case "gte":
			ok = n >= op.Value
		case "lt":
			ok = n < op.Value
		case "lte":
			ok = n <= op.Value
		case "eq":
			ok = n == op.Value
		case "neq":
			ok = n != op.Value
		}
		if !ok {
			return false
		}
	}
	return true
}

// Filter is a Sigma filter document: extra conditions ANDed to the rules it
// names (or to every rule of its log source when Rules is empty).
type Filter struct {
	Meta
	Rules     []string // ids or names; empty means any rule of the log source
	Detection Detection
	Path      string
	Line      int
}
