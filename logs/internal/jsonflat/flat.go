// Package jsonflat turns JSON records into flat events, and reads streams of
// them (one per line, a top-level array, or concatenated pretty-printed
// objects). It is the shared core of the jsonl, eve, zeek and cloudtrail
// readers.
//
// Flattening rules:
//   - nested objects become dotted names: {"a":{"b":1}} gives "a.b";
//   - arrays become event.List values under the array's name, and every leaf
//     inside an array, however deep, is appended to the list named by its
//     dotted path without indices: {"o":[{"n":1},{"n":2,"m":3}]} gives
//     "o.n" = [1 2] and "o.m" = [3]. Sigma's "any element matches" semantics
//     need exactly this; what is lost is which element a value came from, so
//     parallel lists need not line up when elements lack keys;
//   - an empty array gives an empty list; an empty object gives nothing;
//   - numbers keep their text in Value.Str ("4688", "1.50", "1e3"): KindInt
//     when the text is an integer literal, KindFloat otherwise;
//   - null gives event.Null();
//   - a name that occurs twice (a duplicate key, or "a.b" next to
//     {"a":{"b":...}}) keeps its first position and the last value, as
//     encoding/json does, so that names stay unique;
//   - strings are unescaped; bytes that are not valid UTF-8 are kept as they
//     are, for fidelity to the evidence.
package jsonflat

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/event"
)

// MaxDepth bounds nesting so that hostile input cannot exhaust the stack.
const MaxDepth = 512

// MaxValues bounds the leaves of one record. Each costs a Value of some 60
// bytes, so without a bound a 16 MiB line of "[1,1,1,...]" would become half
// a gigabyte of values.
const MaxValues = 1 << 18

// indexAt is how many fields a record may have before duplicate detection
// switches from the bloom filter and a scan to a map: a hostile record with
// many thousands of keys must not make it quadratic.
const indexAt = 256

// maxNames and maxNameLen bound the name cache: records with ever-new keys
// (hostile, or keys that are really data) must not grow it without limit,
// in number or in bytes.
const (
	maxNames   = 1 << 14
	maxNameLen = 256
)

// SyntaxError is a record that is not valid JSON, or not an object.
type SyntaxError struct {
	Off int // byte offset in the record
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d of the record: %s", e.Off, e.Msg)
}

// ErrTooManyValues is returned for records with more than MaxValues leaves.
var ErrTooManyValues = fmt.Errorf("record has more than %d values", MaxValues)

// ErrNotObject is returned for records that are valid JSON but not objects.
var ErrNotObject = errors.New("record is not a JSON object")

// Flattener parses JSON objects into event fields. It keeps caches between
// records and is not safe for concurrent use; the zero value is not usable,
// call New.
type Flattener struct {
	names  map[string]string // interned dotted names, so records share them
	seq    []string          // names of the last record in order: records of one shape repeat it
	k      int               // position in seq
	path   []byte            // dotted name of the value being parsed
	buf    []byte            // scratch for unescaping
	seed   maphash.Seed
	bloom  [16]uint64     // names added to the current record, for cheap dedup
	index  map[string]int // name → field index, once the record has indexAt fields
	leaves int            // leaves of the current record, against MaxValues
	e      *event.Event
	base   int // index of the record's first field in e.Fields
	data   []byte
	s      string // data as a string: unescaped values are substrings of it
	inList int    // depth of arrays around the current value
	lists  []pending
	listIx map[string]int // name → index in lists, once lists grows long
}

// pending is a list being collected for the outermost array in progress.
type pending struct {
	name string
	vals []event.Value
}

// New returns a Flattener.
func New() *Flattener {
	return &Flattener{names: make(map[string]string), seed: maphash.MakeSeed()}
}

// Object parses data, which must hold exactly one JSON object, and appends
// its leaves to e.Fields. On error e.Fields is left as it was.
func (f *Flattener) Object(e *event.Event, data []byte) error {
	f.e, f.data, f.s = e, data, string(data)
	f.base = len(e.Fields)
	f.bloom = [16]uint64{}
	clear(f.index)
	f.leaves = 0
	f.path = f.path[:0]
	f.inList = 0
	f.lists = f.lists[:0]
	f.k = 0
	clear(f.listIx)
	i := skipSpace(data, 0)
	var err error
	switch {
	case i == len(data):
		err = f.errf(i, "empty record")
	case data[i] != '{':
		if _, err = f.skipCheck(i); err == nil {
			err = ErrNotObject
		}
	default:
		if i, err = f.value(i, 0); err == nil {
			if i = skipSpace(data, i); i < len(data) {
				err = f.errf(i, "unexpected %q after the object", data[i])
			}
		}
	}
	if err != nil {
		clear(e.Fields[f.base:])
		e.Fields = e.Fields[:f.base]
	}
	f.e, f.data, f.s = nil, nil, ""
	return err
}

