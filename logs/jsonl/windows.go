package jsonl

import (
	"strconv"
	"strings"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs/internal/jsonflat"
)

// maxCached bounds the alias cache, like the flattener's name cache; names
// longer than 256 bytes are not cached either.
const maxCached = 1 << 14

// conv says how an alias's value derives from the source value.
type conv uint8

const (
	asIs   conv = iota
	toInt       // numeric text → int (Winlogbeat renders some numbers as text)
	toHex       // "0x…" text → hex int (evtx_dump renders Keywords as text)
	toList      // a value → a list (unnamed EventData Data elements)
	merge       // a repeatable UserData element: repeats become a list
)

// alias is what a source field name maps to; name "" means none.
type alias struct {
	name string
	conv conv
}

// entry is a cached alias, with name's space-less form for names such as
// Defender's "Threat Name", a second alias since Sigma rules say ThreatName.
type entry struct {
	alias
	unspaced string
}

// aliaser adds the Windows convention's names to Winlogbeat and evtx_dump
// events. It caches the mapping per source name, so the string work is done
// once per distinct name rather than once per event.
type aliaser struct {
	cache  map[string]entry
	merges map[int][]event.Value // repeated elements of the current event, by field index
	// prevName and prevEnt hold the names seen at each field position and
	// their entries (see entry).
	prevName []string
	prevEnt  []entry
}

func newAliaser() *aliaser { return &aliaser{cache: make(map[string]entry)} }

// winlogbeat maps Winlogbeat's and Elastic Agent's winlog.* System fields.
var winlogbeat = map[string]alias{
	"winlog.event_id":            {"EventID", toInt},
	"winlog.channel":             {"Channel", asIs},
	"winlog.computer_name":       {"Computer", asIs},
	"winlog.provider_name":       {"Provider_Name", asIs},
	"winlog.provider_guid":       {"Provider_Guid", asIs},
	"winlog.record_id":           {"EventRecordID", toInt},
	"winlog.process.pid":         {"Execution_ProcessID", toInt},
	"winlog.process.thread.id":   {"Execution_ThreadID", toInt},
	"winlog.user.identifier":     {"Security_UserID", asIs},
	"winlog.activity_id":         {"Correlation_ActivityID", asIs},
	"winlog.related_activity_id": {"Correlation_RelatedActivityID", asIs},
	"winlog.version":             {"Version", toInt},
	"winlog.time_created":        {"TimeCreated_SystemTime", asIs},
	// winlog.opcode, winlog.task, winlog.keywords and log.level hold the
	// rendered names ("Info", ["Audit Success"]), not the numbers the
	// convention gives those fields, so they get no alias.
}

// fix adds the aliases to e, whose fields were all just flattened by f.
func (a *aliaser) fix(f *jsonflat.Flattener, e *event.Event) {
	n := len(e.Fields)
	for i := 0; i < n; i++ {
		name := e.Fields[i].Name
		if !strings.HasPrefix(name, "winlog.") && !strings.HasPrefix(name, "Event.") {
			continue
		}
		al := a.entry(i, name)
		if al.name == "" {
			continue
		}
		v := e.Fields[i].Value
		switch al.conv {
		case toInt:
			if v.Kind == event.KindString && isDigits(v.Str) {
				v = jsonflat.Number(v.Str, true)
			}
		case toHex:
			if v.Kind == event.KindString {
				if u, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(v.Str), "0x"), 16, 64); err == nil && len(v.Str) > 2 {
					v = event.Value{Kind: event.KindInt, Str: strings.ToLower(v.Str), Num: float64(u)}
				}
			}
		case toList:
			if v.Kind != event.KindList {
				v = event.List(v)
			}
		}
		if v.Kind == event.KindNull && strings.HasPrefix(name, "Event.") {
			continue // an empty element (<Correlation />) gives no field
		}
		if al.unspaced != "" {
			f.AddIfAbsent(e, al.unspaced, v)
		}
		if f.AddIfAbsent(e, al.name, v) || al.conv != merge {
			continue
		}
		// A repeated UserData element: collect it for the alias added
		// before, unless the name came from the source itself. Lists are
		// built once at the end, so that many repeats stay linear.
		if k, ok := f.Find(e, al.name); ok && k >= n {
			if a.merges == nil {
				a.merges = make(map[int][]event.Value)
			}
			vs, seen := a.merges[k]
			if !seen {
				vs = appendValue(nil, e.Fields[k].Value)
			}
			a.merges[k] = appendValue(vs, v)
		}
	}
	for k, vs := range a.merges {
		e.Fields[k].Value = event.List(vs...)
	}
	clear(a.merges)
}

