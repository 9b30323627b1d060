package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxDepth bounds nesting of parentheses and brackets so that hostile input
// cannot exhaust the stack.
const maxDepth = 200

// Parse parses a STIX 2.1 pattern. Errors are *Error values naming the byte
// offset and what was expected there.
//
// Keywords (AND, OR, NOT, FOLLOWEDBY, IN, LIKE, MATCHES, ISSUBSET,
// ISSUPERSET, EXISTS, WITHIN, SECONDS, REPEATS, TIMES, START, STOP) are
// upper case, as the 2.1 grammar has them; "=="/"<>" are read as "="/"!=".
func Parse(src string) (p *Pattern, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			p, err = nil, e
		}
	}()
	ps := &parser{lx: lexer{src: src}}
	ps.advance()
	root := ps.obsFollowedBy()
	if ps.tok.kind != tEOF {
		ps.expected("AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern")
	}
	return &Pattern{Root: root}, nil
}

// MustParse is Parse for patterns known to be valid; it panics otherwise.
func MustParse(src string) *Pattern {
	p, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return p
}

type parser struct {
	lx    lexer
	tok   token
	depth int
}

func (p *parser) advance() { p.tok = p.lx.next() }

func (p *parser) expected(what string) {
	p.lx.fail(p.tok.pos, "expected %s, found %s", what, p.tok.describe())
}

func (p *parser) isKeyword(kw string) bool { return p.tok.kind == tIdent && p.tok.text == kw }

func (p *parser) want(k tokKind, what string) token {
	if p.tok.kind != k {
		p.expected(what)
	}
	t := p.tok
	p.advance()
	return t
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.lx.fail(p.tok.pos, "nesting deeper than %d", maxDepth)
	}
}

func (p *parser) obsFollowedBy() ObsExpr {
	x := p.obsOr()
	for p.isKeyword("FOLLOWEDBY") {
		p.advance()
		x = &ObsBinary{Op: ObsFollowedBy, Left: x, Right: p.obsOr()}
	}
	return x
}

func (p *parser) obsOr() ObsExpr {
	x := p.obsAnd()
	for p.isKeyword("OR") {
		p.advance()
		x = &ObsBinary{Op: ObsOr, Left: x, Right: p.obsAnd()}
	}
	return x
}

func (p *parser) obsAnd() ObsExpr {
	x := p.obsQualified()
	for p.isKeyword("AND") {
		p.advance()
		x = &ObsBinary{Op: ObsAnd, Left: x, Right: p.obsQualified()}
	}
	return x
}

// obsQualified reads a bracketed or parenthesised observation expression
// and any qualifiers after it; qualifiers stack ("[a] REPEATS 2 TIMES
// WITHIN 10 SECONDS").
func (p *parser) obsQualified() ObsExpr {
	var x ObsExpr
	p.enter()
	switch p.tok.kind {
	case tLBrack:
		p.advance()
		x = &Observation{Comp: p.compOr()}
		p.want(tRBrack, "']' or AND/OR")
	case tLParen:
		p.advance()
		x = p.obsFollowedBy()
		p.want(tRParen, "')' or AND/OR/FOLLOWEDBY")
	default:
		p.expected("'[' or '(' to open an observation expression")
	}
	p.depth--
	for {
		var q Qualifier
		switch {
		case p.isKeyword("WITHIN"):
			p.advance()
			t := p.tok
			if t.kind != tInt && t.kind != tFloat {
				p.expected("a number of seconds after WITHIN")
			}
			f, err := strconv.ParseFloat(t.text, 64)
			if err != nil || f < 0 || math.IsInf(f, 0) {
				p.lx.fail(t.pos, "WITHIN needs a non-negative number of seconds")
			}
			p.advance()
			if !p.isKeyword("SECONDS") {
				p.expected("SECONDS")
			}
			p.advance()
			q = &Within{Seconds: f}
		case p.isKeyword("REPEATS"):
			p.advance()
			t := p.tok
			if t.kind != tInt {
				p.expected("a whole number after REPEATS")
			}
			n, err := strconv.Atoi(t.text)
			if err != nil || n < 1 {
				p.lx.fail(t.pos, "REPEATS needs a positive whole number")
			}
			p.advance()
			if !p.isKeyword("TIMES") {
				p.expected("TIMES")
			}
			p.advance()
			q = &Repeats{Times: n}
		case p.isKeyword("START"):
			p.advance()
			start := p.timestamp("a timestamp t'…' after START")
			if !p.isKeyword("STOP") {
				p.expected("STOP")
			}
			p.advance()
			pos := p.tok.pos
			stop := p.timestamp("a timestamp t'…' after STOP")
			if !stop.After(start) {
				p.lx.fail(pos, "STOP must be later than START")
			}
			q = &StartStop{Start: start, Stop: stop}
		default:
			return x
		}
		x = &Qualified{Expr: x, Qual: q}
	}
}

