package sigma

import (
	_ "embed"
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed mappings/default.yml
var defaultMappingYAML []byte

// Mapping turns a rule's abstract log source into concrete constraints on
// events (Windows channel, event id, reader format, field values) and
// renames rule fields to event fields. See mappings/default.yml for the
// file format, which is SigmaHQ's thor.yml layout with a few additions.
type Mapping struct {
	Title        string
	Entries      []MappingEntry
	Placeholders map[string][]string
	// UnmappedFormats constrains rules whose log source no entry covers
	// (typically: every format but evtx, so that a macOS or network rule
	// never fires on a Windows event). Empty: no constraint.
	UnmappedFormats []string
}

// MappingEntry is one named entry of a mapping file.
type MappingEntry struct {
	Name          string
	Category      string
	Product       string
	Service       string
	Conditions    map[string][]string
	RewriteSvc    string
	Sources       []string // channels, without the "WinEventLog:" prefix
	Formats       []string
	Requires      []string
	FieldMappings map[string][]string
}

// Branch is one way a rule's log source can be satisfied; a rule matches an
// event when any of its branches' constraints and its detection hold.
type Branch struct {
	Entries  []string // mapping entries that produced it, for display
	Channels []string // the event's Channel must be one of these (any when empty)
	EventIDs []string // the event's EventID must be one of these (any when empty)
	Formats  []string // the event's reader format must be one of these (any when empty)
	Requires []string // fields the event must have
	// Conditions are further field equalities, ANDed; the values of one
	// field are alternatives.
	Conditions []FieldValues
	FieldMap   map[string][]string
}

// FieldValues is a field and its acceptable values.
type FieldValues struct {
	Field  string
	Values []string
}

// DefaultMapping returns the mapping compiled into the binary.
func DefaultMapping() *Mapping {
	m, err := ParseMapping("default.yml", defaultMappingYAML)
	if err != nil {
		panic("sigma: built-in mapping is invalid: " + err.Error())
	}
	return m
}

type rawMapping struct {
	Title        string               `yaml:"title"`
	Logsources   yaml.Node            `yaml:"logsources"`
	Placeholders map[string]yaml.Node `yaml:"placeholders"`
	FieldMap     map[string]yaml.Node `yaml:"fieldmappings"`
	Unmapped     []string             `yaml:"unmapped_formats"`
}

type rawEntry struct {
	Category      string               `yaml:"category"`
	Product       string               `yaml:"product"`
	Service       string               `yaml:"service"`
	Conditions    map[string]yaml.Node `yaml:"conditions"`
	Rewrite       map[string]string    `yaml:"rewrite"`
	Sources       []string             `yaml:"sources"`
	Formats       []string             `yaml:"formats"`
	Requires      []string             `yaml:"requires"`
	FieldMappings map[string]yaml.Node `yaml:"fieldmappings"`
}

// ParseMapping reads a mapping file. Global fieldmappings (as in sigmac
// configurations) apply to every entry.
func ParseMapping(path string, data []byte) (*Mapping, error) {
	var raw rawMapping
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	m := &Mapping{Title: raw.Title, Placeholders: map[string][]string{}, UnmappedFormats: raw.Unmapped}
	global := map[string][]string{}
	for k, n := range raw.FieldMap {
		global[k] = nodeStrings(&n)
	}
	ls := &raw.Logsources
	if ls.Kind != 0 && ls.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: logsources must be a map of named entries", path, ls.Line)
	}
	for i := 0; i+1 < len(ls.Content); i += 2 {
		name := ls.Content[i].Value
		var re rawEntry
		if err := ls.Content[i+1].Decode(&re); err != nil {
			return nil, fmt.Errorf("%s:%d: logsource %s: %v", path, ls.Content[i].Line, name, err)
		}
		e := MappingEntry{
			Name: name, Category: re.Category, Product: re.Product, Service: re.Service,
			Formats: re.Formats, Requires: re.Requires,
			Conditions: map[string][]string{}, FieldMappings: map[string][]string{},
		}
		for _, s := range re.Sources {
			e.Sources = append(e.Sources, channelOfSource(s))
		}
		e.RewriteSvc = re.Rewrite["service"]
		for k, n := range re.Conditions {
			e.Conditions[k] = nodeStrings(&n)
		}
		for k, v := range global {
			e.FieldMappings[k] = v
		}
		for k, n := range re.FieldMappings {
			e.FieldMappings[k] = nodeStrings(&n)
		}
		m.Entries = append(m.Entries, e)
	}
	for k, n := range raw.Placeholders {
		m.Placeholders[k] = nodeStrings(&n)
	}
	return m, nil
}

// channelOfSource strips the "WinEventLog:" prefix of thor-style sources.
func channelOfSource(s string) string {
	if _, rest, ok := strings.Cut(s, ":"); ok && strings.EqualFold(s[:len(s)-len(rest)-1], "WinEventLog") {
		return rest
	}
	return s
}

func nodeStrings(n *yaml.Node) []string {
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, c.Value)
		}
		return out
	}
	return nil
}

func eqFold(a, b string) bool { return strings.EqualFold(a, b) }

