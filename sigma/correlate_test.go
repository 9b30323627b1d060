package sigma

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// corrRules returns detection rules named by names; rule n matches events
// whose field "rule" is n. They are for product "test", which the default
// mapping leaves unmapped (jsonl events).
func corrRules(names ...string) string {
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "---\ntitle: rule %s\nid: id-%s\nname: %s\nlogsource: {product: test}\ndetection:\n    sel:\n        rule: %s\n    condition: sel\n", n, n, n, n)
	}
	return b.String()
}

// obs is a match of rule at t0+at on an event with fields kv.
type obs struct {
	rule string
	at   time.Duration
	kv   []any
}

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// feed runs the stream through a new correlator (matching every event
// against the rules first, as the engine does), then flushes it.
func feed(t *testing.T, rs *RuleSet, stream []obs) (live, flushed []CorrelationMatch) {
	t.Helper()
	c := NewCorrelator(rs)
	byName := map[string]*Rule{}
	for _, r := range rs.Rules {
		byName[r.Name] = r
	}
	for _, o := range stream {
		r := byName[o.rule]
		if r == nil {
			t.Fatalf("no rule %q", o.rule)
		}
		e := ev(append([]any{"rule", o.rule}, o.kv...)...)
		e.Time = t0.Add(o.at)
		if !matchAny(rs, e) {
			t.Fatalf("rule %s does not match its own event", o.rule)
		}
		live = append(live, c.Observe(r, e)...)
	}
	return live, c.Flush()
}

func corrSet(t *testing.T, correlation string, rules ...string) *RuleSet {
	t.Helper()
	return mustCompile(t, correlation+corrRules(rules...))
}

// count correlation matches by correlation title.
func titles(ms []CorrelationMatch) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Correlation.Title)
	}
	return out
}

func TestEventCount(t *testing.T) {
	rs := corrSet(t, `title: many failures
id: c1
correlation:
    type: event_count
    rules: [fail]
    group-by: [User]
    timespan: 5m
    condition: {gte: 3}
`, "fail")
	live, flushed := feed(t, rs, []obs{
		{"fail", 0, []any{"User", "bob"}},
		{"fail", time.Minute, []any{"User", "alice"}},
		{"fail", 2 * time.Minute, []any{"User", "bob"}},
		{"fail", 3 * time.Minute, []any{"User", "alice"}},
		{"fail", 4 * time.Minute, []any{"User", "bob"}},
	})
	if len(live) != 1 || len(flushed) != 0 {
		t.Fatalf("got %d live, %d flushed matches; want 1 live", len(live), len(flushed))
	}
	m := live[0]
	if m.Group["User"] != "bob" || m.Count != 3 || len(m.Events) != 3 || !m.First.Equal(t0) || !m.Last.Equal(t0.Add(4*time.Minute)) {
		t.Errorf("match: %+v", m)
	}
	for _, e := range m.Events {
		if e.Rule != "id-fail" {
			t.Errorf("evidence rule %q, want the rule's id", e.Rule)
		}
	}
	if !rs.Correlated[rs.Rules[0]] {
		t.Error("the correlated rule should raise no alerts of its own")
	}
}

// TestOneAlertPerBurst checks that a group that keeps matching fires once,
// and again only after a quiet timespan.
func TestOneAlertPerBurst(t *testing.T) {
	rs := corrSet(t, `title: burst
correlation:
    type: event_count
    rules: fail
    group-by: User
    timespan: 1m
    condition: {gte: 3}
`, "fail")
	var stream []obs
	for i := 0; i < 30; i++ { // every 10 s for 5 minutes
		stream = append(stream, obs{"fail", time.Duration(i) * 10 * time.Second, []any{"User", "bob"}})
	}
	live, _ := feed(t, rs, stream)
	if len(live) != 1 {
		t.Errorf("continuous burst: %d alerts, want 1", len(live))
	}
	// A second burst after more than a timespan of silence fires again.
	last := stream[len(stream)-1].at
	for i := 0; i < 3; i++ {
		stream = append(stream, obs{"fail", last + 2*time.Minute + time.Duration(i)*time.Second, []any{"User", "bob"}})
	}
	live, _ = feed(t, rs, stream)
	if len(live) != 2 {
		t.Errorf("two bursts: %d alerts, want 2", len(live))
	}
}

