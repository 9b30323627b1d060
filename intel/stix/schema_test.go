package stix

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
)

// The module has no JSON Schema validator (and go.mod is not ours to grow),
// so this file holds a small one, for test use only, covering the subset of
// draft 2020-12 the OASIS STIX schemas use: $ref (relative files and
// #/definitions), allOf, anyOf, oneOf, not, if/then/else, required,
// properties, patternProperties, additionalProperties, propertyNames, type,
// enum, const, pattern, minLength, maxLength, minimum, maximum, minItems,
// items, contains, minProperties. "format" is an annotation in 2020-12 and
// is not asserted, as the reference validators do by default.
type schemaSet struct {
	dir   string
	files map[string]any
	res   map[string]*regexp.Regexp
}

func newSchemaSet(t *testing.T) *schemaSet {
	dir := testdata.Path(t, "stix", "stix2-json-schemas", "schemas")
	return &schemaSet{dir: dir, files: map[string]any{}, res: map[string]*regexp.Regexp{}}
}

func (s *schemaSet) load(file string) (any, error) {
	if v, ok := s.files[file]; ok {
		return v, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	s.files[file] = v
	return v, nil
}

// schemaFor returns the schema file of an object type, "" for custom types.
func (s *schemaSet) schemaFor(typ string) string {
	if typ == "marking-definition" {
		return filepath.Join(s.dir, "common", "marking-definition.json")
	}
	for _, d := range []string{"sdos", "sros", "observables"} {
		p := filepath.Join(s.dir, d, typ+".json")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// validate returns the schema violations of v (nil when valid).
func (s *schemaSet) validate(file string, v any) []string {
	root, err := s.load(file)
	if err != nil {
		return []string{err.Error()}
	}
	return s.check(file, root, v, "$")
}

func (s *schemaSet) re(p string) *regexp.Regexp {
	if r, ok := s.res[p]; ok {
		return r
	}
	r := regexp.MustCompile(p)
	s.res[p] = r
	return r
}

func (s *schemaSet) check(file string, sch, v any, path string) []string {
	m, ok := sch.(map[string]any)
	if !ok {
		if b, ok := sch.(bool); ok && !b {
			return []string{path + ": false schema"}
		}
		return nil
	}
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, path+": "+fmt.Sprintf(f, a...)) }
	if ref, ok := m["$ref"].(string); ok {
		f, frag, _ := strings.Cut(ref, "#")
		target := file
		if f != "" {
			target = filepath.Join(filepath.Dir(file), f)
		}
		node, err := s.load(target)
		if err != nil {
			return []string{err.Error()}
		}
		for _, part := range strings.Split(strings.Trim(frag, "/"), "/") {
			if part != "" {
				node = node.(map[string]any)[part]
			}
		}
		errs = append(errs, s.check(target, node, v, path)...)
	}
	for _, sub := range list(m["allOf"]) {
		errs = append(errs, s.check(file, sub, v, path)...)
	}
	if subs := list(m["anyOf"]); subs != nil {
		ok := false
		for _, sub := range subs {
			ok = ok || len(s.check(file, sub, v, path)) == 0
		}
		if !ok {
			fail("matches none of anyOf")
		}
	}
	if subs := list(m["oneOf"]); subs != nil {
		n := 0
		for _, sub := range subs {
			if len(s.check(file, sub, v, path)) == 0 {
				n++
			}
		}
		if n != 1 {
			fail("matches %d of oneOf", n)
		}
	}
	if not, ok := m["not"]; ok && len(s.check(file, not, v, path)) == 0 {
		fail("matches not")
	}
	if cond, ok := m["if"]; ok {
		if len(s.check(file, cond, v, path)) == 0 {
			if th, ok := m["then"]; ok {
				errs = append(errs, s.check(file, th, v, path)...)
			}
		} else if el, ok := m["else"]; ok {
			errs = append(errs, s.check(file, el, v, path)...)
		}
	}
	if typ, ok := m["type"].(string); ok && !jsonType(v, typ) {
		fail("not a %s", typ)
		return errs
	}
	if enum := list(m["enum"]); enum != nil {
		found := false
		for _, e := range enum {
			found = found || reflect.DeepEqual(e, v)
		}
		if !found {
			fail("%v not in enum", v)
		}
	}
	if c, ok := m["const"]; ok && !reflect.DeepEqual(c, v) {
		fail("%v is not %v", v, c)
	}
	switch v := v.(type) {
	case string:
		if p, ok := m["pattern"].(string); ok && !s.re(p).MatchString(v) {
			fail("%q does not match %s", v, p)
		}
		n := float64(len([]rune(v)))
		if x, ok := m["minLength"].(float64); ok && n < x {
			fail("shorter than %v", x)
		}
		if x, ok := m["maxLength"].(float64); ok && n > x {
			fail("longer than %v", x)
		}
	case float64:
		if x, ok := m["minimum"].(float64); ok && v < x {
			fail("%v < %v", v, x)
		}
		if x, ok := m["maximum"].(float64); ok && v > x {
			fail("%v > %v", v, x)
		}
	case []any:
		if x, ok := m["minItems"].(float64); ok && float64(len(v)) < x {
			fail("fewer than %v items", x)
		}
		if items, ok := m["items"]; ok {
			for i, e := range v {
				errs = append(errs, s.check(file, items, e, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
		if c, ok := m["contains"]; ok {
			found := false
			for _, e := range v {
				found = found || len(s.check(file, c, e, path)) == 0
			}
			if !found {
				fail("contains no match")
			}
		}
	case map[string]any:
		for _, r := range list(m["required"]) {
			if _, ok := v[r.(string)]; !ok {
				fail("%s required", r)
			}
		}
		if x, ok := m["minProperties"].(float64); ok && float64(len(v)) < x {
			fail("fewer than %v properties", x)
		}
		props, _ := m["properties"].(map[string]any)
		pprops, _ := m["patternProperties"].(map[string]any)
		for k, e := range v {
			p := path + "." + k
			matched := false
			if sub, ok := props[k]; ok {
				matched = true
				errs = append(errs, s.check(file, sub, e, p)...)
			}
			for pat, sub := range pprops {
				if s.re(pat).MatchString(k) {
					matched = true
					errs = append(errs, s.check(file, sub, e, p)...)
				}
			}
			if ap, ok := m["additionalProperties"]; ok && !matched {
				errs = append(errs, s.check(file, ap, e, p)...)
			}
			if pn, ok := m["propertyNames"]; ok {
				errs = append(errs, s.check(file, pn, k, p)...)
			}
		}
	}
	return errs
}

func list(x any) []any { l, _ := x.([]any); return l }

func jsonType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "null":
		return v == nil
	}
	return false
}

// schemaVerdict validates o against its OASIS schema; ok is false for
// custom types, which have none.
func (s *schemaSet) schemaVerdict(o Object) (errs []string, ok bool) {
	f := s.schemaFor(o.Type)
	if f == "" {
		return nil, false
	}
	b, _ := o.MarshalJSON()
	var v any
	_ = json.Unmarshal(b, &v)
	return s.validate(f, v), true
}

// TestSchemaAgreement checks that Validate and the OASIS schemas agree on
// the sample objects: both accept the valid ones, both reject the invalid
// ones the schemas can express (the rest, such as modified before created,
// are rules the schemas cannot state).
func TestSchemaAgreement(t *testing.T) {
	s := newSchemaSet(t)
	for _, js := range validSamples {
		o := parseObj(t, js)
		if errs, ok := s.schemaVerdict(o); ok && len(errs) > 0 {
			t.Errorf("schema rejects valid %s: %v", o.ID, errs)
		}
	}
	for _, tt := range invalidSamples {
		o := parseObj(t, tt.obj)
		errs, ok := s.schemaVerdict(o)
		if !ok {
			// Bad_Type has no schema file; check it against core.
			b, _ := o.MarshalJSON()
			var v any
			_ = json.Unmarshal(b, &v)
			errs = s.validate(filepath.Join(s.dir, "common", "core.json"), v)
		}
		if tt.schema != (len(errs) > 0) {
			t.Errorf("%s at %s: schema errors %v, want rejected=%v", o.ID, tt.path, errs, tt.schema)
		}
	}
}
