package sigma

import (
	"regexp"
	"regexp/syntax"
	"sort"
	"unicode"
	"unicode/utf8"
)

// Needle is a lower-case literal that some field of an event must contain
// for a rule to have any chance of matching. Field is "" when any field may
// hold it (keywords).
type Needle struct {
	Field string
	Text  string
}

// minNeedle is the shortest literal worth searching for: shorter ones occur
// in nearly every event and would only cost time.
const minNeedle = 3

// Needles returns a set of needles at least one of which every matching
// event contains, or ok=false when no such set can be derived (negations,
// regular expressions, numeric comparisons...). The engine scans events for
// all rules' needles at once and evaluates only the rules that were hit.
func (c *Compiled) Needles() (needles []Needle, ok bool) {
	set, ok := needlesOf(c.detection)
	if !ok {
		return nil, false
	}
	return set, true
}

func needlesOf(n node) ([]Needle, bool) {
	switch n := n.(type) {
	case andNode:
		// Any child's requirement is the whole's: take the most selective.
		var best []Needle
		found := false
		for _, k := range n {
			s, ok := needlesOf(k)
			if !ok {
				continue
			}
			if !found || better(s, best) {
				best, found = s, true
			}
		}
		return best, found
	case orNode:
		return unionNeedles([]node(n))
	case *countNode:
		return unionNeedles(n.kids)
	case constNode:
		if !n {
			return nil, true // never matches: no event needs evaluating
		}
		return nil, false
	case *fieldNode:
		if n.neq || n.presence {
			return nil, false
		}
		return groupNeedles(n.groups, n.all, n.names)
	case *keywordNode:
		return groupNeedles(n.groups, n.all, []string{""})
	}
	return nil, false
}

func unionNeedles(kids []node) ([]Needle, bool) {
	var all []Needle
	for _, k := range kids {
		s, ok := needlesOf(k)
		if !ok {
			return nil, false
		}
		all = append(all, s...)
	}
	return dedupNeedles(all), true
}

// groupNeedles derives needles from a field's values: with all, one value's
// needles suffice (pick the best); otherwise every value contributes.
func groupNeedles(groups [][]valueMatcher, all bool, fields []string) ([]Needle, bool) {
	var best, union []Needle
	found := false
	for _, g := range groups {
		var gs []Needle
		gok := true
		for _, m := range g {
			var lits []string
			switch m := m.(type) {
			case *strMatcher:
				lit := longestLiteral(m.pat)
				if m.cased {
					lit = lowerString(lit)
				}
				lits = []string{lit}
			case reMatcher:
				if minLenStrings(m.lits) >= minNeedle {
					lits = m.lits
				}
			}
			if len(lits) == 0 || !goodNeedles(lits) {
				gok = false
				break
			}
			for _, lit := range lits {
				for _, f := range fields {
					gs = append(gs, Needle{Field: f, Text: lit})
				}
			}
		}
		if all {
			if gok && (!found || better(gs, best)) {
				best, found = gs, true
			}
			continue
		}
		if !gok {
			return nil, false
		}
		union = append(union, gs...)
	}
	if all {
		return dedupNeedles(best), found
	}
	return dedupNeedles(union), len(union) > 0
}

// goodNeedles reports whether every literal is selective enough to search
// for: minNeedle bytes, or two for text outside ASCII (a Cyrillic letter
// in a command line is rare, where "ab" is everywhere).
func goodNeedles(lits []string) bool {
	for _, l := range lits {
		if len(l) >= minNeedle {
			continue
		}
		if len(l) < 2 || !hasNonASCII(l) {
			return false
		}
	}
	return true
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

func minLenStrings(ss []string) int {
	m := 1 << 30
	for _, s := range ss {
		m = min(m, len(s))
	}
	return m
}

// newReMatcher derives the regular expression's cheap precondition: its
// minimum match length, and lower-case literals one of which every match
// contains (the best literal run of a concatenation, the union over
// alternatives).
func newReMatcher(re *regexp.Regexp) reMatcher {
	m := reMatcher{re: re, maxLen: -1}
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return m
	}
	inner := t
	for inner.Op == syntax.OpCapture {
		inner = inner.Sub[0]
	}
	if inner.Op == syntax.OpRepeat && inner.Max == -1 && inner.Min > 0 && inner.Sub[0].Op == syntax.OpAnyCharNotNL {
		m.lineRun = inner.Min
	}
	m.anchor = newLiteralAnchor(t)
	t = t.Simplify()
	m.minLen = minMatchLen(t, 0)
	if lits, ok := reNeedles(t, 0); ok {
		m.lits = lits
	}
	m.reqs = reRequired(t, 0)
	if t.Op == syntax.OpConcat && len(t.Sub) >= 2 && t.Sub[0].Op == syntax.OpBeginText && t.Sub[len(t.Sub)-1].Op == syntax.OpEndText {
		m.maxLen = maxMatchLen(t, 0)
	}
	return m
}

