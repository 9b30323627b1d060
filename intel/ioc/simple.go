package ioc

import (
	"errors"
	"strconv"
	"strings"
)

// Kind is the type of observable a simple comparison tests, and so which
// lookup it is compiled into.
type Kind uint8

// The kinds of simple comparison.
const (
	KindIPv4   Kind = iota + 1 // ipv4-addr:value, an address or a CIDR
	KindIPv6                   // ipv6-addr:value, an address or a CIDR
	KindDomain                 // domain-name:value, matching the domain and its subdomains
	KindURL                    // url:value, compared normalised
	KindEmail                  // email-addr:value, compared lower-cased
	KindMD5                    // file:hashes.MD5
	KindSHA1                   // file:hashes.'SHA-1'
	KindSHA256                 // file:hashes.'SHA-256'
	KindSHA512                 // file:hashes.'SHA-512'
	numKinds
)

// Path returns the STIX object path the kind stands for.
func (k Kind) Path() string {
	switch k {
	case KindIPv4:
		return "ipv4-addr:value"
	case KindIPv6:
		return "ipv6-addr:value"
	case KindDomain:
		return "domain-name:value"
	case KindURL:
		return "url:value"
	case KindEmail:
		return "email-addr:value"
	case KindMD5:
		return "file:hashes.MD5"
	case KindSHA1:
		return "file:hashes.'SHA-1'"
	case KindSHA256:
		return "file:hashes.'SHA-256'"
	case KindSHA512:
		return "file:hashes.'SHA-512'"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

func (k Kind) String() string { return k.Path() }

// hashLen is the length in bytes of a digest of kind k, 0 for other kinds.
func (k Kind) hashLen() int {
	switch k {
	case KindMD5:
		return 16
	case KindSHA1:
		return 20
	case KindSHA256:
		return 32
	case KindSHA512:
		return 64
	}
	return 0
}

// Comparison is one comparison of a simple pattern.
type Comparison struct {
	Kind Kind
	// Subset is set for ISSUBSET (a CIDR); equality otherwise.
	Subset bool
	// Value is the string literal, unescaped, as the pattern wrote it.
	Value string
}

// ErrNotSimple is what ParseSimple's errors match (errors.Is) when a
// pattern is not one of the simple shapes. Such a pattern may well be
// valid STIX: the caller hands it to the full evaluator (intel/pattern),
// which also reports genuine syntax errors; this parser does not try to
// tell the two apart.
var ErrNotSimple = errors.New("not a simple indicator")

// NotSimpleError says why, and where, a pattern is not simple.
type NotSimpleError struct {
	Offset int // byte offset in the pattern
	Reason string
}

func (e *NotSimpleError) Error() string {
	return "not a simple indicator: " + e.Reason + " at offset " + strconv.Itoa(e.Offset)
}

// Is makes errors.Is(err, ErrNotSimple) true.
func (e *NotSimpleError) Is(target error) bool { return target == ErrNotSimple }

// ParseSimple recognises the shapes most shared intel takes, and only
// those:
//
//	[ipv4-addr:value = '203.0.113.45']
//	[ipv4-addr:value ISSUBSET '198.51.100.0/24']
//	[domain-name:value = 'evil.example'] OR [url:value = 'http://x/y']
//	[file:hashes.'SHA-256' = '…' OR file:hashes.MD5 = '…']
//	[email-addr:value IN ('a@b.example', 'c@d.example')]
//
// that is, observations of single comparisons joined by OR, with
// comparisons inside one observation also joined by OR, optionally
// parenthesised. Every comparison is an equality (=, ==, or IN with a set
// of string literals) on one of the paths of Kind, or ISSUBSET on an
// address. Since every operator is OR, the pattern matches an event
// exactly when one comparison does, which is what lets a Set answer it
// with lookups. Anything else (AND, FOLLOWEDBY, NOT, qualifiers, other
// operators or paths, non-string literals) returns an error matching
// ErrNotSimple.
//
// Literal values are returned as written; Compile validates and
// normalises them.
func ParseSimple(pattern string) ([]Comparison, error) {
	p := parser{s: pattern}
	var out []Comparison
	out, err := p.observations(out, 0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, p.fail("unexpected " + strconv.Quote(p.word()))
	}
	return out, nil
}

// maxDepth bounds parenthesis nesting so that hostile input cannot
// exhaust the stack.
const maxDepth = 64

type parser struct {
	s string
	i int
}

func (p *parser) fail(reason string) error { return &NotSimpleError{Offset: p.i, Reason: reason} }

func (p *parser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			p.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, 0 at the end.
func (p *parser) peek() byte {
	p.space()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// word returns the identifier or operator at the cursor without consuming
// it, for keywords and for messages.
func (p *parser) word() string {
	p.space()
	j := p.i
	for j < len(p.s) && isWordByte(p.s[j]) {
		j++
	}
	if j == p.i && j < len(p.s) {
		j++
	}
	return p.s[p.i:j]
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// keyword consumes w if it is the next word. STIX keywords are
// upper case and case-sensitive.
func (p *parser) keyword(w string) bool {
	if p.word() == w {
		p.i += len(w)
		return true
	}
	return false
}

// observations parses obsTerm { OR obsTerm }.
func (p *parser) observations(out []Comparison, depth int) ([]Comparison, error) {
	for {
		var err error
		if out, err = p.observation(out, depth); err != nil {
			return nil, err
		}
		if !p.keyword("OR") {
			switch w := p.word(); w {
			case "AND", "FOLLOWEDBY", "WITHIN", "REPEATS", "START", "STOP":
				return nil, p.fail(w + " between or after observations")
			}
			return out, nil
		}
	}
}

// observation parses "(" observations ")" | "[" comparisons "]".
func (p *parser) observation(out []Comparison, depth int) ([]Comparison, error) {
	if depth > maxDepth {
		return nil, p.fail("nesting too deep")
	}
	switch p.peek() {
	case '(':
		p.i++
		out, err := p.observations(out, depth+1)
		if err != nil {
			return nil, err
		}
		if p.peek() != ')' {
			return nil, p.fail("expected )")
		}
		p.i++
		return out, nil
	case '[':
		p.i++
		out, err := p.comparisons(out, depth+1)
		if err != nil {
			return nil, err
		}
		if p.peek() != ']' {
			return nil, p.fail("expected ]")
		}
		p.i++
		return out, nil
	}
	return nil, p.fail("expected [ or (")
}

// comparisons parses cmpTerm { OR cmpTerm } inside an observation.
func (p *parser) comparisons(out []Comparison, depth int) ([]Comparison, error) {
	for {
		if depth > maxDepth {
			return nil, p.fail("nesting too deep")
		}
		var err error
		if p.peek() == '(' {
			p.i++
			if out, err = p.comparisons(out, depth+1); err != nil {
				return nil, err
			}
			if p.peek() != ')' {
				return nil, p.fail("expected )")
			}
			p.i++
		} else if out, err = p.comparison(out); err != nil {
			return nil, err
		}
		if !p.keyword("OR") {
			if w := p.word(); w == "AND" {
				return nil, p.fail("AND between comparisons")
			}
			return out, nil
		}
	}
}

// comparison parses path op literal, or path IN (literal, ...).
func (p *parser) comparison(out []Comparison) ([]Comparison, error) {
	if w := p.word(); w == "NOT" {
		return nil, p.fail("NOT")
	}
	start := p.i
	kind, err := p.path()
	if err != nil {
		return nil, err
	}
	p.space()
	c := Comparison{Kind: kind}
	switch {
	case strings.HasPrefix(p.s[p.i:], "=="):
		p.i += 2
	case strings.HasPrefix(p.s[p.i:], "="):
		p.i++
	case p.keyword("ISSUBSET"):
		if kind != KindIPv4 && kind != KindIPv6 {
			p.i = start
			return nil, p.fail("ISSUBSET on " + kind.Path())
		}
		c.Subset = true
	case p.keyword("IN"):
		return p.set(out, kind)
	default:
		return nil, p.fail("operator " + strconv.Quote(p.word()))
	}
	if c.Value, err = p.literal(); err != nil {
		return nil, err
	}
	return append(out, c), nil
}

// set parses the ( 'a', 'b' ) of IN: an OR of equalities.
func (p *parser) set(out []Comparison, kind Kind) ([]Comparison, error) {
	if p.peek() != '(' {
		return nil, p.fail("expected ( after IN")
	}
	p.i++
	for {
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		out = append(out, Comparison{Kind: kind, Value: v})
		switch p.peek() {
		case ',':
			p.i++
		case ')':
			p.i++
			return out, nil
		default:
			return nil, p.fail("expected , or ) in set")
		}
	}
}

// path parses an object path and maps it to the kind it stands for.
func (p *parser) path() (Kind, error) {
	p.space()
	start := p.i
	for p.i < len(p.s) && isWordByte(p.s[p.i]) {
		p.i++
	}
	typ := p.s[start:p.i]
	if typ == "" || p.i >= len(p.s) || p.s[p.i] != ':' {
		return 0, p.fail("expected object path")
	}
	p.i++
	var steps [3]string
	n := 0
	for {
		var step string
		if p.i < len(p.s) && p.s[p.i] == '\'' {
			s, err := p.literal()
			if err != nil {
				return 0, err
			}
			step = s
		} else {
			j := p.i
			for p.i < len(p.s) && isWordByte(p.s[p.i]) {
				p.i++
			}
			step = p.s[j:p.i]
		}
		if step == "" {
			return 0, p.fail("empty path step")
		}
		if n == len(steps) {
			return 0, p.fail("path too long")
		}
		steps[n] = step
		n++
		if p.i < len(p.s) && p.s[p.i] == '[' {
			return 0, p.fail("list index in path")
		}
		if p.i < len(p.s) && p.s[p.i] == '.' {
			p.i++
			continue
		}
		break
	}
	if k := pathKind(typ, steps[:n]); k != 0 {
		return k, nil
	}
	p.i = start
	return 0, p.fail("path " + typ + ":" + strings.Join(steps[:n], "."))
}

func pathKind(typ string, steps []string) Kind {
	if len(steps) == 1 && steps[0] == "value" {
		switch typ {
		case "ipv4-addr":
			return KindIPv4
		case "ipv6-addr":
			return KindIPv6
		case "domain-name":
			return KindDomain
		case "url":
			return KindURL
		case "email-addr":
			return KindEmail
		}
		return 0
	}
	if typ != "file" || len(steps) != 2 || steps[0] != "hashes" {
		return 0
	}
	// STIX's vocabulary spells them MD5, SHA-1, SHA-256, SHA-512; feeds
	// also write SHA256 or sha256, which mean the same.
	switch strings.ToUpper(strings.ReplaceAll(steps[1], "-", "")) {
	case "MD5":
		return KindMD5
	case "SHA1":
		return KindSHA1
	case "SHA256":
		return KindSHA256
	case "SHA512":
		return KindSHA512
	}
	return 0
}

// literal parses a string literal: '…' where only \' and \\ are escapes.
// Other literal forms (numbers, booleans, t'…', b'…', h'…') are not simple:
// none of the simple paths compares with them.
func (p *parser) literal() (string, error) {
	if p.peek() != '\'' {
		return "", p.fail("expected string literal")
	}
	p.i++
	start := p.i
	var b []byte // set only when the literal has escapes
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '\'':
			v := p.s[start:p.i]
			if b != nil {
				v = string(b)
			}
			p.i++
			return v, nil
		case '\\':
			if p.i+1 >= len(p.s) || (p.s[p.i+1] != '\'' && p.s[p.i+1] != '\\') {
				return "", p.fail("bad escape in string")
			}
			if b == nil {
				b = append([]byte(nil), p.s[start:p.i]...)
			}
			b = append(b, p.s[p.i+1])
			p.i += 2
			continue
		}
		if b != nil {
			b = append(b, c)
		}
		p.i++
	}
	return "", p.fail("unterminated string")
}
