package sigma

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Compiled is a rule compiled for one branch of its log source: the
// branch's constraints ANDed with the rule's detection (and any filters).
type Compiled struct {
	Rule   *Rule
	Branch *Branch
	// Index keys: lower-cased channels, event ids and formats the branch
	// requires (empty: any).
	Channels []string
	EventIDs []string
	Formats  []string

	constraint node // branch constraints
	detection  node // the rule's condition, filters included
}

// Match reports whether the event in s satisfies the rule.
func (c *Compiled) Match(s *Scratch) bool {
	return c.constraint.eval(s) && c.detection.eval(s)
}

// MatchDetection evaluates only the detection, for callers that have
// already established the branch constraints through an index.
func (c *Compiled) MatchDetection(s *Scratch) bool { return c.detection.eval(s) }

// compiler holds what compiling one rule branch needs.
type compiler struct {
	fieldMap     map[string][]string
	placeholders map[string][]string
	searches     map[string]*Search
	order        []string
	cache        map[string]node
	notes        map[string]bool
	sets         setCache
}

func (c *compiler) notef(format string, args ...any) {
	if c.notes == nil {
		c.notes = map[string]bool{}
	}
	c.notes[fmt.Sprintf(format, args...)] = true
}

// Notes returns the compiler's warnings, sorted.
func (c *compiler) Notes() []string {
	out := make([]string, 0, len(c.notes))
	for n := range c.notes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// compileDetection compiles a detection's conditions (alternatives, ORed).
func (c *compiler) compileDetection(d *Detection) (node, error) {
	c.searches, c.order, c.cache = d.Searches, d.Order, map[string]node{}
	var alts []node
	for _, cond := range d.Conditions {
		x, err := parseCondition(cond)
		if err != nil {
			return nil, err
		}
		n, err := c.compileExpr(x)
		if err != nil {
			return nil, fmt.Errorf("condition %q: %w", cond, err)
		}
		alts = append(alts, n)
	}
	var n node = orNode(alts)
	if len(alts) == 1 {
		n = alts[0]
	}
	order(n)
	return n, nil
}

func (c *compiler) compileAll(xs []condExpr) ([]node, error) {
	out := make([]node, 0, len(xs))
	for _, y := range xs {
		n, err := c.compileExpr(y)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func (c *compiler) compileExpr(x condExpr) (node, error) {
	switch x := x.(type) {
	case condAnd:
		kids, err := c.compileAll(x)
		return andNode(kids), err
	case condOr:
		kids, err := c.compileAll(x)
		return orNode(kids), err
	case condNot:
		n, err := c.compileExpr(x.x)
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	case condIdent:
		return c.search(string(x))
	case condOf:
		names := c.matchIdents(x.pattern)
		if len(names) == 0 {
			if x.pattern == "" {
				return nil, fmt.Errorf("'them' matches no search identifier")
			}
			return nil, fmt.Errorf("no search identifier matches %q", x.pattern)
		}
		kids := make([]node, 0, len(names))
		for _, name := range names {
			n, err := c.search(name)
			if err != nil {
				return nil, err
			}
			kids = append(kids, n)
		}
		switch {
		case x.all:
			return andNode(kids), nil
		case x.n <= 1:
			return orNode(kids), nil
		case x.n > len(kids):
			return constNode(false), nil
		}
		return &countNode{n: x.n, kids: kids}, nil
	}
	return nil, fmt.Errorf("unsupported condition element %T", x)
}

// matchIdents returns the search identifiers a pattern selects, in file
// order. "them" (empty pattern) selects all but those starting with "_".
func (c *compiler) matchIdents(pat string) []string {
	var out []string
	var m *strMatcher
	if pat != "" {
		m = newStrMatcher(parsePattern(pat), true)
	}
	for _, name := range c.order {
		if m == nil {
			if !strings.HasPrefix(name, "_") {
				out = append(out, name)
			}
			continue
		}
		if m.match(name, name) {
			out = append(out, name)
		}
	}
	return out
}

func (c *compiler) search(name string) (node, error) {
	if n, ok := c.cache[name]; ok {
		return n, nil
	}
	s, ok := c.searches[name]
	if !ok {
		return nil, fmt.Errorf("unknown search identifier %q", name)
	}
	var alts orNode
	for _, br := range s.AnyOf {
		var all andNode
		for _, fc := range br.Fields {
			n, err := c.fieldCond(fc)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			all = append(all, n)
		}
		if br.Keywords != nil {
			n, err := c.keywords(*br.Keywords)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			all = append(all, n)
		}
		if len(all) == 1 {
			alts = append(alts, all[0])
		} else {
			alts = append(alts, all)
		}
	}
	var n node = alts
	if len(alts) == 1 {
		n = alts[0]
	}
	c.cache[name] = n
	return n, nil
}

// countNode is "N of ..." for N > 1.
type countNode struct {
	n    int
	kids []node
}

func (k *countNode) eval(s *Scratch) bool {
	hits := 0
	for i, kid := range k.kids {
		if kid.eval(s) {
			hits++
			if hits >= k.n {
				return true
			}
		}
		if hits+len(k.kids)-i-1 < k.n {
			return false
		}
	}
	return false
}

// modifiers is a parsed modifier chain.
type modifiers struct {
	contains, startswith, endswith bool
	all, cased, neq, exists        bool
	re                             bool
	reFlags                        string
	cidr, fieldref                 bool
	numOp                          string // lt, lte, gt, gte
	timePart                       string
	transforms                     []string // in order: expand, windash, base64, base64offset, utf16*, wide
}

func parseModifiers(mods []string) (modifiers, error) {
	var m modifiers
	for _, raw := range mods {
		mod := strings.ToLower(raw)
		switch mod {
		case "contains":
			m.contains = true
		case "startswith":
			m.startswith = true
		case "endswith":
			m.endswith = true
		case "all":
			m.all = true
		case "cased":
			m.cased = true
		case "neq":
			m.neq = true
		case "exists":
			m.exists = true
		case "re":
			m.re = true
		case "i", "m", "s":
			if !m.re {
				return m, fmt.Errorf("modifier %q is a flag of re and must follow it", raw)
			}
			m.reFlags += mod
		case "cidr":
			m.cidr = true
		case "fieldref":
			m.fieldref = true
		case "lt", "lte", "gt", "gte":
			if m.numOp != "" && m.numOp != mod {
				return m, fmt.Errorf("modifiers %s and %s contradict each other", m.numOp, mod)
			}
			m.numOp = mod
		case "minute", "hour", "day", "week", "month", "year":
			if m.timePart != "" && m.timePart != mod {
				return m, fmt.Errorf("modifiers %s and %s contradict each other", m.timePart, mod)
			}
			m.timePart = mod
		case "expand", "windash", "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide":
			m.transforms = append(m.transforms, mod)
		case "":
			return m, fmt.Errorf("empty modifier")
		default:
			return m, fmt.Errorf("unknown modifier %q", raw)
		}
	}
	wraps := 0
	for _, b := range []bool{m.contains, m.startswith, m.endswith} {
		if b {
			wraps++
		}
	}
	if wraps > 1 {
		return m, fmt.Errorf("contains, startswith and endswith exclude each other")
	}
	kinds := 0
	for _, b := range []bool{m.re, m.cidr, m.exists, m.numOp != "" && m.timePart == "", m.timePart != ""} {
		if b {
			kinds++
		}
	}
	if kinds > 1 {
		return m, fmt.Errorf("modifiers %s cannot be combined", strings.Join(mods, "|"))
	}
	// A field reference names another field: it is not a value that a
	// regular expression, a network, a number or an encoding could apply to
	// (valueMatchers would silently drop one or the other).
	if kinds == 1 && (wraps > 0 || len(m.transforms) > 0 || m.fieldref) {
		return m, fmt.Errorf("modifiers %s cannot be combined", strings.Join(mods, "|"))
	}
	if m.fieldref && len(m.transforms) > 0 {
		return m, fmt.Errorf("modifiers %s cannot be combined: fieldref takes a field name", strings.Join(mods, "|"))
	}
	return m, nil
}

func (c *compiler) mapField(name string) []string {
	if names, ok := c.fieldMap[name]; ok && len(names) > 0 {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = intern(n)
		}
		return out
	}
	return []string{intern(name)}
}

// Field names are interned: every rule that tests Image then holds the
// same string, and Scratch.Find can remember lookups by the string's
// address for the rest of the event.
var (
	internMu    sync.Mutex
	internNames = map[string]string{}
)

func intern(s string) string {
	internMu.Lock()
	defer internMu.Unlock()
	if t, ok := internNames[s]; ok {
		return t
	}
	if len(internNames) < 1<<20 {
		internNames[s] = s
	}
	return s
}

func (c *compiler) fieldCond(fc FieldCond) (node, error) {
	m, err := parseModifiers(fc.Modifiers)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", fc.Field, err)
	}
	key := fc.Field
	if len(fc.Modifiers) > 0 {
		key += "|" + strings.Join(fc.Modifiers, "|")
	}
	f := &fieldNode{key: key, names: c.mapField(fc.Field), all: m.all, neq: m.neq && !m.fieldref}
	for _, v := range fc.Values {
		g, presence, err := c.valueMatchers(m, v)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", key, err)
		}
		f.presence = f.presence || presence
		f.groups = append(f.groups, g)
	}
	if !f.presence {
		f.set = newContainsSet(f.groups, f.all, c.sets)
	}
	return f, nil
}

