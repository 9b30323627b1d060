package search

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// Fuzz targets. Seed corpora live in testdata/fuzz/<target>/ besides the
// f.Add seeds; run one with
//
//	go test -run='^$' -fuzz=FuzzParse -fuzztime=3m -parallel=1 ./search

// fuzzEvents are the test events and a few awkward ones: broken UTF-8,
// nested lists, a Unicode host.
func fuzzEvents() []*event.Event {
	evs := []*event.Event{sysmonEvent()}
	for _, e := range testEvents() {
		evs = append(evs, e)
	}
	return append(evs,
		ev(now, "a", "\xff\xfe\xe2\x80", "b", "x\u212ay\u0130z", "Computer", "HÖST", "n", []any{[]any{"deep", 1}, nil}),
		ev(now.Add(-48*time.Hour), "hostname", "web01", "message", `Failed password for root from 10.0.0.1 port 22 ssh2`),
	)
}

// FuzzParse parses arbitrary queries. Parsing must never panic; errors must
// be *Error with an offset inside the query; a query that parses must
// match without panicking, keep Filter's promise, and round-trip through
// String.
func FuzzParse(f *testing.F) {
	for _, tc := range matchTests {
		f.Add(tc.q)
	}
	for _, bq := range benchQueries {
		f.Add(bq.q)
	}
	if data, err := os.ReadFile(filepath.Join("testdata", "queries.txt")); err == nil {
		for line := range strings.Lines(string(data)) {
			if line = strings.TrimSuffix(line, "\n"); line != "" && !strings.HasPrefix(line, "#") {
				f.Add(line)
			}
		}
	}
	evs := fuzzEvents()
	f.Fuzz(func(t *testing.T, q string) {
		pq, err := ParseAt(q, now)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("%q: error %v is not a *Error", q, err)
			}
			if pe.Offset < 0 || pe.Offset > len(q) {
				t.Fatalf("%q: offset %d outside the query", q, pe.Offset)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("search: offset %d: ", pe.Offset)) || pe.Msg == "" {
				t.Fatalf("%q: message %q", q, err)
			}
			return
		}
		for _, e := range evs {
			checkFilter(t, pq, e)
		}
		checkRoundTrip(t, pq, evs)
		if s := pq.String(); len(s) <= MaxQueryLen {
			if _, err := ParseAt(s, now); err != nil {
				t.Fatalf("canonical form %q of %q: %v", s, q, err)
			}
		}
	})
}

// FuzzPattern checks the compiled wildcard matcher (with its prefix,
// suffix, substring and glob paths) against a plain dynamic-programming
// matcher over folded characters. In pat, * and ? are wildcards.
func FuzzPattern(f *testing.F) {
	for _, s := range [][2]string{
		{`*\powershell.exe`, `C:\Windows\System32\WindowsPowerShell\v1.0\PowerShell.EXE`},
		{`admin*`, "Administrator"}, {`*mimi*katz*`, "MIMIkatz"}, {`a?c`, "aÄc"},
		{`*k`, "\u212a"}, {`*s*`, "ſ"}, {`*i`, "\u0130"}, {`**?`, "€"}, {`*a*b*a*`, "abababab"},
		{`x*`, "\xffx"}, {"*\xe2\x80", "\xe2\x80"}, {"", ""}, {"*", ""}, {"?", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		var b patternBuilder
		for i := 0; i < len(pat); i++ {
			switch pat[i] {
			case '*':
				b.star()
			case '?':
				b.one()
			default:
				b.byte(pat[i])
			}
		}
		u := b.done().units()
		m := newStrMatcher(u)
		want := refGlob(foldUnits(s), u)
		if got := m.match(s); got != want {
			t.Fatalf("pattern %q (op %d) on %q: %v, want %v", pat, m.op, s, got, want)
		}
		if got := glob(s, u); got != want {
			t.Fatalf("glob %q on %q: %v, want %v", pat, s, got, want)
		}
	})
}

// refGlob is the textbook matcher: m[i][j] says whether s[:i] matches
// p[:j].
func refGlob(s, p []unit) bool {
	m := make([][]bool, len(s)+1)
	for i := range m {
		m[i] = make([]bool, len(p)+1)
	}
	m[0][0] = true
	for i := 0; i <= len(s); i++ {
		for j := 1; j <= len(p); j++ {
			switch p[j-1] {
			case uStar:
				m[i][j] = m[i][j-1] || (i > 0 && m[i-1][j])
			case uOne:
				m[i][j] = i > 0 && m[i-1][j-1]
			default:
				m[i][j] = i > 0 && m[i-1][j-1] && s[i-1] == p[j-1]
			}
		}
	}
	return m[len(s)][len(p)]
}
