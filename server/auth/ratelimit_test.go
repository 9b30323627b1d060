package auth

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// wait returns how long key is still locked out at now, 0 if not.
func (l *limiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.entries[key]
	if !ok {
		return 0
	}
	if d := el.Value.(*limitEntry).lockedUntil.Sub(now); d > 0 {
		return d
	}
	return 0
}

// len returns how many keys l remembers.
func (l *limiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

func TestLimiterRefund(t *testing.T) {
	l := newLimiter(5, time.Minute, 15*time.Minute, 100)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Successes taken back do not count: any number of them, with four
	// failures, leave the key free. (The attempt after four failures does
	// start a lockout, since it might fail too; its refund lifts it.)
	for range 4 {
		l.begin("k", now)
	}
	for range 20 {
		w, d := l.begin("k", now)
		if w != 0 {
			t.Fatalf("attempt refused after refunds: %s", w)
		}
		l.refund("k", d > 0)
		if w := l.wait("k", now); w != 0 {
			t.Fatalf("locked out after a refunded attempt: %s", w)
		}
	}
	l.reset("k")
	for range 4 {
		l.begin("k", now)
	}
	// The fifth attempt starts a lockout; when it turns out a success,
	// the lockout is lifted, and the next failure starts it again.
	_, d := l.begin("k", now)
	if d != time.Minute || l.wait("k", now) == 0 {
		t.Fatalf("fifth attempt: lockout %s", d)
	}
	l.refund("k", true)
	if w := l.wait("k", now); w != 0 {
		t.Fatalf("lockout not lifted by refund: %s", w)
	}
	if _, d := l.begin("k", now); d != time.Minute {
		t.Errorf("failure after lifted lockout: %s, want a first (1m) lockout", d)
	}
	// Refunding an unknown key is harmless.
	l.refund("unknown", true)
}

func TestLimiterLockoutDoubles(t *testing.T) {
	l := newLimiter(5, time.Minute, 15*time.Minute, 100)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Each round: four failures are free, the fifth locks out for the
	// given time, and the key may try again exactly when it ends.
	for round, want := range []time.Duration{
		time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute,
	} {
		for i := range 4 {
			if _, d := l.begin("k", now); d != 0 {
				t.Fatalf("round %d failure %d locked out for %s", round, i+1, d)
			}
			if d := l.wait("k", now); d != 0 {
				t.Fatalf("round %d failure %d: wait %s", round, i+1, d)
			}
			now = now.Add(time.Second)
		}
		if _, d := l.begin("k", now); d != want {
			t.Fatalf("round %d: lockout %s, want %s", round, d, want)
		}
		if d := l.wait("k", now.Add(time.Second)); d != want-time.Second {
			t.Fatalf("round %d: wait %s, want %s", round, d, want-time.Second)
		}
		now = now.Add(want)
		if d := l.wait("k", now); d != 0 {
			t.Fatalf("round %d: still locked at the end: %s", round, d)
		}
	}
	if d := l.wait("other", now); d != 0 {
		t.Errorf("unrelated key waits %s", d)
	}
}

func TestLimiterWindowAndForgiveness(t *testing.T) {
	l := newLimiter(5, time.Minute, 15*time.Minute, 100)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Four failures a minute, spread out, never lock.
	for i := range 20 {
		if _, d := l.begin("k", now); d != 0 {
			t.Fatalf("failure %d at slow pace locked out", i)
		}
		now = now.Add(16 * time.Second)
	}
	// A lockout, then a quiet spell longer than the longest lockout:
	// the next lockout starts from the bottom again.
	for range 5 {
		l.begin("k", now)
	}
	now = now.Add(time.Hour)
	for range 4 {
		l.begin("k", now)
	}
	if _, d := l.begin("k", now); d != time.Minute {
		t.Errorf("lockout after quiet spell %s, want 1m", d)
	}
	l.reset("k")
	if d := l.wait("k", now); d != 0 {
		t.Errorf("after reset, wait %s", d)
	}
}

func TestLimiterBounded(t *testing.T) {
	l := newLimiter(5, time.Minute, 15*time.Minute, 10)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 5 {
		l.begin("victim", now)
	}
	if l.wait("victim", now) == 0 {
		t.Fatal("victim not locked")
	}
	// Nine other keys fit beside it; the tenth pushes out the oldest.
	for i := range 9 {
		l.begin(fmt.Sprint("spray", i), now)
	}
	if l.len() != 10 || l.wait("victim", now) == 0 {
		t.Fatalf("len %d, victim forgotten too early", l.len())
	}
	l.begin("spray-last", now)
	if l.len() != 10 {
		t.Errorf("len %d, want cap 10", l.len())
	}
	if l.wait("victim", now) != 0 {
		t.Error("oldest entry not evicted")
	}
	for i := range 1000 {
		l.begin(fmt.Sprint("flood", i), now)
	}
	if l.len() != 10 {
		t.Errorf("len %d after flood, want 10", l.len())
	}
}

func TestRateLimitError(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{
		{time.Minute, 60},
		{59*time.Second + time.Millisecond, 60},
		{time.Nanosecond, 1},
	} {
		e := &RateLimitError{RetryAfter: tc.d}
		if got := e.RetryAfterSeconds(); got != tc.want {
			t.Errorf("RetryAfterSeconds(%s) = %d, want %d", tc.d, got, tc.want)
		}
		if !errors.Is(fmt.Errorf("login: %w", e), ErrRateLimited) {
			t.Error("wrapped RateLimitError is not ErrRateLimited")
		}
	}
}

func TestLimiterKeys(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"not-an-ip", "not-an-ip"},
	} {
		if got := ipKey(tc.in); got != tc.want {
			t.Errorf("ipKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if userKey("Admin") != userKey("admin") {
		t.Error("user keys differ by case")
	}
	if n := len(userKey(string(make([]byte, 10000)))); n > maxUserKeyLen {
		t.Errorf("user key of %d bytes", n)
	}
}
