package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

const sampleBundle = `{
  "type": "bundle",
  "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
  "objects": [
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
     "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
     "name": "Poison Ivy Malware", "pattern": "[file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877']",
     "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z", "confidence": 0,
     "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],
     "x_acme_score": {"nested": [1, 2.5, "three"]}},
    {"type": "x-acme-widget", "spec_version": "2.1", "id": "x-acme-widget--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
     "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z", "gears": 12},
    {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4", "value": "198.51.100.3"}
  ]
}`

func TestRoundTrip(t *testing.T) {
	objs, err := ReadBundle(strings.NewReader(sampleBundle))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 3 {
		t.Fatalf("got %d objects", len(objs))
	}
	var buf bytes.Buffer
	if err := WriteBundle(&buf, "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", objs); err != nil {
		t.Fatal(err)
	}
	again, err := ReadBundle(&buf)
	if err != nil {
		t.Fatalf("re-read: %v\n%s", err, buf.String())
	}
	for i := range objs {
		if !Equal(objs[i], again[i]) {
			t.Errorf("object %d changed:\n%v\n%v", i, objs[i].Props, again[i].Props)
		}
	}
	// Custom properties and types survive, and the typed views see the
	// standard ones.
	if got := objs[0].Custom(); len(got) != 1 || got[0] != "x_acme_score" {
		t.Errorf("Custom() = %v", got)
	}
	v, err := objs[0].Typed()
	if err != nil {
		t.Fatal(err)
	}
	ind := v.(*Indicator)
	if ind.Confidence == nil || *ind.Confidence != 0 || ind.ValidFrom.Year() != 2016 || ind.PatternType != "stix" {
		t.Errorf("typed indicator = %+v", ind)
	}
	g, err := objs[1].Typed()
	if err != nil {
		t.Fatal(err)
	}
	if gen := g.(*Generic); string(gen.Props["gears"]) != "12" || gen.Created.IsZero() {
		t.Errorf("generic = %+v", gen)
	}
	if ip, _ := objs[2].Typed(); ip.(*IPAddr).Value != "198.51.100.3" {
		t.Errorf("ipv4 = %+v", ip)
	}
}

// Typed views encode back to the same properties (for those they know), so
// New(view) is a faithful way to build objects.
func TestTypedEncode(t *testing.T) {
	objs, err := ReadBundle(strings.NewReader(sampleBundle))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := objs[0].Typed()
	o, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range o.Props {
		if k == "valid_from" {
			continue // checked below
		}
		if !Equal(Object{Props: map[string]json.RawMessage{k: want}}, Object{Props: map[string]json.RawMessage{k: objs[0].Props[k]}}) {
			t.Errorf("%s: typed %s, raw %s", k, want, objs[0].Props[k])
		}
	}
	// valid_from was "…00Z"; the typed view writes millisecond precision,
	// the same instant.
	if got := o.String("valid_from"); got != "2016-01-01T00:00:00.000Z" {
		t.Errorf("valid_from = %s", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	obj := `{"type":"ipv4-addr","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"1.2.3.4"}`
	tests := []struct {
		name, in string
		lim      Limits
		path     string // expected DecodeError.Path
		is       error
	}{
		{"array root", `[]`, Limits{}, "$", nil},
		{"objects not array", `{"objects":{}}`, Limits{}, "$.objects", nil},
		{"element not object", `{"objects":[` + obj + `,42]}`, Limits{}, "$.objects[1]", nil},
		{"no type", `{"objects":[{"id":"x--1"}]}`, Limits{}, "$.objects[0].type", nil},
		{"type not string", `{"objects":[{"type":7}]}`, Limits{}, "$.objects[0].type", nil},
		{"bad json", `{"objects":[` + obj + `,{"type":"x",}]}`, Limits{}, "$.objects[1]", nil},
		{"truncated", `{"objects":[` + obj, Limits{}, "$.objects", io.ErrUnexpectedEOF},
		{"truncated in object", `{"objects":[{"type":"ipv4-addr","val`, Limits{}, "$.objects[0]", io.ErrUnexpectedEOF},
		{"not a bundle", `{"type":"indicator","objects":[]}`, Limits{}, "$.type", nil},
		{"trailing", `{"objects":[]} {}`, Limits{}, "$", nil},
		{"too large", `{"objects":[` + obj + `,{"type":"x","pad":"` + strings.Repeat("a", 500) + `"}]}`, Limits{MaxObjectBytes: 200}, "$.objects[1]", ErrTooLarge},
		{"too large key value", `{"id":"` + strings.Repeat("a", 500) + `","objects":[]}`, Limits{MaxObjectBytes: 200}, "$.id", ErrTooLarge},
		{"too many", `{"objects":[` + obj + `,` + obj + `,` + obj + `]}`, Limits{MaxObjects: 2}, "$.objects[2]", ErrTooMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadBundleLimits(strings.NewReader(tt.in), tt.lim)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *DecodeError", err)
			}
			if de.Path != tt.path {
				t.Errorf("path = %q, want %q (%v)", de.Path, tt.path, err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
		})
	}
}

func TestDecodeErrorNamesObject(t *testing.T) {
	in := `{"objects":[{"type":"x-a","id":"x-a--1"},{"type":5,"id":"indicator--0a"}]}`
	_, err := ReadBundle(strings.NewReader(in))
	want := "stix: $.objects[1].type (indicator--0a) at byte"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want prefix %q", err, want)
	}
}

func TestDecoderEnvelopeAndOrder(t *testing.T) {
	// A TAXII envelope has no type; a bundle may list its id after the
	// objects.
	in := `{"more":false,"objects":[{"type":"x-a","id":"x-a--1"}],"id":"bundle--2"}`
	d := NewDecoder(strings.NewReader(in), Limits{})
	n := 0
	for {
		_, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 || d.ID != "bundle--2" {
		t.Errorf("n = %d, id = %q", n, d.ID)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Errorf("after end: %v", err)
	}
}

func TestEncoderEmpty(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf, "bundle--1")
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	objs, err := ReadBundle(&buf)
	if err != nil || len(objs) != 0 {
		t.Errorf("empty bundle: %v, %d", err, len(objs))
	}
	if err := e.Encode(Object{Props: map[string]json.RawMessage{"type": json.RawMessage(`"x"`)}}); err == nil {
		t.Error("encode after close: want an error")
	}
	bad := Object{Type: "x", Props: map[string]json.RawMessage{"type": json.RawMessage(`"x"`), "p": json.RawMessage(`{`)}}
	if _, err := bad.MarshalJSON(); err == nil {
		t.Error("invalid raw property: want an error")
	}
}

func TestSet(t *testing.T) {
	var o Object
	if err := o.Set("type", "x-thing"); err != nil {
		t.Fatal(err)
	}
	_ = o.Set("id", "x-thing--1")
	_ = o.Set("x_n", []int{1})
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"type":"x-thing","id":"x-thing--1","x_n":[1]}` {
		t.Errorf("got %s", b)
	}
}
