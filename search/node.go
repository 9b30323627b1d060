package search

import (
	"regexp"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// A compiled query is a tree of nodes. Leaves keep what the query wrote, for
// String, beside what matching needs (folded units, parsed numbers), so that
// Match does no work that Parse could do once.
type node interface {
	match(e *event.Event) bool
	write(b *strings.Builder)
}

type (
	andNode []node
	orNode  []node
	notNode struct{ n node }
	allNode struct{} // a lone *: every event
	// fieldNode is field:value on an ordinary field.
	fieldNode struct {
		name string
		v    value
	}
	// anyNode is a bare word or phrase: any field's value contains it.
	anyNode struct{ v *patValue }
	// hostNode is host:value, on the event's host name (see hostOf).
	hostNode struct{ v value }
	// timeNode is a time constraint on Event.Time; with no bound it only
	// asks for a time to be set (time:*).
	timeNode struct{ b timeBounds }
)

func (n andNode) match(e *event.Event) bool {
	for _, k := range n {
		if !k.match(e) {
			return false
		}
	}
	return true
}

func (n orNode) match(e *event.Event) bool {
	for _, k := range n {
		if k.match(e) {
			return true
		}
	}
	return false
}

func (n notNode) match(e *event.Event) bool { return !n.n.match(e) }

func (allNode) match(*event.Event) bool { return true }

// match tries the fields named exactly; only when there are none does it
// fall back to names that differ in case, so that EventID finds eventid in
// a JSON log but never shadows a field that has the exact name.
func (n *fieldNode) match(e *event.Event) bool {
	found := false
	for i := range e.Fields {
		f := &e.Fields[i]
		if f.Name == n.name {
			found = true
			if matchValue(n.v, &f.Value) {
				return true
			}
		}
	}
	if found {
		return false
	}
	for i := range e.Fields {
		f := &e.Fields[i]
		if strings.EqualFold(f.Name, n.name) && matchValue(n.v, &f.Value) {
			return true
		}
	}
	return false
}

func (n anyNode) match(e *event.Event) bool {
	for i := range e.Fields {
		if matchValue(n.v, &e.Fields[i].Value) {
			return true
		}
	}
	return false
}

// match tests the host's text as the store keeps it, even when the field
// is a list.
func (n hostNode) match(e *event.Event) bool {
	v := hostOf(e)
	return v != nil && n.v.match(v)
}

func (n timeNode) match(e *event.Event) bool { return n.b.test(e.Time) }

// hostOf returns the event's host value, pointing into its fields: the
// host the store files the event under (event.Host), so that host:X sees
// the same host as Filter's Host and loses no match.
func hostOf(e *event.Event) *event.Value {
	if i := e.HostIndex(); i >= 0 {
		return &e.Fields[i].Value
	}
	return nil
}

// A value tests one field value (an element, for lists).
type value interface {
	match(v *event.Value) bool
	write(b *strings.Builder)
}

// matchValue applies m to v, or to each element when v is a list.
func matchValue(m value, v *event.Value) bool {
	if v.Kind != event.KindList {
		return m.match(v)
	}
	for i := range v.List {
		if matchValue(m, &v.List[i]) {
			return true
		}
	}
	return false
}

// patValue is a value with optional wildcards, compared without regard to
// case with the value's text.
type patValue struct {
	pat  pattern // as written
	bare bool    // a bare word: written without field, matched as a substring
	m    strMatcher
}

func newPatValue(p pattern, bare bool) *patValue {
	u := p.units()
	if bare { // a substring: *word*, without doubling a star it has
		if len(u) == 0 || u[0] != uStar {
			u = append([]unit{uStar}, u...)
		}
		if u[len(u)-1] != uStar {
			u = append(u, uStar)
		}
	}
	return &patValue{pat: p, bare: bare, m: newStrMatcher(u)}
}

func (p *patValue) match(v *event.Value) bool { return p.m.match(v.Str) }

func (p *patValue) write(b *strings.Builder) {
	ctx := ctxValue
	if p.bare {
		ctx = ctxBare
	}
	writePattern(b, p.pat, ctx)
}

// strOp is the shape of a compiled pattern: most are a literal with a star
// at one end or both, which need no glob matching.
type strOp uint8

const (
	opEq       strOp = iota // lit
	opPrefix                // lit*
	opSuffix                // *lit
	opContains              // *lit*
	opGlob                  // anything else
)

type strMatcher struct {
	op    strOp
	units []unit // the literal, or for opGlob the whole pattern
	// lo and up are the two bytes a contains match can start with, when
	// first is set (see contains).
	lo, up byte
	first  bool
}

// newStrMatcher classifies folded units, with stars already collapsed.
func newStrMatcher(u []unit) strMatcher {
	lead := len(u) > 0 && u[0] == uStar
	core := u
	if lead {
		core = core[1:]
	}
	trail := len(core) > 0 && core[len(core)-1] == uStar
	if trail {
		core = core[:len(core)-1]
	}
	for _, c := range core {
		if c == uStar || c == uOne {
			return strMatcher{op: opGlob, units: u}
		}
	}
	m := strMatcher{units: core}
	switch {
	case lead && trail:
		m.op = opContains
		if len(core) > 0 && asciiOnlyFolds(core[0]) {
			m.first, m.lo, m.up = true, byte(core[0]), byte(core[0])
			if 'a' <= m.lo && m.lo <= 'z' {
				m.up = m.lo - ('a' - 'A')
			}
		}
	case lead:
		m.op = opSuffix
	case trail:
		m.op = opPrefix
	default:
		m.op = opEq
	}
	if lead && len(core) == 0 { // * alone: any text
		m.op = opPrefix
	}
	return m
}

func (m *strMatcher) match(s string) bool {
	switch m.op {
	case opEq:
		return prefixLen(s, m.units) == len(s)
	case opPrefix:
		return prefixLen(s, m.units) >= 0
	case opSuffix:
		return hasSuffix(s, m.units)
	case opContains:
		return contains(s, m.units, m.lo, m.up, m.first)
	}
	return glob(s, m.units)
}

// exactValue is host:X without wildcards: the host name exactly, case
// included, because that is how the store files and selects hosts; a
// case-insensitive match here would find events Filter's Host skips.
type exactValue struct{ s string }

func (x exactValue) match(v *event.Value) bool { return v.Str == x.s }
func (x exactValue) write(b *strings.Builder)  { writeLiteral(b, x.s, ctxValue) }

// existsValue is field:*: the field is there and not null.
type existsValue struct{}

func (existsValue) match(v *event.Value) bool { return v.Kind != event.KindNull }
func (existsValue) write(b *strings.Builder)  { b.WriteByte('*') }

// regexValue is field:/re/, unanchored and case-sensitive unless (?i).
type regexValue struct {
	src string // as written between the slashes, with \/ undone
	re  *regexp.Regexp
}

func (r *regexValue) match(v *event.Value) bool { return r.re.MatchString(v.Str) }
func (r *regexValue) write(b *strings.Builder)  { writeRegex(b, r.src) }

// writeRegex writes src between slashes. The parser kept every backslash
// pair but \/, so a slash in src is always a bare one that needs escaping.
func writeRegex(b *strings.Builder, src string) {
	b.WriteByte('/')
	for i := 0; i < len(src); i++ {
		switch c := src[i]; {
		case c == '\\' && i+1 < len(src):
			b.WriteByte(c)
			b.WriteByte(src[i+1])
			i++
		case c == '/':
			b.WriteString(`\/`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('/')
}

// boundsText is a comparison or range as written: one bound makes
// >, >=, < or <=; two make [lo TO hi] with [ ] inclusive and { } exclusive.
type boundsText struct {
	lo, hi         string
	hasLo, hasHi   bool
	loIncl, hiIncl bool
	plain          bool // bounds are written as they are (times, which need no quotes)
}

func (t boundsText) write(b *strings.Builder) {
	switch {
	case t.hasLo && t.hasHi:
		b.WriteByte("{["[b2i(t.loIncl)])
		t.bound(b, t.lo, ctxBound)
		b.WriteString(" TO ")
		t.bound(b, t.hi, ctxBound)
		b.WriteByte("}]"[b2i(t.hiIncl)])
	case t.hasLo:
		b.WriteString([]string{">", ">="}[b2i(t.loIncl)])
		t.bound(b, t.lo, ctxCmp)
	case t.hasHi:
		b.WriteString([]string{"<", "<="}[b2i(t.hiIncl)])
		t.bound(b, t.hi, ctxCmp)
	default:
		b.WriteByte('*')
	}
}

func (t boundsText) bound(b *strings.Builder, s string, ctx printCtx) {
	if t.plain {
		b.WriteString(s)
		return
	}
	writeLiteral(b, s, ctx)
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// numRange compares numbers: ints and floats by value, strings when they
// read as a number (decimal or 0x hex).
type numRange struct {
	b      boundsText
	lo, hi float64
}

func (n *numRange) write(b *strings.Builder) { n.b.write(b) }

func (n *numRange) match(v *event.Value) bool {
	var x float64
	switch v.Kind {
	case event.KindInt, event.KindFloat, event.KindBool:
		x = v.Num
	case event.KindString:
		f, ok := parseNumber(v.Str)
		if !ok {
			return false
		}
		x = f
	default:
		return false
	}
	if n.b.hasLo && (x < n.lo || (x == n.lo && !n.b.loIncl)) {
		return false
	}
	if n.b.hasHi && (x > n.hi || (x == n.hi && !n.b.hiIncl)) {
		return false
	}
	return true
}

// strRange compares text in folded (case-insensitive) order.
type strRange struct {
	b      boundsText
	lo, hi []unit
}

func (r *strRange) write(b *strings.Builder) { r.b.write(b) }

func (r *strRange) match(v *event.Value) bool {
	s := v.Str
	if r.b.hasLo {
		if c := compareFold(s, r.lo); c < 0 || (c == 0 && !r.b.loIncl) {
			return false
		}
	}
	if r.b.hasHi {
		if c := compareFold(s, r.hi); c > 0 || (c == 0 && !r.b.hiIncl) {
			return false
		}
	}
	return true
}

// timeBounds is a time interval; a zero-time event matches none, not even
// time:*.
type timeBounds struct {
	lo, hi         time.Time
	hasLo, hasHi   bool
	loIncl, hiIncl bool
}

func (t timeBounds) test(ts time.Time) bool {
	if ts.IsZero() {
		return false
	}
	if t.hasLo && (ts.Before(t.lo) || (!t.loIncl && ts.Equal(t.lo))) {
		return false
	}
	if t.hasHi && (ts.After(t.hi) || (!t.hiIncl && ts.Equal(t.hi))) {
		return false
	}
	return true
}

func (t timeBounds) text() boundsText {
	bt := boundsText{hasLo: t.hasLo, hasHi: t.hasHi, loIncl: t.loIncl, hiIncl: t.hiIncl, plain: true}
	if t.hasLo {
		bt.lo = formatTime(t.lo)
	}
	if t.hasHi {
		bt.hi = formatTime(t.hi)
	}
	return bt
}

// interval returns the bounds as the store's half-open [from, to), zero
// for an open side.
func (t timeBounds) interval() (from, to time.Time) {
	if t.hasLo {
		from = t.lo
		if !t.loIncl {
			from = from.Add(time.Nanosecond)
		}
	}
	if t.hasHi {
		to = t.hi
		if t.hiIncl {
			to = to.Add(time.Nanosecond)
		}
	}
	return from, to
}

// Writing. AND binds tighter than OR and NOT tighter than both, so only an
// OR inside an AND or NOT, and an AND inside a NOT, need parentheses.

func (n andNode) write(b *strings.Builder) {
	for i, k := range n {
		if i > 0 {
			b.WriteString(" AND ")
		}
		writeGrouped(b, k, false)
	}
}

func (n orNode) write(b *strings.Builder) {
	for i, k := range n {
		if i > 0 {
			b.WriteString(" OR ")
		}
		k.write(b)
	}
}

func (n notNode) write(b *strings.Builder) {
	b.WriteString("NOT ")
	writeGrouped(b, n.n, true)
}

func writeGrouped(b *strings.Builder, n node, underNot bool) {
	_, isOr := n.(orNode)
	_, isAnd := n.(andNode)
	if isOr || (underNot && isAnd) {
		b.WriteByte('(')
		n.write(b)
		b.WriteByte(')')
		return
	}
	n.write(b)
}

func (allNode) write(b *strings.Builder) { b.WriteByte('*') }

func (n *fieldNode) write(b *strings.Builder) {
	writeLiteral(b, n.name, ctxBare)
	b.WriteByte(':')
	n.v.write(b)
}

func (n anyNode) write(b *strings.Builder) { n.v.write(b) }

func (n hostNode) write(b *strings.Builder) {
	b.WriteString("host:")
	n.v.write(b)
}

func (n timeNode) write(b *strings.Builder) {
	b.WriteString("time:")
	n.b.text().write(b)
}
