package sigma

import (
	"regexp"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	m := newStrMatcher(parsePattern("*??"), true)
	t.Logf("*?? vs euro: %v (want false)", m.match("€", "€"))
	re := regexp.MustCompile("(?i)powershell")
	rm := newReMatcher(re)
	v := val("powerſhell")
	t.Logf("re matches %v, matcher %v lits %q", re.MatchString("powerſhell"), rm.matchValue(nil, &v, lowerString(v.Str), true), rm.lits)
	for _, mods := range [][]string{{"fieldref", "re"}, {"lt", "gt"}, {"hour", "day"}, {"fieldref", "cidr"}, {"fieldref", "base64"}} {
		_, err := parseModifiers(mods)
		t.Logf("%v: %v", mods, err)
	}
	c := &compiler{placeholders: map[string][]string{"name": {"X"}}}
	for _, p := range c.expand(parsePattern(`\%plain%name%`)) {
		t.Logf("expand: %q", p.String())
	}
	rs := mustCompile(t, `title: f
id: r1
detection:
    sel:
        a: x
    condition: sel
---
title: filt
logsource: {}
filter:
    rules: all
    flt:
        b: y
    condition: not flt
`)
	t.Logf("filter all: match %v (want false)", matchAny(rs, ev("a", "x", "b", "y")))
	rs = mustCompile(t, `title: c
name: c
generate: true
correlation:
    type: event_count
    rules: r1
    timespan: 5m
    condition: {gte: 2}
---
title: r
name: r1
detection:
    sel: {a: x}
    condition: sel
`)
	t.Logf("top-level generate: correlated %v", len(rs.Correlated))
	cor := NewCorrelator(rs)
	n := 0
	for i := 0; i < 3; i++ {
		n += len(cor.Observe(rs.Rules[0], ev("a", "x")))
	}
	t.Logf("zero-time fires: %d", n)
	_ = time.Now
}
