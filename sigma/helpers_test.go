package sigma

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// Helpers shared by the package's tests: building rules from a detection
// snippet, building events from Go values or JSON, and evaluating.

// ruleDoc wraps a detection body (YAML, indented by the caller or not) into
// a rule document without a log source.
func ruleDoc(detection string) string {
	return "title: test rule\nid: 00000000-0000-0000-0000-000000000001\ndetection:\n" + indent(detection, "    ")
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// compileYAML parses and compiles one file's documents with the default
// mapping (or opts.Mapping).
func compileYAML(tb testing.TB, yml string, opts Options) *RuleSet {
	tb.Helper()
	return Compile(Parse("test.yml", []byte(yml)), opts)
}

// mustCompile compiles a file that must load without errors.
func mustCompile(tb testing.TB, yml string) *RuleSet {
	tb.Helper()
	rs := compileYAML(tb, yml, Options{})
	for _, f := range rs.Failed() {
		tb.Fatalf("%s: unexpected error: %v\n%s", f.Path, f.Err, yml)
	}
	return rs
}

// compileErr compiles a file that must fail and returns the first error.
func compileErr(tb testing.TB, yml string) error {
	tb.Helper()
	rs := compileYAML(tb, yml, Options{})
	f := rs.Failed()
	if len(f) == 0 {
		tb.Fatalf("expected an error, the document compiled:\n%s", yml)
	}
	return f[0].Err
}

// matchAny reports whether any compiled branch of the rule set matches ev.
func matchAny(rs *RuleSet, ev *event.Event) bool {
	s := NewScratch()
	s.Reset(ev)
	for _, c := range rs.Compiled {
		if c.Match(s) {
			return true
		}
	}
	return false
}

// val converts a Go value into an event value: string, int, int64, uint64,
// float64, bool, nil, []any.
func val(x any) event.Value {
	switch x := x.(type) {
	case event.Value:
		return x
	case string:
		return event.String(x)
	case int:
		return event.Int(int64(x))
	case int64:
		return event.Int(x)
	case uint64:
		return event.Uint(x)
	case float64:
		return event.Float(x)
	case bool:
		return event.Bool(x)
	case nil:
		return event.Null()
	case []any:
		vs := make([]event.Value, len(x))
		for i, y := range x {
			vs[i] = val(y)
		}
		return event.List(vs...)
	case []string:
		vs := make([]event.Value, len(x))
		for i, y := range x {
			vs[i] = event.String(y)
		}
		return event.List(vs...)
	}
	panic(fmt.Sprintf("val: unsupported %T", x))
}

// ev builds an event from name, value pairs; it comes from a "jsonl" reader
// so that rules without a log source (unmapped) apply to it.
func ev(kv ...any) *event.Event {
	e := &event.Event{Source: event.Source{Format: "jsonl", Offset: -1}}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Add(kv[i].(string), val(kv[i+1]))
	}
	return e
}

// evtx builds an event as the EVTX reader would (format evtx).
func evtx(kv ...any) *event.Event {
	e := ev(kv...)
	e.Source.Format = "evtx"
	return e
}

// eventFromJSON builds an event from a JSON object. Nested objects are
// flattened with dots; arrays become lists; integers stay integers. The
// keys "@format" and "@time" set the source format (default jsonl) and the
// timestamp (RFC 3339) instead of fields.
func eventFromJSON(data []byte) (*event.Event, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	e := &event.Event{Source: event.Source{Format: "jsonl", Offset: -1}}
	if f, ok := obj["@format"].(string); ok {
		e.Source.Format = f
		delete(obj, "@format")
	}
	if ts, ok := obj["@time"].(string); ok {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return nil, err
		}
		e.Time = t
		delete(obj, "@time")
	}
	// JSON objects have no order once decoded: sort the keys so events are
	// deterministic (only evidence order could depend on it).
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if sub, ok := m[k].(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			e.Add(prefix+k, jsonValue(m[k]))
		}
	}
	walk("", obj)
	return e, nil
}

func jsonValue(x any) event.Value {
	switch x := x.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return event.Int(i)
		}
		f, _ := x.Float64()
		return event.Float(f)
	case []any:
		vs := make([]event.Value, len(x))
		for i, y := range x {
			vs[i] = jsonValue(y)
		}
		return event.List(vs...)
	case map[string]any:
		b, _ := json.Marshal(x)
		return event.String(string(b))
	}
	return val(x)
}
