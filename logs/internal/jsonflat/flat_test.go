package jsonflat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/event"
)

// render shows an event's fields as "name=kind:text" lines.
func render(e *event.Event) string {
	var b strings.Builder
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "%s=%s\n", f.Name, renderValue(f.Value))
	}
	return b.String()
}

func renderValue(v event.Value) string {
	if v.Kind == event.KindList {
		parts := make([]string, len(v.List))
		for i, x := range v.List {
			parts[i] = renderValue(x)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return v.Kind.String() + ":" + v.Str
}

func TestObject(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"flat", `{"a":"x","b":1,"c":true,"d":null}`, "a=string:x\nb=int:1\nc=bool:true\nd=null:\n"},
		{"nested", `{"winlog":{"event_data":{"Image":"C:\\x.exe"}}}`, "winlog.event_data.Image=string:C:\\x.exe\n"},
		{"number text kept", `{"a":4688,"b":1.50,"c":-0,"d":1e3,"e":"0x10","f":12345678901234567890}`,
			"a=int:4688\nb=float:1.50\nc=int:-0\nd=float:1e3\ne=string:0x10\nf=int:12345678901234567890\n"},
		{"array of scalars", `{"t":["a",1,null]}`, "t=[string:a int:1 null:]\n"},
		{"array of objects", `{"o":[{"n":1},{"n":2,"m":3}]}`, "o.n=[int:1 int:2]\no.m=[int:3]\n"},
		{"nested arrays flatten", `{"x":[[1,2],[3,[4]]]}`, "x=[int:1 int:2 int:3 int:4]\n"},
		{"mixed array", `{"x":[1,{"a":2}]}`, "x=[int:1]\nx.a=[int:2]\n"},
		{"deep in array", `{"d":{"objects":[{"points":[{"i":0},{"i":1}]},{"points":[{"i":7}]}]}}`, "d.objects.points.i=[int:0 int:1 int:7]\n"},
		{"empty array", `{"e":[]}`, "e=[]\n"},
		{"array of empty objects", `{"e":[{},{}]}`, "e=[]\n"},
		{"empty object", `{"e":{},"f":1}`, "f=int:1\n"},
		{"empty record", `{}`, ""},
		{"escapes", `{"s":"a\"b\\c\/d\n\t\u00e9\ud83d\ude00"}`, "s=string:a\"b\\c/d\n\té😀\n"},
		{"lone surrogate", `{"s":"\ud800x"}`, "s=string:\uFFFDx\n"},
		{"escaped key", `{"a\u002eb":1}`, "a.b=int:1\n"},
		{"duplicate key last wins", `{"a":1,"b":2,"a":3}`, "a=int:3\nb=int:2\n"},
		{"dotted key collides", `{"a.b":1,"a":{"b":2}}`, "a.b=int:2\n"},
		{"whitespace", " \t{ \"a\" :\n 1 , \"b\" : [ 1 , 2 ] }\r\n", "a=int:1\nb=[int:1 int:2]\n"},
		{"invalid utf8 kept", "{\"a\":\"\xff\"}", "a=string:\xff\n"},
	}
	f := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e event.Event
			if err := f.Object(&e, []byte(tt.in)); err != nil {
				t.Fatalf("Object(%s): %v", tt.in, err)
			}
			if got := render(&e); got != tt.want {
				t.Errorf("Object(%s) =\n%s\nwant\n%s", tt.in, got, tt.want)
			}
		})
	}
}

func TestObjectErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{``, "empty record"},
		{`{"a":1`, "end of the record"},
		{`{"a":1,}`, "expected a key"},
		{`{"a" 1}`, "expected ':'"},
		{`{"a":01}`, "expected ',' or '}'"},
		{`{"a":1.}`, "invalid number"},
		{`{"a":-}`, "invalid number"},
		{`{"a":tru}`, "unexpected"},
		{`{"a":"x}`, "unterminated"},
		{`{"a":"\x"}`, "invalid escape"},
		{`{"a":"\u12"}`, "invalid \\u escape"},
		{`{"a":[1 2]}`, "expected ',' or ']'"},
		{`{"a":1} x`, "after the object"},
		{`{"a":1}{"b":2}`, "after the object"},
		{strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1), "nested deeper"},
		{strings.Repeat(`[`, MaxDepth+5), "nested deeper"},
	}
	f := New()
	for _, tt := range tests {
		e := event.Event{Fields: []event.Field{{Name: "keep"}}}
		err := f.Object(&e, []byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Object(%.40s) error = %v, want one containing %q", tt.in, err, tt.msg)
		}
		if len(e.Fields) != 1 {
			t.Errorf("Object(%.40s) left fields %v after an error", tt.in, e.Fields)
		}
	}
	for _, in := range []string{`[1]`, `"x"`, `1`, `null`} {
		var e event.Event
		if err := f.Object(&e, []byte(in)); !errors.Is(err, ErrNotObject) {
			t.Errorf("Object(%s) error = %v, want ErrNotObject", in, err)
		}
	}
}

