package sigma

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/testdata"
)

// The engine evaluates a rule only when an event contains one of its
// needles (Needles) and, for Windows channels, one of the event ids it
// requires (RequiredValues). These tests check that neither ever hides a
// match: for many rules and events built to match them, whenever the
// detection matches, the event holds a needle and a required value. Same
// for the regular-expression prechecks: they never reject a value the
// regular expression matches.

var (
	sigmaHQOnce sync.Once
	sigmaHQSet  *RuleSet
)

// sigmaHQ compiles the SigmaHQ rules of the shared data once per test
// binary, or skips.
func sigmaHQ(t *testing.T) *RuleSet {
	t.Helper()
	dir := testdata.Path(t, "sigma", "rules")
	sigmaHQOnce.Do(func() {
		var docs []Document
		for _, sub := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder"} {
			d, err := ParseFS(os.DirFS(filepath.Join(filepath.Dir(dir), sub)), ".")
			if err != nil {
				continue
			}
			docs = append(docs, d...)
		}
		sigmaHQSet = Compile(docs, Options{})
	})
	if sigmaHQSet == nil || len(sigmaHQSet.Compiled) == 0 {
		t.Skip("no SigmaHQ rules compiled")
	}
	return sigmaHQSet
}

// syntheticRules exercise every kind of matcher the needles and required
// values are derived from.
var syntheticRules = []string{
	sel("CommandLine|contains", `['-enc', 'frombase64string', 'iex']`),
	sel("CommandLine|contains|all", `['vssadmin', 'delete', 'shadows', '/all', '/quiet']`),
	sel("CommandLine|windash|contains", `[' -nop ', ' -w hidden ']`),
	sel("CommandLine|base64offset|contains", `['Invoke-Mimikatz', 'IEX']`),
	sel("CommandLine|wide|base64offset|contains", `'powershell'`),
	sel("Data|utf16le|contains", `'cmd.exe'`),
	sel("Image|endswith", `['\cmd.exe', '\powershell.exe', '\ab']`),
	sel("Image", `['C:\Windows\*\svc?ost.exe', '*\temp\*.exe']`),
	sel("Image|cased", `'C:\Program Files\Évil\X.exe'`),
	sel("Name|contains|cased", `'ſtraße'`),
	sel("Payload|re", `'(?i)invoke-(expression|webrequest)'`),
	sel("Payload|re|i", `'powershell.{0,20}bypass'`),
	sel("Payload|re", `'^[A-Z]{3}-\d{4}$'`),
	sel("Payload|re", `'.{30,}'`),
	sel("Payload|re|i", `'\x{212A}elvin|µs|σς'`),
	sel("EventID", `[4624, 4625]`),
	sel("User|neq", `'SYSTEM'`),
	sel("Ip|cidr", `['10.0.0.0/8', 'fe80::/10']`),
	sel("N|gt", `100`),
	sel("F", `null`),
	sel("F|exists", `true`),
	sel("A|fieldref", `B`),
	"keywords:\n    - 'mimikatz'\n    - 'sekurlsa::*'\n    - 'lsa?dump'\ncondition: keywords\n",
	"keywords:\n    '|all': ['alpha', 'bravo', 'charlie', 'delta']\ncondition: keywords\n",
	"sel:\n    EventID: 4688\n    CommandLine|contains: 'net user'\nfilter:\n    User|startswith: 'adm_'\ncondition: sel and not filter\n",
	"sel1:\n    Image|endswith: '\\rundll32.exe'\nsel2:\n    CommandLine|contains: ['javascript:', 'mshtml']\nsel3:\n    ParentImage|endswith: '\\winword.exe'\ncondition: 2 of sel*\n",
	"a:\n    F: 'abc'\nb:\n    G|re: 'x+yz'\nc:\n    H: 1\ncondition: (a or b) and not c or all of them\n",
	"a:\n    - F|contains: 'first'\n    - G|endswith: 'second'\n    - 'third'\ncondition: a\n",
	"a:\n    EventID: 1\nb:\n    EventID: [2, 3]\nc:\n    EventID|re: '^4'\ncondition: a or b\n",
	"a:\n    F|contains: 'xy'\nb:\n    G|contains: 'longer needle'\ncondition: a and b\n",
}

