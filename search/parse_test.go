package search

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("a", MaxQueryLen+1)
	tests := []struct {
		q      string
		offset int
		msg    string
	}{
		{`foo:`, 4, "expected value after ':'"},
		{`EventID:4625 x: y`, 15, "expected value after ':'"},
		{`x:)`, 2, "expected value after ':'"},
		{`(a`, 0, "'(' is never closed"},
		{`a (b OR (c)`, 2, "'(' is never closed"},
		{`a)`, 1, "unexpected ')' without a matching '('"},
		{`)`, 0, "unexpected ')' without a matching '('"},
		{`()`, 0, "empty parentheses"},
		{`x:( )`, 2, "empty parentheses"},
		{`a AND`, 5, "expected a term after AND"},
		{`a AND )`, 6, "expected a term after AND"},
		{`a OR OR b`, 5, "expected a term after OR"},
		{`a AND OR b`, 6, "expected a term after AND"},
		{`NOT`, 3, "expected a term after NOT"},
		{`a NOT`, 5, "expected a term after NOT"},
		{`OR a`, 0, "OR needs a term before it"},
		{`(AND a)`, 1, "AND needs a term before it"},
		{`"abc`, 0, "quote is never closed"},
		{`x:"abc`, 2, "quote is never closed"},
		{`a"b`, 1, `'"' inside a word`},
		{`x:a"b"`, 3, `'"' inside a word`},
		{`"a"b`, 3, "expected white space or ')' after the closing quote"},
		{`x:"a"b`, 5, "expected white space or ')' after the closing quote"},
		{`x*:1`, 0, "wildcards are not supported in field names"},
		{`:x`, 0, "missing field name before ':'"},
		{`"":x`, 0, "missing field name before ':'"},
		{`x:/abc`, 2, "regular expression is never closed"},
		{`x:/abc\/`, 2, "regular expression is never closed"},
		{`x://`, 2, "empty regular expression"},
		{`x:/(/`, 2, "invalid regular expression: missing closing ): `(`"},
		{`x:/a{1001}/`, 2, "invalid regular expression"},
		{`x:/a/b`, 5, "expected white space or ')' after the closing '/'"},
		{`x:>`, 3, "expected a value after '>'"},
		{`x:>= y`, 4, "expected a value after '>='"},
		{`x:<*`, 3, "expected a value after '<', not '*'"},
		{`x:>a*`, 3, "wildcards are not allowed"},
		{`x:>"a"b`, 6, "expected white space or ')' after the value"},
		{`x:[1 TO`, 7, "expected a value"},
		{`x:[1 20]`, 5, "expected ' TO ' in the range opened at offset 2"},
		{`x:[1TO 20]`, 7, "expected ' TO '"},
		{`x:[1 to 20]`, 5, "expected ' TO '"},
		{`x:[1 TO 2`, 9, "expected ']' or '}' to close the range opened at offset 2"},
		{`x:[1 TO 2)`, 9, "expected ']' or '}'"},
		{`x:[a* TO b]`, 3, "wildcards are not allowed"},
		{`x:[a TO b]c`, 10, "expected white space or ')' after the range"},
		{`time:abc`, 5, `cannot read "abc" as a time`},
		{`time:now-5x`, 5, "cannot read now-5x as a time"},
		{`time:now-`, 5, "cannot read now- as a time"},
		{`time:now--1h`, 5, "cannot read now--1h as a time"},
		{`time:now-99999d`, 5, "cannot read now-99999d as a time"},
		{`time:>now-2000000h`, 6, "cannot read now-2000000h"},
		{`time:2024-13-01`, 5, "cannot read"},
		{`time:*abc`, 5, "time takes a timestamp, a comparison or a range, not wildcards"},
		{`time:/x/`, 5, "not a regular expression"},
		{`time:[2024-01-01 TO bad]`, 20, `cannot read "bad"`},
		{`time:>10000-01-01`, 6, "cannot read"},
		{`time:9999-12-31`, 5, "outside the years 1 to 9999"},
		{`time:<0001-01-01T00:00:00+01:00`, 6, "outside the years 1 to 9999"},
		{strings.Repeat("(", MaxDepth+1) + "a" + strings.Repeat(")", MaxDepth+1), MaxDepth, "nesting deeper than 32 levels"},
		{strings.Repeat("NOT ", MaxDepth+1) + "a", 4 * MaxDepth, "nesting deeper than 32 levels"},
		{strings.Repeat("-", MaxDepth+1) + "a", MaxDepth, "nesting deeper than 32 levels"},
		{strings.Repeat("x:(", MaxDepth+1) + "a", 3*MaxDepth + 2, "nesting deeper than 32 levels"},
		{strings.Repeat("a ", MaxTerms) + "b", 2 * MaxTerms, "more than 256 terms"},
		{"x:(" + strings.Repeat("a ", MaxTerms) + "b)", 3 + 2*MaxTerms, "more than 256 terms"},
		{long, MaxQueryLen, "query is longer than 4096 bytes"},
	}
	for _, tc := range tests {
		_, err := ParseAt(tc.q, now)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("%.60s: error %v, want a *Error", tc.q, err)
			continue
		}
		if pe.Offset != tc.offset || !strings.Contains(pe.Msg, tc.msg) {
			t.Errorf("%.60s:\n  got  offset %d: %s\n  want offset %d: %s", tc.q, pe.Offset, pe.Msg, tc.offset, tc.msg)
		}
		if want := "search: offset "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%.60s: %q does not start with %q", tc.q, err, want)
		}
	}
}

