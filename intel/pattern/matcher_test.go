package pattern

import (
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// step is one event fed to a Matcher: seconds after t0, a field and value,
// and whether a match should be reported right then.
type step struct {
	sec   int
	field string
	value string
	match bool
}

func runStream(t *testing.T, pattern string, steps []step) {
	t.Helper()
	c, err := CompileString(pattern, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := c.NewMatcher(0)
	for i, s := range steps {
		got, ok := m.Feed(ev(t0.Add(time.Duration(s.sec)*time.Second), s.field, s.value))
		if ok != s.match {
			t.Errorf("%s: step %d (%+v): match = %v (%+v), want %v", pattern, i, s, ok, got, s.match)
		}
	}
}

const (
	hashEv = "Hashes"
	md5Val = "MD5=79054025255FB1A26E4BC422AEF54EB4"
	regEv  = "TargetObject"
	regVal = `HKLM\foo\bar`
)

func TestMatcherFollowedByWithin(t *testing.T) {
	p := `([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS`
	runStream(t, p, []step{{0, hashEv, md5Val, false}, {100, "x", "y", false}, {200, regEv, regVal, true}})
	// The registry write comes first: no order, no match.
	runStream(t, p, []step{{0, regEv, regVal, false}, {10, hashEv, md5Val, false}})
	// Too late for the window.
	runStream(t, p, []step{{0, hashEv, md5Val, false}, {301, regEv, regVal, false}})
	// A late start does not stop a later, fresh pair.
	runStream(t, p, []step{{0, hashEv, md5Val, false}, {400, hashEv, md5Val, false}, {650, regEv, regVal, true}})
	// After a match the Matcher starts afresh: a second registry write
	// needs a new hash.
	runStream(t, p, []step{{0, hashEv, md5Val, false}, {1, regEv, regVal, true}, {2, regEv, regVal, false}, {3, hashEv, md5Val, false}, {4, regEv, regVal, true}})
}

func TestMatcherAndOr(t *testing.T) {
	p := `[domain-name:value = 'a.example'] AND [domain-name:value = 'b.example']`
	runStream(t, p, []step{{0, "QueryName", "b.example", false}, {5, "QueryName", "a.example", true}})
	runStream(t, p, []step{{0, "QueryName", "a.example", false}, {5, "QueryName", "a.example", false}})
	// One event cannot be two observations.
	both := `[domain-name:value LIKE '%.example'] AND [domain-name:value LIKE 'a.%']`
	runStream(t, both, []step{{0, "QueryName", "a.example", false}, {1, "QueryName", "a.example", true}})
	or := `[domain-name:value = 'a.example'] OR [ipv4-addr:value = '1.2.3.4']`
	runStream(t, or, []step{{0, "QueryName", "c.example", false}, {1, "DestinationIp", "1.2.3.4", true}})
}

func TestMatcherRepeatsWithin(t *testing.T) {
	p := `[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 3 TIMES WITHIN 60 SECONDS`
	runStream(t, p, []step{
		{0, "DestinationHostname", "example.com", false},
		{20, "DestinationHostname", "example.org", false},
		{30, "DestinationHostname", "example.com", false},
		{50, "DestinationHostname", "example.com", true},
	})
	// Spread too thin: never three inside a minute.
	runStream(t, p, []step{
		{0, "DestinationHostname", "example.com", false},
		{40, "DestinationHostname", "example.com", false},
		{80, "DestinationHostname", "example.com", false},
		{120, "DestinationHostname", "example.com", false},
	})
}

func TestMatcherStartStop(t *testing.T) {
	p := `[ipv4-addr:value = '1.2.3.4'] REPEATS 2 TIMES START t'2026-04-17T05:00:10Z' STOP t'2026-04-17T05:01:00Z'`
	runStream(t, p, []step{
		{0, "SourceIp", "1.2.3.4", false},  // before START
		{10, "SourceIp", "1.2.3.4", false}, // START is inclusive
		{60, "SourceIp", "1.2.3.4", false}, // STOP is exclusive
		{59, "SourceIp", "1.2.3.4", true},
	})
}

func TestMatcherMatchEvidence(t *testing.T) {
	c, err := CompileString(`[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'x.example']`, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := c.NewMatcher(0)
	m.Feed(ev(t0, "QueryName", "x.example"))
	m.Feed(ev(t0.Add(time.Second), "SourceIp", "1.2.3.4"))
	m.Feed(ev(t0.Add(2*time.Second), "SourceIp", "9.9.9.9"))
	got, ok := m.Feed(ev(t0.Add(3*time.Second), "QueryName", "x.example"))
	if !ok || len(got.Seqs) != 2 || got.Seqs[0] != 2 || got.Seqs[1] != 4 || !got.First.Equal(t0.Add(time.Second)) || !got.Last.Equal(t0.Add(3*time.Second)) {
		t.Fatalf("match = %+v, %v", got, ok)
	}
}

// TestMatcherBoundedState feeds a long stream of left-hand observations
// that never complete and checks the partial matches kept stay bounded:
// by the window when there is one, by the cap otherwise.
func TestMatcherBoundedState(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		max     int
	}{
		{`([ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'x.example']) WITHIN 10 SECONDS`, 11},
		{`[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'x.example']`, 100},
		{`[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.example'] AND [url:value = 'u']`, 100 * 3},
		{`[ipv4-addr:value = '1.2.3.4'] REPEATS 1000 TIMES`, 100},
	} {
		c, err := CompileString(tc.pattern, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := c.NewMatcher(100)
		e := &event.Event{}
		for i := range 3000 {
			e.Reset()
			e.Time = t0.Add(time.Duration(i) * time.Second)
			e.Add("SourceIp", event.String("1.2.3.4"))
			if i%2 == 0 {
				e.Add("url", event.String("u")) // completes nothing without the domain
			}
			if _, ok := m.Feed(e); ok {
				t.Fatalf("%s: unexpected match at %d", tc.pattern, i)
			}
		}
		if n := m.State(); n > tc.max {
			t.Errorf("%s: %d partial matches kept, want <= %d", tc.pattern, n, tc.max)
		}
	}
}

func TestRepeatsCap(t *testing.T) {
	if _, err := CompileString(`[a:b = 1] REPEATS 1001 TIMES`, nil); err == nil {
		t.Error("REPEATS above MaxRepeats compiled")
	}
}
