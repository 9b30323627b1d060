package search

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The parser reads the query text directly, by recursive descent:
//
//	or      = and { "OR" and }
//	and     = unary { ["AND"] unary }
//	unary   = ("NOT" | "-") unary | primary
//	primary = "(" or ")" | term
//	term    = [field ":"] value | field ":(" or ")" | phrase | word
//
// Inside field:( ... ) every term is a value of that field. Recursion is
// bounded by MaxDepth and the work by MaxTerms, so no query can exhaust the
// stack or take long to compile.
type parser struct {
	src   string
	pos   int
	now   time.Time
	depth int
	terms int
}

// field is what a term applies to: nil for a bare word, or an ordinary,
// the time or the host field.
type field struct {
	name string
	kind fieldKind
}

type fieldKind uint8

const (
	fieldPlain fieldKind = iota
	fieldTime
	fieldHost
)

// resolveField recognises the reserved names, in any case.
func resolveField(name string) *field {
	switch {
	case strings.EqualFold(name, "time"), strings.EqualFold(name, "@timestamp"):
		return &field{name: "time", kind: fieldTime}
	case strings.EqualFold(name, "host"):
		return &field{name: "host", kind: fieldHost}
	}
	return &field{name: name}
}

func (p *parser) errorf(off int, format string, args ...any) error {
	return &Error{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

// atEnd reports whether a word ends at i: end of input, space or a
// parenthesis.
func (p *parser) atEnd(i int) bool {
	return i >= len(p.src) || isSpace(p.src[i]) || p.src[i] == '(' || p.src[i] == ')'
}

// keyword returns AND, OR or NOT when one starts at pos as a word of its
// own (AND: is a field name, ANDROID a word).
func (p *parser) keyword() string {
	for _, kw := range [...]string{"AND", "OR", "NOT"} {
		if strings.HasPrefix(p.src[p.pos:], kw) {
			if i := p.pos + len(kw); p.atEnd(i) || p.src[i] == '"' {
				return kw
			}
		}
	}
	return ""
}

// enter counts one level of nesting (a group or a negation).
func (p *parser) enter(off int) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errorf(off, "nesting deeper than %d levels", MaxDepth)
	}
	return nil
}

// leaf counts one term.
func (p *parser) leaf(off int) error {
	p.terms++
	if p.terms > MaxTerms {
		return p.errorf(off, "more than %d terms", MaxTerms)
	}
	return nil
}

// needTerm fails unless a term follows an operator at pos.
func (p *parser) needTerm(op string) error {
	p.skipSpace()
	if kw := p.keyword(); p.eof() || p.peek() == ')' || kw == "AND" || kw == "OR" {
		return p.errorf(p.pos, "expected a term after %s", op)
	}
	return nil
}

