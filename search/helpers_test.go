package search

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// now is the clock of every test: relative times resolve against it.
var now = time.Date(2024, 3, 2, 12, 0, 0, 0, time.UTC)

// ev builds an event from name, value pairs: Go strings, ints, floats,
// bools, nil (null), []any (a list) and event.Value as they are.
func ev(t time.Time, kv ...any) *event.Event {
	e := &event.Event{Time: t}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Add(kv[i].(string), toValue(kv[i+1]))
	}
	return e
}

func toValue(x any) event.Value {
	switch x := x.(type) {
	case nil:
		return event.Null()
	case string:
		return event.String(x)
	case int:
		return event.Int(int64(x))
	case float64:
		return event.Float(x)
	case bool:
		return event.Bool(x)
	case event.Value:
		return x
	case []any:
		vs := make([]event.Value, len(x))
		for i, y := range x {
			vs[i] = toValue(y)
		}
		return event.List(vs...)
	}
	panic(fmt.Sprintf("toValue: %T", x))
}

// testEvents are the events match tests run on, by name.
func testEvents() map[string]*event.Event {
	return map[string]*event.Event{
		"sysmon": ev(now.Add(-time.Hour),
			"Channel", "Microsoft-Windows-Sysmon/Operational", "EventID", 1, "Computer", "DC01.corp.local",
			"Image", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
			"CommandLine", `powershell.exe -enc SQBFAFgA`,
			"ParentImage", `C:\Program Files\Microsoft Office\WINWORD.EXE`,
			"User", `CORP\bob`, "ProcessId", 4242),
		"logon": ev(time.Date(2024, 1, 3, 10, 0, 0, 0, time.UTC),
			"Channel", "Security", "EventID", 4625, "Computer", "dc01", "TargetUserName", "Administrator",
			"SubjectUserName", "DC01$", "LogonType", 10, "IpAddress", "10.1.2.3", "AccessMask", event.Hex(0x1f)),
		"json": ev(time.Time{},
			"host.name", "web01", "eventid", "7", "tags", []any{"Alpha", "beta", nil}, "n", nil,
			"f", 1.5, "b", true, "count", "0x10", "u", "ÄÖÜ ſ \u212a", "empty", ""),
		"empty": ev(time.Time{}),
	}
}

// matching returns the names of the events q matches, sorted.
func matching(q *Query, evs map[string]*event.Event) string {
	var names []string
	for _, name := range []string{"sysmon", "logon", "json", "empty"} {
		if e, ok := evs[name]; ok && q.Match(e) {
			names = append(names, name)
		}
	}
	return strings.Join(names, " ")
}

// checkFilter fails when e matches q but the store filter would not
// return it: Filter must only narrow to what every match satisfies.
func checkFilter(t *testing.T, q *Query, e *event.Event) {
	t.Helper()
	if !q.Match(e) {
		return
	}
	f := q.Filter()
	if !f.From.IsZero() && e.Time.Before(f.From) {
		t.Errorf("%q: matches an event at %v, before Filter's From %v", q, e.Time, f.From)
	}
	if !f.To.IsZero() && !e.Time.Before(f.To) {
		t.Errorf("%q: matches an event at %v, not before Filter's To %v", q, e.Time, f.To)
	}
	if f.Host != "" {
		if h := hostOf(e); h == nil || h.Str != f.Host {
			t.Errorf("%q: matches an event on host %v, not Filter's %q", q, h, f.Host)
		}
	}
}

// checkRoundTrip fails unless q's canonical form parses to a query with
// the same form, filter and matches on evs.
func checkRoundTrip(t *testing.T, q *Query, evs []*event.Event) {
	t.Helper()
	s := q.String()
	q2, err := parse(s, now, 1<<20) // canonical forms may be longer than the query
	if err != nil {
		t.Fatalf("canonical form %q does not parse: %v", s, err)
	}
	if s2 := q2.String(); s2 != s {
		t.Fatalf("canonical form is not stable:\n%q\n%q", s, s2)
	}
	f1, f2 := q.Filter(), q2.Filter()
	if !f1.From.Equal(f2.From) || !f1.To.Equal(f2.To) || f1.Host != f2.Host {
		t.Fatalf("%q: filter %+v, after a round trip %+v", s, f1, f2)
	}
	for _, e := range evs {
		if q.Match(e) != q2.Match(e) {
			t.Fatalf("%q: matches %v before a round trip and %v after on %+v", s, q.Match(e), q2.Match(e), e)
		}
	}
}
