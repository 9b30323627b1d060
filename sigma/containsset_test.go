package sigma

import (
	"github.com/bulwarkhq/bulwark/event"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestContainsSetAgreesWithContains checks the Aho-Corasick path of
// contains lists (four values or more) against strings.Contains on random
// values over a small alphabet, where needles overlap, repeat and nest.
func TestContainsSetAgreesWithContains(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcA"[rnd.IntN(4)]
		}
		return string(b)
	}
	for iter := 0; iter < 3000; iter++ {
		n := minSetSize + rnd.IntN(5)
		vals := make([]string, n)
		for i := range vals {
			if i > 0 && rnd.IntN(5) == 0 {
				vals[i] = vals[rnd.IntN(i)] // a repeated value
				continue
			}
			vals[i] = word(1 + rnd.IntN(4))
		}
		all := rnd.IntN(2) == 0
		var groups [][]valueMatcher
		for _, v := range vals {
			groups = append(groups, []valueMatcher{newStrMatcher(literalPattern(v).wrap(true, true), false)})
		}
		set := newContainsSet(groups, all, nil)
		if set == nil {
			t.Fatalf("no set for %q", vals)
		}
		s := NewScratch()
		s.Reset(ev())
		for k := 0; k < 5; k++ {
			text := strings.ToLower(word(rnd.IntN(12)))
			want := all
			for _, v := range vals {
				c := strings.Contains(text, strings.ToLower(v))
				if all && !c {
					want = false
				}
				if !all && c {
					want = true
				}
			}
			if got := set.feed(s, set.begin(s), text); got != want {
				t.Fatalf("values %q (all %v) on %q: set %v, strings.Contains %v", vals, all, text, got, want)
			}
		}
	}
}

// TestContainsSetThroughRules runs the same check through compiled rules:
// field conditions and keywords, with all, on strings and lists.
func TestContainsSetThroughRules(t *testing.T) {
	runCases(t, []mcase{
		{name: "repeated values with all", det: sel("F|contains|all", `['aa', 'aa', 'bb', 'cc']`),
			hit:  []*event.Event{ev("F", "ccbbaa")},
			miss: []*event.Event{ev("F", "aabb")}},
		{name: "nested values with all", det: sel("F|contains|all", `['abcd', 'bcd', 'cd', 'd']`),
			hit:  []*event.Event{ev("F", "xABCDx")},
			miss: []*event.Event{ev("F", "bcd cd d")}},
		{name: "keywords with all across list elements", det: "keywords:\n    '|all': ['abcd', 'bcd', 'cd', 'xy']\ncondition: keywords\n",
			hit:  []*event.Event{ev("A", []any{"abcd", "XY"})},
			miss: []*event.Event{ev("A", []any{"abcd", "x", "y"})}},
	})
}