func (c *compiler) keywords(fc FieldCond) (node, error) {
	m, err := parseModifiers(fc.Modifiers)
	if err != nil {
		return nil, fmt.Errorf("keywords: %w", err)
	}
	if !m.startswith && !m.endswith {
		m.contains = true // a keyword is found anywhere in a value
	}
	k := &keywordNode{all: m.all}
	for _, v := range fc.Values {
		if v.Kind == ValNull {
			return nil, fmt.Errorf("keywords cannot be null")
		}
		g, _, err := c.valueMatchers(m, v)
		if err != nil {
			return nil, fmt.Errorf("keyword %q: %w", v.Text, err)
		}
		k.groups = append(k.groups, g)
	}
	k.set = newContainsSet(k.groups, k.all, c.sets)
	return k, nil
}

// valueMatchers compiles one value under a modifier chain into alternative
// matchers. presence reports matchers that must also see absent fields.
func (c *compiler) valueMatchers(m modifiers, v RawValue) ([]valueMatcher, bool, error) {
	switch {
	case m.exists:
		if v.Kind != ValBool {
			return nil, false, fmt.Errorf("exists needs true or false, not %q", v.Text)
		}
		return []valueMatcher{existsMatcher(v.Text == "true")}, true, nil
	case m.re:
		if v.Kind == ValNull {
			return nil, false, fmt.Errorf("re needs a regular expression, not null")
		}
		flags := ""
		if m.reFlags != "" {
			flags = "(?" + uniqueFlags(m.reFlags) + ")"
		}
		re, err := regexp.Compile(flags + v.Text)
		if err != nil {
			return nil, false, fmt.Errorf("regular expression %q: %v (RE2 syntax: lookaround and backreferences are not available)", v.Text, unwrapRegexpError(err))
		}
		return []valueMatcher{newReMatcher(re)}, false, nil
	case m.cidr:
		p, err := parseCIDR(v.Text)
		if err != nil {
			return nil, false, err
		}
		return []valueMatcher{cidrMatcher{p}}, false, nil
	case m.timePart != "":
		x, err := strconv.ParseFloat(v.Text, 64)
		if err != nil || v.Kind != ValNumber {
			return nil, false, fmt.Errorf("%s needs a number, not %q", m.timePart, v.Text)
		}
		return []valueMatcher{timeMatcher{part: m.timePart, op: m.numOp, x: x}}, false, nil
	case m.numOp != "":
		x, err := strconv.ParseFloat(v.Text, 64)
		if err != nil || v.Kind != ValNumber {
			return nil, false, fmt.Errorf("%s needs a number, not %q", m.numOp, v.Text)
		}
		return []valueMatcher{numMatcher{op: m.numOp, x: x}}, false, nil
	case m.fieldref:
		if v.Kind != ValString || v.Text == "" {
			return nil, false, fmt.Errorf("fieldref needs a field name")
		}
		op := opEq
		switch {
		case m.contains:
			op = opContains
		case m.startswith:
			op = opPrefix
		case m.endswith:
			op = opSuffix
		}
		return []valueMatcher{fieldrefMatcher{other: c.mapField(v.Text)[0], op: op, cased: m.cased, negate: m.neq}}, false, nil
	case v.Kind == ValNull:
		if len(m.transforms) > 0 || m.contains || m.startswith || m.endswith {
			return nil, false, fmt.Errorf("null cannot take string modifiers")
		}
		return []valueMatcher{nullMatcher{}}, true, nil
	}
	pats, err := c.patterns(m, v)
	if err != nil {
		return nil, false, err
	}
	out := make([]valueMatcher, 0, len(pats))
	for _, p := range pats {
		p = p.wrap(m.contains || m.endswith, m.contains || m.startswith)
		if len(p) == 0 {
			out = append(out, emptyMatcher{})
			continue
		}
		out = append(out, newStrMatcher(p, m.cased))
	}
	return out, false, nil
}

