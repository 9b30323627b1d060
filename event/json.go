package event

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// MarshalJSON renders e as
//
//	{"time":"2006-01-02T15:04:05.999999999Z","source":{...},"fields":{"Name":value,...}}
//
// with the fields in their order in e (encoding/json would sort a map's keys,
// and analysts read events in the order the source wrote them). When several
// fields share a name, the first is kept, as Get would return it. Raw is not
// rendered.
//
// A value renders as a JSON number when it is an int whose text is decimal or
// a float whose text is a valid JSON number, so that the text the rules
// matched is exactly what the analyst sees; hex ints ("0x1f"), NaN and
// infinities stay strings. Bools render as true or false, null as null, lists
// as arrays, and everything else as a string.
func (e *Event) MarshalJSON() ([]byte, error) {
	return e.AppendJSON(make([]byte, 0, 64+32*len(e.Fields))), nil
}

// AppendJSON appends the JSON that MarshalJSON returns to dst, for callers
// that write many events through one buffer.
//
// Unlike encoding/json, it does not escape <, > and &: events go to API
// clients, not into HTML. (json.Marshal of an Event still escapes them, as it
// does for every Marshaler.)
func (e *Event) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"time":"`...)
	dst = e.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","source":{"path":`...)
	dst = appendJSONString(dst, e.Source.Path)
	dst = append(dst, `,"format":`...)
	dst = appendJSONString(dst, e.Source.Format)
	if e.Source.Record != 0 { // as Source's omitempty tag says
		dst = append(dst, `,"record":`...)
		dst = strconv.AppendInt(dst, e.Source.Record, 10)
	}
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, e.Source.Offset, 10)
	dst = append(dst, `},"fields":{`...)
	first := true
	for i := range e.Fields {
		f := &e.Fields[i]
		if e.nameBefore(f.Name, i) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, f.Name)
		dst = append(dst, ':')
		dst = appendJSONValue(dst, &f.Value)
	}
	return append(dst, "}}"...)
}

// nameBefore reports whether a field before index i is called name. The
// quadratic scan costs less than a map for the few dozen fields of a log
// record; duplicates are rare, so the common case is a miss.
func (e *Event) nameBefore(name string, i int) bool {
	for j := range i {
		if e.Fields[j].Name == name {
			return true
		}
	}
	return false
}

func appendJSONValue(dst []byte, v *Value) []byte {
	switch v.Kind {
	case KindNull:
		return append(dst, "null"...)
	case KindBool:
		if v.Num != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case KindInt:
		if isJSONInteger(v.Str) {
			return append(dst, v.Str...)
		}
	case KindFloat:
		if isJSONNumber(v.Str) {
			return append(dst, v.Str...)
		}
	case KindList:
		dst = append(dst, '[')
		for i := range v.List {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, &v.List[i])
		}
		return append(dst, ']')
	}
	return appendJSONString(dst, v.Str)
}

// isJSONInteger reports whether s is a decimal integer as JSON writes one:
// an optional minus and no leading zeros or plus sign.
func isJSONInteger(s string) bool {
	return s != "" && jsonIntegerEnd(s) == len(s)
}

// isJSONNumber reports whether s is a number in JSON's grammar.
func isJSONNumber(s string) bool {
	i := jsonIntegerEnd(s)
	if i == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := digitsEnd(s, i)
		if j == i {
			return false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digitsEnd(s, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(s)
}

// jsonIntegerEnd returns where the integer part of a JSON number at the
// start of s ends, 0 if s does not start with one.
func jsonIntegerEnd(s string) int {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i == len(s):
		return 0
	case s[i] == '0':
		return i + 1
	case s[i] >= '1' && s[i] <= '9':
		return digitsEnd(s, i+1)
	}
	return 0
}

func digitsEnd(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as encoding/json does, so the output is always valid JSON; U+2028 and
// U+2029 are escaped because JavaScript source may not hold them raw.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0 // s[start:i] is waiting to be copied verbatim
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