func TestLargeRecords(t *testing.T) {
	f := New()
	var e event.Event
	many := "[" + strings.Repeat("1,", MaxValues) + "1]"
	if err := f.Object(&e, []byte(`{"a":`+many+`}`)); !errors.Is(err, ErrTooManyValues) {
		t.Errorf("too many values: %v", err)
	}
	// Many distinct keys, then repeats: dedup through the index stays
	// correct (and linear).
	var b strings.Builder
	b.WriteString("{")
	const n = 20000
	for i := range n {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	b.WriteString(`"k5":"again","k19999":"last"}`)
	e = event.Event{}
	if err := f.Object(&e, []byte(b.String())); err != nil {
		t.Fatal(err)
	}
	if len(e.Fields) != n || e.GetString("k5") != "again" || e.GetString("k19999") != "last" || e.Fields[5].Name != "k5" {
		t.Errorf("%d fields, k5=%q k19999=%q", len(e.Fields), e.GetString("k5"), e.GetString("k19999"))
	}
	if !f.Has(&e, "k123") || f.Has(&e, "nope") || !f.AddIfAbsent(&e, "new", event.Int(1)) || f.AddIfAbsent(&e, "k1", event.Int(1)) {
		t.Error("Has / AddIfAbsent on an indexed record")
	}
	// The next, small record starts afresh.
	e = event.Event{}
	if err := f.Object(&e, []byte(`{"k5":1}`)); err != nil || f.Has(&e, "k6") || !f.Has(&e, "k5") {
		t.Errorf("state leaked between records: %v", err)
	}
}

// reference flattens with encoding/json's tokenizer, by the same rules, to
// check the hand-written parser against.
func reference(data []byte) (*event.Event, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	e := &event.Event{}
	type list struct {
		name string
		vals []event.Value
	}
	var lists []*list
	inList := 0
	set := func(name string, v event.Value) {
		for i := range e.Fields {
			if e.Fields[i].Name == name {
				e.Fields[i].Value = v
				return
			}
		}
		e.Add(name, v)
	}
	leaf := func(name string, v event.Value) {
		if inList == 0 {
			set(name, v)
			return
		}
		for _, l := range lists {
			if l.name == name {
				l.vals = append(l.vals, v)
				return
			}
		}
		lists = append(lists, &list{name, []event.Value{v}})
	}
	var value func(name string, tok json.Token) error
	value = func(name string, tok json.Token) error {
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' {
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						return err
					}
					child := k.(string)
					if name != "" {
						child = name + "." + child
					}
					t, err := dec.Token()
					if err != nil {
						return err
					}
					if err := value(child, t); err != nil {
						return err
					}
				}
				_, err := dec.Token()
				return err
			}
			outer := inList == 0
			if outer {
				lists = nil
			}
			inList++
			for dec.More() {
				t, err := dec.Token()
				if err != nil {
					return err
				}
				if err := value(name, t); err != nil {
					return err
				}
			}
			inList--
			if _, err := dec.Token(); err != nil {
				return err
			}
			if outer {
				if len(lists) == 0 {
					set(name, event.List())
				}
				for _, l := range lists {
					set(l.name, event.List(l.vals...))
				}
			}
		case string:
			leaf(name, event.String(v))
		case json.Number:
			s := string(v)
			leaf(name, Number(s, !strings.ContainsAny(s, ".eE")))
		case bool:
			leaf(name, event.Bool(v))
		case nil:
			leaf(name, event.Null())
		}
		return nil
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if err := value("", tok); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("extra data")
	}
	return e, nil
}

// FuzzObject checks the parser against encoding/json: what encoding/json
// accepts as an object, Object accepts with the same fields; and Object
// never panics nor leaves fields behind on error.
func FuzzObject(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, `{"a":{"b":[1,{"c":"d"}]},"e":null}`, `{"s":"\u00e9\ud83d\ude00\n"}`,
		`{"n":-1.5e+10,"m":0}`, `{"x":[[],[{}],[1,[2]]]}`, `{"a":1,"a":{"b":2}}`, `{"a.b":1,"a":{"b":2}}`,
	} {
		f.Add([]byte(s))
	}
	fl := New()
	f.Fuzz(func(t *testing.T, data []byte) {
		var e event.Event
		err := fl.Object(&e, data)
		if err != nil && len(e.Fields) != 0 {
			t.Fatalf("fields left after error %v", err)
		}
		if !json.Valid(data) || !utf8.Valid(data) {
			return
		}
		if d := bytes.TrimLeft(data, " \t\r\n"); len(d) == 0 || d[0] != '{' {
			if err == nil {
				t.Fatalf("accepted a non-object: %q", data)
			}
			return
		}
		if bytes.Count(data, []byte("{"))+bytes.Count(data, []byte("[")) > MaxDepth {
			return // may exceed the depth limit, which encoding/json lacks
		}
		ref, rerr := reference(data)
		if rerr != nil {
			t.Fatalf("reference failed on valid JSON %q: %v", data, rerr)
		}
		if err != nil {
			t.Fatalf("rejected valid JSON %q: %v", data, err)
		}
		if got, want := render(&e), render(ref); got != want {
			t.Fatalf("Object(%q) =\n%s\nreference:\n%s", data, got, want)
		}
	})
}
