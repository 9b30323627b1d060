package triage

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Fields that a Mapping may fill, with what each becomes in an Alert.
// "ip" is an alias of src_ip and "short" of rule, after the AIT-ADS columns.
var Fields = []string{"time", "name", "rule", "short", "severity", "level", "host", "user", "ip", "src_ip", "dst_ip", "process", "hash", "tactics", "intel"}

// Mapping maps a field (see Fields) to an input column name, or to a dotted
// path into an NDJSON object.
type Mapping map[string]string

// ParseMapping reads "field=column,field=column". Unknown fields are errors
// so that a typo does not silently drop a column.
func ParseMapping(s string) (Mapping, error) {
	m := Mapping{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		field, col, ok := strings.Cut(part, "=")
		field, col = strings.TrimSpace(field), strings.TrimSpace(col)
		if !ok || field == "" || col == "" {
			return nil, fmt.Errorf("mapping %q: want field=column", part)
		}
		if !isField(field) {
			return nil, fmt.Errorf("mapping %q: unknown field %q; fields are %s", part, field, strings.Join(Fields, ", "))
		}
		m[field] = col
	}
	if m["time"] == "" {
		return nil, errors.New("mapping: the time field must be mapped")
	}
	return m, nil
}

func isField(f string) bool {
	for _, x := range Fields {
		if x == f {
			return true
		}
	}
	return false
}

// defaultMapping maps every column whose name is a field name to that field.
// Columns such as time_label or event_label never match a field, which keeps
// evaluation labels out of triage by construction.
func defaultMapping(columns []string) Mapping {
	m := Mapping{}
	for _, c := range columns {
		if isField(strings.ToLower(c)) {
			m[strings.ToLower(c)] = c
		}
	}
	if m["time"] == "" {
		// Common names of the time column in exports.
		for _, c := range columns {
			switch strings.ToLower(c) {
			case "timestamp", "@timestamp", "ts", "date":
				m["time"] = c
			}
			if m["time"] != "" {
				break
			}
		}
	}
	return m
}

// ParseError locates bad input.
type ParseError struct {
	File string
	Line int // 1-based physical record number in the file, header included
	Err  error
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *ParseError) Unwrap() error { return e.Err }

// ReadFile reads alerts from a CSV or NDJSON file, gzip-compressed or not.
// The format is recognised from the first non-blank byte: '{' is NDJSON,
// anything else CSV with a header. A nil mapping means the default one.
func ReadFile(path string, m Mapping) ([]Alert, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path, m)
}

// Read reads alerts from r; name is used in errors and Alert.Source.
func Read(r io.Reader, name string, m Mapping) ([]Alert, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<16)
	}
	for {
		b, err := br.Peek(1)
		if err != nil {
			return nil, nil // empty input: no alerts
		}
		if b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n' {
			_, _ = br.ReadByte()
			continue
		}
		if b[0] == '{' {
			return readNDJSON(br, name, m)
		}
		return readCSV(br, name, m)
	}
}

func readCSV(r io.Reader, name string, m Mapping) ([]Alert, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, &ParseError{name, 1, fmt.Errorf("header: %w", err)}
	}
	header = append([]string(nil), header...)
	if m == nil {
		m = defaultMapping(header)
	}
	idx := map[string]int{}
	for field, col := range m {
		i := indexOf(header, col)
		if i < 0 {
			return nil, &ParseError{name, 1, fmt.Errorf("no column %q (for %s) in header %s", col, field, strings.Join(header, ","))}
		}
		idx[field] = i
	}
	if _, ok := idx["time"]; !ok {
		return nil, &ParseError{name, 1, errors.New("no time column; name one with --map time=COLUMN")}
	}
	var out []Alert
	for line := 0; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, &ParseError{name, line + 2, err}
		}
		get := func(field string) string {
			if i, ok := idx[field]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		a, err := build(get, line, name)
		if err != nil {
			return nil, &ParseError{name, line + 2, err}
		}
		out = append(out, a)
	}
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	for i, x := range xs { // tolerate case differences in headers
		if strings.EqualFold(x, s) {
			return i
		}
	}
	return -1
}