func TestTimespanBoundary(t *testing.T) {
	rs := corrSet(t, `title: pair
correlation:
    type: event_count
    rules: [a]
    timespan: 5m
    condition: {gte: 2}
`, "a")
	for _, tc := range []struct {
		gap  time.Duration
		want int
	}{
		{5 * time.Minute, 1}, // the window includes both ends
		{5*time.Minute + time.Nanosecond, 0},
		{0, 1},
	} {
		live, flushed := feed(t, rs, []obs{{"a", 0, nil}, {"a", tc.gap, nil}})
		if len(live)+len(flushed) != tc.want {
			t.Errorf("gap %v: %d matches, want %d", tc.gap, len(live)+len(flushed), tc.want)
		}
	}
	// Out of order, but within the window.
	live, _ := feed(t, rs, []obs{{"a", time.Minute, nil}, {"a", 0, nil}})
	if len(live) != 1 {
		t.Errorf("out-of-order pair: %d matches, want 1", len(live))
	}
}

func TestCorrelationThresholds(t *testing.T) {
	for _, tc := range []struct {
		cond string
		n    int // events within one window
		want bool
	}{
		{"gt: 2", 2, false},
		{"gt: 2", 3, true},
		{"gte: 2", 2, true},
		{"gte: 2", 1, false},
		{"eq: 2", 2, true},
		{"eq: 2", 3, false},
		{"eq: 2", 1, false},
		{"lt: 3", 2, true},
		{"lt: 3", 3, false},
		{"lte: 3", 3, true},
		{"lte: 3", 4, false},
		{"neq: 2", 3, true},
		{"neq: 2", 2, false},
		{"gt: 1, lte: 3", 1, false},
		{"gt: 1, lte: 3", 3, true},
		{"gt: 1, lte: 3", 4, false},
	} {
		rs := corrSet(t, "title: thr\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [h]\n    timespan: 10m\n    condition: {"+tc.cond+"}\n", "a")
		var stream []obs
		for i := 0; i < tc.n; i++ {
			stream = append(stream, obs{"a", time.Duration(i) * time.Minute, []any{"h", "x"}})
		}
		live, flushed := feed(t, rs, stream)
		if got := len(live)+len(flushed) == 1; got != tc.want || len(live)+len(flushed) > 1 {
			t.Errorf("{%s} with %d events: %d live, %d flushed; want a match: %v", tc.cond, tc.n, len(live), len(flushed), tc.want)
		}
	}
}

// TestWindowClose checks conditions that need the whole window (eq, lt):
// they are evaluated when a later match falls outside the window, not only
// at the end of the input.
func TestWindowClose(t *testing.T) {
	rs := corrSet(t, `title: exactly two
correlation:
    type: event_count
    rules: [a]
    group-by: [h]
    timespan: 5m
    condition: {eq: 2}
`, "a")
	live, flushed := feed(t, rs, []obs{
		{"a", 0, []any{"h", "x"}},
		{"a", time.Minute, []any{"h", "x"}},
		{"a", 10 * time.Minute, []any{"h", "x"}}, // closes the first window
	})
	if len(live) != 1 || live[0].Count != 2 || len(flushed) != 0 {
		t.Errorf("window close: live %+v, flushed %+v", live, flushed)
	}
}

