package sigma

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// literalAnchor runs an unanchored regular expression of the shape
// "prefix literal rest" (SigmaHQ writes many: \w+`...`, .*invoke..., set=...)
// without Go's search at every position: it finds each occurrence of the
// literal with strings.Index, checks that enough prefix characters precede
// it, and runs rest anchored right after it. A match of the whole
// expression exists exactly when one of these succeeds, and each anchored
// attempt fails within a few bytes on text that does not match, where the
// unanchored search costs tens of microseconds per kilobyte.
type literalAnchor struct {
	lit     string // lower-cased when fold
	fold    bool   // the literal is case-insensitive
	preMin  int    // prefix characters required before the literal
	preNode *syntax.Regexp
	rest    *regexp.Regexp // \A(?:rest)
}

// newLiteralAnchor recognises the shape in a parsed (not simplified)
// expression, or returns nil.
func newLiteralAnchor(t *syntax.Regexp) *literalAnchor {
	if t.Op != syntax.OpConcat || len(t.Sub) < 2 {
		return nil
	}
	subs := t.Sub
	a := &literalAnchor{}
	i := 0
	if p := subs[0]; p.Op == syntax.OpStar || p.Op == syntax.OpPlus || p.Op == syntax.OpRepeat {
		if !singleChar(p.Sub[0]) {
			return nil
		}
		switch p.Op {
		case syntax.OpPlus:
			a.preMin = 1
		case syntax.OpRepeat:
			a.preMin = p.Min
		}
		if a.preMin > 16 {
			return nil
		}
		a.preNode = p.Sub[0]
		i = 1
	}
	lit := subs[i]
	if lit.Op != syntax.OpLiteral || len(lit.Rune) == 0 {
		return nil
	}
	a.fold = lit.Flags&syntax.FoldCase != 0
	for _, r := range lit.Rune {
		if r >= utf8.RuneSelf {
			return nil // byte offsets in folded text must equal the original's
		}
	}
	a.lit = string(lit.Rune)
	if a.fold {
		a.lit = strings.ToLower(a.lit)
	}
	for _, sub := range subs[i+1:] {
		if needsLeftContext(sub, 0) {
			return nil // \b or ^ would see the start of the cut text
		}
	}
	rest := &syntax.Regexp{Op: syntax.OpConcat, Flags: t.Flags, Sub: subs[i+1:]}
	expr := `\A(?:` + rest.String() + `)`
	if len(subs) == i+1 {
		expr = `\A`
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil
	}
	a.rest = re
	return a
}

// needsLeftContext reports whether re holds an assertion that looks at
// text before the point where it is tried: word boundaries and beginnings
// of lines or text.
func needsLeftContext(re *syntax.Regexp, depth int) bool {
	if depth > 50 {
		return true
	}
	switch re.Op {
	case syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpBeginLine, syntax.OpBeginText:
		return true
	}
	for _, sub := range re.Sub {
		if needsLeftContext(sub, depth+1) {
			return true
		}
	}
	return false
}

// singleChar reports whether re matches exactly one character.
func singleChar(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return true
	case syntax.OpLiteral:
		return len(re.Rune) == 1
	}
	return false
}

// matchChar tests one character against a singleChar expression.
func matchChar(re *syntax.Regexp, r rune) bool {
	switch re.Op {
	case syntax.OpAnyChar:
		return true
	case syntax.OpAnyCharNotNL:
		return r != '\n'
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return strings.EqualFold(string(r), string(re.Rune[0]))
		}
		return r == re.Rune[0]
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= r && r <= re.Rune[i+1] {
				return true
			}
		}
	}
	return false
}

// match reports whether the whole expression matches text. ok is false
// when this method cannot decide (a case-insensitive literal in text that
// is not ASCII) and the caller must run the expression itself.
func (a *literalAnchor) match(text string) (matched, ok bool) {
	hay := text
	if a.fold {
		for i := 0; i < len(text); i++ {
			if text[i] >= utf8.RuneSelf {
				return false, false
			}
		}
		hay = lowerString(text)
	}
	for from := 0; from <= len(hay)-len(a.lit); {
		i := strings.Index(hay[from:], a.lit)
		if i < 0 {
			return false, true
		}
		p := from + i
		from = p + 1
		if !a.prefixBefore(text, p) {
			continue
		}
		if a.rest.MatchString(text[p+len(a.lit):]) {
			return true, true
		}
	}
	return false, true
}

// prefixBefore checks that preMin characters of the prefix class end at p.
func (a *literalAnchor) prefixBefore(text string, p int) bool {
	for n := 0; n < a.preMin; n++ {
		r, size := utf8.DecodeLastRuneInString(text[:p])
		if size == 0 || !matchChar(a.preNode, r) {
			return false
		}
		p -= size
	}
	return true
}