// build turns mapped field values into an Alert.
func build(get func(string) string, line int, source string) (Alert, error) {
	ts := get("time")
	if ts == "" {
		return Alert{}, errors.New("empty time")
	}
	t, err := ParseTime(ts)
	if err != nil {
		return Alert{}, err
	}
	a := Alert{Line: line, Time: t, Name: get("name"), Rule: first(get("rule"), get("short")),
		Severity: first(get("severity"), get("level")), Source: source}
	if a.Name == "" && a.Rule == "" {
		return Alert{}, errors.New("no rule: the name, rule or short field is empty or unmapped")
	}
	a.Entities = map[string]string{}
	for _, k := range []struct{ kind, field string }{
		{Host, "host"}, {User, "user"}, {SrcIP, "src_ip"}, {SrcIP, "ip"}, {DstIP, "dst_ip"}, {Process, "process"}, {Hash, "hash"},
	} {
		if v := get(k.field); v != "" && v != "-" && a.Entities[k.kind] == "" {
			a.Entities[k.kind] = v
		}
	}
	if v := get("intel"); v != "" && v != "-" {
		a.Intel = v
	}
	if tac := get("tactics"); tac != "" {
		for _, x := range strings.FieldsFunc(tac, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
			if x = strings.TrimSpace(x); x != "" {
				a.Tactics = append(a.Tactics, x)
			}
		}
	}
	return a, nil
}

func first2(a, b any) any {
	if a != nil {
		return a
	}
	return b
}

func first(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

func readNDJSON(r io.Reader, name string, m Mapping) ([]Alert, error) {
	defaults := m == nil
	if defaults {
		m = Mapping{}
		for _, f := range Fields {
			m[f] = f
		}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 16<<20)
	var out []Alert
	line := 0
	for sc.Scan() {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			line++
			continue
		}
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			return nil, &ParseError{name, line + 1, fmt.Errorf("not a JSON object: %w", err)}
		}
		mm, preset := m, ""
		if defaults {
			if preset = presetOf(obj); preset != "" {
				mm = Presets[preset]
			}
		}
		if skipRecord(preset, obj) {
			line++
			continue
		}
		get := func(field string) string {
			path, ok := mm[field]
			if !ok {
				return ""
			}
			v := strings.TrimSpace(jsonString(lookup(obj, path)))
			if v == "" && defaults && field == "time" {
				v = strings.TrimSpace(jsonString(first2(obj["@timestamp"], obj["timestamp"])))
			}
			if preset == "eve" && field == "severity" {
				v = eveSeverity(v)
			}
			return v
		}
		a, err := build(get, line, name)
		if err != nil {
			return nil, &ParseError{name, line + 1, err}
		}
		out = append(out, a)
		line++
	}
	if err := sc.Err(); err != nil {
		return nil, &ParseError{name, line + 1, err}
	}
	return out, nil
}

// lookup follows a dotted path; a key that itself contains dots is tried
// whole first, as exporters often flatten names ("rule.name").
func lookup(obj map[string]any, path string) any {
	if v, ok := obj[path]; ok {
		return v
	}
	head, rest, ok := strings.Cut(path, ".")
	if !ok {
		return nil
	}
	sub, isObj := obj[head].(map[string]any)
	if !isObj {
		return nil
	}
	return lookup(sub, rest)
}

func jsonString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, jsonString(e))
		}
		return strings.Join(parts, ",")
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// ParseTime reads unix seconds (integer or fractional), unix milliseconds
// (integers from 10^11 up, i.e. after 1973 in milliseconds), or RFC 3339.
func ParseTime(s string) (time.Time, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e15 {
			return time.Time{}, fmt.Errorf("time %q out of range", s)
		}
		if f >= 1e11 {
			ms := int64(f)
			return time.UnixMilli(ms).UTC(), nil
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is neither unix seconds, unix milliseconds nor RFC 3339", truncate(s, 40))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// sortedKeys returns a map's keys in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