// maxMatchLen is an upper bound on the bytes of any match, or -1 when
// there is none.
func maxMatchLen(re *syntax.Regexp, depth int) int {
	if depth > 50 {
		return -1
	}
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			n += utf8.RuneLen(r)
			if re.Flags&syntax.FoldCase != 0 {
				n += 3 // a folded variant may be longer in UTF-8
			}
		}
		return n
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture:
		return maxMatchLen(re.Sub[0], depth+1)
	case syntax.OpQuest:
		return maxMatchLen(re.Sub[0], depth+1)
	case syntax.OpRepeat:
		if re.Max < 0 {
			return -1
		}
		k := maxMatchLen(re.Sub[0], depth+1)
		if k < 0 {
			return -1
		}
		return re.Max * k
	case syntax.OpConcat, syntax.OpAlternate:
		n := 0
		for _, s := range re.Sub {
			k := maxMatchLen(s, depth+1)
			if k < 0 {
				return -1
			}
			if re.Op == syntax.OpConcat {
				n += k
			} else {
				n = max(n, k)
			}
		}
		return n
	}
	return -1
}

// minMatchLen is a lower bound on the bytes of any match.
func minMatchLen(re *syntax.Regexp, depth int) int {
	if depth > 50 {
		return 0
	}
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minMatchLen(re.Sub[0], depth+1)
	case syntax.OpRepeat:
		return re.Min * minMatchLen(re.Sub[0], depth+1)
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += minMatchLen(s, depth+1)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, s := range re.Sub {
			if k := minMatchLen(s, depth+1); n < 0 || k < n {
				n = k
			}
		}
		return max(n, 0)
	}
	return 0
}

// reRequired derives every literal requirement of a regular expression:
// each element is a set of lower-case literals one of which every match
// contains, and all elements hold at once. "(?i)set.*&&.*(invoke|env)"
// gives {set} {&&} {invoke, env}.
func reRequired(re *syntax.Regexp, depth int) [][]string {
	if depth > 50 {
		return nil
	}
	switch re.Op {
	case syntax.OpLiteral:
		if s, ok := foldableLiteral(re); ok {
			return [][]string{{s}}
		}
	case syntax.OpCapture, syntax.OpPlus:
		return reRequired(re.Sub[0], depth+1)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return reRequired(re.Sub[0], depth+1)
		}
	case syntax.OpConcat:
		var out [][]string
		var run []rune
		flush := func() {
			if len(run) > 0 {
				out = append(out, []string{lowerString(string(run))})
				run = run[:0]
			}
		}
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral {
				if _, ok := foldableLiteral(sub); ok {
					run = append(run, sub.Rune...)
				} else {
					flush()
				}
				continue
			}
			flush()
			out = append(out, reRequired(sub, depth+1)...)
		}
		flush()
		return bestSets(out, 8)
	case syntax.OpAlternate:
		var union []string
		for _, sub := range re.Sub {
			sets := reRequired(sub, depth+1)
			if len(sets) == 0 {
				return nil
			}
			union = append(union, bestSets(sets, 1)[0]...)
		}
		return [][]string{union}
	}
	return nil
}

// foldableLiteral returns a literal's lower-cased text when searching for
// it in lower-cased text is sound: a case-insensitive literal with letters
// outside ASCII may match case variants that lower-casing does not unify.
func foldableLiteral(re *syntax.Regexp) (string, bool) {
	if re.Flags&syntax.FoldCase != 0 {
		for _, r := range re.Rune {
			if r >= utf8.RuneSelf {
				return "", false
			}
		}
	}
	s := lowerString(string(re.Rune))
	return s, s != ""
}

func reNeedlesLiteral(re *syntax.Regexp) ([]string, bool) {
	s, ok := foldableLiteral(re)
	if !ok {
		return nil, false
	}
	return []string{s}, true
}

// bestSets keeps the n most selective requirement sets (longest shortest
// literal first).
func bestSets(sets [][]string, n int) [][]string {
	sort.SliceStable(sets, func(i, j int) bool { return minLenStrings(sets[i]) > minLenStrings(sets[j]) })
	if len(sets) > n {
		sets = sets[:n]
	}
	return sets
}

