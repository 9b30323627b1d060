package sigma

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// condRule builds a rule whose searches are named by names; search n holds
// "n: 1", so an event sets search n true by carrying field n = 1.
func condRule(cond string, names ...string) string {
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s:\n    %s: 1\n", n, n)
	}
	fmt.Fprintf(&b, "condition: %s\n", cond)
	return ruleDoc(b.String())
}

// truthEvent sets field names[i] to 1 when bit i of mask is set, to 0
// otherwise.
func truthEvent(names []string, mask int) *event.Event {
	e := ev()
	for i, n := range names {
		v := 0
		if mask&(1<<i) != 0 {
			v = 1
		}
		e.Add(n, event.Int(int64(v)))
	}
	return e
}

func TestConditionSemantics(t *testing.T) {
	abc := []string{"a", "b", "c"}
	sels := []string{"sel1", "sel2", "filter", "_hidden"}
	for _, tc := range []struct {
		cond  string
		names []string
		want  func(v []bool) bool
	}{
		{"a", abc, func(v []bool) bool { return v[0] }},
		{"a or b and c", abc, func(v []bool) bool { return v[0] || v[1] && v[2] }},
		{"a and b or c", abc, func(v []bool) bool { return v[0] && v[1] || v[2] }},
		{"(a or b) and c", abc, func(v []bool) bool { return (v[0] || v[1]) && v[2] }},
		{"not a and b", abc, func(v []bool) bool { return !v[0] && v[1] }},
		{"not a or b", abc, func(v []bool) bool { return !v[0] || v[1] }},
		{"not (a or b)", abc, func(v []bool) bool { return !(v[0] || v[1]) }},
		{"not not a", abc, func(v []bool) bool { return v[0] }},
		{"a and not b and not c", abc, func(v []bool) bool { return v[0] && !v[1] && !v[2] }},
		{"A AND b Or NOT c", []string{"A", "b", "c"}, func(v []bool) bool { return v[0] && v[1] || !v[2] }},
		{"((a))", abc, func(v []bool) bool { return v[0] }},
		{"a and (b or (c and not a))", abc, func(v []bool) bool { return v[0] && (v[1] || (v[2] && !v[0])) }},
		{"1 of them", abc, func(v []bool) bool { return v[0] || v[1] || v[2] }},
		{"any of them", abc, func(v []bool) bool { return v[0] || v[1] || v[2] }},
		{"all of them", abc, func(v []bool) bool { return v[0] && v[1] && v[2] }},
		{"2 of them", abc, func(v []bool) bool { return count(v) >= 2 }},
		{"3 of them", abc, func(v []bool) bool { return count(v) == 3 }},
		{"4 of them", abc, func(v []bool) bool { return false }},
		{"not 1 of them", abc, func(v []bool) bool { return count(v) == 0 }},
		{"1 of sel* and not filter", sels, func(v []bool) bool { return (v[0] || v[1]) && !v[2] }},
		{"all of sel* and not 1 of filter*", sels, func(v []bool) bool { return v[0] && v[1] && !v[2] }},
		{"1 of sel?", sels, func(v []bool) bool { return v[0] || v[1] }},
		{"1 of *1", sels, func(v []bool) bool { return v[0] }},
		// "them" leaves out identifiers starting with "_"; a pattern that
		// names them explicitly does not.
		{"1 of them", sels, func(v []bool) bool { return v[0] || v[1] || v[2] }},
		{"all of them", sels, func(v []bool) bool { return v[0] && v[1] && v[2] }},
		{"1 of _*", sels, func(v []bool) bool { return v[3] }},
		{"all of them and not _hidden", sels, func(v []bool) bool { return v[0] && v[1] && v[2] && !v[3] }},
		{"2 of sel* or _hidden", sels, func(v []bool) bool { return v[0] && v[1] || v[3] }},
		{"3 of sel*", sels, func(v []bool) bool { return false }},
	} {
		rs := mustCompile(t, condRule(tc.cond, tc.names...))
		for mask := 0; mask < 1<<len(tc.names); mask++ {
			v := make([]bool, len(tc.names))
			for i := range v {
				v[i] = mask&(1<<i) != 0
			}
			if got, want := matchAny(rs, truthEvent(tc.names, mask)), tc.want(v); got != want {
				t.Errorf("%q with %v = %v: got %v, want %v", tc.cond, tc.names, v, got, want)
			}
		}
	}
}

func count(v []bool) int {
	n := 0
	for _, b := range v {
		if b {
			n++
		}
	}
	return n
}

func TestConditionList(t *testing.T) {
	// Several conditions are alternatives.
	rs := mustCompile(t, ruleDoc("a:\n    a: 1\nb:\n    b: 1\ncondition:\n    - a\n    - b\n"))
	for mask, want := range []bool{false, true, true, true} {
		if got := matchAny(rs, truthEvent([]string{"a", "b"}, mask)); got != want {
			t.Errorf("mask %d: got %v, want %v", mask, got, want)
		}
	}
}

