package sigma

import (
	"testing"
	"time"
)

// TestCorrelationEntryBound keeps the matches held in windows under
// MaxEntries however many groups the input creates, evicting the least
// recently active groups, and accounts for the entries of windows that
// fire and start afresh.
func TestCorrelationEntryBound(t *testing.T) {
	rs := corrSet(t, `title: many
correlation:
    type: value_count
    rules: [a]
    group-by: [host]
    timespan: 1h
    condition: {field: user, gte: 1000}
`, "a")
	c := NewCorrelator(rs)
	c.MaxEntries = 500
	r := rs.Rules[0]
	for i := 0; i < 5000; i++ {
		e := ev("rule", "a", "host", string(rune('A'+i%50)), "user", "u")
		e.Time = t0.Add(time.Duration(i) * time.Second)
		c.Observe(r, e)
		if c.entries > c.MaxEntries {
			t.Fatalf("after %d matches %d entries are held, more than %d", i+1, c.entries, c.MaxEntries)
		}
	}
	held := 0
	for _, g := range c.state[rs.Correlations[0]] {
		held += len(g.entries)
	}
	if held != c.entries {
		t.Errorf("entries counted %d, held %d", c.entries, held)
	}
	if c.Dropped == 0 {
		t.Error("no group was evicted")
	}
}