func TestValueCount(t *testing.T) {
	rs := corrSet(t, `title: spray
correlation:
    type: value_count
    rules: [fail]
    group-by: [IpAddress]
    timespan: 10m
    condition:
        field: TargetUserName
        gte: 3
`, "fail")
	live, _ := feed(t, rs, []obs{
		{"fail", 0, []any{"IpAddress", "10.0.0.1", "TargetUserName", "a"}},
		{"fail", 1 * time.Second, []any{"IpAddress", "10.0.0.1", "TargetUserName", "a"}},
		{"fail", 2 * time.Second, []any{"IpAddress", "10.0.0.1", "TargetUserName", ""}},
		{"fail", 3 * time.Second, []any{"IpAddress", "10.0.0.1"}},
		{"fail", 4 * time.Second, []any{"IpAddress", "10.0.0.2", "TargetUserName", "b"}},
		{"fail", 5 * time.Second, []any{"IpAddress", "10.0.0.1", "TargetUserName", "b"}},
		{"fail", 6 * time.Second, []any{"IpAddress", "10.0.0.2", "TargetUserName", "c"}},
	})
	if len(live) != 0 {
		t.Fatalf("fired with two distinct values (empty ones do not count): %+v", live)
	}
	live, _ = feed(t, rs, []obs{
		{"fail", 0, []any{"IpAddress", "10.0.0.1", "TargetUserName", "a"}},
		{"fail", time.Second, []any{"IpAddress", "10.0.0.1", "TargetUserName", "b"}},
		{"fail", 2 * time.Second, []any{"IpAddress", "10.0.0.1", "TargetUserName", "a"}},
		{"fail", 3 * time.Second, []any{"IpAddress", "10.0.0.1", "TargetUserName", "c"}},
	})
	if len(live) != 1 || live[0].Count != 3 || strings.Join(live[0].Values, ",") != "a,b,c" || live[0].Group["IpAddress"] != "10.0.0.1" {
		t.Errorf("value_count: %+v", live)
	}
}

func TestTemporal(t *testing.T) {
	rs := corrSet(t, `title: recon
correlation:
    type: temporal
    rules: [a, b, c]
    group-by: [Computer, User]
    timespan: 5m
`, "a", "b", "c")
	for _, tc := range []struct {
		name   string
		stream []obs
		want   int
	}{
		{"any order", []obs{{"c", 0, []any{"Computer", "h", "User", "u"}}, {"a", time.Minute, []any{"Computer", "h", "User", "u"}}, {"b", 2 * time.Minute, []any{"Computer", "h", "User", "u"}}}, 1},
		{"repeated rule does not count twice", []obs{{"a", 0, []any{"Computer", "h", "User", "u"}}, {"a", time.Minute, []any{"Computer", "h", "User", "u"}}, {"b", 2 * time.Minute, []any{"Computer", "h", "User", "u"}}}, 0},
		{"different groups", []obs{{"a", 0, []any{"Computer", "h", "User", "u"}}, {"b", time.Minute, []any{"Computer", "h", "User", "v"}}, {"c", 2 * time.Minute, []any{"Computer", "h", "User", "u"}}}, 0},
		{"too far apart", []obs{{"a", 0, []any{"Computer", "h", "User", "u"}}, {"b", time.Minute, []any{"Computer", "h", "User", "u"}}, {"c", 6 * time.Minute, []any{"Computer", "h", "User", "u"}}}, 0},
	} {
		live, flushed := feed(t, rs, tc.stream)
		if len(live)+len(flushed) != tc.want {
			t.Errorf("%s: %d matches, want %d", tc.name, len(live)+len(flushed), tc.want)
		}
		if tc.want == 1 && (len(live) != 1 || live[0].Count != 3) {
			t.Errorf("%s: %+v", tc.name, live)
		}
	}
}

func TestTemporalOrdered(t *testing.T) {
	rs := corrSet(t, `title: then
correlation:
    type: temporal_ordered
    rules: [first, second]
    group-by: [User]
    timespan: 10m
`, "first", "second")
	u := []any{"User", "bob"}
	for _, tc := range []struct {
		name   string
		stream []obs
		want   int
	}{
		{"in order", []obs{{"first", 0, u}, {"second", time.Minute, u}}, 1},
		{"reversed", []obs{{"second", 0, u}, {"first", time.Minute, u}}, 0},
		{"second, first, second", []obs{{"second", 0, u}, {"first", time.Minute, u}, {"second", 2 * time.Minute, u}}, 1},
		{"arriving out of order", []obs{{"second", time.Minute, u}, {"first", 0, u}}, 1},
		{"too late", []obs{{"first", 0, u}, {"second", 11 * time.Minute, u}}, 0},
	} {
		live, flushed := feed(t, rs, tc.stream)
		if len(live)+len(flushed) != tc.want {
			t.Errorf("%s: %d matches, want %d", tc.name, len(live)+len(flushed), tc.want)
		}
	}
}