func syntheticSet(t *testing.T) *RuleSet {
	t.Helper()
	var docs []Document
	for i, det := range syntheticRules {
		docs = append(docs, Parse(fmt.Sprintf("synthetic%d.yml", i), []byte(ruleDoc(det)))...)
	}
	rs := Compile(docs, Options{})
	for _, f := range rs.Failed() {
		t.Fatalf("%s: %v", f.Path, f.Err)
	}
	return rs
}

func TestNeedlesSoundSynthetic(t *testing.T) {
	checkNeedles(t, syntheticSet(t), 400, 1)
}

func TestNeedlesSoundSigmaHQ(t *testing.T) {
	rs := sigmaHQ(t)
	n := 12
	if testing.Short() {
		n = 3
	}
	checkNeedles(t, rs, n, 2)
}

// checkNeedles builds perRule events aimed at each compiled rule and
// checks the prefilter's promises on every rule those events match.
func checkNeedles(t *testing.T, rs *RuleSet, perRule int, seed uint64) {
	rnd := rand.New(rand.NewPCG(seed, 7))
	s := NewScratch()
	matched, evaluated, selfHit := 0, 0, 0
	for ci, c := range rs.Compiled {
		g := &eventGen{rnd: rnd, values: map[string][]event.Value{}}
		g.collect(c.detection)
		hit := false
		for k := 0; k < perRule; k++ {
			e := g.event()
			s.Reset(e)
			// The rule itself, and a few others that may match by chance.
			targets := []*Compiled{c}
			for j := 0; j < 3; j++ {
				targets = append(targets, rs.Compiled[rnd.IntN(len(rs.Compiled))])
			}
			for ti, x := range targets {
				evaluated++
				if !x.MatchDetection(s) {
					continue
				}
				matched++
				if ti == 0 {
					hit = true
				}
				checkPromises(t, x, e)
			}
		}
		if hit {
			selfHit++
		}
		if t.Failed() && ci > 0 {
			return
		}
	}
	t.Logf("%d rules, %d evaluations, %d matches; %d rules matched by their own events", len(rs.Compiled), evaluated, matched, selfHit)
	if selfHit*3 < len(rs.Compiled) {
		t.Errorf("only %d of %d rules matched their own events: the generator is too weak for the check to mean much", selfHit, len(rs.Compiled))
	}
}