func (p *parser) parseOr(f *field) (node, error) {
	n, err := p.parseAnd(f)
	if err != nil {
		return nil, err
	}
	kids := []node{n}
	for {
		p.skipSpace()
		if p.keyword() != "OR" {
			break
		}
		p.pos += len("OR")
		if err := p.needTerm("OR"); err != nil {
			return nil, err
		}
		n, err := p.parseAnd(f)
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	return makeOr(kids), nil
}

func (p *parser) parseAnd(f *field) (node, error) {
	n, err := p.parseUnary(f)
	if err != nil {
		return nil, err
	}
	kids := []node{n}
	for {
		p.skipSpace()
		kw := p.keyword()
		if p.eof() || p.peek() == ')' || kw == "OR" {
			break
		}
		if kw == "AND" {
			p.pos += len("AND")
			if err := p.needTerm("AND"); err != nil {
				return nil, err
			}
		}
		n, err := p.parseUnary(f)
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	return makeAnd(kids), nil
}

func (p *parser) parseUnary(f *field) (node, error) {
	p.skipSpace()
	start := p.pos
	op := ""
	switch {
	case p.keyword() == "NOT":
		op = "NOT"
	case p.peek() == '-' && p.pos+1 < len(p.src) && !isSpace(p.src[p.pos+1]) && p.src[p.pos+1] != ')':
		op = "-"
	default:
		return p.parsePrimary(f)
	}
	p.pos += len(op)
	if err := p.enter(start); err != nil {
		return nil, err
	}
	if err := p.needTerm(op); err != nil {
		return nil, err
	}
	n, err := p.parseUnary(f)
	if err != nil {
		return nil, err
	}
	p.depth--
	return notNode{n}, nil
}

func (p *parser) parsePrimary(f *field) (node, error) {
	p.skipSpace()
	start := p.pos
	switch {
	case p.eof():
		return nil, p.errorf(p.pos, "expected a term")
	case p.peek() == '(':
		return p.parseGroup(f)
	case p.peek() == ')':
		return nil, p.errorf(p.pos, "unexpected ')' without a matching '('")
	}
	if kw := p.keyword(); kw == "AND" || kw == "OR" {
		return nil, p.errorf(start, "%s needs a term before it", kw)
	}
	if f != nil {
		return p.parseValue(f)
	}
	return p.parseTerm()
}

// parseGroup reads ( or ) at pos, for f's values inside field:( ... ).
func (p *parser) parseGroup(f *field) (node, error) {
	open := p.pos
	if err := p.enter(open); err != nil {
		return nil, err
	}
	p.pos++
	p.skipSpace()
	if p.peek() == ')' {
		return nil, p.errorf(open, "empty parentheses")
	}
	n, err := p.parseOr(f)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != ')' {
		return nil, p.errorf(open, "'(' is never closed")
	}
	p.pos++
	p.depth--
	return n, nil
}

// parseTerm reads a term outside any field group.
func (p *parser) parseTerm() (node, error) {
	start := p.pos
	if p.peek() == '"' {
		s, err := p.readQuoted()
		if err != nil {
			return nil, err
		}
		if p.peek() == ':' {
			return p.parseFieldValue(start, s)
		}
		if err := p.wordEnd("the closing quote"); err != nil {
			return nil, err
		}
		if err := p.leaf(start); err != nil {
			return nil, err
		}
		return anyNode{newPatValue(pattern{{lit: s}}, true)}, nil
	}
	w, err := p.readWord(ctxBare)
	if err != nil {
		return nil, err
	}
	if p.peek() == ':' {
		name, ok := w.literal()
		if !ok {
			return nil, p.errorf(start, "wildcards are not supported in field names")
		}
		return p.parseFieldValue(start, name)
	}
	if err := p.leaf(start); err != nil {
		return nil, err
	}
	if w.isStar() {
		return allNode{}, nil
	}
	return anyNode{newPatValue(w, true)}, nil
}

// parseFieldValue reads what follows name: at pos.
func (p *parser) parseFieldValue(start int, name string) (node, error) {
	if name == "" {
		return nil, p.errorf(start, "missing field name before ':'")
	}
	p.pos++ // the colon
	if p.atEnd(p.pos) && p.peek() != '(' {
		return nil, p.errorf(p.pos, "expected value after ':'")
	}
	f := resolveField(name)
	if p.peek() == '(' {
		return p.parseGroup(f)
	}
	return p.parseValue(f)
}

// parseValue reads one value of f at pos.
func (p *parser) parseValue(f *field) (node, error) {
	start := p.pos
	if err := p.leaf(start); err != nil {
		return nil, err
	}
	switch p.peek() {
	case '"':
		s, err := p.readQuoted()
		if err != nil {
			return nil, err
		}
		if err := p.wordEnd("the closing quote"); err != nil {
			return nil, err
		}
		return p.literalNode(f, start, pattern{{lit: s}})
	case '/':
		return p.parseRegex(f)
	case '[', '{':
		return p.parseRange(f)
	case '>', '<':
		return p.parseCompare(f)
	}
	w, err := p.readWord(ctxValue)
	if err != nil {
		return nil, err
	}
	if w.isStar() {
		return existsNode(f), nil
	}
	return p.literalNode(f, start, w)
}

func existsNode(f *field) node {
	switch f.kind {
	case fieldTime:
		return timeNode{}
	case fieldHost:
		return hostNode{existsValue{}}
	}
	return &fieldNode{name: f.name, v: existsValue{}}
}

// literalNode builds field:value for a word or a quoted value.
func (p *parser) literalNode(f *field, start int, w pattern) (node, error) {
	if f.kind == fieldTime {
		s, ok := w.literal()
		if !ok {
			return nil, p.errorf(start, "time takes a timestamp, a comparison or a range, not wildcards")
		}
		t, whole, msg := parseTime(s, p.now)
		if msg != "" {
			return nil, p.errorf(start, "%s", msg)
		}
		b := timeBounds{hasLo: true, hasHi: true, lo: t, hi: t, loIncl: true, hiIncl: true}
		if whole {
			b.hi, b.hiIncl = t.Add(day), false
		}
		return timeNode{b}, nil
	}
	if s, ok := w.literal(); ok && f.kind == fieldHost {
		return hostNode{exactValue{s}}, nil
	}
	return fieldOf(f, newPatValue(w, false)), nil
}

func fieldOf(f *field, v value) node {
	if f.kind == fieldHost {
		return hostNode{v}
	}
	return &fieldNode{name: f.name, v: v}
}

func (p *parser) parseRegex(f *field) (node, error) {
	start := p.pos
	p.pos++
	var b []byte
	for {
		if p.eof() {
			return nil, p.errorf(start, "regular expression is never closed with '/'")
		}
		c := p.src[p.pos]
		if c == '/' {
			p.pos++
			break
		}
		if c == '\\' && p.pos+1 < len(p.src) {
			// \/ is a slash; every other pair stays for the regexp
			// package, so that \d and \\ keep their meaning.
			if p.src[p.pos+1] != '/' {
				b = append(b, c)
			}
			b = append(b, p.src[p.pos+1])
			p.pos += 2
			continue
		}
		b = append(b, c)
		p.pos++
	}
	if len(b) == 0 {
		return nil, p.errorf(start, "empty regular expression")
	}
	if err := p.wordEnd("the closing '/'"); err != nil {
		return nil, err
	}
	if f.kind == fieldTime {
		return nil, p.errorf(start, "time takes a timestamp, a comparison or a range, not a regular expression")
	}
	src := string(b)
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, p.errorf(start, "invalid regular expression: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return fieldOf(f, &regexValue{src: src, re: re}), nil
}

// parseCompare reads >x, >=x, <x or <=x.
func (p *parser) parseCompare(f *field) (node, error) {
	lower := p.peek() == '>'
	op := p.src[p.pos : p.pos+1]
	p.pos++
	if p.peek() == '=' {
		op += "="
		p.pos++
	}
	if p.atEnd(p.pos) {
		return nil, p.errorf(p.pos, "expected a value after '%s'", op)
	}
	boundAt := p.pos
	s, star, err := p.readBound(ctxValue)
	if err != nil {
		return nil, err
	}
	if star {
		return nil, p.errorf(boundAt, "expected a value after '%s', not '*'", op)
	}
	if err := p.wordEnd("the value"); err != nil {
		return nil, err
	}
	incl := len(op) == 2
	if lower {
		return p.rangeNode(f, bound{text: s, at: boundAt, incl: incl}, bound{open: true})
	}
	return p.rangeNode(f, bound{open: true}, bound{text: s, at: boundAt, incl: incl})
}

// parseRange reads [lo TO hi], with { or } for an exclusive side and * for
// an open one.
func (p *parser) parseRange(f *field) (node, error) {
	open := p.pos
	lo := bound{incl: p.peek() == '['}
	p.pos++
	p.skipSpace()
	var err error
	lo.at = p.pos
	if lo.text, lo.open, err = p.readBound(ctxBound); err != nil {
		return nil, err
	}
	hadSpace := p.pos < len(p.src) && isSpace(p.src[p.pos])
	p.skipSpace()
	if !hadSpace || !strings.HasPrefix(p.src[p.pos:], "TO") || (p.pos+2 < len(p.src) && !isSpace(p.src[p.pos+2])) {
		return nil, p.errorf(p.pos, "expected ' TO ' in the range opened at offset %d", open)
	}
	p.pos += len("TO")
	p.skipSpace()
	hi := bound{at: p.pos}
	if hi.text, hi.open, err = p.readBound(ctxBound); err != nil {
		return nil, err
	}
	p.skipSpace()
	switch p.peek() {
	case ']':
		hi.incl = true
	case '}':
	default:
		return nil, p.errorf(p.pos, "expected ']' or '}' to close the range opened at offset %d", open)
	}
	p.pos++
	if err := p.wordEnd("the range"); err != nil {
		return nil, err
	}
	return p.rangeNode(f, lo, hi)
}

// bound is one side of a comparison or range as read.
type bound struct {
	text string
	at   int  // offset, for errors
	open bool // * or no bound
	incl bool
}

// readBound reads a comparison or range bound: a quoted value, or a word
// without wildcards; a lone * (unquoted) is an open bound.
func (p *parser) readBound(ctx printCtx) (string, bool, error) {
	start := p.pos
	if p.peek() == '"' {
		s, err := p.readQuoted()
		return s, false, err
	}
	w, err := p.readWord(ctx)
	if err != nil {
		return "", false, err
	}
	if w.isStar() {
		return "", true, nil
	}
	s, ok := w.literal()
	if !ok {
		return "", false, p.errorf(start, "wildcards are not allowed in a comparison or range")
	}
	if s == "" {
		return "", false, p.errorf(start, "expected a value")
	}
	return s, false, nil
}

// rangeNode builds the comparison of f with the bounds: times for the time
// field, numbers when every bound is a number, else text.
func (p *parser) rangeNode(f *field, lo, hi bound) (node, error) {
	if lo.open && hi.open {
		return existsNode(f), nil
	}
	if f.kind == fieldTime {
		return p.timeRange(lo, hi)
	}
	bt := boundsText{lo: lo.text, hi: hi.text, hasLo: !lo.open, hasHi: !hi.open, loIncl: lo.incl, hiIncl: hi.incl}
	loN, loNum := parseNumber(lo.text)
	hiN, hiNum := parseNumber(hi.text)
	if (lo.open || loNum) && (hi.open || hiNum) {
		return fieldOf(f, &numRange{b: bt, lo: loN, hi: hiN}), nil
	}
	return fieldOf(f, &strRange{b: bt, lo: foldUnits(lo.text), hi: foldUnits(hi.text)}), nil
}

// timeRange resolves time bounds. A date stands for its whole day, so
// >2024-01-01 starts on the 2nd and [2024-01-01 TO 2024-01-02] takes in
// both days, as analysts mean them.
func (p *parser) timeRange(lo, hi bound) (node, error) {
	var b timeBounds
	if !lo.open {
		t, whole, msg := parseTime(lo.text, p.now)
		if msg != "" {
			return nil, p.errorf(lo.at, "%s", msg)
		}
		b.hasLo, b.lo, b.loIncl = true, t, lo.incl
		if whole && !lo.incl {
			b.lo, b.loIncl = t.Add(day), true
		}
	}
	if !hi.open {
		t, whole, msg := parseTime(hi.text, p.now)
		if msg != "" {
			return nil, p.errorf(hi.at, "%s", msg)
		}
		b.hasHi, b.hi, b.hiIncl = true, t, hi.incl
		if whole && hi.incl {
			b.hi, b.hiIncl = t.Add(day), false
		}
	}
	return timeNode{b}, nil
}

// wordEnd fails unless the token that just ended is followed by space, a
// parenthesis or the end.
func (p *parser) wordEnd(what string) error {
	if !p.atEnd(p.pos) {
		return p.errorf(p.pos, "expected white space or ')' after %s", what)
	}
	return nil
}

// readQuoted reads "..." at pos: \" and \\ are escapes, any other
// backslash is itself, so that "C:\Windows\System32" needs no doubling.
func (p *parser) readQuoted() (string, error) {
	open := p.pos
	p.pos++
	var b []byte
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '"' {
			p.pos++
			return string(b), nil
		}
		if c == '\\' && p.pos+1 < len(p.src) && (p.src[p.pos+1] == '"' || p.src[p.pos+1] == '\\') {
			c = p.src[p.pos+1]
			p.pos++
		}
		b = append(b, c)
		p.pos++
	}
	return "", p.errorf(open, "quote is never closed")
}

// readWord reads an unquoted word at pos up to space or a parenthesis; in
// ctxBare also up to ':', in ctxBound also up to ']' or '}'. * and ? are
// wildcards. A backslash escapes the characters escapable lists, and the
// startEscapable ones as the first character; otherwise it is literal.
func (p *parser) readWord(ctx printCtx) (pattern, error) {
	start := p.pos
	var b patternBuilder
	for ; p.pos < len(p.src); p.pos++ {
		c := p.src[p.pos]
		if p.atEnd(p.pos) || (c == ':' && ctx == ctxBare) || ((c == ']' || c == '}') && ctx == ctxBound) {
			break
		}
		switch c {
		case '"':
			return nil, p.errorf(p.pos, `'"' inside a word: quote the whole value or escape it as \"`)
		case '*':
			b.star()
		case '?':
			b.one()
		case '\\':
			if p.pos+1 < len(p.src) {
				d := p.src[p.pos+1]
				if escapable(d) || (p.pos == start && startEscapable(d)) || (ctx == ctxBound && (d == ']' || d == '}')) {
					b.byte(d)
					p.pos++
					continue
				}
			}
			b.byte(c)
		default:
			b.byte(c)
		}
	}
	return b.done(), nil
}

// makeAnd and makeOr flatten nested operators of the same kind, so that
// a AND (b AND c) and a AND b AND c are one node and print alike.
func makeAnd(kids []node) node {
	if len(kids) == 1 {
		return kids[0]
	}
	var out andNode
	for _, k := range kids {
		if a, ok := k.(andNode); ok {
			out = append(out, a...)
		} else {
			out = append(out, k)
		}
	}
	return out
}

func makeOr(kids []node) node {
	if len(kids) == 1 {
		return kids[0]
	}
	var out orNode
	for _, k := range kids {
		if o, ok := k.(orNode); ok {
			out = append(out, o...)
		} else {
			out = append(out, k)
		}
	}
	return out
}
