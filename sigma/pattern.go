package sigma

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A pattern is a Sigma string value after escapes and modifiers: literal
// runs, the wildcards * (any run) and ? (one character), and the windash
// class (any of - / – — ―).
type pattern []token

type tokKind uint8

const (
	tLit  tokKind = iota
	tStar         // *
	tOne          // ?
	tDash         // windash: one of dashChars
)

type token struct {
	kind tokKind
	lit  string
}

// dashChars are the characters the windash modifier makes interchangeable.
var dashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// parsePattern reads a Sigma string value: * and ? are wildcards, and a
// backslash escapes *, ? and itself; before any other character a backslash
// is an ordinary character, so Windows paths need no doubling.
func parsePattern(s string) pattern {
	var p pattern
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p = append(p, token{kind: tLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				lit.WriteByte(s[i+1])
				i++
			} else {
				lit.WriteByte('\\')
			}
		case '*':
			flush()
			if len(p) == 0 || p[len(p)-1].kind != tStar {
				p = append(p, token{kind: tStar})
			}
		case '?':
			flush()
			p = append(p, token{kind: tOne})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return p
}

// literalPattern is a pattern matching s exactly.
func literalPattern(s string) pattern {
	if s == "" {
		return pattern{}
	}
	return pattern{{kind: tLit, lit: s}}
}

// plain returns the pattern's text when it has no wildcard or class.
func (p pattern) plain() (string, bool) {
	var b strings.Builder
	for _, t := range p {
		if t.kind != tLit {
			return "", false
		}
		b.WriteString(t.lit)
	}
	return b.String(), true
}

func (p pattern) String() string {
	var b strings.Builder
	for _, t := range p {
		switch t.kind {
		case tLit:
			for _, r := range t.lit {
				if r == '*' || r == '?' || r == '\\' {
					b.WriteByte('\\')
				}
				b.WriteRune(r)
			}
		case tStar:
			b.WriteByte('*')
		case tOne:
			b.WriteByte('?')
		case tDash:
			b.WriteString("[-/–—―]")
		}
	}
	return b.String()
}

// normalize merges adjacent literals and collapses runs of stars.
func (p pattern) normalize() pattern {
	out := make(pattern, 0, len(p))
	for _, t := range p {
		if t.kind == tLit && t.lit == "" {
			continue
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if t.kind == tLit && last.kind == tLit {
				last.lit += t.lit
				continue
			}
			if t.kind == tStar && last.kind == tStar {
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

// wrap adds the wildcards of contains, startswith and endswith.
func (p pattern) wrap(prefix, suffix bool) pattern {
	out := make(pattern, 0, len(p)+2)
	if prefix {
		out = append(out, token{kind: tStar})
	}
	out = append(out, p...)
	if suffix {
		out = append(out, token{kind: tStar})
	}
	return out.normalize()
}

// lower lower-cases every literal, for case-insensitive matching.
func (p pattern) lower() pattern {
	out := make(pattern, len(p))
	for i, t := range p {
		if t.kind == tLit {
			t.lit = lowerString(t.lit)
		}
		out[i] = t
	}
	return out
}

// windash turns every dash-like character of the literals into the class.
func (p pattern) windash() pattern {
	var out pattern
	for _, t := range p {
		if t.kind != tLit {
			out = append(out, t)
			continue
		}
		start := 0
		for i := 0; i < len(t.lit); {
			r, size := utf8.DecodeRuneInString(t.lit[i:])
			if isDash(r) {
				if i > start {
					out = append(out, token{kind: tLit, lit: t.lit[start:i]})
				}
				out = append(out, token{kind: tDash})
				start = i + size
			}
			i += size
		}
		if start < len(t.lit) {
			out = append(out, token{kind: tLit, lit: t.lit[start:]})
		}
	}
	return out
}

func isDash(r rune) bool {
	return r == '-' || r == '/' || r == '\u2013' || r == '\u2014' || r == '\u2015'
}

// encodeTransform applies an encoding modifier to a plain value.
func encodeTransform(mod, s string) ([]string, error) {
	switch mod {
	case "base64":
		return []string{base64.StdEncoding.EncodeToString([]byte(s))}, nil
	case "base64offset":
		return base64Offsets(s), nil
	case "utf16le", "wide":
		return []string{encodeUTF16(s, false, false)}, nil
	case "utf16be":
		return []string{encodeUTF16(s, true, false)}, nil
	case "utf16":
		return []string{encodeUTF16(s, false, true)}, nil
	}
	return nil, fmt.Errorf("unknown encoding %q", mod)
}

// base64Offsets returns the three encodings of s that appear inside any
// base64 text containing s, whatever its offset modulo 3: the characters that
// depend on the unknown neighbouring bytes are cut off.
func base64Offsets(s string) []string {
	out := make([]string, 0, 3)
	startCut := [3]int{0, 2, 3}
	for shift := 0; shift < 3; shift++ {
		buf := make([]byte, shift+len(s))
		copy(buf[shift:], s)
		enc := base64.StdEncoding.EncodeToString(buf)
		end := len(enc)
		switch (shift + len(s)) % 3 {
		case 1:
			end -= 3
		case 2:
			end -= 2
		}
		if start := startCut[shift]; start < end {
			out = append(out, enc[start:end])
		}
	}
	return out
}

// encodeUTF16 returns the UTF-16 bytes of s as a Go string.
func encodeUTF16(s string, bigEndian, bom bool) string {
	units := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(units)+2)
	if bom {
		if bigEndian {
			b = append(b, 0xfe, 0xff)
		} else {
			b = append(b, 0xff, 0xfe)
		}
	}
	for _, u := range units {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// lowerString lower-cases s, with a fast path for ASCII that does not
// allocate when s is already lower case.
func lowerString(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return foldUnicode(s)
		}
		if 'A' <= c && c <= 'Z' {
			return lowerASCIIFrom(s, i)
		}
	}
	return s
}

func lowerASCIIFrom(s string, i int) string {
	b := make([]byte, len(s))
	copy(b, s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return foldUnicode(s)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return string(b)
}

// foldUnicode lower-cases text that is not pure ASCII. Unicode case folding
// makes two non-ASCII letters equal to ASCII ones: the Kelvin sign, which
// ToLower already turns into k, and the long s (ſ), which ToLower keeps:
// it becomes s here, so that "POWERſHELL" matches powershell as it does in
// a case-insensitive regular expression, and attackers cannot slip past a
// rule with it.
func foldUnicode(s string) string {
	l := strings.ToLower(s)
	if strings.Contains(l, "ſ") {
		l = strings.ReplaceAll(l, "ſ", "s")
	}
	return l
}

// Fold lower-cases s the way rule matching does, for callers that prepare
// text for case-insensitive comparison with compiled rules.
func Fold(s string) string { return lowerString(s) }
