// Package event defines Event, the unit every log reader produces and every
// rule engine consumes: a timestamp, where the record came from, and a flat,
// ordered list of named, typed field values.
//
// Field names keep the source's own spelling (Sigma rules compare them
// verbatim). Nested objects are flattened to dotted names ("winlog.event_data.Image")
// by the readers, which may add aliases under the names Sigma rules use.
package event

import (
	"strconv"
	"time"
)

// Kind says which of Value's representations is authoritative.
type Kind uint8

// The kinds of Value.
const (
	KindNull   Kind = iota // JSON null, an empty EVTX substitution
	KindString             // text
	KindInt                // an integer; Str keeps its text as it appeared (decimal or 0x-prefixed hex)
	KindFloat              // a floating-point number
	KindBool               // true or false
	KindList               // a list of values (JSON arrays, unnamed EVTX Data elements)
)

func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindString:
		return "string"
	case KindInt:
		return "int"
	case KindFloat:
		return "float"
	case KindBool:
		return "bool"
	case KindList:
		return "list"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one field value. Str is always set to the value's text so that
// string matching needs no conversion: "4688" for an event id, "0x10" for an
// EVTX HexInt32, "true" for a boolean, "" for null. Num holds the numeric value
// of ints, floats and booleans (1 or 0) for ordered comparisons; large 64-bit
// integers lose precision there, which is why equality always uses Str.
type Value struct {
	Kind Kind
	Str  string
	Num  float64
	List []Value
}

// Null returns the null value.
func Null() Value { return Value{Kind: KindNull} }

// String returns a string value.
func String(s string) Value { return Value{Kind: KindString, Str: s} }

// Int returns a signed integer value in decimal.
func Int(i int64) Value {
	return Value{Kind: KindInt, Str: strconv.FormatInt(i, 10), Num: float64(i)}
}

// Uint returns an unsigned integer value in decimal.
func Uint(u uint64) Value {
	return Value{Kind: KindInt, Str: strconv.FormatUint(u, 10), Num: float64(u)}
}

// Hex returns an integer value whose text is lower-case hexadecimal with a
// 0x prefix, as Windows renders HexInt32 and HexInt64 ("0x8000000000000000").
func Hex(u uint64) Value {
	return Value{Kind: KindInt, Str: "0x" + strconv.FormatUint(u, 16), Num: float64(u)}
}

// Float returns a floating-point value.
func Float(f float64) Value {
	return Value{Kind: KindFloat, Str: strconv.FormatFloat(f, 'f', -1, 64), Num: f}
}

// Bool returns a boolean value.
func Bool(b bool) Value {
	if b {
		return Value{Kind: KindBool, Str: "true", Num: 1}
	}
	return Value{Kind: KindBool, Str: "false"}
}

// List returns a list value. Its Str is the elements' texts joined by a space,
// so that keyword searches over a list still see every element.
func List(vs ...Value) Value {
	n := 0
	for _, v := range vs {
		n += len(v.Str) + 1
	}
	b := make([]byte, 0, n)
	for i, v := range vs {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, v.Str...)
	}
	return Value{Kind: KindList, Str: string(b), List: vs}
}

// IsNull reports whether v is the null value.
func (v Value) IsNull() bool { return v.Kind == KindNull }

// Field is a named value.
type Field struct {
	Name  string
	Value Value
}

// Source says where an event came from, for evidence and for going back to
// the original record.
type Source struct {
	Path   string `json:"path"`             // file path, or the ingest channel ("syslog/udp", "hec")
	Format string `json:"format"`           // reader name: "evtx", "jsonl", "syslog", ...
	Record int64  `json:"record,omitempty"` // EVTX EventRecordID, or the 1-based line number of text formats
	Offset int64  `json:"offset"`           // byte offset of the record in the (decompressed) input, -1 if unknown
}

// Event is one log record.
type Event struct {
	Time   time.Time
	Source Source
	Fields []Field
	// Raw is the original record when the reader can keep it cheaply (a JSON
	// line, a syslog line); nil otherwise.
	Raw []byte
}

// Get returns the value of the first field called name.
func (e *Event) Get(name string) (Value, bool) {
	for i := range e.Fields {
		if e.Fields[i].Name == name {
			return e.Fields[i].Value, true
		}
	}
	return Value{}, false
}

// GetString returns the text of field name, or "" when it is absent.
func (e *Event) GetString(name string) string {
	v, _ := e.Get(name)
	return v.Str
}

// Add appends a field without checking for an existing one of the same name.
// Readers use it; they know their names are unique.
func (e *Event) Add(name string, v Value) {
	e.Fields = append(e.Fields, Field{Name: name, Value: v})
}

// Set replaces the value of field name, or appends it.
func (e *Event) Set(name string, v Value) {
	for i := range e.Fields {
		if e.Fields[i].Name == name {
			e.Fields[i].Value = v
			return
		}
	}
	e.Add(name, v)
}

// Reset empties e for reuse, keeping the capacity of its field slice.
func (e *Event) Reset() {
	clear(e.Fields)
	*e = Event{Fields: e.Fields[:0]}
}

// Clone returns a copy of e that shares no mutable memory with it, for
// keeping an event past the callback that received it.
func (e *Event) Clone() *Event {
	c := &Event{Time: e.Time, Source: e.Source}
	c.Fields = make([]Field, len(e.Fields))
	copy(c.Fields, e.Fields)
	for i := range c.Fields {
		if l := c.Fields[i].Value.List; l != nil {
			c.Fields[i].Value.List = append([]Value(nil), l...)
		}
	}
	if e.Raw != nil {
		c.Raw = append([]byte(nil), e.Raw...)
	}
	return c
}
