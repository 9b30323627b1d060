package pattern

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// Compiled is a pattern bound to a Mapping, ready to evaluate. It is
// immutable and safe for concurrent use; a Matcher holds the state of one
// event stream.
type Compiled struct {
	pattern  *Pattern
	root     *plan
	leaves   []*plan // observation expressions, in source order
	unmapped []string
}

// Compile binds p to m (DefaultMapping when m is nil). It fails when a
// MATCHES regular expression does not compile as RE2 or an ISSUBSET /
// ISSUPERSET operand is not an address or CIDR, naming the offset.
func Compile(p *Pattern, m *Mapping) (*Compiled, error) {
	if m == nil {
		m = DefaultMapping()
	}
	c := &Compiled{pattern: p}
	seen := map[string]bool{}
	root, err := c.plan(p.Root, m, seen)
	if err != nil {
		return nil, err
	}
	c.root = root
	annotate(root, 0, time.Time{}, time.Time{})
	sort.Strings(c.unmapped)
	return c, nil
}

// CompileString parses and compiles src.
func CompileString(src string, m *Mapping) (*Compiled, error) {
	p, err := Parse(src)
	if err != nil {
		return nil, err
	}
	return Compile(p, m)
}

// Pattern returns the pattern c was compiled from.
func (c *Compiled) Pattern() *Pattern { return c.pattern }

// Unmapped returns the object paths the mapping does not bind, sorted. A
// comparison on such a path is always false; callers record this as the
// indicator's health rather than dropping it silently.
func (c *Compiled) Unmapped() []string { return c.unmapped }

// MatchEvent reports whether ev alone satisfies the pattern: its
// observation expression matches, or one side of an observation OR does.
// Patterns that need two or more observations (AND, FOLLOWEDBY, REPEATS of
// more than one) never match a single event; feed those to a Matcher.
// START/STOP is checked against ev.Time.
func (c *Compiled) MatchEvent(ev *event.Event) bool { return c.root.single(ev) }

// cmp is a compiled comparison.
type cmp struct {
	op      Op
	negated bool
	lit     Literal
	b       *Binding // nil when unmapped
	fold    bool
	re      *regexp.Regexp
	like    likeMatcher
	prefix  netip.Prefix // ISSUBSET / ISSUPERSET, and IP equality
	isIP    bool         // lit parsed as an address or prefix
}

// compExpr nodes: a cmp, or and/or of two.
type cnode struct {
	and         bool
	left, right *cnode
	c           *cmp
}

func (c *Compiled) compileComp(x CompExpr, m *Mapping, seen map[string]bool) (*cnode, error) {
	switch x := x.(type) {
	case *CompBinary:
		l, err := c.compileComp(x.Left, m, seen)
		if err != nil {
			return nil, err
		}
		r, err := c.compileComp(x.Right, m, seen)
		if err != nil {
			return nil, err
		}
		return &cnode{and: x.Op == CompAnd, left: l, right: r}, nil
	case *Comparison:
		k, err := compileCmp(x, m)
		if err != nil {
			return nil, err
		}
		if k.b == nil && !seen[x.Path.Key()] {
			seen[x.Path.Key()] = true
			c.unmapped = append(c.unmapped, x.Path.Key())
		}
		return &cnode{c: k}, nil
	}
	return nil, fmt.Errorf("stix pattern: unknown comparison node %T", x)
}

func compileCmp(x *Comparison, m *Mapping) (*cmp, error) {
	k := &cmp{op: x.Op, negated: x.Negated, lit: x.Value}
	k.b, _ = m.Lookup(x.Path.Key())
	k.fold = k.b != nil && k.b.Kind == Fold
	if k.fold && x.Value.Kind == LitString {
		k.lit.Str = strings.ToLower(x.Value.Str)
	}
	fail := func(format string, args ...any) error {
		return &Error{Offset: x.ValuePos, Msg: fmt.Sprintf(format, args...)}
	}
	switch x.Op {
	case OpMatches:
		re, err := regexp.Compile(x.Value.Str)
		if err != nil {
			return nil, fail("MATCHES: %v (expressions are Go RE2: lookaround, backreferences, possessive quantifiers, atomic groups and other PCRE-only features are not supported)", err)
		}
		k.re = re
	case OpLike:
		k.like = compileLike(k.lit.Str)
	case OpIsSubset, OpIsSuperset:
		p, ok := parsePrefix(x.Value.Str)
		if !ok {
			return nil, fail("%s needs an IP address or CIDR, not %q", x.Op, x.Value.Str)
		}
		k.prefix, k.isIP = p, true
	case OpEQ, OpNE:
		if k.b != nil && k.b.Kind >= IPv4 && x.Value.Kind == LitString {
			k.prefix, k.isIP = parsePrefix(x.Value.Str)
		}
	}
	return k, nil
}