// TestLimitsAccepted checks that queries exactly at the limits parse.
func TestLimitsAccepted(t *testing.T) {
	for _, q := range []string{
		strings.Repeat("(", MaxDepth) + "a" + strings.Repeat(")", MaxDepth),
		strings.Repeat("NOT ", MaxDepth) + "a",
		strings.TrimSpace(strings.Repeat("a ", MaxTerms)),
		strings.Repeat("a", MaxQueryLen),
	} {
		if _, err := ParseAt(q, now); err != nil {
			t.Errorf("%.60s: %v", q, err)
		}
	}
}

// TestGolden parses each line of testdata/queries.txt and compares the
// canonical form or the error with testdata/queries.golden. Run with
// -update to rewrite the golden file after a deliberate change.
func TestGolden(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "queries.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for line := range strings.Lines(string(data)) {
		q := strings.TrimSuffix(line, "\n")
		if q == "" || strings.HasPrefix(q, "#") {
			continue
		}
		out.WriteString(q + "\n")
		pq, err := ParseAt(q, now)
		if err != nil {
			out.WriteString("=! " + err.Error() + "\n\n")
			continue
		}
		out.WriteString("=> " + pq.String() + "\n\n")
		checkRoundTrip(t, pq, nil)
	}
	golden := filepath.Join("testdata", "queries.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < min(len(gl), len(wl)); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s line %d:\n got  %s\n want %s\n(run go test -update after a deliberate change)", golden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s: %d lines, want %d (run go test -update after a deliberate change)", golden, len(gl), len(wl))
	}
}

// TestDocExamples parses every query in the examples table of
// docs/search.md, and checks the canonical form the document shows.
func TestDocExamples(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "search.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	_, table, _ := strings.Cut(doc, "## Examples")
	table, _, _ = strings.Cut(table, "\n## ")
	examples := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|").FindAllStringSubmatch(table, -1)
	if len(examples) < 15 {
		t.Fatalf("found %d examples in docs/search.md, want at least 15", len(examples))
	}
	for _, m := range examples {
		if _, err := ParseAt(m[1], now); err != nil {
			t.Errorf("docs/search.md example %s: %v", m[1], err)
		}
	}
	q, err := ParseAt(`time:>now-24h host:dc01 "mimikatz"`, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := "`" + q.String() + "`"; !strings.Contains(doc, want) {
		t.Errorf("docs/search.md does not show the canonical form %s", want)
	}
}
