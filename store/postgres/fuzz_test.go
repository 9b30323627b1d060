package postgres

import (
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/search"
)

// holds evaluates c on text the way PostgreSQL does: LIKE '%run%' is a
// substring test once the pattern's escapes are undone.
func (c *cond) holds(text string) bool {
	if c.kids == nil {
		p := strings.TrimSuffix(strings.TrimPrefix(c.pattern, "%"), "%")
		var run strings.Builder
		for i := 0; i < len(p); i++ {
			if p[i] == '\\' && i+1 < len(p) {
				i++
			}
			run.WriteByte(p[i])
		}
		return strings.Contains(text, run.String())
	}
	for _, k := range c.kids {
		if k.holds(text) == c.or {
			return c.or
		}
	}
	return !c.or
}

// condition returns the condition tree searchCondition renders, or nil.
func condition(q *search.Query) *cond {
	r := &queryReader{src: q.String()}
	c, ok := r.or()
	r.space()
	if !ok || r.pos != len(r.src) {
		return nil
	}
	return c
}

// checkSound fails when e matches q but its search text does not satisfy
// the condition SearchEvents would put on it: the index would lose a
// match.
func checkSound(t *testing.T, qs string, q *search.Query, e *event.Event) {
	t.Helper()
	c := condition(q)
	if c == nil || !q.Match(e) {
		return
	}
	var f folder
	if text := f.searchText(e); !c.holds(text) {
		var args []any
		t.Fatalf("%q (%s) matches %+v, but its search text %q fails %s %q", qs, q, e.Fields, text, c.sql(0, &args), args)
	}
}

// Without a database: every match of every listed query on every test
// event satisfies the query's condition.
func TestSearchConditionSound(t *testing.T) {
	evs := searchEvents()
	for _, qs := range searchQueries(t) {
		q, err := search.ParseAt(qs, searchClock)
		if err != nil {
			continue
		}
		for i := range evs {
			checkSound(t, qs, q, &evs[i])
		}
	}
}

// FuzzSearchCondition reads arbitrary queries: searchCondition must not
// panic, and an event holding the fuzzed values must satisfy the
// condition whenever the query matches it.
func FuzzSearchCondition(f *testing.F) {
	seeds := []struct{ q, a, b string }{
		{`mimikatz`, "Mimikatz.EXE", ""},
		{`f:*abc*def?`, "xxABCyyDEFz", ""},
		{`"50% of_the" OR g:x`, `50% OF_THE rest`, ""},
		{`f:C:\Windows\* AND NOT g:*.dll`, `c:\windows\system32`, "a.exe"},
		{`POWERſHELL`, "powershell", ""},
		{`f:"quoted \"value\" with \\ and \d"`, `quoted "value" with \ and \d`, ""},
		{`f:*\*\?\:*`, `a*?:b`, ""},
		{`f:[a TO z] OR g:>5 AND abc`, "m", "abc"},
		{`nul*byte`, "nul\x00byte", ""},
		{`f:\u212a*`, "\u212aelvin", ""},
		{`(a OR bcd) AND (efg OR NOT hij)`, "bcd", "efg"},
	}
	for _, s := range seeds {
		f.Add(s.q, s.a, s.b)
	}
	f.Fuzz(func(t *testing.T, qs, a, b string) {
		q, err := search.ParseAt(qs, searchClock)
		if err != nil {
			return
		}
		searchCondition(q, 3)
		e := event.Event{Time: searchClock}
		e.Add("f", event.String(a))
		e.Add("g", event.String(b))
		e.Add("list", event.Value{Kind: event.KindList, List: []event.Value{event.String(b), event.String(a)}})
		checkSound(t, qs, q, &e)
	})
}