// TestAliases is the specification's example: one address is the
// destination in one rule's events and the source in the other's.
func TestAliases(t *testing.T) {
	rs := corrSet(t, `title: alias
correlation:
    type: temporal
    rules: [internal_error, new_network_connection]
    group-by: [internal_ip, remote_ip]
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
`, "internal_error", "new_network_connection")
	live, _ := feed(t, rs, []obs{
		{"internal_error", 0, []any{"destination.ip", "10.0.0.5", "source.ip", "1.2.3.4"}},
		{"new_network_connection", 5 * time.Second, []any{"source.ip", "10.0.0.5", "destination.ip", "1.2.3.4"}},
	})
	if len(live) != 1 || live[0].Group["internal_ip"] != "10.0.0.5" || live[0].Group["remote_ip"] != "1.2.3.4" {
		t.Errorf("aliases: %+v", live)
	}
	live, _ = feed(t, rs, []obs{
		{"internal_error", 0, []any{"destination.ip", "10.0.0.5", "source.ip", "1.2.3.4"}},
		{"new_network_connection", 5 * time.Second, []any{"source.ip", "1.2.3.4", "destination.ip", "10.0.0.5"}},
	})
	if len(live) != 0 {
		t.Errorf("swapped addresses matched: %+v", live)
	}
}

// TestChainedCorrelation is the specification's example: many failed
// logins (a correlation) followed by a successful one.
func TestChainedCorrelation(t *testing.T) {
	rs := corrSet(t, `title: brute force then success
id: outer
correlation:
    type: temporal_ordered
    rules: [multiple_failed_login, successful_login]
    group-by: [User]
    timespan: 10m
level: high
---
title: multiple failed logins
name: multiple_failed_login
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [User]
    timespan: 10m
    condition: {gte: 3}
`, "failed_login", "successful_login")
	u := []any{"User", "bob"}
	live, _ := feed(t, rs, []obs{
		{"failed_login", 0, u}, {"failed_login", time.Minute, u}, {"failed_login", 2 * time.Minute, u},
		{"successful_login", 3 * time.Minute, u},
	})
	got := strings.Join(titles(live), ",")
	if got != "multiple failed logins,brute force then success" {
		t.Errorf("chain fired %q", got)
	}
	live, _ = feed(t, rs, []obs{{"failed_login", 0, u}, {"failed_login", time.Minute, u}, {"successful_login", 3 * time.Minute, u}})
	if len(live) != 0 {
		t.Errorf("two failures then success fired %q", titles(live))
	}
	for _, r := range rs.Rules {
		if !rs.Correlated[r] {
			t.Errorf("rule %s should be consumed by the correlations", r.Name)
		}
	}
}

func TestGenerateFlag(t *testing.T) {
	for _, tc := range []struct{ doc string }{
		{"title: g\ncorrelation:\n    type: event_count\n    rules: [a]\n    timespan: 1m\n    condition: {gte: 2}\n    generate: true\n"},
		{"title: g\ngenerate: true\ncorrelation:\n    type: event_count\n    rules: [a]\n    timespan: 1m\n    condition: {gte: 2}\n"},
	} {
		rs := corrSet(t, tc.doc, "a", "b")
		if !rs.Correlations[0].Generate || len(rs.Correlated) != 0 {
			t.Errorf("generate: %v, correlated %v\n%s", rs.Correlations[0].Generate, rs.Correlated, tc.doc)
		}
	}
	rs := corrSet(t, "title: g\ncorrelation:\n    type: event_count\n    rules: [a]\n    timespan: 1m\n    condition: {gte: 2}\n", "a", "b")
	if len(rs.Correlated) != 1 || !rs.Correlated[rs.Rules[0]] {
		t.Errorf("without generate: correlated %v", rs.Correlated)
	}
}

func TestCorrelationReferenceErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"title: c\ncorrelation:\n    type: event_count\n    rules: [nosuch]\n    timespan: 1m\n    condition: {gte: 2}\n", `refers to "nosuch", which is not a loaded rule`},
		{"title: c\nname: self\ncorrelation:\n    type: event_count\n    rules: [self]\n    timespan: 1m\n    condition: {gte: 2}\n", `refers to "self"`},
		{"title: c1\nname: c1\ncorrelation:\n    type: event_count\n    rules: [c2]\n    timespan: 1m\n    condition: {gte: 2}\n---\ntitle: c2\nname: c2\ncorrelation:\n    type: event_count\n    rules: [c1]\n    timespan: 1m\n    condition: {gte: 2}\n", "refers back to itself"},
		// A rule that failed to compile cannot be referred to.
		{"title: c\ncorrelation:\n    type: event_count\n    rules: [broken]\n    timespan: 1m\n    condition: {gte: 2}\n---\ntitle: b\nname: broken\ndetection:\n    sel: {F|nosuch: x}\n    condition: sel\n", `refers to "broken"`},
	} {
		rs := compileYAML(t, tc.doc+corrRules("a"), Options{})
		found := false
		for _, f := range rs.Failed() {
			if f.Kind == "correlation" && strings.Contains(f.Err.Error(), tc.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("want a correlation error %q, got %+v", tc.want, rs.Failed())
		}
	}
}

func TestCorrelationParseErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"type: nosuch\n    rules: [a]\n    timespan: 1m", "not one of"},
		{"type: event_count\n    timespan: 1m\n    condition: {gte: 1}", "must name at least one rule"},
		{"type: event_count\n    rules: [a]\n    condition: {gte: 1}", "timespan is required"},
		{"type: event_count\n    rules: [a]\n    timespan: 5x\n    condition: {gte: 1}", "unit must be"},
		{"type: event_count\n    rules: [a]\n    timespan: 0m\n    condition: {gte: 1}", "positive number"},
		{"type: event_count\n    rules: [a]\n    timespan: 400d\n    condition: {gte: 1}", "longer than a year"},
		{"type: event_count\n    rules: [a]\n    timespan: 1m", "needs a condition"},
		{"type: event_count\n    rules: [a]\n    timespan: 1m\n    condition: {gte: many}", "must be an integer"},
		{"type: event_count\n    rules: [a]\n    timespan: 1m\n    condition: {above: 1}", "unknown correlation condition"},
		{"type: event_count\n    rules: [a]\n    timespan: 1m\n    condition: 5", "must be a map"},
		{"type: value_count\n    rules: [a]\n    timespan: 1m\n    condition: {gte: 1}", "needs condition.field"},
		{"type: temporal\n    rules: [a]\n    timespan: 1m\n    aliases: [x]", "aliases must be a map"},
	} {
		doc := "title: c\ncorrelation:\n    " + tc.body + "\n"
		docs := Parse("c.yml", []byte(doc))
		if len(docs) != 1 || docs[0].Err == nil || !strings.Contains(docs[0].Err.Error(), tc.want) {
			t.Errorf("%q: got %+v, want an error %q", tc.body, docs, tc.want)
			continue
		}
		if docs[0].Err.Line == 0 {
			t.Errorf("%q: error %v has no line", tc.body, docs[0].Err)
		}
	}
}

