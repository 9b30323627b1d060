package sigma

import (
	"strings"
	"unicode/utf8"
)

// strOp is the shape of a compiled string pattern; most Sigma values are a
// literal with a wildcard at one end or both, and get a strings.* fast path.
type strOp uint8

const (
	opEq       strOp = iota // lit
	opPrefix                // lit*
	opSuffix                // *lit
	opContains              // *lit*
	opAny                   // * (matches any present value)
	opGlob                  // anything else
)

// strMatcher matches one pattern against a value. Unless cased, the pattern
// was lower-cased at compile time and is compared with the lower-cased value.
type strMatcher struct {
	op    strOp
	lit   string
	segs  []pattern // opGlob: the pattern split at stars
	start bool      // opGlob: anchored at the start (no leading star)
	end   bool      // opGlob: anchored at the end (no trailing star)
	cased bool
	pat   pattern // for needles and display
}

func newStrMatcher(p pattern, cased bool) *strMatcher {
	p = p.normalize()
	if !cased {
		p = p.lower()
	}
	m := &strMatcher{cased: cased, pat: p}
	n := len(p)
	isLit := func(t token) bool { return t.kind == tLit }
	switch {
	case n == 0:
		m.op, m.lit = opEq, ""
	case n == 1 && isLit(p[0]):
		m.op, m.lit = opEq, p[0].lit
	case n == 1 && p[0].kind == tStar:
		m.op = opAny
	case n == 2 && isLit(p[0]) && p[1].kind == tStar:
		m.op, m.lit = opPrefix, p[0].lit
	case n == 2 && p[0].kind == tStar && isLit(p[1]):
		m.op, m.lit = opSuffix, p[1].lit
	case n == 3 && p[0].kind == tStar && isLit(p[1]) && p[2].kind == tStar:
		m.op, m.lit = opContains, p[1].lit
	default:
		m.op = opGlob
		m.start = p[0].kind != tStar
		m.end = p[n-1].kind != tStar
		var cur pattern
		for _, t := range p {
			if t.kind == tStar {
				if len(cur) > 0 {
					m.segs = append(m.segs, cur)
				}
				cur = nil
				continue
			}
			cur = append(cur, t)
		}
		if len(cur) > 0 {
			m.segs = append(m.segs, cur)
		}
	}
	return m
}

// match tests the value; raw is its text, lower its lower-cased text.
func (m *strMatcher) match(raw, lower string) bool {
	s := lower
	if m.cased {
		s = raw
	}
	switch m.op {
	case opEq:
		return s == m.lit
	case opPrefix:
		return strings.HasPrefix(s, m.lit)
	case opSuffix:
		return strings.HasSuffix(s, m.lit)
	case opContains:
		return strings.Contains(s, m.lit)
	case opAny:
		return true
	}
	return m.glob(s)
}

func (m *strMatcher) glob(s string) bool {
	segs := m.segs
	pos := 0
	if len(segs) == 0 {
		return true // only stars
	}
	if m.start {
		end := matchSegAt(s, 0, segs[0])
		if end < 0 {
			return false
		}
		if len(segs) == 1 && m.end {
			return end == len(s)
		}
		pos = end
		segs = segs[1:]
	}
	var last pattern
	if m.end {
		last = segs[len(segs)-1]
		segs = segs[:len(segs)-1]
	}
	for _, seg := range segs {
		_, end := findSeg(s, pos, seg)
		if end < 0 {
			return false
		}
		pos = end
	}
	if last == nil {
		return true
	}
	return matchSuffixSeg(s, pos, last)
}

// matchSegAt returns where seg ends when it matches s at pos, or -1.
func matchSegAt(s string, pos int, seg pattern) int {
	for _, t := range seg {
		switch t.kind {
		case tLit:
			if !strings.HasPrefix(s[pos:], t.lit) {
				return -1
			}
			pos += len(t.lit)
		case tOne:
			if pos >= len(s) {
				return -1
			}
			_, size := utf8.DecodeRuneInString(s[pos:])
			pos += size
		case tDash:
			n := dashAt(s, pos)
			if n == 0 {
				return -1
			}
			pos += n
		}
	}
	return pos
}

// dashAt returns the length of the windash character at s[pos], or 0.
func dashAt(s string, pos int) int {
	if pos >= len(s) {
		return 0
	}
	switch s[pos] {
	case '-', '/':
		return 1
	case 0xe2: // U+2013..U+2015 are E2 80 93..95
		if pos+2 < len(s) && s[pos+1] == 0x80 && s[pos+2] >= 0x93 && s[pos+2] <= 0x95 {
			return 3
		}
	}
	return 0
}

// findSeg finds the leftmost match of seg in s at or after from.
func findSeg(s string, from int, seg pattern) (int, int) {
	if seg[0].kind == tLit {
		lit := seg[0].lit
		for from <= len(s) {
			i := strings.Index(s[from:], lit)
			if i < 0 {
				return -1, -1
			}
			start := from + i
			if end := matchSegAt(s, start, seg); end >= 0 {
				return start, end
			}
			from = start + 1
		}
		return -1, -1
	}
	for p := from; p <= len(s); {
		if end := matchSegAt(s, p, seg); end >= 0 {
			return p, end
		}
		if p == len(s) {
			break
		}
		_, size := utf8.DecodeRuneInString(s[p:])
		p += size
	}
	return -1, -1
}

// matchSuffixSeg reports whether seg matches s ending exactly at len(s),
// starting at or after from.
func matchSuffixSeg(s string, from int, seg pattern) bool {
	if len(seg) == 1 && seg[0].kind == tLit {
		return len(s)-from >= len(seg[0].lit) && strings.HasSuffix(s, seg[0].lit)
	}
	// Candidate starts are character boundaries: starting inside a UTF-8
	// sequence would let ? match a lone continuation byte, so "*??" would
	// match the single character "€".
	for p := from; p <= len(s); {
		if matchSegAt(s, p, seg) == len(s) {
			return true
		}
		if p == len(s) {
			break
		}
		_, size := utf8.DecodeRuneInString(s[p:])
		p += size
	}
	return false
}