// Resolve returns the branches of a log source, and whether any mapping
// entry applied (false: the rule runs unconstrained).
func (m *Mapping) Resolve(ls Logsource) ([]Branch, bool) {
	var product []MappingEntry
	for _, e := range m.Entries {
		if e.Category == "" && e.Service == "" && e.Product != "" && eqFold(e.Product, ls.Product) {
			product = append(product, e)
		}
	}
	var branches []Branch
	mapped := false
	if ls.Category != "" {
		for _, e := range m.Entries {
			// An entry for a product also serves rules that name no product
			// (category: antivirus); a rule for another product is not its.
			if !eqFold(e.Category, ls.Category) || !compatible(e.Product, ls.Product) || !compatible(e.Service, ls.Service) {
				continue
			}
			b := m.branchOf(e, ls)
			branches = append(branches, b)
			mapped = true
		}
	}
	if len(branches) == 0 && ls.Service != "" {
		if b, ok := m.serviceBranch(ls.Product, ls.Service); ok {
			branches = append(branches, b)
			mapped = true
		}
	}
	if len(branches) == 0 {
		branches = []Branch{{}}
		if len(product) == 0 {
			branches[0].Formats = m.UnmappedFormats
			return branches, false
		}
	}
	if len(product) > 0 {
		mapped = true
		for i := range branches {
			b := &branches[i]
			if len(b.Channels) > 0 || len(b.Formats) > 0 {
				continue
			}
			for _, e := range product {
				b.Entries = append(b.Entries, e.Name)
				b.Formats = append(b.Formats, e.Formats...)
				b.Requires = append(b.Requires, e.Requires...)
				b.Channels = append(b.Channels, e.Sources...)
			}
		}
	}
	return mergeBranches(branches), mapped
}

// branchOf builds the branch of a category entry, resolving the service it
// rewrites to (or names in its conditions) to that service's sources.
func (m *Mapping) branchOf(e MappingEntry, ls Logsource) Branch {
	b := Branch{Entries: []string{e.Name}, Formats: e.Formats, Requires: e.Requires, Channels: e.Sources}
	svc := e.RewriteSvc
	conds := map[string][]string{}
	for k, v := range e.Conditions {
		switch k {
		case "service":
			svc = v[0]
		case "product":
		case "EventID":
			b.EventIDs = append(b.EventIDs, v...)
		default:
			conds[k] = v
		}
	}
	if svc == "" {
		svc = ls.Service
	}
	if svc != "" && len(b.Channels) == 0 {
		if sb, ok := m.serviceBranch(firstNonEmpty(e.Product, ls.Product), svc); ok {
			b.Entries = append(b.Entries, sb.Entries...)
			b.Channels = sb.Channels
			b.Formats = append(b.Formats, sb.Formats...)
			b.EventIDs = append(b.EventIDs, sb.EventIDs...)
			for _, c := range sb.Conditions {
				conds[c.Field] = c.Values
			}
		}
	}
	b.Conditions = sortedConds(conds)
	if len(e.FieldMappings) > 0 {
		b.FieldMap = e.FieldMappings
	}
	return b
}

// serviceBranch unites the entries of a service (there may be several).
func (m *Mapping) serviceBranch(product, service string) (Branch, bool) {
	var b Branch
	conds := map[string][]string{}
	found := false
	for _, e := range m.Entries {
		if e.Category != "" || !eqFold(e.Service, service) || (e.Product != "" && product != "" && !eqFold(e.Product, product)) {
			continue
		}
		found = true
		b.Entries = append(b.Entries, e.Name)
		b.Channels = append(b.Channels, e.Sources...)
		b.Formats = append(b.Formats, e.Formats...)
		b.Requires = append(b.Requires, e.Requires...)
		for k, v := range e.Conditions {
			if k == "EventID" {
				b.EventIDs = append(b.EventIDs, v...)
				continue
			}
			conds[k] = append(conds[k], v...)
		}
		if len(e.FieldMappings) > 0 {
			if b.FieldMap == nil {
				b.FieldMap = map[string][]string{}
			}
			for k, v := range e.FieldMappings {
				b.FieldMap[k] = v
			}
		}
	}
	b.Conditions = sortedConds(conds)
	return b, found
}

// compatible reports whether an entry's selector value admits a rule's.
func compatible(entry, rule string) bool {
	return entry == "" || rule == "" || eqFold(entry, rule)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func sortedConds(m map[string][]string) []FieldValues {
	out := make([]FieldValues, 0, len(m))
	for k, v := range m {
		out = append(out, FieldValues{Field: k, Values: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// mergeBranches joins branches that differ only in their event ids
// (registry_event's 12, 13 and 14), so a rule is compiled once per channel.
func mergeBranches(bs []Branch) []Branch {
	var out []Branch
	for _, b := range bs {
		merged := false
		for i := range out {
			o := &out[i]
			if slices.Equal(o.Channels, b.Channels) && slices.Equal(o.Formats, b.Formats) &&
				slices.Equal(o.Requires, b.Requires) && condsEqual(o.Conditions, b.Conditions) &&
				fieldMapsEqual(o.FieldMap, b.FieldMap) && len(o.EventIDs) > 0 && len(b.EventIDs) > 0 {
				o.EventIDs = append(o.EventIDs, b.EventIDs...)
				o.Entries = append(o.Entries, b.Entries...)
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, b)
		}
	}
	return out
}

func condsEqual(a, b []FieldValues) bool {
	return slices.EqualFunc(a, b, func(x, y FieldValues) bool {
		return x.Field == y.Field && slices.Equal(x.Values, y.Values)
	})
}

func fieldMapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
