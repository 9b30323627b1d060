package sigma

import (
	"fmt"
	"strconv"
	"strings"
)

// Condition expressions: the grammar of a Sigma rule's condition.
//
//	expr    = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | primary
//	primary = "(" expr ")" | quant "of" ( pattern | "them" ) | identifier
//	quant   = "1" | "any" | "all" | integer
//
// Identifiers and patterns may hold the wildcards * and ?. Keywords are
// case-insensitive. The Sigma 1.0 aggregation pipe ("| count() > 5") is
// rejected: correlation rules replace it.

// condExpr is a parsed condition.
type condExpr interface{ String() string }

type condAnd []condExpr
type condOr []condExpr
type condNot struct{ x condExpr }
type condIdent string

// condOf is "N of pattern", "all of pattern", "1 of them".
type condOf struct {
	all     bool
	n       int
	pattern string // "" for them
}

func (c condAnd) String() string { return joinExprs([]condExpr(c), " and ") }
func (c condOr) String() string  { return joinExprs([]condExpr(c), " or ") }
func (c condNot) String() string {
	// not binds tighter than and and or: keep their grouping when printed.
	switch c.x.(type) {
	case condAnd, condOr:
		return "not (" + c.x.String() + ")"
	}
	return "not " + c.x.String()
}
func (c condIdent) String() string { return string(c) }
func (c condOf) String() string {
	q := strconv.Itoa(c.n)
	if c.all {
		q = "all"
	}
	p := c.pattern
	if p == "" {
		p = "them"
	}
	return q + " of " + p
}

func joinExprs(xs []condExpr, sep string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = x.String()
		if _, isOr := x.(condOr); isOr {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, sep)
}

type condToken struct {
	text string
	pos  int
}

// maxConditionDepth bounds nesting so hostile rules cannot exhaust the stack.
const maxConditionDepth = 100

type condParser struct {
	src  string
	toks []condToken
	i    int
	// depth counts nesting of parentheses and not.
	depth int
}

// ConditionError is a syntax error in a condition, with the byte position.
type ConditionError struct {
	Cond string
	Pos  int
	Msg  string
}

func (e *ConditionError) Error() string {
	return fmt.Sprintf("condition %q: at column %d: %s", e.Cond, e.Pos+1, e.Msg)
}

func lexCondition(s string) ([]condToken, error) {
	var toks []condToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, condToken{string(c), i})
			i++
		case c == '|':
			return nil, &ConditionError{s, i, "aggregation expressions ('| count() ...', Sigma 1.0) are not supported: express them as a correlation rule"}
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()|", rune(s[j])) {
				j++
			}
			toks = append(toks, condToken{s[i:j], i})
			i = j
		}
	}
	return toks, nil
}

func parseCondition(s string) (condExpr, error) {
	toks, err := lexCondition(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, &ConditionError{s, 0, "empty condition"}
	}
	p := &condParser{src: s, toks: toks}
	x, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, p.errorf("unexpected %q", p.toks[p.i].text)
	}
	return x, nil
}

func (p *condParser) errorf(format string, args ...any) error {
	pos := len(p.src)
	if p.i < len(p.toks) {
		pos = p.toks[p.i].pos
	}
	return &ConditionError{p.src, pos, fmt.Sprintf(format, args...)}
}

func (p *condParser) peek() string {
	if p.i < len(p.toks) {
		return strings.ToLower(p.toks[p.i].text)
	}
	return ""
}

func (p *condParser) parseOr() (condExpr, error) {
	x, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	xs := []condExpr{x}
	for p.peek() == "or" {
		p.i++
		y, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		xs = append(xs, y)
	}
	if len(xs) == 1 {
		return x, nil
	}
	return condOr(xs), nil
}

func (p *condParser) parseAnd() (condExpr, error) {
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	xs := []condExpr{x}
	for p.peek() == "and" {
		p.i++
		y, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		xs = append(xs, y)
	}
	if len(xs) == 1 {
		return x, nil
	}
	return condAnd(xs), nil
}

func (p *condParser) parseUnary() (condExpr, error) {
	if p.peek() == "not" {
		p.i++
		p.depth++
		if p.depth > maxConditionDepth {
			return nil, p.errorf("nested too deeply")
		}
		x, err := p.parseUnary()
		p.depth--
		if err != nil {
			return nil, err
		}
		return condNot{x}, nil
	}
	return p.parsePrimary()
}

func (p *condParser) parsePrimary() (condExpr, error) {
	if p.i >= len(p.toks) {
		return nil, p.errorf("expression expected at end of condition")
	}
	t := p.toks[p.i]
	lt := strings.ToLower(t.text)
	switch lt {
	case "(":
		p.i++
		p.depth++
		if p.depth > maxConditionDepth {
			return nil, p.errorf("nested too deeply")
		}
		x, err := p.parseOr()
		p.depth--
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, p.errorf("')' expected")
		}
		p.i++
		return x, nil
	case ")", "and", "or", "of", "them":
		return nil, p.errorf("unexpected %q", t.text)
	}
	// A quantifier is followed by "of".
	if p.i+1 < len(p.toks) && strings.ToLower(p.toks[p.i+1].text) == "of" {
		q := condOf{}
		switch lt {
		case "all":
			q.all = true
		case "any":
			q.n = 1
		default:
			n, err := strconv.Atoi(lt)
			if err != nil || n < 1 {
				return nil, p.errorf("quantifier %q: want 1, any, all or a positive number before 'of'", t.text)
			}
			q.n = n
		}
		p.i += 2
		if p.i >= len(p.toks) {
			return nil, p.errorf("a search identifier pattern or 'them' expected after 'of'")
		}
		target := p.toks[p.i].text
		switch strings.ToLower(target) {
		case "them":
		case "(", ")", "and", "or", "not", "of":
			return nil, p.errorf("a search identifier pattern or 'them' expected after 'of', not %q", target)
		default:
			q.pattern = target
		}
		p.i++
		return q, nil
	}
	p.i++
	return condIdent(t.text), nil
}
