package sigma

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/event"
)

// Fuzz targets. Seed corpora live in testdata/fuzz/<target>/; run one with
//
//	go test -run='^$' -fuzz=FuzzParse -fuzztime=3m -parallel=1 ./sigma

var (
	fuzzMappingOnce sync.Once
	fuzzMappingVal  *Mapping
)

// fuzzMapping parses the default mapping once: Compile only reads it.
func fuzzMapping() *Mapping {
	fuzzMappingOnce.Do(func() { fuzzMappingVal = DefaultMapping() })
	return fuzzMappingVal
}

// fuzzEvents are a few fixed events of the shapes readers produce.
func fuzzEvents() []*event.Event {
	sysmon := evtx("Channel", chSysmon, "EventID", 1, "Image", `C:\Windows\System32\cmd.exe`,
		"CommandLine", `cmd.exe /c whoami & powershell -enc SQBFAFgA`, "ParentImage", `C:\Office\WINWORD.EXE`,
		"User", `CORP\bob`, "Hashes", "MD5=0123,SHA256=abcd")
	security := evtx("Channel", "Security", "EventID", 4688, "NewProcessName", `C:\Windows\System32\net.exe`,
		"CommandLine", "net user x /add", "AccessMask", event.Hex(0x1410), "LogonType", 10, "IpAddress", "10.1.2.3")
	security.Time = t0
	jsonl := ev("a", "x", "n", nil, "list", []any{"one", 2, "THREE", nil}, "f", 1.5, "b", true, "empty", "",
		"ts", "2024-02-29T23:45:06Z", "ip", "fe80::1", "big", uint64(1)<<63, "u", "ÄÖÜ ſ € –")
	jsonl.Time = t0.Add(time.Minute)
	zeek := ev("_path", "dns", "query", "x.evil.com", "id.orig_h", "192.168.1.1")
	zeek.Source.Format = "zeek"
	return []*event.Event{sysmon, security, jsonl, zeek, ev(), evtx()}
}