func TestConditionCompileErrors(t *testing.T) {
	for _, tc := range []struct{ cond, want string }{
		{"nosuch", `unknown search identifier "nosuch"`},
		{"a and nosuch", `unknown search identifier "nosuch"`},
		{"A", `unknown search identifier "A"`}, // identifiers are case-sensitive
		{"1 of x*", `no search identifier matches "x*"`},
		{"all of x*", `no search identifier matches "x*"`},
		{"a | count() > 5", `aggregation`},
		{"a | near b", `aggregation`},
	} {
		err := compileErr(t, condRule(tc.cond, "a", "b"))
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %q does not say %q", tc.cond, err, tc.want)
		}
	}
	err := compileErr(t, condRule("1 of them", "_a", "_b"))
	if !strings.Contains(err.Error(), "'them' matches no search identifier") {
		t.Errorf("them with only underscore identifiers: %v", err)
	}
}

func TestConditionSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		cond string
		col  int
		want string
	}{
		{"", 1, "empty condition"},
		{"   ", 1, "empty condition"},
		{"a and", 6, "expression expected"},
		{"a b", 3, `unexpected "b"`},
		{"(a", 3, "')' expected"},
		{"a )", 3, `unexpected ")"`},
		{"()", 2, `unexpected ")"`},
		{"and a", 1, `unexpected "and"`},
		{"a or or b", 6, `unexpected "or"`},
		{"not", 4, "expression expected"},
		{"1 of", 5, "pattern or 'them' expected"},
		{"1 of (a)", 6, "pattern or 'them' expected"},
		{"1 of and", 6, "pattern or 'them' expected"},
		{"0 of them", 1, "quantifier"},
		{"-1 of them", 1, "quantifier"},
		{"x of them", 1, "quantifier"},
		{"them", 1, `unexpected "them"`},
		{"of a", 1, `unexpected "of"`},
		{"sel | count() by x > 5", 5, "aggregation"},
		{"a and\tb |", 9, "aggregation"},
	} {
		_, err := parseCondition(tc.cond)
		var ce *ConditionError
		if !errors.As(err, &ce) {
			t.Errorf("%q: error %v is not a *ConditionError", tc.cond, err)
			continue
		}
		if ce.Pos+1 != tc.col || !strings.Contains(ce.Msg, tc.want) {
			t.Errorf("%q: got column %d %q, want column %d %q", tc.cond, ce.Pos+1, ce.Msg, tc.col, tc.want)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("at column %d:", tc.col)) {
			t.Errorf("%q: message %q lacks the column", tc.cond, err)
		}
	}
}

// TestConditionDepth checks that nesting is bounded: a hostile condition is
// rejected quickly instead of exhausting the stack.
func TestConditionDepth(t *testing.T) {
	ok := strings.Repeat("(", 50) + "a" + strings.Repeat(")", 50)
	if _, err := parseCondition(ok); err != nil {
		t.Errorf("50 levels: %v", err)
	}
	if _, err := parseCondition(strings.Repeat("not ", 50) + "a"); err != nil {
		t.Errorf("50 nots: %v", err)
	}
	start := time.Now()
	for _, cond := range []string{
		strings.Repeat("(", 101) + "a" + strings.Repeat(")", 101),
		strings.Repeat("(", 1_000_000),
		strings.Repeat("not ", 200_000) + "a",
		strings.Repeat("(not ", 100_000) + "a",
	} {
		_, err := parseCondition(cond)
		if err == nil || !strings.Contains(err.Error(), "nested too deeply") {
			t.Errorf("deep condition (%d bytes): %v", len(cond), err)
		}
	}
	// Long but flat conditions are fine.
	long := strings.TrimSuffix(strings.Repeat("a or ", 100_000), " or ")
	if _, err := parseCondition(long); err != nil {
		t.Errorf("long flat condition: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("deep conditions took %v", d)
	}
}

// TestConditionString checks that a parsed condition prints as an
// equivalent condition (used in messages and by the fuzzer).
func TestConditionString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a or b and c", "a or b and c"},
		{"(a or b) and c", "(a or b) and c"},
		{"not (a or b)", "not (a or b)"},
		{"not (a and b) and c", "not (a and b) and c"},
		{"not a and b", "not a and b"},
		{"1 of sel*", "1 of sel*"},
		{"any of them", "1 of them"},
		{"ALL OF them", "all of them"},
	} {
		x, err := parseCondition(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if got := x.String(); got != tc.want {
			t.Errorf("%q prints as %q, want %q", tc.in, got, tc.want)
		}
	}
}
