package sigma

import (
	"testing"
	"time"
)

// TestCorrelationExpire checks the streaming close of windows: a window of
// a whole-window condition (lt) is evaluated once stream time passes its
// end, and idle groups are dropped.
func TestCorrelationExpire(t *testing.T) {
	rs := corrSet(t, "title: few\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [h]\n    timespan: 10m\n    condition: {lt: 3}\n", "a")
	c := NewCorrelator(rs)
	a := rs.Rules[0]
	for i := range 2 {
		e := ev("rule", "a", "h", "x")
		e.Time = t0.Add(time.Duration(i) * time.Minute)
		if got := c.Observe(a, e); len(got) != 0 {
			t.Fatalf("observe %d: %d matches before the window closed", i, len(got))
		}
	}
	if got := c.Expire(t0.Add(5 * time.Minute)); len(got) != 0 {
		t.Fatalf("expire inside the window: %d matches, want 0", len(got))
	}
	got := c.Expire(t0.Add(11 * time.Minute))
	if len(got) != 1 || got[0].Count != 2 {
		t.Fatalf("expire after the window: %+v, want one match counting 2", got)
	}
	if n := len(c.state[rs.Correlations[0]]); n != 0 || c.entries != 0 {
		t.Errorf("after expiry: %d groups, %d entries; want none", n, c.entries)
	}
	if got := c.Flush(); len(got) != 0 {
		t.Errorf("flush after expiry: %d matches, want 0 (no double alert)", len(got))
	}
}

// TestCorrelationExpireEager checks that eager groups keep their quiet
// period until it passes, so a burst still raises one alert.
func TestCorrelationExpireEager(t *testing.T) {
	rs := corrSet(t, "title: many\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [h]\n    timespan: 10m\n    condition: {gte: 2}\n", "a")
	c := NewCorrelator(rs)
	a := rs.Rules[0]
	fire := 0
	observe := func(at time.Duration) {
		e := ev("rule", "a", "h", "x")
		e.Time = t0.Add(at)
		fire += len(c.Observe(a, e))
	}
	observe(0)
	observe(time.Minute)
	c.Expire(t0.Add(12 * time.Minute)) // quiet period (until 11m) over: group dropped
	if n := len(c.state[rs.Correlations[0]]); n != 0 {
		t.Errorf("%d groups after the quiet period, want 0", n)
	}
	observe(13 * time.Minute)
	observe(14 * time.Minute)
	if fire != 2 {
		t.Errorf("fired %d times for two bursts, want 2", fire)
	}
}
