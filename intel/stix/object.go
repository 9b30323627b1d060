package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Object is one STIX object: its type and id, and every property as the raw
// JSON it arrived with. Props is the source of truth for encoding, which is
// what makes unknown types and custom properties lossless.
type Object struct {
	Type string
	ID   string
	// Props maps each property name (type and id included) to its JSON.
	Props map[string]json.RawMessage
}

// UnmarshalJSON decodes a JSON object into o, keeping every property.
func (o *Object) UnmarshalJSON(b []byte) error {
	var props map[string]json.RawMessage
	if err := json.Unmarshal(b, &props); err != nil {
		return err
	}
	if props == nil {
		return errors.New("object is null")
	}
	return o.setProps(props)
}

func (o *Object) setProps(props map[string]json.RawMessage) error {
	o.Props = props
	o.Type, o.ID = "", ""
	t, ok := props["type"]
	if !ok {
		return &PathError{Path: "type", Err: errors.New("missing")}
	}
	if err := json.Unmarshal(t, &o.Type); err != nil {
		return &PathError{Path: "type", Err: errors.New("not a string")}
	}
	if id, ok := props["id"]; ok {
		if err := json.Unmarshal(id, &o.ID); err != nil {
			return &PathError{Path: "id", Err: errors.New("not a string")}
		}
	}
	return nil
}

// leading are the properties written first, in this order, so that encoded
// objects are easy to read; the rest follow sorted, which keeps the output
// deterministic.
var leading = []string{"type", "spec_version", "id"}

// MarshalJSON writes every property of o.
func (o Object) MarshalJSON() ([]byte, error) {
	if o.Props == nil {
		return nil, errors.New("stix: object has no properties")
	}
	keys := make([]string, 0, len(o.Props))
	for k := range o.Props {
		if !slices.Contains(leading, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var buf bytes.Buffer
	buf.WriteByte('{')
	first := true
	write := func(k string, v json.RawMessage) error {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		// Compact validates v too: a caller's bad Set must not produce
		// an unreadable bundle.
		if err := json.Compact(&buf, v); err != nil {
			return fmt.Errorf("stix: property %s: %w", k, err)
		}
		return nil
	}
	for _, k := range leading {
		if v, ok := o.Props[k]; ok {
			if err := write(k, v); err != nil {
				return nil, err
			}
		}
	}
	for _, k := range keys {
		if err := write(k, o.Props[k]); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// New builds an Object from a typed value (an *Indicator, a map, ...).
func New(v any) (Object, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Object{}, fmt.Errorf("stix: encode %T: %w", v, err)
	}
	var o Object
	if err := json.Unmarshal(b, &o); err != nil {
		return Object{}, fmt.Errorf("stix: %T: %w", v, err)
	}
	return o, nil
}

// Set replaces property name with v encoded as JSON. Setting "type" or "id"
// updates the fields too.
func (o *Object) Set(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("stix: set %s: %w", name, err)
	}
	if o.Props == nil {
		o.Props = map[string]json.RawMessage{}
	}
	o.Props[name] = b
	switch name {
	case "type":
		return json.Unmarshal(b, &o.Type)
	case "id":
		return json.Unmarshal(b, &o.ID)
	}
	return nil
}

// Decode decodes the object's properties into v, a pointer to a typed view
// such as *Indicator.
func (o Object) Decode(v any) error {
	b, err := o.MarshalJSON()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("stix: %s: %w", o.ID, err)
	}
	return nil
}

// String returns a string property, or "" when it is absent or not a string.
func (o Object) String(name string) string {
	var s string
	if v, ok := o.Props[name]; ok {
		_ = json.Unmarshal(v, &s)
	}
	return s
}

// Bool returns a boolean property, false when absent or not a boolean.
func (o Object) Bool(name string) bool {
	var b bool
	if v, ok := o.Props[name]; ok {
		_ = json.Unmarshal(v, &b)
	}
	return b
}

// Strings returns a list-of-strings property (nil when absent or ill-typed).
func (o Object) Strings(name string) []string {
	var s []string
	if v, ok := o.Props[name]; ok {
		if json.Unmarshal(v, &s) != nil {
			return nil
		}
	}
	return s
}

// Revoked reports the revoked property.
func (o Object) Revoked() bool { return o.Bool("revoked") }

// Deprecated reports MITRE's x_mitre_deprecated, the one custom property
// ATT&CK consumers must honour: deprecated techniques stay in the bundle.
func (o Object) Deprecated() bool { return o.Bool("x_mitre_deprecated") }

// Custom returns the names of the custom properties (x_ prefixed), sorted.
func (o Object) Custom() []string {
	var names []string
	for k := range o.Props {
		if strings.HasPrefix(k, "x_") {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}

// Equal reports whether a and b hold the same properties with the same JSON
// meaning (key order and whitespace aside).
func Equal(a, b Object) bool {
	if len(a.Props) != len(b.Props) {
		return false
	}
	for k, va := range a.Props {
		vb, ok := b.Props[k]
		if !ok {
			return false
		}
		ca, err1 := Canonical(va)
		cb, err2 := Canonical(vb)
		if err1 != nil || err2 != nil || !bytes.Equal(ca, cb) {
			return false
		}
	}
	return true
}

// PathError is a problem at a JSON path inside one object.
type PathError struct {
	Path string // relative to the object: "external_references[0].url"
	Err  error
}

func (e *PathError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *PathError) Unwrap() error { return e.Err }

// Timestamp is a STIX timestamp: RFC 3339 in UTC with a "Z". It encodes with
// at least millisecond precision, as created and modified require.
type Timestamp struct{ time.Time }

// TS converts a time to a Timestamp.
func TS(t time.Time) Timestamp { return Timestamp{t.UTC()} }

// MarshalJSON writes the timestamp with millisecond or finer precision.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.Format())
}

// Format returns the STIX text of t.
func (t Timestamp) Format() string {
	u := t.Time.UTC()
	if u.Nanosecond()%int(time.Millisecond) == 0 {
		return u.Format("2006-01-02T15:04:05.000Z")
	}
	return u.Format("2006-01-02T15:04:05.999999999Z")
}

// UnmarshalJSON parses an RFC 3339 timestamp. The strict "Z"-only form is
// the validator's job; decoding stays lenient so one producer's offset does
// not make a whole object unreadable.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", s, err)
	}
	t.Time = p.UTC()
	return nil
}