// patterns applies the value transforms in the order written.
func (c *compiler) patterns(m modifiers, v RawValue) ([]pattern, error) {
	var p pattern
	if v.Kind == ValString {
		p = parsePattern(v.Text)
	} else {
		p = literalPattern(v.Text)
	}
	pats := []pattern{p}
	for _, t := range m.transforms {
		var next []pattern
		for _, p := range pats {
			switch t {
			case "expand":
				next = append(next, c.expand(p)...)
			case "windash":
				next = append(next, p.windash())
			default:
				plain, ok := p.plain()
				if !ok {
					return nil, fmt.Errorf("%s needs a plain value without wildcards, not %q", t, v.Text)
				}
				encs, err := encodeTransform(t, plain)
				if err != nil {
					return nil, err
				}
				for _, e := range encs {
					next = append(next, literalPattern(e))
				}
			}
		}
		pats = next
		if len(pats) > 4096 {
			return nil, fmt.Errorf("value %q expands to more than 4096 alternatives", v.Text)
		}
	}
	return pats, nil
}

// expand replaces %name% placeholders inside literals with each of the
// configured values. An undefined placeholder stays literal text (some rules
// look for Windows variables such as %userdomain% in command lines) and is
// noted, so `rules lint` can tell the user to define it.
func (c *compiler) expand(p pattern) []pattern {
	out := []pattern{nil}
	for _, t := range p {
		if t.kind != tLit || !strings.Contains(t.lit, "%") {
			for i := range out {
				out[i] = append(out[i], t)
			}
			continue
		}
		rest := t.lit
		for rest != "" {
			i, j := placeholderAt(rest)
			if i < 0 {
				out = appendAll(out, pattern{{kind: tLit, lit: unescapePercent(rest)}})
				break
			}
			name := rest[i+1 : i+1+j]
			if i > 0 {
				out = appendAll(out, pattern{{kind: tLit, lit: unescapePercent(rest[:i])}})
			}
			vals, ok := c.placeholders[name]
			if !ok {
				c.notef("placeholder %%%s%% is not defined in the mapping's placeholders and is matched literally", name)
				out = appendAll(out, pattern{{kind: tLit, lit: "%" + name + "%"}})
			} else {
				var next []pattern
				for _, o := range out {
					for _, v := range vals {
						next = append(next, append(append(pattern(nil), o...), parsePattern(v)...))
					}
				}
				out = next
			}
			rest = rest[i+j+2:]
		}
	}
	return out
}

