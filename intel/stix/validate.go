package stix

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ValidationError lists everything wrong with one object, each problem at
// its JSON path, so a producer can fix them all in one go.
type ValidationError struct {
	ID       string
	Problems []*PathError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("stix: invalid ")
	b.WriteString(e.ID)
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

var (
	typeRE     = regexp.MustCompile(`^[a-z][a-z0-9-]+[a-z0-9]$`)
	propNameRE = regexp.MustCompile(`^[a-z0-9_]{2,250}$`)
	// The identifier form of the JSON schemas: any UUID version 1-5 with
	// the RFC 4122 variant.
	idRE = regexp.MustCompile(`^([a-z][a-z0-9-]+[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)
	tsRE = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?Z$`)
	// created and modified must be precise to the millisecond.
	tsMillisRE = regexp.MustCompile(`T\d{2}:\d{2}:\d{2}\.\d{3,}Z$`)
	extNameRE  = regexp.MustCompile(`^([a-z][a-z0-9]*)+(-[a-z0-9]+)*-ext$|^extension-definition--[0-9a-fA-F-]{36}$`)
)

// required lists, per SDO/SRO type, the type-specific required properties
// (STIX 2.1 §4-5). Rules that are more than presence are in checkType.
var required = map[string][]string{
	"attack-pattern":   {"name"},
	"campaign":         {"name"},
	"course-of-action": {"name"},
	"grouping":         {"context", "object_refs"},
	"identity":         {"name"},
	"incident":         {"name"},
	"indicator":        {"pattern", "pattern_type", "valid_from"},
	"infrastructure":   {"name"},
	"intrusion-set":    {"name"},
	"location":         {},
	"malware":          {"is_family"},
	"malware-analysis": {"product"},
	"note":             {"content", "object_refs"},
	"observed-data":    {"first_observed", "last_observed", "number_observed"},
	"opinion":          {"opinion", "object_refs"},
	"report":           {"name", "published", "object_refs"},
	"threat-actor":     {"name"},
	"tool":             {"name"},
	"vulnerability":    {"name"},
	"relationship":     {"relationship_type", "source_ref", "target_ref"},
	"sighting":         {"sighting_of_ref"},
}

// observableRequired lists the required properties of observables.
var observableRequired = map[string][]string{
	"autonomous-system": {"number"},
	"directory":         {"path"},
	"domain-name":       {"value"},
	"email-addr":        {"value"},
	"email-message":     {"is_multipart"},
	"ipv4-addr":         {"value"},
	"ipv6-addr":         {"value"},
	"mac-addr":          {"value"},
	"mutex":             {"name"},
	"network-traffic":   {"protocols"},
	"software":          {"name"},
	"url":               {"value"},
}

// validator collects the problems of one object.
type validator struct {
	props map[string]any
	probs []*PathError
}

func (v *validator) add(path, format string, a ...any) {
	v.probs = append(v.probs, &PathError{Path: path, Err: fmt.Errorf(format, a...)})
}

// Validate checks o against the rules of STIX 2.1 that a consumer relies
// on: required properties, identifier and timestamp formats, modified after
// created, confidence range, references of the right type, indicator and
// sighting constraints. Custom object types get the common checks. It
// returns nil or a *ValidationError.
func Validate(o Object) error {
	v := &validator{props: map[string]any{}}
	for k, raw := range o.Props {
		var x any
		if err := json.Unmarshal(raw, &x); err != nil {
			v.add(k, "invalid JSON: %v", err)
			continue
		}
		v.props[k] = x
	}
	v.common(o.Type)
	v.checkType(o.Type)
	if len(v.probs) == 0 {
		return nil
	}
	id := o.ID
	if id == "" {
		id = o.Type
	}
	return &ValidationError{ID: id, Problems: v.probs}
}

func (v *validator) common(typ string) {
	if !typeRE.MatchString(typ) || len(typ) > 250 {
		v.add("type", "%q is not a valid type name (a-z, 0-9, '-', 3-250 characters)", typ)
	}
	id, ok := v.props["id"].(string)
	switch {
	case !ok:
		v.add("id", "required string")
	case !idRE.MatchString(id):
		v.add("id", "%q is not <type>--<UUID>", id)
	case !strings.HasPrefix(id, typ+"--"):
		v.add("id", "%q does not start with the object's type %q", id, typ)
	}
	for k := range v.props {
		if !propNameRE.MatchString(k) {
			v.add(k, "property names are a-z, 0-9 and '_', 3-250 characters")
		}
	}
	sco := IsObservable(typ)
	marking := typ == "marking-definition"
	// spec_version is optional on observables (2.0 had none), required
	// elsewhere.
	if sv, ok := v.props["spec_version"]; ok {
		if sv != "2.1" {
			v.add("spec_version", "%v is not \"2.1\"", sv)
		}
	} else if !sco {
		v.add("spec_version", "required")
	}
	created := v.timestamp("created", !sco, true)
	if !sco && !marking {
		modified := v.timestamp("modified", true, true)
		if !created.IsZero() && !modified.IsZero() && modified.Before(created) {
			v.add("modified", "is before created")
		}
	}
	if c, ok := v.props["confidence"]; ok {
		n, isInt := asInt(c)
		if !isInt || n < 0 || n > 100 {
			v.add("confidence", "%v is not an integer 0-100", c)
		}
	}
	v.typed("revoked", "boolean")
	v.typed("lang", "string")
	v.typed("defanged", "boolean")
	v.ref("created_by_ref", "identity")
	v.stringList("labels")
	v.refList("object_marking_refs", "marking-definition")
	if refs, ok := v.props["external_references"]; ok {
		v.externalRefs(refs)
	}
	if gm, ok := v.props["granular_markings"]; ok {
		v.granular(gm)
	}
	if ext, ok := v.props["extensions"]; ok {
		m, isMap := ext.(map[string]any)
		if !isMap || len(m) == 0 {
			v.add("extensions", "must be a non-empty dictionary")
		}
		for k, e := range m {
			if !extNameRE.MatchString(k) {
				v.add("extensions."+k, "extension names end in -ext or are extension-definition ids")
			}
			if em, ok := e.(map[string]any); !ok || len(em) == 0 {
				v.add("extensions."+k, "must be a non-empty dictionary")
			}
		}
	}
	// Every *_ref and *_refs property holds identifiers; the typed checks
	// above also constrain the target type of the common ones. Custom (x_)
	// properties are their producer's business: ATT&CK leaves some
	// x_mitre_data_source_ref empty, and that must not fail the object.
	for k, x := range v.props {
		switch {
		case strings.HasPrefix(k, "x_"):
		case strings.HasSuffix(k, "_ref"):
			if s, ok := x.(string); !ok || !idRE.MatchString(s) {
				v.add(k, "%v is not an identifier", x)
			}
		case strings.HasSuffix(k, "_refs"):
			l, ok := x.([]any)
			if !ok {
				v.add(k, "must be a list of identifiers")
				continue
			}
			for i, e := range l {
				if s, ok := e.(string); !ok || !idRE.MatchString(s) {
					v.add(fmt.Sprintf("%s[%d]", k, i), "%v is not an identifier", e)
				}
			}
		}
	}
}

func (v *validator) checkType(typ string) {
	names, ok := required[typ]
	if !ok {
		names = observableRequired[typ]
	}
	for _, n := range names {
		if _, ok := v.props[n]; !ok {
			v.add(n, "required for %s", typ)
		}
	}
	switch typ {
	case "indicator":
		v.typed("pattern", "string")
		v.typed("pattern_type", "string")
		from := v.timestamp("valid_from", true, false)
		until := v.timestamp("valid_until", false, false)
		if !from.IsZero() && !until.IsZero() && !until.After(from) {
			v.add("valid_until", "must be after valid_from")
		}
		v.killChain()
	case "malware", "tool", "attack-pattern", "infrastructure":
		v.killChain()
		if typ == "malware" {
			v.typed("is_family", "boolean")
			if v.props["is_family"] == true {
				if _, ok := v.props["name"]; !ok {
					v.add("name", "required when is_family is true")
				}
			}
		}
	case "relationship":
		v.typed("relationship_type", "string")
		for _, k := range []string{"source_ref", "target_ref"} {
			if s, ok := v.props[k].(string); ok {
				t, _, _ := strings.Cut(s, "--")
				if t == "relationship" || t == "sighting" || t == "marking-definition" || t == "bundle" || t == "language-content" {
					v.add(k, "a relationship cannot point to a %s", t)
				}
			}
		}
		v.ordered("start_time", "stop_time", false)
	case "sighting":
		v.refList("observed_data_refs", "observed-data")
		v.refList("where_sighted_refs", "identity", "location")
		if c, ok := v.props["count"]; ok {
			if n, isInt := asInt(c); !isInt || n < 0 || n > 999999999 {
				v.add("count", "%v is not an integer 0-999999999", c)
			}
		}
		v.ordered("first_seen", "last_seen", true)
	case "observed-data":
		v.timestamp("first_observed", true, false)
		v.timestamp("last_observed", true, false)
		v.ordered("first_observed", "last_observed", true)
		if c, ok := v.props["number_observed"]; ok {
			if n, isInt := asInt(c); !isInt || n < 1 || n > 999999999 {
				v.add("number_observed", "%v is not an integer 1-999999999", c)
			}
		}
		_, refs := v.props["object_refs"]
		_, objs := v.props["objects"]
		if refs == objs {
			v.add("object_refs", "exactly one of object_refs and objects is required")
		}
	case "report":
		v.timestamp("published", true, false)
	case "campaign", "intrusion-set", "threat-actor", "malware-analysis":
		v.ordered("first_seen", "last_seen", true)
	case "location":
		_, lat := v.props["latitude"]
		_, lon := v.props["longitude"]
		_, region := v.props["region"]
		_, country := v.props["country"]
		if lat != lon {
			v.add("latitude", "latitude and longitude go together")
		}
		if !lat && !region && !country {
			v.add("region", "one of region, country or latitude/longitude is required")
		}
		v.rangeNum("latitude", -90, 90)
		v.rangeNum("longitude", -180, 180)
	case "marking-definition":
		v.marking()
	case "file":
		_, h := v.props["hashes"]
		_, n := v.props["name"]
		if !h && !n {
			v.add("hashes", "a file needs hashes or name")
		}
	case "network-traffic":
		_, s := v.props["src_ref"]
		_, d := v.props["dst_ref"]
		if !s && !d {
			v.add("src_ref", "network-traffic needs src_ref or dst_ref")
		}
		v.rangeNum("src_port", 0, 65535)
		v.rangeNum("dst_port", 0, 65535)
	}
}

func (v *validator) marking() {
	dt, hasType := v.props["definition_type"]
	def, hasDef := v.props["definition"]
	_, hasExt := v.props["extensions"]
	if _, ok := v.props["modified"]; ok {
		v.add("modified", "marking definitions are immutable and have no modified")
	}
	if !hasExt && (!hasType || !hasDef) {
		v.add("definition", "definition_type and definition are required unless an extension defines the marking")
		return
	}
	if !hasType {
		return
	}
	d, _ := def.(map[string]any)
	switch dt {
	case "statement":
		if s, ok := d["statement"].(string); !ok || s == "" {
			v.add("definition.statement", "required string")
		}
	case "tlp":
		switch d["tlp"] {
		case "white", "green", "amber", "red":
		default:
			v.add("definition.tlp", "%v is not white, green, amber or red", d["tlp"])
		}
	}
}

func (v *validator) killChain() {
	x, ok := v.props["kill_chain_phases"]
	if !ok {
		return
	}
	l, ok := x.([]any)
	if !ok || len(l) == 0 {
		v.add("kill_chain_phases", "must be a non-empty list")
		return
	}
	for i, e := range l {
		m, _ := e.(map[string]any)
		for _, k := range []string{"kill_chain_name", "phase_name"} {
			if s, ok := m[k].(string); !ok || s == "" {
				v.add(fmt.Sprintf("kill_chain_phases[%d].%s", i, k), "required string")
			}
		}
	}
}

func (v *validator) externalRefs(x any) {
	l, ok := x.([]any)
	if !ok || len(l) == 0 {
		v.add("external_references", "must be a non-empty list")
		return
	}
	for i, e := range l {
		p := fmt.Sprintf("external_references[%d]", i)
		m, ok := e.(map[string]any)
		if !ok {
			v.add(p, "must be an object")
			continue
		}
		if s, ok := m["source_name"].(string); !ok || s == "" {
			v.add(p+".source_name", "required string")
		}
		// The specification asks for at least one of description, url and
		// external_id, but its own schema does not enforce it and real
		// feeds (ATT&CK citations) break it: not checked.
		if h, ok := m["hashes"]; ok {
			if hm, ok := h.(map[string]any); !ok || len(hm) == 0 {
				v.add(p+".hashes", "must be a non-empty dictionary")
			}
		}
	}
}

func (v *validator) granular(x any) {
	l, ok := x.([]any)
	if !ok || len(l) == 0 {
		v.add("granular_markings", "must be a non-empty list")
		return
	}
	for i, e := range l {
		p := fmt.Sprintf("granular_markings[%d]", i)
		m, _ := e.(map[string]any)
		_, lang := m["lang"]
		_, ref := m["marking_ref"]
		if lang == ref {
			v.add(p, "exactly one of lang and marking_ref is required")
		}
		if s, ok := m["selectors"].([]any); !ok || len(s) == 0 {
			v.add(p+".selectors", "required non-empty list")
		}
	}
}

// timestamp checks a timestamp property and returns its time (zero when
// absent or invalid).
func (v *validator) timestamp(name string, req, millis bool) time.Time {
	x, ok := v.props[name]
	if !ok {
		if req {
			v.add(name, "required")
		}
		return time.Time{}
	}
	s, ok := x.(string)
	if !ok || !tsRE.MatchString(s) {
		v.add(name, "%v is not an RFC 3339 UTC timestamp (…Z)", x)
		return time.Time{}
	}
	if millis && !tsMillisRE.MatchString(s) {
		v.add(name, "%q must be precise to the millisecond", s)
	}
	t, err := time.Parse(time.RFC3339Nano, strings.Replace(s, ":60", ":59", 1))
	if err != nil {
		v.add(name, "%q: %v", s, err)
	}
	return t
}

// ordered checks that b is after a (or equal, when equalOK).
func (v *validator) ordered(a, b string, equalOK bool) {
	_, hasA := v.props[a]
	_, hasB := v.props[b]
	if !hasA || !hasB {
		return
	}
	ta := v.timestamp(a, false, false)
	tb := v.timestamp(b, false, false)
	if ta.IsZero() || tb.IsZero() {
		return
	}
	if tb.Before(ta) || (!equalOK && tb.Equal(ta)) {
		v.add(b, "must be after %s", a)
	}
}

func (v *validator) typed(name, kind string) {
	x, ok := v.props[name]
	if !ok {
		return
	}
	good := false
	switch kind {
	case "string":
		_, good = x.(string)
	case "boolean":
		_, good = x.(bool)
	}
	if !good {
		v.add(name, "must be a %s", kind)
	}
}

func (v *validator) stringList(name string) {
	x, ok := v.props[name]
	if !ok {
		return
	}
	l, ok := x.([]any)
	if !ok || len(l) == 0 {
		v.add(name, "must be a non-empty list of strings")
		return
	}
	for i, e := range l {
		if _, ok := e.(string); !ok {
			v.add(name+"["+strconv.Itoa(i)+"]", "must be a string")
		}
	}
}

// ref checks that a reference names an object of one of types.
func (v *validator) ref(name string, types ...string) {
	if s, ok := v.props[name].(string); ok {
		v.refType(name, s, types)
	}
}

func (v *validator) refList(name string, types ...string) {
	x, ok := v.props[name]
	if !ok {
		return
	}
	l, ok := x.([]any)
	if !ok || len(l) == 0 {
		v.add(name, "must be a non-empty list")
		return
	}
	for i, e := range l {
		if s, ok := e.(string); ok {
			v.refType(fmt.Sprintf("%s[%d]", name, i), s, types)
		}
	}
}

func (v *validator) refType(path, id string, types []string) {
	t, _, _ := strings.Cut(id, "--")
	for _, want := range types {
		if t == want {
			return
		}
	}
	v.add(path, "%q must reference a %s", id, strings.Join(types, " or "))
}

func (v *validator) rangeNum(name string, lo, hi float64) {
	x, ok := v.props[name]
	if !ok {
		return
	}
	f, ok := x.(float64)
	if !ok || f < lo || f > hi {
		v.add(name, "%v is not a number in [%v, %v]", x, lo, hi)
	}
}

func asInt(x any) (int64, bool) {
	f, ok := x.(float64)
	if !ok || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// ValidateAll validates objs and returns one error per invalid object,
// naming its index, so a feed's bad objects are reported without hiding
// the good ones.
func ValidateAll(objs []Object) []error {
	var errs []error
	for i, o := range objs {
		if err := Validate(o); err != nil {
			errs = append(errs, fmt.Errorf("objects[%d]: %w", i, err))
		}
	}
	return errs
}
