package pattern

import (
	"bufio"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
)

// stripPos zeroes source offsets, which are not part of a pattern's meaning,
// so that trees parsed from different texts compare equal.
func stripPos(x any) {
	switch x := x.(type) {
	case *Pattern:
		stripPos(x.Root)
	case *ObsBinary:
		stripPos(x.Left)
		stripPos(x.Right)
	case *Qualified:
		stripPos(x.Expr)
	case *Observation:
		stripPos(x.Comp)
	case *CompBinary:
		stripPos(x.Left)
		stripPos(x.Right)
	case *Comparison:
		x.Pos, x.ValuePos = 0, 0
	}
}

// roundTrip checks that String() parses back to an equal tree.
func roundTrip(t testing.TB, p *Pattern) {
	t.Helper()
	s := p.String()
	q, err := Parse(s)
	if err != nil {
		t.Fatalf("String() %q does not parse: %v", s, err)
	}
	stripPos(p)
	stripPos(q)
	if !reflect.DeepEqual(p, q) {
		t.Fatalf("round trip changed the tree:\n%q\n%q", s, q.String())
	}
	if q.String() != s {
		t.Fatalf("String() is not stable: %q then %q", s, q.String())
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct{ in, want string }{
		{`[file:name = 'a']`, `[file:name = 'a']`},
		{`[file:name == 'a' AND file:size <> 3]`, `[file:name = 'a' AND file:size != 3]`},
		// AND binds tighter than OR, in both kinds of expression.
		{`[a:b = 1 OR a:c = 2 AND a:d = 3]`, `[a:b = 1 OR a:c = 2 AND a:d = 3]`},
		{`[(a:b = 1 OR a:c = 2) AND a:d = 3]`, `[(a:b = 1 OR a:c = 2) AND a:d = 3]`},
		{`[a:b = 1] OR [a:c = 2] AND [a:d = 3]`, `[a:b = 1] OR [a:c = 2] AND [a:d = 3]`},
		{`([a:b = 1] OR [a:c = 2]) AND [a:d = 3]`, `([a:b = 1] OR [a:c = 2]) AND [a:d = 3]`},
		{`[a:b = 1] FOLLOWEDBY ([a:c = 2] FOLLOWEDBY [a:d = 3])`, `[a:b = 1] FOLLOWEDBY ([a:c = 2] FOLLOWEDBY [a:d = 3])`},
		{`((([a:b = 1])))`, `[a:b = 1]`},
		{`[a:b NOT = 'x' AND a:c NOT IN ('y', 2, true) AND a:d NOT LIKE 'z%']`, `[a:b NOT = 'x' AND a:c NOT IN ('y', 2, true) AND a:d NOT LIKE 'z%']`},
		{`[a:b IN ()]`, `[a:b IN ()]`},
		{`[EXISTS a:b.c AND a:d ISSUBSET '10.0.0.0/8' AND a:e ISSUPERSET '10.1.0.0/16']`, `[EXISTS a:b.c AND a:d ISSUBSET '10.0.0.0/8' AND a:e ISSUPERSET '10.1.0.0/16']`},
		{`[file:extensions.'windows-pebinary-ext'.sections[*].entropy >= 7.5]`, `[file:extensions.'windows-pebinary-ext'.sections[*].entropy >= 7.5]`},
		{`[a:'b'.c[0].d[-1] < -2.25]`, `[a:b.c[0].d[-1] < -2.25]`},
		{`[a:b = 'it\'s a \\ path']`, `[a:b = 'it\'s a \\ path']`},
		{`[a:b = +7 AND a:c = .5 AND a:d = 1.0]`, `[a:b = 7 AND a:c = 0.5 AND a:d = 1.0]`},
		{`[a:t > t'2014-01-13T07:03:17.250Z' AND a:h = h'FFd8' AND a:b = b'aGk=']`, `[a:t > t'2014-01-13T07:03:17.25Z' AND a:h = h'ffd8' AND a:b = b'aGk=']`},
		{`[a:b = TRUE]`, `[a:b = true]`},
		{"[a:b = 1]\u00a0/* comment */ WITHIN 2.5 SECONDS // trailing", `[a:b = 1] WITHIN 2.5 SECONDS`},
		{`[a:b = 1] REPEATS 3 TIMES WITHIN 60 SECONDS`, `[a:b = 1] REPEATS 3 TIMES WITHIN 60 SECONDS`},
		{`([a:b = 1] AND [a:c = 2]) START t'2020-01-01T00:00:00Z' STOP t'2020-02-01T00:00:00Z'`, `([a:b = 1] AND [a:c = 2]) START t'2020-01-01T00:00:00Z' STOP t'2020-02-01T00:00:00Z'`},
		{`[a:b = 1] START '2020-01-01T00:00:00Z' STOP '2020-02-01T00:00:00Z'`, `[a:b = 1] START t'2020-01-01T00:00:00Z' STOP t'2020-02-01T00:00:00Z'`},
		{`[a:b MATCHES'^x$']`, `[a:b MATCHES '^x$']`},
	}
	for _, tt := range tests {
		p, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := p.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		roundTrip(t, p)
	}
}

func TestParsePrecedenceTree(t *testing.T) {
	p := MustParse(`[a:b = 1] OR [a:c = 2] AND [a:d = 3] FOLLOWEDBY [a:e = 4] WITHIN 5 SECONDS`)
	f, ok := p.Root.(*ObsBinary)
	if !ok || f.Op != ObsFollowedBy {
		t.Fatalf("root = %T %v, want FOLLOWEDBY", p.Root, p.Root)
	}
	or, ok := f.Left.(*ObsBinary)
	if !ok || or.Op != ObsOr {
		t.Fatalf("left = %v, want OR", f.Left)
	}
	if and, ok := or.Right.(*ObsBinary); !ok || and.Op != ObsAnd {
		t.Fatalf("OR's right = %v, want AND", or.Right)
	}
	// The grammar attaches the qualifier to the nearest observation.
	if q, ok := f.Right.(*Qualified); !ok || q.Expr.String() != `[a:e = 4]` {
		t.Fatalf("right = %v, want [a:e = 4] WITHIN 5 SECONDS", f.Right)
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{``, 0, "expected '[' or '('"},
		{`file:name = 'a'`, 0, "expected '[' or '('"},
		{`[file:name = 'a'`, 16, "expected ']'"},
		{`[file:name 'a']`, 11, "comparison operator"},
		{`[file:name = 'a\q']`, 15, "invalid escape"},
		{`[file:name = 'a]`, 13, "unterminated string"},
		{`[file:hashes.SHA-256 = 'a']`, 13, "quote it"},
		{`[file: = 'a']`, 7, "property name"},
		{`[file:name = 'a' AND]`, 20, "object path"},
		{`[file:name = 'a'] and [file:name = 'b']`, 18, "found \"and\""},
		{`[file:name = 'a'] WITHIN SECONDS`, 25, "number of seconds"},
		{`[file:name = 'a'] WITHIN -1 SECONDS`, 25, "non-negative"},
		{`[file:name = 'a'] WITHIN 5`, 26, "expected SECONDS"},
		{`[file:name = 'a'] REPEATS 0 TIMES`, 26, "positive"},
		{`[file:name = 'a'] REPEATS 2.5 TIMES`, 26, "whole number"},
		{`[a:b = 1] START t'2020-02-01T00:00:00Z' STOP t'2020-01-01T00:00:00Z'`, 45, "later than START"},
		{`[a:b = t'2014-01-13 07:03:17Z']`, 7, "timestamp"},
		{`[a:b = t'2014-01-13T07:03:17+01:00']`, 7, "timestamp"},
		{`[a:b = h'abc']`, 7, "pairs of hex"},
		{`[a:b = b'a*==']`, 7, "base64"},
		{`[a:b > true]`, 7, "cannot compare booleans"},
		{`[a:b IN 'x']`, 8, "'('"},
		{`[a:b IN ('x' 'y')]`, 13, "',' or ')'"},
		{`[a:b LIKE 5]`, 10, "string literal after LIKE"},
		{`[a:b = 99999999999999999999]`, 7, "out of range"},
		{`[a:b = 007]`, 7, "leading zero"},
		{`[a:b = 1.]`, 7, "digits after the decimal point"},
		{`[a:b[x] = 1]`, 5, "list index"},
		{`[a:b = 1] /* open`, 10, "unterminated comment"},
		{`[a:b ! 1]`, 5, "expected '='"},
		{`[a:b = 1] [a:c = 2]`, 10, "end of the pattern"},
		{`[a:b = @]`, 7, "unexpected character"},
		{strings.Repeat("(", 300) + `[a:b = 1]`, 200, "nesting"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want an *Error", tt.in, err)
			continue
		}
		if pe.Offset != tt.offset || !strings.Contains(pe.Msg, tt.msg) {
			t.Errorf("Parse(%q) = %v, want offset %d and %q", tt.in, err, tt.offset, tt.msg)
		}
	}
}

// TestSpecExamples parses every example pattern of the STIX 2.1
// specification. None of them is invalid, but two read differently from
// what their prose suggests, and the parser follows the grammar:
//   - "[…] FOLLOWEDBY […] WITHIN 300 SECONDS" (the GlobalSign example): the
//     qualifier binds to the second observation only, so as written the
//     window constrains nothing; the example meant "(… FOLLOWEDBY …) WITHIN".
//   - "win-registry-key" is the STIX 2.0 name of windows-registry-key; the
//     default mapping binds both.
func TestSpecExamples(t *testing.T) {
	path := testdata.Path(t, "stix", "patterns", "spec_examples.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		n++
		p, err := Parse(s)
		if err != nil {
			t.Errorf("line %d: %v\n%s", line, err, s)
			continue
		}
		roundTrip(t, p)
		if _, err := Compile(p, nil); err != nil {
			t.Errorf("line %d: compile: %v", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no patterns read")
	}
	t.Logf("%d spec examples parsed", n)
}