// timestamp reads t'…', or a plain string holding a timestamp as STIX 2.0
// wrote START/STOP.
func (p *parser) timestamp(what string) time.Time {
	if p.tok.kind != tTime && p.tok.kind != tString {
		p.expected(what)
	}
	t := parseTime(&p.lx, p.tok)
	p.advance()
	return t
}

func (p *parser) compOr() CompExpr {
	x := p.compAnd()
	for p.isKeyword("OR") {
		p.advance()
		x = &CompBinary{Op: CompOr, Left: x, Right: p.compAnd()}
	}
	return x
}

func (p *parser) compAnd() CompExpr {
	x := p.compPrimary()
	for p.isKeyword("AND") {
		p.advance()
		x = &CompBinary{Op: CompAnd, Left: x, Right: p.compPrimary()}
	}
	return x
}

func (p *parser) compPrimary() CompExpr {
	if p.tok.kind == tLParen {
		p.enter()
		p.advance()
		x := p.compOr()
		p.want(tRParen, "')' or AND/OR")
		p.depth--
		return x
	}
	if p.isKeyword("EXISTS") {
		pos := p.tok.pos
		p.advance()
		return &Comparison{Path: p.path(), Op: OpExists, Pos: pos}
	}
	c := &Comparison{Pos: p.tok.pos}
	c.Path = p.path()
	if p.isKeyword("NOT") {
		c.Negated = true
		p.advance()
	}
	switch {
	case p.tok.kind == tOp:
		c.Op = map[string]Op{"=": OpEQ, "!=": OpNE, "<": OpLT, "<=": OpLE, ">": OpGT, ">=": OpGE}[p.tok.text]
	case p.isKeyword("IN"):
		c.Op = OpIn
	case p.isKeyword("LIKE"):
		c.Op = OpLike
	case p.isKeyword("MATCHES"):
		c.Op = OpMatches
	case p.isKeyword("ISSUBSET"):
		c.Op = OpIsSubset
	case p.isKeyword("ISSUPERSET"):
		c.Op = OpIsSuperset
	default:
		p.expected("a comparison operator (= != < <= > >= IN LIKE MATCHES ISSUBSET ISSUPERSET)")
	}
	p.advance()
	c.ValuePos = p.tok.pos
	switch c.Op {
	case OpIn:
		c.Value = p.set()
	case OpLike, OpMatches, OpIsSubset, OpIsSuperset:
		if p.tok.kind != tString {
			p.expected("a string literal after " + c.Op.String())
		}
		c.Value = Literal{Kind: LitString, Str: p.tok.text}
		p.advance()
	case OpEQ, OpNE:
		c.Value = p.literal("a literal")
	default:
		c.Value = p.literal("an orderable literal (number, string, timestamp, hex or binary)")
		if c.Value.Kind == LitBool {
			p.lx.fail(c.ValuePos, "%s cannot compare booleans", c.Op)
		}
	}
	return c
}

func (p *parser) set() Literal {
	p.want(tLParen, "'(' to open the set after IN")
	l := Literal{Kind: LitList, List: []Literal{}}
	if p.tok.kind == tRParen {
		p.advance()
		return l
	}
	for {
		l.List = append(l.List, p.literal("a literal in the set"))
		if p.tok.kind == tRParen {
			p.advance()
			return l
		}
		p.want(tComma, "',' or ')' in the set")
	}
}

