package pattern

import (
	"math"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/guard"
)

// Byte classes; a charset is a mask of classes and a byte belongs to it
// when its classes and the mask share a bit. Table lookups keep the inner
// loops of every matcher to one load and one test.
const (
	cUpper uint16 = 1 << iota
	cLower
	cDigit
	cHexLower // a-f, besides cLower
	cHexUpper // A-F, besides cUpper
	cDash
	cUnder
	cPlus
	cSlash
	cEq
	cDot
	cSpace // space, tab, CR, LF
	cColon
)

// Charsets used by the matchers.
const (
	setAlnum    = cUpper | cLower | cDigit
	setUpperNum = cUpper | cDigit
	setLowerNum = cLower | cDigit
	setHex      = cDigit | cHexLower // lowercase hex
	setHexAny   = cDigit | cHexLower | cHexUpper
	setB64URL   = setAlnum | cDash | cUnder // base64url, also most token bodies
	setB64      = setAlnum | cPlus | cSlash
	setB64Pad   = setB64 | cEq
	setAnyB64   = setAlnum | cPlus | cSlash | cDash | cUnder | cEq
	setWord     = setAlnum | cUnder
)

var class = func() (t [256]uint16) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= cUpper
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= cLower
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= cDigit
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= cHexLower
		t[c-'a'+'A'] |= cHexUpper
	}
	t['-'] |= cDash
	t['_'] |= cUnder
	t['+'] |= cPlus
	t['/'] |= cSlash
	t['='] |= cEq
	t['.'] |= cDot
	t[':'] |= cColon
	for _, c := range " \t\r\n" {
		t[c] |= cSpace
	}
	return t
}()

func in(c byte, set uint16) bool { return class[c]&set != 0 }
func isAlnum(c byte) bool        { return class[c]&setAlnum != 0 }
func isDigit(c byte) bool        { return c >= '0' && c <= '9' }
func isUpper(c byte) bool        { return c >= 'A' && c <= 'Z' }
func isLetter(c byte) bool       { return class[c]&(cUpper|cLower) != 0 }

// wordStart reports whether a token may begin at i: at the start of the
// text or after a byte that is not a letter or digit. Tokens glued to
// letters ("xghp_...") are not the format they resemble.
func wordStart(s string, i int) bool { return i == 0 || !isAlnum(s[i-1]) }

// run returns the end of the run of bytes of set starting at i, looking at
// no more than limit bytes.
func run(s string, i int, set uint16, limit int) int {
	end := min(len(s), i+limit)
	j := i
	for j < end && class[s[j]]&set != 0 {
		j++
	}
	return j
}

// lower returns b's ASCII lowercase.
func lower(b byte) byte {
	if isUpper(b) {
		return b + 'a' - 'A'
	}
	return b
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII case; prefix must be
// lowercase.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lower(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}

// containsFold reports whether s contains the lowercase word w, ignoring
// ASCII case. s is short (a window of context), so the naive search is fine.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if hasPrefixFold(s[i:], w) {
			return true
		}
	}
	return false
}

// window returns up to n bytes of s before i, cut at the last line break:
// context keywords only count on the same line.
func window(s string, i, n int) string {
	j := max(0, i-n)
	w := s[j:i]
	for k := len(w) - 1; k >= 0; k-- {
		if w[k] == '\n' {
			return w[k+1:]
		}
	}
	return w
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	if len(s) == 0 {
		return 0
	}
	var counts [256]int32
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for i := 0; i < len(s); i++ {
		c := counts[s[i]]
		if c == 0 {
			continue
		}
		p := float64(c) / n
		h -= p * math.Log2(p)
		counts[s[i]] = 0 // count each byte value once
	}
	return h
}

// classes counts which of upper, lower and digit occur in s.
func classes(s string) (upper, lowerc, digit bool) {
	for i := 0; i < len(s); i++ {
		c := class[s[i]]
		upper = upper || c&cUpper != 0
		lowerc = lowerc || c&cLower != 0
		digit = digit || c&cDigit != 0
	}
	return
}

// printableText reports whether b reads as text: at least minLen bytes,
// at least 90% printable ASCII, whitespace or valid multi-byte UTF-8, and
// some letters. Random bytes fail this almost surely past a dozen bytes.
func printableText(b []byte, minLen int) bool {
	if len(b) < minLen {
		return false
	}
	good, letters := 0, 0
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			good++
			if isLetter(c) {
				letters++
			}
			i++
		case c == '\n' || c == '\r' || c == '\t':
			good++
			i++
		case c >= 0x80:
			r, n := utf8.DecodeRune(b[i:])
			if r != utf8.RuneError {
				good += n
				letters++
			}
			i += n
		default:
			i++
		}
	}
	return good*10 >= len(b)*9 && letters*3 >= len(b)
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func finding(scanner string, cat guard.Category, kind string, score float64, text string, start, end int, detail string) guard.Finding {
	return guard.Finding{
		Scanner:  scanner,
		Category: cat,
		Kind:     kind,
		Score:    score,
		Start:    start,
		End:      end,
		Match:    text[start:end],
		Detail:   detail,
	}
}

// b64Run returns the end of the base64-like run starting at s[i]: base64
// or base64url characters followed by at most two '=' of padding. An '='
// inside a run is an assignment (key=value), not base64, so it ends the run.
func b64Run(s string, i int) int {
	j := i
	for j < len(s) && in(s[j], setB64|cDash|cUnder) {
		j++
	}
	for k := 0; k < 2 && j < len(s) && s[j] == '='; k++ {
		j++
	}
	return j
}

// ascii reports whether s is all ASCII, eight bytes at a time.
func ascii(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if (s[i]|s[i+1]|s[i+2]|s[i+3]|s[i+4]|s[i+5]|s[i+6]|s[i+7])&0x80 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i]&0x80 != 0 {
			return false
		}
	}
	return true
}