// checkPromises checks what Needles and RequiredValues promise about an
// event the rule's detection matches.
func checkPromises(t *testing.T, c *Compiled, e *event.Event) {
	t.Helper()
	texts := scanTexts(e)
	if needles, ok := c.Needles(); ok {
		found := false
		for _, n := range needles {
			if n.Text != Fold(n.Text) {
				t.Errorf("%s: needle %q is not lower case", c.Rule.Path, n.Text)
			}
			for _, x := range texts {
				if strings.Contains(x, n.Text) {
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			t.Errorf("%s (%s): matches an event that holds none of its needles %q\nevent: %v", c.Rule.Path, c.Rule.Title, needles, e.Fields)
		}
	}
	for _, field := range []string{"EventID", "Channel", "EventType", "F", "User", "Image"} {
		vals, ok := c.RequiredValues(field)
		if !ok {
			continue
		}
		v, present := e.Get(field)
		if !present {
			t.Errorf("%s: requires %s in %q, the matching event has none", c.Rule.Path, field, vals)
			continue
		}
		cands := []string{Fold(v.Str)}
		for _, x := range v.List {
			cands = append(cands, Fold(x.Str))
		}
		found := false
		for _, want := range vals {
			for _, got := range cands {
				if got == Fold(want) {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s: requires %s in %q, the matching event has %q", c.Rule.Path, field, vals, v.Str)
		}
	}
}

// scanTexts is what the engine's prefilter scans: every non-null value
// lower-cased, list elements one by one.
func scanTexts(e *event.Event) []string {
	var out []string
	for _, f := range e.Fields {
		switch f.Value.Kind {
		case event.KindNull:
		case event.KindList:
			for _, x := range f.Value.List {
				out = append(out, Fold(x.Str))
			}
		default:
			out = append(out, Fold(f.Value.Str))
		}
	}
	return out
}

// eventGen builds events aimed at one compiled detection: it collects,
// per field, values that satisfy the field's matchers (wildcards filled
// in, letters in random case), and assembles random subsets of them.
type eventGen struct {
	rnd      *rand.Rand
	values   map[string][]event.Value
	keywords []string
	refs     [][2]string // fieldref: field, other field
}

func (g *eventGen) collect(n node) {
	switch n := n.(type) {
	case andNode:
		for _, k := range n {
			g.collect(k)
		}
	case orNode:
		for _, k := range n {
			g.collect(k)
		}
	case notNode:
		g.collect(n.n)
	case *countNode:
		for _, k := range n.kids {
			g.collect(k)
		}
	case *fieldNode:
		for _, name := range n.names {
			g.fieldValues(name, n)
		}
	case *keywordNode:
		for _, grp := range n.groups {
			for _, m := range grp {
				if v, ok := g.instance(m); ok {
					g.keywords = append(g.keywords, v)
				}
			}
		}
	}
}

func (g *eventGen) fieldValues(name string, f *fieldNode) {
	var per [][]string // per group, its instances
	for _, grp := range f.groups {
		var xs []string
		for _, m := range grp {
			if r, ok := m.(fieldrefMatcher); ok {
				g.refs = append(g.refs, [2]string{name, r.other})
				continue
			}
			if v, ok := g.instance(m); ok {
				xs = append(xs, v)
			}
		}
		per = append(per, xs)
	}
	add := func(v event.Value) { g.values[name] = append(g.values[name], v) }
	if f.all {
		// One instance of every group, in one value and as a list.
		var parts []string
		var list []event.Value
		for _, xs := range per {
			if len(xs) > 0 {
				x := xs[g.rnd.IntN(len(xs))]
				parts = append(parts, x)
				list = append(list, event.String(x))
			}
		}
		add(event.String(strings.Join(parts, " ")))
		add(event.List(list...))
		return
	}
	for _, xs := range per {
		for _, x := range xs {
			add(event.String(x))
		}
	}
}

var fillers = []string{"", "x", " a b ", "€", "Zz9", "\\", "-", "/c ", "ſ"}

// instance returns a text the matcher accepts (most of the time).
func (g *eventGen) instance(m valueMatcher) (string, bool) {
	switch m := m.(type) {
	case *strMatcher:
		var b strings.Builder
		for _, tk := range m.pat {
			switch tk.kind {
			case tLit:
				if m.cased {
					b.WriteString(tk.lit)
				} else {
					b.WriteString(g.randomCase(tk.lit))
				}
			case tStar:
				b.WriteString(fillers[g.rnd.IntN(len(fillers))])
			case tOne:
				b.WriteString([]string{"a", "Q", "é", "€", "\\"}[g.rnd.IntN(5)])
			case tDash:
				b.WriteString(dashChars[g.rnd.IntN(len(dashChars))])
			}
		}
		return b.String(), true
	case reMatcher:
		t, err := syntax.Parse(m.re.String(), syntax.Perl)
		if err != nil {
			return "", false
		}
		return genRegex(t, g.rnd, 0), true
	case cidrMatcher:
		return m.prefix.Addr().String(), true
	case numMatcher:
		return strconv.FormatFloat(m.x+float64(g.rnd.IntN(3)-1), 'f', -1, 64), true
	case existsMatcher:
		return "present", true
	case emptyMatcher, nullMatcher:
		return "", true
	}
	return "", false
}

// randomCase changes the case of some letters, and sometimes swaps a
// letter for another of its case-fold orbit (k for the Kelvin sign).
func (g *eventGen) randomCase(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch g.rnd.IntN(8) {
		case 0, 1, 2:
			r = unicode.ToUpper(r)
		case 3:
			r = unicode.SimpleFold(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

var noise = []string{"", "C:\\Windows\\System32\\svchost.exe", "x", "AAAA", "€ſ", "0"}

func (g *eventGen) event() *event.Event {
	e := ev()
	for name, vs := range g.values {
		switch g.rnd.IntN(10) {
		case 0, 1: // absent
		case 2: // a list of two candidates
			e.Add(name, event.List(vs[g.rnd.IntN(len(vs))], event.String(noise[g.rnd.IntN(len(noise))])))
		case 3: // null
			e.Add(name, event.Null())
		case 4: // noise
			e.Add(name, event.String(noise[g.rnd.IntN(len(noise))]))
		default:
			v := vs[g.rnd.IntN(len(vs))]
			if v.Kind == event.KindString && g.rnd.IntN(4) == 0 {
				v = event.String(noise[g.rnd.IntN(len(noise))] + v.Str + noise[g.rnd.IntN(len(noise))])
			}
			e.Add(name, v)
		}
	}
	for i, kw := range g.keywords {
		if g.rnd.IntN(3) > 0 {
			e.Add(fmt.Sprintf("kw%d", i), event.String("... "+kw+" ..."))
		}
	}
	for _, r := range g.refs {
		if v, ok := e.Get(r[1]); ok && g.rnd.IntN(2) == 0 {
			e.Set(r[0], v)
		}
	}
	return e
}

// genRegex returns a random string the expression t matches, most of the
// time (anchors and boundaries are not enforced).
func genRegex(t *syntax.Regexp, rnd *rand.Rand, depth int) string {
	if depth > 20 {
		return ""
	}
	rep := func(lo, hi int) string {
		if hi < lo {
			hi = lo + 3
		}
		hi = min(hi, lo+3)
		n := lo + rnd.IntN(hi-lo+1)
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(genRegex(t.Sub[0], rnd, depth+1))
		}
		return b.String()
	}
	switch t.Op {
	case syntax.OpLiteral:
		var b strings.Builder
		for _, r := range t.Rune {
			if t.Flags&syntax.FoldCase != 0 {
				for k := rnd.IntN(4); k > 0; k-- {
					r = unicode.SimpleFold(r)
				}
			}
			b.WriteRune(r)
		}
		return b.String()
	case syntax.OpCharClass:
		if len(t.Rune) < 2 {
			return ""
		}
		i := 2 * rnd.IntN(len(t.Rune)/2)
		lo, hi := t.Rune[i], t.Rune[i+1]
		r := lo + rune(rnd.IntN(int(min(hi-lo, 1000))+1))
		if !utf8.ValidRune(r) {
			r = lo
		}
		return string(r)
	case syntax.OpAnyCharNotNL:
		return []string{"a", "Z", "€", "ſ", "\t", " "}[rnd.IntN(6)]
	case syntax.OpAnyChar:
		return []string{"a", "\n", "€", "K"}[rnd.IntN(4)]
	case syntax.OpCapture:
		return genRegex(t.Sub[0], rnd, depth+1)
	case syntax.OpStar:
		return rep(0, 3)
	case syntax.OpPlus:
		return rep(1, 3)
	case syntax.OpQuest:
		return rep(0, 1)
	case syntax.OpRepeat:
		return rep(t.Min, t.Max)
	case syntax.OpConcat:
		var b strings.Builder
		for _, s := range t.Sub {
			b.WriteString(genRegex(s, rnd, depth+1))
		}
		return b.String()
	case syntax.OpAlternate:
		return genRegex(t.Sub[rnd.IntN(len(t.Sub))], rnd, depth+1)
	}
	return ""
}

// preRegexps are expressions whose prechecks are easy to get wrong:
// case-fold variants, anchors, bounded repetition, line runs.
var preRegexps = []string{
	`(?i)powershell`, `(?i)invoke-(expression|webrequest)`, `(?i)^k$`, `(?i)σ+`, `(?i)µ`, `(?i)straße`,
	`(?i)[a-z]+ſ`, `(?i)\x{212A}`, `(?i)å\x{212B}`, `(?i)ǅ`, `(?i)θϑ`,
	`^a{2,3}$`, `^(ab|cd)+$`, `^.{0,5}$`, `^[^x]{1,4}$`, `^\d{3}-\d{4}$`, `^(?:x|yy|zzz)?$`, `^$`, `\A(?i)ab\z`,
	`.{10,}`, `(.{3,})`, `(?s).{3,}`, `.{1,}x`, `(?m)^x$`, `(?m)^.{4,}$`,
	`a|b`, `x*`, `x+yz`, `(foo|bar)baz`, `\bword\b`, `[A-Z]{3}`, `(?i)(?:abc){2,}`, `ab(?i)cd`, `\x{FFFD}`,
	`(?i)^powershell\.exe$`, `(?i)\\temp\\[^\\]+\.exe$`, `^C:\\Users\\[^\\]+\\AppData`,
}

// TestRegexPrechecksSound checks that the prechecks of reMatcher (minimum
// and maximum length, required literals, line runs) never reject a value
// the regular expression matches, over generated values, their case-fold
// variants, and random text; for the SigmaHQ rules' expressions too when
// the shared data is present.
func TestRegexPrechecksSound(t *testing.T) {
	exprs := append([]string(nil), preRegexps...)
	if dir, ok := testdata.Find(); ok {
		if _, err := os.Stat(filepath.Join(dir, "sigma", "rules")); err == nil {
			seen := map[string]bool{}
			for _, c := range sigmaHQ(t).Compiled {
				walkMatchers(c.detection, func(m valueMatcher) {
					if r, ok := m.(reMatcher); ok && !seen[r.re.String()] {
						seen[r.re.String()] = true
						exprs = append(exprs, r.re.String())
					}
				})
			}
		}
	}
	rnd := rand.New(rand.NewPCG(3, 9))
	s := NewScratch()
	checked := 0
	for _, expr := range exprs {
		re := regexp.MustCompile(expr)
		m := newReMatcher(re)
		tree, err := syntax.Parse(expr, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 60; k++ {
			var text string
			switch k % 4 {
			case 0, 1:
				text = genRegex(tree, rnd, 0)
			case 2:
				g := &eventGen{rnd: rnd}
				text = g.randomCase(genRegex(tree, rnd, 0))
			case 3:
				text = fillers[rnd.IntN(len(fillers))] + genRegex(tree, rnd, 0) + "\n" + fillers[rnd.IntN(len(fillers))]
			}
			if !re.MatchString(text) {
				continue
			}
			checked++
			e := ev("F", text)
			s.Reset(e)
			v := e.Fields[0].Value
			if !m.matchValue(s, &v, s.Lower(0), true) {
				t.Errorf("%s matches %q, its precheck rejects it (minLen %d, maxLen %d, lits %q, lineRun %d)", expr, text, m.minLen, m.maxLen, m.lits, m.lineRun)
			}
			if !m.matchValue(s, &v, "", true) {
				t.Errorf("%s matches %q, rejected when the lower-cased text is not given", expr, text)
			}
		}
	}
	t.Logf("%d expressions, %d matching values checked", len(exprs), checked)
}

// walkMatchers calls f on every value matcher under n.
func walkMatchers(n node, f func(valueMatcher)) {
	switch n := n.(type) {
	case andNode:
		for _, k := range n {
			walkMatchers(k, f)
		}
	case orNode:
		for _, k := range n {
			walkMatchers(k, f)
		}
	case notNode:
		walkMatchers(n.n, f)
	case *countNode:
		for _, k := range n.kids {
			walkMatchers(k, f)
		}
	case *fieldNode:
		for _, g := range n.groups {
			for _, m := range g {
				f(m)
			}
		}
	case *keywordNode:
		for _, g := range n.groups {
			for _, m := range g {
				f(m)
			}
		}
	}
}

// TestNeedlesExamples pins down the needles of a few rules.
func TestNeedlesExamples(t *testing.T) {
	for _, tc := range []struct {
		det  string
		want string // needles joined by ",", or "-" when none can be derived
	}{
		{sel("CommandLine|contains", `['-EncodedCommand', 'FromBase64']`), "-encodedcommand,frombase64"},
		{sel("CommandLine|contains|all", `['ab', 'longest', 'mid']`), "longest"},
		{sel("Image|endswith", `['\cmd.exe', '\x']`), "-"}, // one value too short
		{sel("Image", `'C:\Windows\System32\svc*.exe'`), `c:\windows\system32\svc`},
		{sel("Image", `'C:\*\svchost.exe'`), `c:*\svchost.exe`}, // \* is an escaped star
		{"a:\n    F: 'abcdef'\nb:\n    G: 'xyz'\ncondition: a and not b\n", "abcdef"},
		{"a:\n    F: 'abcdef'\nb:\n    G: 'xyz'\ncondition: a or b\n", "abcdef,xyz"},
		{"a:\n    F: 'abcdef'\nb:\n    G: 'xyz'\ncondition: not a\n", "-"},
		{"a:\n    F: 'abcdef'\nb:\n    G|re: 'x+'\ncondition: a or b\n", "-"},
		{sel("F|re", `'(?i)power(shell|pwsh)'`), "power"},
		{sel("F|re|i", `'powershell'`), "power"}, // s has the case-fold variant ſ
		{sel("F|neq", `'abcdef'`), "-"},
		{"keywords: ['mimikatz', 'sekurlsa']\ncondition: keywords\n", "mimikatz,sekurlsa"},
		{"a:\n    F: 'abcdef'\nb:\n    F: 'ghijkl'\ncondition: 3 of them\n", ""},
	} {
		rs := mustCompile(t, ruleDoc(tc.det))
		ns, ok := rs.Compiled[0].Needles()
		got := "-"
		if ok {
			var texts []string
			for _, n := range ns {
				texts = append(texts, n.Text)
			}
			got = strings.Join(texts, ",")
		}
		if got != tc.want {
			t.Errorf("%s: needles %q, want %q", tc.det, got, tc.want)
		}
	}
}