// parsePrefix reads "a.b.c.d", "a.b.c.d/n" or their IPv6 forms as a masked
// prefix; a bare address is its /32 (/128), which is how STIX equates
// '203.0.113.33/32' with the address.
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			if p.Bits() < 96 {
				return netip.Prefix{}, false
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), true
}

// eval reports whether ev satisfies the comparison expression.
func (n *cnode) eval(ev *event.Event) bool {
	if n.c != nil {
		return n.c.eval(ev)
	}
	if n.and {
		return n.left.eval(ev) && n.right.eval(ev)
	}
	return n.left.eval(ev) || n.right.eval(ev)
}

// eval is true when any value of any bound field satisfies the comparison.
// An absent field, or a value of a type the literal cannot be compared
// with, never satisfies it, negated or not: "NOT =" asks for a present,
// different value, as in the specification.
func (c *cmp) eval(ev *event.Event) bool {
	if c.b == nil {
		return false
	}
	for _, src := range c.b.Sources {
		v, ok := ev.Get(src.Field)
		if !ok || v.IsNull() {
			continue
		}
		if v.Kind == event.KindList {
			for _, e := range v.List {
				if c.source(src, e) {
					return true
				}
			}
			continue
		}
		if c.source(src, v) {
			return true
		}
	}
	return false
}

func (c *cmp) source(src Source, v event.Value) bool {
	if src.Conv == nil {
		return c.value(v)
	}
	for _, s := range src.Conv(v.Str) {
		if c.value(event.String(s)) {
			return true
		}
	}
	return false
}

func (c *cmp) value(v event.Value) bool {
	if c.op == OpExists {
		return true
	}
	// Parse an address once per value: it decides the family filter and
	// feeds the prefix comparisons.
	var vp netip.Prefix
	parsed := false
	if c.b.Kind >= IPv4 || c.isIP {
		vp, parsed = parsePrefix(v.Str)
		if parsed && (c.b.Kind == IPv4 && !vp.Addr().Is4() || c.b.Kind == IPv6 && !vp.Addr().Is6()) {
			return false // another family is another object type
		}
	}
	r, ok := c.apply(v, vp, parsed)
	return ok && r != c.negated
}

// apply returns the operator's result and whether v could be compared. vp
// is v as an address or prefix when parsed is true.
func (c *cmp) apply(v event.Value, vp netip.Prefix, parsed bool) (result, ok bool) {
	switch c.op {
	case OpIn:
		for _, l := range c.lit.List {
			k := cmp{op: OpEQ, lit: l, b: c.b, fold: c.fold}
			if k.fold && l.Kind == LitString {
				k.lit.Str = strings.ToLower(l.Str)
			}
			if r, ok := k.apply(v, vp, false); ok && r {
				return true, true
			}
		}
		return false, true
	case OpLike:
		return c.like.match(c.text(v)), true
	case OpMatches:
		return c.re.MatchString(v.Str), true
	case OpIsSubset, OpIsSuperset:
		if !parsed || vp.Addr().Is4() != c.prefix.Addr().Is4() {
			return false, false
		}
		if c.op == OpIsSubset {
			return c.prefix.Bits() <= vp.Bits() && c.prefix.Contains(vp.Addr()), true
		}
		return vp.Bits() <= c.prefix.Bits() && vp.Contains(c.prefix.Addr()), true
	}
	if c.isIP && parsed {
		return c.order(comparePrefix(vp, c.prefix)), true
	}
	d, ok := c.compare(v)
	if !ok {
		return false, false
	}
	return c.order(d), true
}