// reNeedles derives literals (of any length) one of which every match
// contains.
func reNeedles(re *syntax.Regexp, depth int) ([]string, bool) {
	if depth > 50 {
		return nil, false
	}
	switch re.Op {
	case syntax.OpLiteral:
		// Only the runs between runes that are not fold-safe are required
		// text (see foldSafe); the longest run serves.
		fold := re.Flags&syntax.FoldCase != 0
		best, start := "", 0
		for i := 0; i <= len(re.Rune); i++ {
			if i < len(re.Rune) && foldSafe(re.Rune[i], fold) {
				continue
			}
			if s := lowerString(string(re.Rune[start:i])); len(s) > len(best) {
				best = s
			}
			start = i + 1
		}
		return []string{best}, len(best) > 0
	case syntax.OpCapture:
		return reNeedles(re.Sub[0], depth+1)
	case syntax.OpPlus:
		return reNeedles(re.Sub[0], depth+1)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return reNeedles(re.Sub[0], depth+1)
		}
	case syntax.OpConcat:
		// Adjacent literals join into one run; the longest run (or the best
		// needle set of a sub-expression) is required.
		var best []string
		found := false
		var run []rune
		consider := func(set []string) {
			if len(set) > 0 && (!found || minLenStrings(set) > minLenStrings(best)) {
				best, found = set, true
			}
		}
		flush := func() {
			if len(run) > 0 {
				consider([]string{lowerString(string(run))})
				run = run[:0]
			}
		}
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral {
				fold := sub.Flags&syntax.FoldCase != 0
				for _, r := range sub.Rune {
					if !foldSafe(r, fold) {
						flush()
						continue
					}
					run = append(run, r)
				}
				continue
			}
			flush()
			if set, ok := reNeedles(sub, depth+1); ok {
				consider(set)
			}
		}
		flush()
		return best, found
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			set, ok := reNeedles(sub, depth+1)
			if !ok {
				return nil, false
			}
			all = append(all, set...)
		}
		return all, len(all) > 0
	}
	return nil, false
}

// foldSafe reports whether every text that rune r of a regular expression
// matches lower-cases to what r lower-cases to, so that the lower-cased
// literal is found in the lower-cased value. Always so for case-sensitive
// literals; under (?i), not for the runes with a case-fold variant that is
// already lower case but different: (?i)s matches 'ſ', which lower-cases to
// itself, so "powerſhell" holds no "powershell" (likewise µ/μ and ς/σ).
func foldSafe(r rune, fold bool) bool {
	if !fold {
		return true
	}
	l := unicode.ToLower(r)
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if unicode.ToLower(f) != l {
			return false
		}
	}
	return true
}

func longestLiteral(p pattern) string {
	best := ""
	for _, t := range p {
		if t.kind == tLit && len(t.lit) > len(best) {
			best = t.lit
		}
	}
	return best
}

// better prefers the needle set whose shortest needle is longest (fewer
// spurious hits), then the smaller set.
func better(a, b []Needle) bool {
	ma, mb := minLen(a), minLen(b)
	if ma != mb {
		return ma > mb
	}
	return len(a) < len(b)
}

func minLen(s []Needle) int {
	m := 1 << 30
	for _, n := range s {
		if len(n.Text) < m {
			m = len(n.Text)
		}
	}
	return m
}

func dedupNeedles(s []Needle) []Needle {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Text != s[j].Text {
			return s[i].Text < s[j].Text
		}
		return s[i].Field < s[j].Field
	})
	out := s[:0]
	for i, n := range s {
		if i == 0 || n != s[i-1] {
			out = append(out, n)
		}
	}
	return out
}

// RequiredValues returns the values one of which field must equal (case
// insensitively) for the detection to match, when the rule's logic implies
// it: a Security rule testing "EventID: 4624" can be indexed under 4624.
func (c *Compiled) RequiredValues(field string) ([]string, bool) {
	return requiredOf(c.detection, field)
}

func requiredOf(n node, field string) ([]string, bool) {
	switch n := n.(type) {
	case andNode:
		var best []string
		found := false
		for _, k := range n {
			if s, ok := requiredOf(k, field); ok && (!found || len(s) < len(best)) {
				best, found = s, true
			}
		}
		return best, found
	case orNode:
		var all []string
		for _, k := range n {
			s, ok := requiredOf(k, field)
			if !ok {
				return nil, false
			}
			all = append(all, s...)
		}
		return all, true
	case *fieldNode:
		if n.neq || n.presence || n.all || len(n.names) != 1 || n.names[0] != field {
			return nil, false
		}
		var out []string
		for _, g := range n.groups {
			for _, m := range g {
				sm, ok := m.(*strMatcher)
				if !ok || sm.op != opEq || sm.cased {
					return nil, false
				}
				out = append(out, sm.lit)
			}
		}
		return out, len(out) > 0
	}
	return nil, false
}