// FuzzParse feeds arbitrary bytes through Parse and Compile, evaluates the
// result on fixed events (match, evidence, correlation) and checks the
// prefilter's promises on what matches. Nothing may panic or hang.
func FuzzParse(f *testing.F) {
	for _, s := range syntheticRules {
		f.Add([]byte(ruleDoc(s)))
	}
	f.Add([]byte(filterRules + filterDoc("{product: windows}", "any", notAdmin)))
	f.Add([]byte("title: c\ncorrelation:\n    type: temporal\n    rules: [a, b]\n    group-by: [User]\n    timespan: 5m\n" + corrRules("a", "b")))
	events := fuzzEvents()
	f.Fuzz(func(t *testing.T, data []byte) {
		docs := Parse("fuzz.yml", data)
		for _, d := range docs {
			n := 0
			for _, x := range []bool{d.Rule != nil, d.Correlation != nil, d.Filter != nil, d.Err != nil} {
				if x {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("document with %d of rule, correlation, filter and error set: %+v", n, d)
			}
		}
		rs := Compile(docs, Options{Mapping: fuzzMapping()})
		if len(rs.Status) != len(docs) {
			t.Fatalf("%d statuses for %d documents", len(rs.Status), len(docs))
		}
		for _, st := range rs.Status {
			if st.Err != nil && st.Err.Error() == "" {
				t.Fatal("empty error message")
			}
		}
		corr := NewCorrelator(rs)
		s := NewScratch()
		for _, e := range events {
			s.Reset(e)
			for _, c := range rs.Compiled {
				c.RequiredValues("EventID")
				if !c.Match(s) {
					continue
				}
				c.Evidence(s)
				checkPromises(t, c, e)
				corr.Observe(c.Rule, e)
			}
		}
		corr.Flush()
	})
}

// FuzzCondition parses arbitrary condition strings: errors must carry a
// column inside the text; parsed conditions must print as conditions that
// parse to the same print, and compile and evaluate against a rule with a
// few searches.
func FuzzCondition(f *testing.F) {
	for _, s := range []string{
		"sel", "a and not b", "a or b and c", "(a or b) and not (c)", "1 of sel*", "all of them",
		"any of _*", "2 of them", "not not a", "sel | count() > 5", "a and (", ")(", "1 of",
		"NOT A OR b", "all of sel? and 3 of *", strings.Repeat("(", 120) + "a" + strings.Repeat(")", 120),
	} {
		f.Add(s)
	}
	names := []string{"a", "b", "c", "sel", "sel1", "sel2", "_hidden", "filter"}
	var b strings.Builder
	for i, n := range names {
		b.WriteString(n + ":\n    F" + string(rune('0'+i)) + ": x\n")
	}
	searches := parseSearches(f, b.String())
	e := ev("F0", "x", "F2", "x", "F4", "X", "F6", "x")
	f.Fuzz(func(t *testing.T, cond string) {
		x, err := parseCondition(cond)
		if err != nil {
			var ce *ConditionError
			if !errors.As(err, &ce) {
				t.Fatalf("%q: error %v is not a *ConditionError", cond, err)
			}
			if ce.Pos < 0 || ce.Pos > len(cond) {
				t.Fatalf("%q: error column %d outside the text", cond, ce.Pos+1)
			}
			return
		}
		printed := x.String()
		y, err := parseCondition(printed)
		if err != nil {
			t.Fatalf("%q prints as %q, which does not parse: %v", cond, printed, err)
		}
		if y.String() != printed {
			t.Fatalf("%q prints as %q, which prints as %q", cond, printed, y.String())
		}
		if strings.ContainsAny(cond, "\n\r") {
			return // a YAML scalar cannot hold it as written
		}
		c := &compiler{}
		n, err := c.compileDetection(&Detection{Searches: searches, Order: names, Conditions: []string{cond}})
		if err != nil {
			return
		}
		s := NewScratch()
		s.Reset(e)
		n.eval(s)
		needlesOf(n)
		requiredOf(n, "F0")
	})
}

// parseSearches parses a detection body's searches (without a condition).
func parseSearches(t testing.TB, body string) map[string]*Search {
	docs := Parse("s.yml", []byte(ruleDoc(body+"condition: a\n")))
	if len(docs) != 1 || docs[0].Rule == nil {
		t.Fatalf("searches do not parse: %+v", docs)
	}
	return docs[0].Rule.Detection.Searches
}

// FuzzPattern checks strMatcher, with its literal, prefix, suffix and
// contains fast paths and its glob matcher, against a plain backtracking
// matcher over characters.
func FuzzPattern(f *testing.F) {
	for _, s := range []struct {
		pat, text string
		cased     bool
		mode      uint8
	}{
		{"a*b", "aXb", false, 0}, {"*??", "€", false, 0}, {"a?c", "a€c", true, 0}, {`a\*b`, "a*b", false, 0},
		{`C:\Windows\*`, `c:\windows*`, false, 0}, {`\\`, `\`, true, 0}, {"*-enc*", "x /enc", false, 4},
		{"x*y*z", "xxyyzz", false, 0}, {"?*?", "ab", false, 0}, {"", "", false, 1}, {"*", "", false, 2},
		{"ÄB?", "äbſ", false, 3}, {"a*a*a*a*b", strings.Repeat("a", 60), false, 0},
	} {
		f.Add(s.pat, s.text, s.cased, s.mode)
	}
	f.Fuzz(func(t *testing.T, pat, text string, cased bool, mode uint8) {
		if len(pat) > 256 || len(text) > 1024 {
			return
		}
		if cased && (!utf8.ValidString(pat) || !utf8.ValidString(text)) {
			// Raw bytes are compared: "one character" of invalid UTF-8 is
			// not well defined.
			return
		}
		p := parsePattern(pat)
		prefix, suffix, dash := mode&1 != 0, mode&2 != 0, mode&4 != 0
		if dash {
			p = p.windash()
		}
		p = p.wrap(prefix, suffix)
		m := newStrMatcher(p, cased)
		got := m.match(text, lowerString(text))
		want := refMatch(pat, text, cased, prefix, suffix, dash)
		if got != want {
			t.Fatalf("pattern %q (mode %d, cased %v) on %q: strMatcher %v, reference %v (op %d, segs %v)", pat, mode, cased, text, got, want, m.op, m.segs)
		}
	})
}

// refTok is a character of a reference pattern: a literal rune, a star, a
// question mark or a dash class.
type refTok struct {
	kind byte // 'l', '*', '?', '-'
	r    rune
}

// refMatch is the reference semantics of a Sigma string value: a backslash
// escapes *, ? and itself and is literal before anything else; * matches
// any run of characters, ? exactly one; unless cased, both sides are
// lower-cased first; with dash, the windash characters are one class.
func refMatch(pat, text string, cased, prefix, suffix, dash bool) bool {
	var toks []refTok
	if prefix {
		toks = append(toks, refTok{kind: '*'})
	}
	rs := []rune(pat)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\\' && i+1 < len(rs) && (rs[i+1] == '*' || rs[i+1] == '?' || rs[i+1] == '\\'):
			toks = append(toks, refTok{kind: 'l', r: rs[i+1]})
			i++
		case c == '*':
			toks = append(toks, refTok{kind: '*'})
		case c == '?':
			toks = append(toks, refTok{kind: '?'})
		default:
			toks = append(toks, refTok{kind: 'l', r: c})
		}
	}
	if suffix {
		toks = append(toks, refTok{kind: '*'})
	}
	lower := func(s string) string {
		if cased {
			return s
		}
		return strings.ToLower(s)
	}
	// Lower-case the literals rune by rune, as the matcher lower-cases
	// each literal run; a rune may lower-case to several.
	var pt []refTok
	for _, tk := range toks {
		if tk.kind != 'l' {
			pt = append(pt, tk)
			continue
		}
		for _, r := range lower(string(tk.r)) {
			if dash && isDash(r) {
				pt = append(pt, refTok{kind: '-'})
				continue
			}
			pt = append(pt, refTok{kind: 'l', r: r})
		}
	}
	tr := []rune(lower(text))
	memo := map[[2]int]bool{}
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if i == len(pt) {
			return j == len(tr)
		}
		k := [2]int{i, j}
		if v, ok := memo[k]; ok {
			return v
		}
		var r bool
		switch pt[i].kind {
		case '*':
			r = match(i+1, j) || j < len(tr) && match(i, j+1)
		case '?':
			r = j < len(tr) && match(i+1, j+1)
		case '-':
			r = j < len(tr) && isDash(tr[j]) && match(i+1, j+1)
		default:
			r = j < len(tr) && tr[j] == pt[i].r && match(i+1, j+1)
		}
		memo[k] = r
		return r
	}
	return match(0, 0)
}
