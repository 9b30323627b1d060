package sigma

import (
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
)

// anchorCases are expressions of the shape literalAnchor handles, with
// traps: prefixes that can also match the literal, repeated literals,
// case folding, flags, and rests that need context.
var anchorCases = []string{
	`\w+` + "`" + `(\w+|-|.)` + "`" + `[\w+|\s]`,
	`\w+abc`,
	`a+abc`,
	`[ab]{2,}aab`,
	`.*invoke.*&&`,
	`(?i)set.*&&\s?set`,
	`(?i)\w+POWER`,
	`(?s).*x.y`,
	`(?m)x$`,
	`abc`,
	`abc\b`,
	`-enc\s+[A-Za-z0-9+/=]{8,}`,
	`\s*/c`,
	`x*xx`,
	`\d{3}-\d`,
}

func randomText(r *rand.Rand) string {
	const alphabet = "aAbBcxXy-_ `/\n\t0123456789éſK&=+"
	runes := []rune(alphabet)
	n := r.Intn(40)
	out := make([]rune, n)
	for i := range out {
		out[i] = runes[r.Intn(len(runes))]
	}
	return string(out)
}

func anchorFor(t testing.TB, expr string) (*regexp.Regexp, *literalAnchor) {
	re := regexp.MustCompile(expr)
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	return re, newLiteralAnchor(tree)
}

func checkAnchor(t testing.TB, re *regexp.Regexp, a *literalAnchor, text string) {
	got, ok := a.match(text)
	if !ok {
		return
	}
	if want := re.MatchString(text); got != want {
		t.Fatalf("%q on %q: anchored search says %v, regexp %v", re, text, got, want)
	}
}

func TestLiteralAnchorAgreesWithRegexp(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for _, expr := range anchorCases {
		re, a := anchorFor(t, expr)
		if a == nil {
			continue // not the shape: the plain regexp runs
		}
		for i := 0; i < 3000; i++ {
			checkAnchor(t, re, a, randomText(r))
		}
	}
	if _, a := anchorFor(t, `^abc`); a != nil {
		t.Error("an anchored expression was taken")
	}
}

// TestLiteralAnchorSigmaHQ runs every SigmaHQ regular expression of the
// shape over random text and the rules' own values.
func TestLiteralAnchorSigmaHQ(t *testing.T) {
	dir := testdata.Path(t, "sigma")
	docs, err := ParseFS(os.DirFS(filepath.Join(dir)), "rules")
	if err != nil {
		t.Fatal(err)
	}
	rs := Compile(docs, Options{})
	r := rand.New(rand.NewSource(9))
	n := 0
	seen := map[string]bool{}
	for _, c := range rs.Compiled {
		walkMatchers(c.detection, func(m valueMatcher) {
			rm, ok := m.(reMatcher)
			if !ok || rm.anchor == nil || seen[rm.re.String()] {
				return
			}
			seen[rm.re.String()] = true
			n++
			for i := 0; i < 300; i++ {
				checkAnchor(t, rm.re, rm.anchor, randomText(r))
			}
		})
	}
	t.Logf("%d SigmaHQ expressions searched from a literal", n)
}

func FuzzLiteralAnchor(f *testing.F) {
	for _, c := range anchorCases {
		f.Add(c, "xx `a` b abc AbC invoke && set x")
	}
	f.Fuzz(func(t *testing.T, expr, text string) {
		re, err := regexp.Compile(expr)
		if err != nil || len(expr) > 200 {
			return
		}
		tree, err := syntax.Parse(re.String(), syntax.Perl)
		if err != nil {
			return
		}
		if a := newLiteralAnchor(tree); a != nil {
			checkAnchor(t, re, a, text)
		}
	})
}