// placeholderAt finds the first placeholder of s much as pySigma does: a %
// not escaped by a backslash, a name, and a closing %. It returns the
// position of the opening % and the length of the name, or -1. Text such as
// "100% of 50%" holds none, and "\%plain%name%" holds only %name% (the
// specification's example). Names are word characters as in pySigma, and
// also - and . (SigmaHQ has %DC-MACHINE-NAME%); an undefined one stays text.
func placeholderAt(s string) (int, int) {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || (i > 0 && s[i-1] == '\\') {
			continue
		}
		j := i + 1
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if r != '_' && r != '-' && r != '.' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			j += size
		}
		if j > i+1 && j < len(s) && s[j] == '%' {
			return i, j - i - 1
		}
	}
	return -1, -1
}

// unescapePercent turns the escaped \% of expanded text into a plain %.
func unescapePercent(s string) string {
	return strings.ReplaceAll(s, `\%`, "%")
}

func appendAll(ps []pattern, tail pattern) []pattern {
	for i := range ps {
		ps[i] = append(ps[i], tail...)
	}
	return ps
}

func uniqueFlags(f string) string {
	var b strings.Builder
	for _, c := range "ims" {
		if strings.ContainsRune(f, c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func unwrapRegexpError(err error) string {
	msg := err.Error()
	return strings.TrimPrefix(msg, "error parsing regexp: ")
}

func parseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("cidr: %q is not an IP network such as 10.0.0.0/8", s)
}

// compileBranch builds the node that checks a branch's constraints.
func compileBranch(b *Branch) node {
	var all andNode
	if len(b.Channels) > 0 {
		all = append(all, equalsAny("Channel", b.Channels))
	}
	if len(b.EventIDs) > 0 {
		all = append(all, equalsAny("EventID", b.EventIDs))
	}
	if len(b.Formats) > 0 {
		all = append(all, formatNode(lowerAll(b.Formats)))
	}
	for _, f := range b.Requires {
		all = append(all, &fieldNode{key: f + "|exists", names: []string{intern(f)}, groups: [][]valueMatcher{{existsMatcher(true)}}, presence: true})
	}
	for _, c := range b.Conditions {
		all = append(all, equalsAny(c.Field, c.Values))
	}
	if len(all) == 0 {
		return constNode(true)
	}
	return all
}

func equalsAny(field string, values []string) node {
	g := make([]valueMatcher, 0, len(values))
	for _, v := range values {
		g = append(g, newStrMatcher(literalPattern(v), false))
	}
	return &fieldNode{key: field, names: []string{intern(field)}, groups: [][]valueMatcher{g}}
}

// formatNode checks the reader format an event came from.
type formatNode []string

func (f formatNode) eval(s *Scratch) bool {
	for _, x := range f {
		if s.ev.Source.Format == x {
			return true
		}
	}
	return false
}

func lowerAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}