// order turns a three-way comparison into the operator's answer.
func (c *cmp) order(d int) bool {
	switch c.op {
	case OpEQ:
		return d == 0
	case OpNE:
		return d != 0
	case OpLT:
		return d < 0
	case OpLE:
		return d <= 0
	case OpGT:
		return d > 0
	case OpGE:
		return d >= 0
	}
	return false
}

func comparePrefix(a, b netip.Prefix) int {
	if d := a.Addr().Compare(b.Addr()); d != 0 {
		return d
	}
	return a.Bits() - b.Bits()
}

func (c *cmp) text(v event.Value) string {
	if c.fold {
		return strings.ToLower(v.Str)
	}
	return v.Str
}

// compare compares v with the literal (v minus literal, in sign), and
// reports false when their types do not compare: a number with text that
// is not a number, a timestamp with text that is not one.
func (c *cmp) compare(v event.Value) (int, bool) {
	l := c.lit
	switch l.Kind {
	case LitString:
		return strings.Compare(c.text(v), l.Str), true
	case LitInt, LitFloat:
		n, ok := number(v)
		if !ok {
			return 0, false
		}
		f := l.Float
		if l.Kind == LitInt {
			// Integers compare exactly when the event's text is an
			// integer; float64 would blur values past 2^53.
			if i, err := strconv.ParseInt(v.Str, 10, 64); err == nil {
				return cmpInt(i, l.Int), true
			}
			f = float64(l.Int)
		}
		switch {
		case n < f:
			return -1, true
		case n > f:
			return 1, true
		}
		return 0, true
	case LitBool:
		b, err := strconv.ParseBool(strings.ToLower(v.Str))
		if err != nil {
			return 0, false
		}
		if b == l.Bool {
			return 0, true
		}
		return 1, true
	case LitTime:
		t, err := time.Parse(time.RFC3339Nano, v.Str)
		if err != nil {
			return 0, false
		}
		return t.Compare(l.Time), true
	case LitHex, LitBinary:
		// Binary event values are upper-case hex text (docs/windows-fields.md);
		// anything else compares as its raw bytes.
		b, err := hex.DecodeString(v.Str)
		if err != nil {
			b = []byte(v.Str)
		}
		return bytes.Compare(b, l.Bytes), true
	}
	return 0, false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// number returns v as a number: numeric kinds directly, text when it
// parses (a port written "443", a hex "0x10").
func number(v event.Value) (float64, bool) {
	switch v.Kind {
	case event.KindInt, event.KindFloat:
		return v.Num, true
	}
	if f, err := strconv.ParseFloat(v.Str, 64); err == nil {
		return f, true
	}
	if strings.HasPrefix(v.Str, "0x") {
		if u, err := strconv.ParseUint(v.Str[2:], 16, 64); err == nil {
			return float64(u), true
		}
	}
	return 0, false
}

// likeMatcher matches SQL LIKE: % any run, _ one character. Most
// indicators are a plain string or one with % at an end, so those are
// matched with string functions; the rest become an anchored regexp.
type likeMatcher struct {
	kind byte // '=', 'p' prefix, 's' suffix, 'c' contains, 'r' regexp
	s    string
	re   *regexp.Regexp
}

func compileLike(p string) likeMatcher {
	inner := strings.Trim(p, "%")
	if !strings.ContainsAny(inner, "%_") && len(p) > 0 {
		lead, trail := p[0] == '%', p[len(p)-1] == '%'
		switch {
		case !lead && !trail:
			return likeMatcher{kind: '=', s: p}
		case lead && trail:
			return likeMatcher{kind: 'c', s: inner}
		case lead:
			return likeMatcher{kind: 's', s: inner}
		default:
			return likeMatcher{kind: 'p', s: inner}
		}
	}
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for _, r := range p {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	return likeMatcher{kind: 'r', re: regexp.MustCompile(b.String())}
}

func (l likeMatcher) match(s string) bool {
	switch l.kind {
	case '=':
		return s == l.s
	case 'p':
		return strings.HasPrefix(s, l.s)
	case 's':
		return strings.HasSuffix(s, l.s)
	case 'c':
		return strings.Contains(s, l.s)
	}
	return l.re.MatchString(s)
}
