package sigma

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/event"
)

// TestScratchReuse checks that a Scratch reused across events (its arena
// of lower-cased text, its caches) gives the results a fresh one gives,
// and that lower-cased values stay intact as the arena grows.
func TestScratchReuse(t *testing.T) {
	rs := syntheticSet(t)
	rnd := rand.New(rand.NewPCG(5, 5))
	reused := NewScratch()
	var events []*event.Event
	for _, c := range rs.Compiled {
		g := &eventGen{rnd: rnd, values: map[string][]event.Value{}}
		g.collect(c.detection)
		for k := 0; k < 20; k++ {
			e := g.event()
			// Long upper-case values make the arena grow mid-event.
			e.Add("Long", event.String(strings.Repeat("ABC€", rnd.IntN(3000))))
			e.Add("Upper", event.String(strings.ToUpper(g.randomCase("Mixed Case Value"))))
			events = append(events, e)
		}
	}
	for i, e := range events {
		reused.Reset(e)
		fresh := NewScratch()
		fresh.Reset(e)
		for j, c := range rs.Compiled {
			if a, b := c.Match(reused), c.Match(fresh); a != b {
				t.Fatalf("event %d, rule %d (%s): reused scratch %v, fresh %v", i, j, syntheticRules[j], a, b)
			}
		}
		for k := range e.Fields {
			if got, want := reused.Lower(k), lowerString(e.Fields[k].Value.Str); got != want {
				t.Fatalf("event %d field %s: Lower %q, want %q", i, e.Fields[k].Name, got, want)
			}
		}
		// Values lower-cased earlier in the event are still intact.
		for k := range e.Fields {
			if got, want := reused.Lower(k), lowerString(e.Fields[k].Value.Str); got != want {
				t.Fatalf("event %d field %s changed after later fields: %q", i, e.Fields[k].Name, got)
			}
		}
	}
}