// skipCheck validates a non-object record without keeping its fields, to
// tell "not an object" from "not JSON".
func (f *Flattener) skipCheck(i int) (int, error) {
	var scratch event.Event
	saved := f.e
	f.e = &scratch
	f.path = append(f.path[:0], '_')
	f.inList = 1 // collect into lists, then drop them
	j, err := f.value(i, 0)
	if err == nil && skipSpace(f.data, j) != len(f.data) {
		err = f.errf(j, "extra data")
	}
	f.e, f.inList, f.path = saved, 0, f.path[:0]
	f.lists = f.lists[:0]
	clear(f.listIx)
	return j, err
}

func (f *Flattener) errf(off int, format string, args ...any) error {
	return &SyntaxError{Off: off, Msg: fmt.Sprintf(format, args...)}
}

func skipSpace(d []byte, i int) int {
	for i < len(d) {
		switch d[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value parses the value at d[i] (no leading space) and returns the index
// after it.
func (f *Flattener) value(i, depth int) (int, error) {
	d := f.data
	if i >= len(d) {
		return i, f.errf(i, "unexpected end of the record")
	}
	switch c := d[i]; c {
	case '{':
		return f.object(i, depth+1)
	case '[':
		return f.array(i, depth+1)
	case '"':
		s, j, err := f.str(i)
		if err != nil {
			return j, err
		}
		return j, f.leaf(event.Value{Kind: event.KindString, Str: s})
	case 't':
		if len(d)-i >= 4 && string(d[i:i+4]) == "true" {
			return i + 4, f.leaf(event.Bool(true))
		}
	case 'f':
		if len(d)-i >= 5 && string(d[i:i+5]) == "false" {
			return i + 5, f.leaf(event.Bool(false))
		}
	case 'n':
		if len(d)-i >= 4 && string(d[i:i+4]) == "null" {
			return i + 4, f.leaf(event.Null())
		}
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return f.number(i)
		}
	}
	return i, f.errf(i, "unexpected %q", d[i])
}

func (f *Flattener) object(i, depth int) (int, error) {
	if depth > MaxDepth {
		return i, f.errf(i, "nested deeper than %d", MaxDepth)
	}
	d := f.data
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return i, f.errf(i, "expected a key")
		}
		n := len(f.path)
		if n > 0 {
			f.path = append(f.path, '.')
		}
		var err error
		if f.path, i, err = f.appendKey(f.path, i); err != nil {
			return i, err
		}
		i = skipSpace(d, i)
		if i >= len(d) || d[i] != ':' {
			return i, f.errf(i, "expected ':' after a key")
		}
		if i, err = f.value(skipSpace(d, i+1), depth); err != nil {
			return i, err
		}
		f.path = f.path[:n]
		i = skipSpace(d, i)
		if i >= len(d) {
			return i, f.errf(i, "unexpected end of the record in an object")
		}
		switch d[i] {
		case ',':
			i = skipSpace(d, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, f.errf(i, "expected ',' or '}' in an object, found %q", d[i])
		}
	}
}

func (f *Flattener) array(i, depth int) (int, error) {
	if depth > MaxDepth {
		return i, f.errf(i, "nested deeper than %d", MaxDepth)
	}
	d := f.data
	outer := f.inList == 0
	if outer {
		f.lists = f.lists[:0]
		clear(f.listIx)
	}
	f.inList++
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == ']' {
		i++
	} else {
		for {
			var err error
			if i, err = f.value(i, depth); err != nil {
				return i, err
			}
			i = skipSpace(d, i)
			if i >= len(d) {
				return i, f.errf(i, "unexpected end of the record in an array")
			}
			if d[i] == ']' {
				i++
				break
			}
			if d[i] != ',' {
				return i, f.errf(i, "expected ',' or ']' in an array, found %q", d[i])
			}
			i = skipSpace(d, i+1)
		}
	}
	f.inList--
	if outer {
		if len(f.lists) == 0 {
			f.Add(f.e, f.name(), event.List())
		}
		for k := range f.lists {
			p := &f.lists[k]
			f.Add(f.e, p.name, event.List(p.vals...))
			p.vals = nil
		}
		f.lists = f.lists[:0]
	}
	return i, nil
}

// name returns the current dotted path as an interned string. Consecutive
// records mostly share their shape, so the name is first compared with the
// one at the same position in the previous record, which is cheaper than a
// map lookup.
func (f *Flattener) name() string {
	if f.k < len(f.seq) && f.seq[f.k] == string(f.path) {
		f.k++
		return f.seq[f.k-1]
	}
	s, ok := f.names[string(f.path)]
	if !ok {
		s = string(f.path)
		if len(f.names) < maxNames && len(s) <= maxNameLen {
			f.names[s] = s
		}
	}
	switch {
	case f.k < len(f.seq):
		f.seq[f.k] = s
	case f.k < 4096:
		f.seq = append(f.seq, s)
	}
	f.k++
	return s
}

// leaf records a scalar at the current path.
func (f *Flattener) leaf(v event.Value) error {
	if f.leaves++; f.leaves > MaxValues {
		return ErrTooManyValues
	}
	name := f.name()
	if f.inList == 0 {
		f.Add(f.e, name, v)
		return nil
	}
	if k, ok := f.listIndex(name); ok {
		f.lists[k].vals = append(f.lists[k].vals, v)
		return nil
	}
	f.lists = append(f.lists, pending{name: name, vals: []event.Value{v}})
	if f.listIx != nil || len(f.lists) > 16 {
		if f.listIx == nil {
			f.listIx = make(map[string]int)
		}
		if len(f.listIx) == 0 {
			for k := range f.lists {
				f.listIx[f.lists[k].name] = k
			}
		}
		f.listIx[name] = len(f.lists) - 1
	}
	return nil
}

func (f *Flattener) listIndex(name string) (int, bool) {
	if len(f.listIx) > 0 {
		k, ok := f.listIx[name]
		return k, ok
	}
	for k := range f.lists {
		if f.lists[k].name == name {
			return k, true
		}
	}
	return 0, false
}

func (f *Flattener) bloomBit(name string) (int, uint64) {
	h := maphash.String(f.seed, name)
	return int(h>>6) & 15, 1 << (h & 63)
}

// Add appends field name to e, or replaces the value of the field of that
// name that the current record already has. e must be the event being
// filled by the last call to Object.
func (f *Flattener) Add(e *event.Event, name string, v event.Value) {
	if k, ok := f.find(e, name); ok {
		e.Fields[k].Value = v
		return
	}
	f.add(e, name, v)
}

// AddIfAbsent appends field name to e unless the record already has it,
// and reports whether it did. Readers add aliases with it, so that a name
// the source itself uses always wins.
func (f *Flattener) AddIfAbsent(e *event.Event, name string, v event.Value) bool {
	if _, ok := f.find(e, name); ok {
		return false
	}
	f.add(e, name, v)
	return true
}

// Has reports whether the current record has a field called name.
func (f *Flattener) Has(e *event.Event, name string) bool {
	_, ok := f.find(e, name)
	return ok
}

// Find returns the index in e.Fields of the current record's field called
// name.
func (f *Flattener) Find(e *event.Event, name string) (int, bool) { return f.find(e, name) }

func (f *Flattener) find(e *event.Event, name string) (int, bool) {
	if len(f.index) > 0 {
		k, ok := f.index[name]
		return k, ok
	}
	w, bit := f.bloomBit(name)
	if f.bloom[w]&bit == 0 {
		return 0, false
	}
	for k := f.base; k < len(e.Fields); k++ {
		if e.Fields[k].Name == name {
			return k, true
		}
	}
	return 0, false
}

// add appends a field known to be new.
func (f *Flattener) add(e *event.Event, name string, v event.Value) {
	e.Add(name, v)
	switch n := len(e.Fields) - f.base; {
	case n > indexAt:
		f.index[name] = len(e.Fields) - 1
	case n == indexAt:
		if f.index == nil {
			f.index = make(map[string]int, 2*indexAt)
		}
		for k := f.base; k < len(e.Fields); k++ {
			f.index[e.Fields[k].Name] = k
		}
	default:
		w, bit := f.bloomBit(name)
		f.bloom[w] |= bit
	}
}

// appendKey appends the unescaped key starting at d[i] (a quote) to dst.
func (f *Flattener) appendKey(dst []byte, i int) ([]byte, int, error) {
	d := f.data
	j, escaped := strEnd(d, i)
	switch {
	case j < 0:
		return dst, len(d), f.errf(i, "unterminated string")
	case escaped:
		return f.unescape(dst, i)
	}
	return append(dst, d[i+1:j]...), j + 1, nil
}

// strEnd returns the index of the quote that may end the string starting at
// d[i], and whether a backslash comes before it (then the quote may be
// escaped and the string needs unescaping). Both searches are vectorised.
func strEnd(d []byte, i int) (int, bool) {
	j := bytes.IndexByte(d[i+1:], '"')
	if j < 0 {
		return -1, bytes.IndexByte(d[i+1:], '\\') >= 0
	}
	return i + 1 + j, bytes.IndexByte(d[i+1:i+1+j], '\\') >= 0
}

// str parses the string at d[i] (a quote). Strings without escapes are
// substrings of the record and cost no allocation.
func (f *Flattener) str(i int) (string, int, error) {
	d := f.data
	j, escaped := strEnd(d, i)
	if !escaped {
		if j < 0 {
			return "", len(d), f.errf(i, "unterminated string")
		}
		return f.s[i+1 : j], j + 1, nil
	}
	b, end, err := f.unescape(f.buf[:0], i)
	f.buf = b
	if err != nil {
		return "", end, err
	}
	return string(b), end, nil
}

// unescape appends the decoded string starting at d[i] (a quote) to dst.
func (f *Flattener) unescape(dst []byte, i int) ([]byte, int, error) {
	d := f.data
	j := i + 1
	for j < len(d) {
		c := d[j]
		switch {
		case c == '"':
			return dst, j + 1, nil
		case c != '\\':
			dst = append(dst, c)
			j++
			continue
		}
		if j+1 >= len(d) {
			break
		}
		switch e := d[j+1]; e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(d, j+2)
			if !ok {
				return dst, j, f.errf(j, "invalid \\u escape")
			}
			j += 6
			if utf16IsHigh(r) {
				if r2, ok := hex4(d, j+2); ok && j+1 < len(d) && d[j] == '\\' && d[j+1] == 'u' && utf16IsLow(r2) {
					r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					j += 6
				} else {
					r = utf8.RuneError
				}
			} else if utf16IsLow(r) {
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, j, f.errf(j, "invalid escape \\%c", e)
		}
		j += 2
	}
	return dst, len(d), f.errf(i, "unterminated string")
}

func utf16IsHigh(r rune) bool { return r >= 0xD800 && r < 0xDC00 }
func utf16IsLow(r rune) bool  { return r >= 0xDC00 && r < 0xE000 }

func hex4(d []byte, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var r rune
	for _, c := range d[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number parses the JSON number at d[i], keeping its text.
func (f *Flattener) number(i int) (int, error) {
	d := f.data
	j := i
	if d[j] == '-' {
		j++
	}
	digits := func() int {
		k := j
		for j < len(d) && d[j] >= '0' && d[j] <= '9' {
			j++
		}
		return j - k
	}
	switch {
	case j < len(d) && d[j] == '0':
		j++
	case digits() == 0:
		return j, f.errf(j, "invalid number")
	}
	integer := true
	if j < len(d) && d[j] == '.' {
		j++
		if digits() == 0 {
			return j, f.errf(j, "invalid number")
		}
		integer = false
	}
	if j < len(d) && (d[j] == 'e' || d[j] == 'E') {
		j++
		if j < len(d) && (d[j] == '+' || d[j] == '-') {
			j++
		}
		if digits() == 0 {
			return j, f.errf(j, "invalid number")
		}
		integer = false
	}
	return j, f.leaf(Number(f.s[i:j], integer))
}

// Number returns the value of a valid JSON number's text: KindInt when
// integer says the text is an integer literal, else KindFloat. Str keeps
// the text as it was.
func Number(text string, integer bool) event.Value {
	if integer {
		if len(text) <= 18 { // fits in int64 without overflow checks
			var n int64
			neg := text[0] == '-'
			for _, c := range []byte(text[btoi(neg):]) {
				n = n*10 + int64(c-'0')
			}
			if neg {
				n = -n
			}
			return event.Value{Kind: event.KindInt, Str: text, Num: float64(n)}
		}
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return event.Value{Kind: event.KindInt, Str: text, Num: float64(n)}
		}
		if n, err := strconv.ParseUint(text, 10, 64); err == nil {
			return event.Value{Kind: event.KindInt, Str: text, Num: float64(n)}
		}
		// Beyond 64 bits: still an integer to rules comparing text, an
		// approximation to ordered comparisons.
		n, _ := strconv.ParseFloat(text, 64)
		return event.Value{Kind: event.KindInt, Str: text, Num: n}
	}
	n, _ := strconv.ParseFloat(text, 64) // out of range gives ±Inf, acceptable
	return event.Value{Kind: event.KindFloat, Str: text, Num: n}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