// entry returns the alias of the source name at position i of the event.
// Events of one source mostly repeat their predecessor's names in the same
// positions, so the previous event's entry at i is tried before the map.
func (a *aliaser) entry(i int, name string) entry {
	if i < len(a.prevName) && a.prevName[i] == name {
		return a.prevEnt[i]
	}
	al, ok := a.cache[name]
	if !ok {
		al = entry{alias: lookup(name)}
		if strings.Contains(al.name, " ") {
			al.unspaced = strings.ReplaceAll(al.name, " ", "")
		}
		if len(a.cache) < maxCached && len(name) <= 256 {
			a.cache[name] = al
		}
	}
	if i < 4096 {
		for len(a.prevName) <= i {
			a.prevName = append(a.prevName, "")
			a.prevEnt = append(a.prevEnt, entry{})
		}
		a.prevName[i], a.prevEnt[i] = name, al
	}
	return al
}

// appendValue appends v, or v's elements when it is a list.
func appendValue(vs []event.Value, v event.Value) []event.Value {
	if v.Kind == event.KindList {
		return append(vs, v.List...)
	}
	return append(vs, v)
}

func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// lookup computes the alias of one source name.
func lookup(name string) alias {
	if rest, ok := strings.CutPrefix(name, "winlog."); ok {
		if al, ok := winlogbeat[name]; ok {
			return al
		}
		if x, ok := strings.CutPrefix(rest, "event_data."); ok && x != "" {
			return alias{x, asIs}
		}
		if x, ok := strings.CutPrefix(rest, "user_data."); ok && x != "" {
			return leafAlias(strings.Split(x, "."))
		}
		return alias{}
	}
	rest, ok := strings.CutPrefix(name, "Event.")
	if !ok {
		return alias{}
	}
	section, sub, _ := strings.Cut(rest, ".")
	if sub == "" {
		return alias{} // Event.#attributes and the like
	}
	parts := strings.Split(sub, ".")
	switch section {
	case "System":
		al := elementAlias(parts)
		switch al.name {
		case "Keywords":
			al.conv = toHex
		case "":
		default:
			al.conv = asIs
		}
		return al
	case "EventData":
		if parts[0] == "Data" && (len(parts) == 1 || len(parts) == 2 && parts[1] == "#text") {
			return alias{"Data", toList}
		}
		if parts[0] == "#attributes" {
			if len(parts) == 2 && !isXMLNS(parts[1]) {
				return alias{"EventData_" + parts[1], asIs}
			}
			return alias{}
		}
		return elementAlias(parts)
	case "#attributes":
		return alias{}
	}
	// UserData, ProcessingErrorData, DebugData, ...: leaves by their element.
	return leafAlias(parts)
}

// elementAlias names a value of an element directly under a section:
// [Element] → Element, [Element #text] → Element,
// [Element #attributes Attr] → Element_Attr. Deeper paths are leaves.
func elementAlias(parts []string) alias {
	switch {
	case len(parts) == 1 && parts[0] != "#text":
		return alias{parts[0], asIs}
	case len(parts) == 2 && parts[1] == "#text":
		return alias{parts[0], asIs}
	case len(parts) == 3 && parts[1] == "#attributes":
		if isXMLNS(parts[2]) {
			return alias{}
		}
		return alias{parts[0] + "_" + parts[2], asIs}
	}
	return leafAlias(parts)
}

// leafAlias names a leaf however deep it sits: after the innermost element,
// or <Element>_<Attribute> for an attribute. Repeats become lists.
func leafAlias(parts []string) alias {
	if len(parts) > 0 && parts[len(parts)-1] == "#text" {
		parts = parts[:len(parts)-1]
	}
	n := len(parts)
	switch {
	case n == 0:
		return alias{}
	case n >= 2 && parts[n-2] == "#attributes":
		if isXMLNS(parts[n-1]) {
			return alias{}
		}
		if n == 2 {
			return alias{} // attributes of the section itself
		}
		return alias{parts[n-3] + "_" + parts[n-1], merge}
	case parts[n-1] == "#attributes" || parts[n-1] == "":
		return alias{}
	}
	return alias{parts[n-1], merge}
}

func isXMLNS(attr string) bool { return attr == "xmlns" || strings.HasPrefix(attr, "xmlns:") }