func (p *parser) literal(what string) Literal {
	t := p.tok
	var l Literal
	switch t.kind {
	case tString:
		l = Literal{Kind: LitString, Str: t.text}
	case tInt:
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			p.lx.fail(t.pos, "integer %s out of range", t.text)
		}
		l = Literal{Kind: LitInt, Int: n}
	case tFloat:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			p.lx.fail(t.pos, "number %s out of range", t.text)
		}
		l = Literal{Kind: LitFloat, Float: f}
	case tTime:
		l = Literal{Kind: LitTime, Time: parseTime(&p.lx, t)}
	case tHex:
		b, err := hex.DecodeString(t.text)
		if err != nil {
			p.lx.fail(t.pos, "hex literal needs pairs of hex digits")
		}
		l = Literal{Kind: LitHex, Bytes: b}
	case tBinary:
		if strings.Trim(t.text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != "" {
			p.lx.fail(t.pos, "binary literal holds a character outside base64")
		}
		b, err := base64.StdEncoding.Strict().DecodeString(t.text)
		if err != nil {
			p.lx.fail(t.pos, "binary literal is not valid base64: %v", err)
		}
		if b == nil {
			b = []byte{}
		}
		l = Literal{Kind: LitBinary, Bytes: b}
	case tIdent:
		if !strings.EqualFold(t.text, "true") && !strings.EqualFold(t.text, "false") {
			p.expected(what)
		}
		l = Literal{Kind: LitBool, Bool: strings.EqualFold(t.text, "true")}
	default:
		p.expected(what)
	}
	p.advance()
	return l
}

// parseTime checks the grammar's timestamp form (YYYY-MM-DDTHH:MM:SS, an
// optional fraction, and Z) before handing it to time.Parse, which would
// also take offsets the grammar refuses.
func parseTime(l *lexer, t token) time.Time {
	s := t.text
	ok := len(s) >= 20 && s[len(s)-1] == 'Z'
	if ok {
		for i := 0; i < 19; i++ {
			c := s[i]
			switch i {
			case 4, 7:
				ok = ok && c == '-'
			case 10:
				ok = ok && c == 'T'
			case 13, 16:
				ok = ok && c == ':'
			default:
				ok = ok && isDigit(c)
			}
		}
		if frac := s[19 : len(s)-1]; frac != "" {
			ok = ok && len(frac) >= 2 && frac[0] == '.' && strings.Trim(frac[1:], "0123456789") == ""
		}
	}
	if !ok {
		l.fail(t.pos, "timestamp must look like 2014-01-13T07:03:17Z (optional fraction, UTC 'Z')")
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		l.fail(t.pos, "invalid timestamp: %v", err)
	}
	return tm.UTC()
}

// path reads type:prop(.prop|[n]|[*])*. Property names with characters
// other than letters, digits and '_' must be quoted ('SHA-256'); the object
// type may contain '-'.
func (p *parser) path() Path {
	t := p.tok
	if t.kind != tIdent {
		p.expected("an object path (type:property)")
	}
	p.advance()
	path := Path{Type: t.text}
	p.want(tColon, "':' after the object type "+strconv.Quote(t.text))
	path.Steps = append(path.Steps, p.key())
	for {
		switch p.tok.kind {
		case tDot:
			p.advance()
			path.Steps = append(path.Steps, p.key())
		case tLBrack:
			p.advance()
			switch p.tok.kind {
			case tStar:
				path.Steps = append(path.Steps, Step{Any: true})
			case tInt:
				n, err := strconv.Atoi(p.tok.text)
				if err != nil {
					p.lx.fail(p.tok.pos, "list index %s is not a valid index", p.tok.text)
				}
				path.Steps = append(path.Steps, Step{Index: n})
			default:
				p.expected("a list index or '*'")
			}
			p.advance()
			p.want(tRBrack, "']' after the list index")
		default:
			return path
		}
	}
}

func (p *parser) key() Step {
	t := p.tok
	switch t.kind {
	case tString:
		if t.text == "" {
			p.lx.fail(t.pos, "empty property name")
		}
	case tIdent:
		if strings.Contains(t.text, "-") {
			p.lx.fail(t.pos, "property name %q contains '-': quote it, as in '%s'", t.text, t.text)
		}
	default:
		p.expected("a property name")
	}
	p.advance()
	return Step{Key: t.text}
}