func TestParseTimespan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"30s", 30 * time.Second}, {"5m", 5 * time.Minute}, {"1h", time.Hour}, {"2d", 48 * time.Hour}, {"1w", 7 * 24 * time.Hour}, {" 90m ", 90 * time.Minute},
	} {
		if got, err := ParseTimespan(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseTimespan(%q) = %v, %v", tc.in, got, err)
		}
	}
	for _, in := range []string{"", "m", "5", "-5m", "5 m", "1.5h", "5M", "1y", "99999999999999999999s"} {
		if _, err := ParseTimespan(in); err == nil {
			t.Errorf("ParseTimespan(%q): no error", in)
		}
	}
}

// TestCorrelationWithoutTimestamps checks that events without a time (the
// zero time) still correlate: all of them fall in one window.
func TestCorrelationWithoutTimestamps(t *testing.T) {
	rs := corrSet(t, "title: z\ncorrelation:\n    type: event_count\n    rules: [a]\n    timespan: 1m\n    condition: {gte: 3}\n", "a")
	c := NewCorrelator(rs)
	n := 0
	for i := 0; i < 10; i++ {
		n += len(c.Observe(rs.Rules[0], ev("rule", "a")))
	}
	if n != 1 {
		t.Errorf("%d alerts, want 1", n)
	}
}

// TestCorrelationGroupBound checks that the groups kept per correlation
// are bounded: the oldest are evicted and counted.
func TestCorrelationGroupBound(t *testing.T) {
	rs := corrSet(t, "title: many groups\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [k]\n    timespan: 1h\n    condition: {gte: 2}\n", "a")
	c := NewCorrelator(rs)
	c.MaxGroups = 3
	for i := 0; i < 10; i++ {
		e := ev("rule", "a", "k", fmt.Sprint(i))
		e.Time = t0.Add(time.Duration(i) * time.Second)
		c.Observe(rs.Rules[0], e)
	}
	if c.Dropped != 7 || len(c.state[rs.Correlations[0]]) != 3 {
		t.Errorf("dropped %d, kept %d groups; want 7 and 3", c.Dropped, len(c.state[rs.Correlations[0]]))
	}
	// The newest groups are kept and still count.
	e := ev("rule", "a", "k", "9")
	e.Time = t0.Add(11 * time.Second)
	if ms := c.Observe(rs.Rules[0], e); len(ms) != 1 {
		t.Errorf("kept group did not fire: %+v", ms)
	}
	// An evicted group starts again from nothing.
	e = ev("rule", "a", "k", "0")
	e.Time = t0.Add(12 * time.Second)
	if ms := c.Observe(rs.Rules[0], e); len(ms) != 0 {
		t.Errorf("evicted group fired: %+v", ms)
	}
	if !c.Wants(rs.Rules[0]) {
		t.Error("Wants: the correlated rule is not wanted")
	}
}

// TestCorrelationEvidenceBound checks that a match keeps at most
// MaxEvidence events and values.
func TestCorrelationEvidenceBound(t *testing.T) {
	rs := corrSet(t, "title: values\ncorrelation:\n    type: value_count\n    rules: [a]\n    timespan: 1h\n    condition: {field: v, lt: 1000}\n", "a")
	var stream []obs
	for i := 0; i < 3*MaxEvidence; i++ {
		stream = append(stream, obs{"a", time.Duration(i) * time.Second, []any{"v", fmt.Sprint(i)}})
	}
	_, flushed := feed(t, rs, stream)
	if len(flushed) != 1 || flushed[0].Count != int64(3*MaxEvidence) || len(flushed[0].Events) != MaxEvidence || len(flushed[0].Values) != MaxEvidence {
		t.Errorf("flushed: %d matches, %+v", len(flushed), flushed)
	}
}

func TestCountConditionHolds(t *testing.T) {
	c := CorrelationCondition{Ops: []CountOp{{"gt", 1}, {"lte", 3}}}
	for n, want := range map[int64]bool{0: false, 1: false, 2: true, 3: true, 4: false} {
		if c.Holds(n) != want {
			t.Errorf("Holds(%d) = %v", n, !want)
		}
	}
	if !(CorrelationCondition{}).Holds(0) {
		t.Error("no comparisons: want true")
	}
}
