package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Case-insensitive matching without allocating: patterns are folded once at
// compile time into units, and event text is folded one character at a time
// while it is compared, instead of lower-casing each value into a new string.
//
// A unit is a folded rune, or, for a byte that is not valid UTF-8, a
// negative code of its own, so that broken text still matches itself byte
// for byte and never matches a wildcard-free pattern by accident.

type unit = int32

const (
	uStar unit = -1 // * in a glob
	uOne  unit = -2 // ? in a glob
	// uBad is the base of the codes for invalid bytes: uBad - b.
	uBad unit = -0x100
)

// asciiFold maps each ASCII byte to its unit.
var asciiFold = func() (t [utf8.RuneSelf]unit) {
	for c := range t {
		t[c] = unit(c)
		if 'A' <= c && c <= 'Z' {
			t[c] += 'a' - 'A'
		}
	}
	return t
}()

// foldRune lower-cases r. The long s (ſ) becomes s, as the Sigma engine
// folds it, so that "POWERſHELL" cannot slip past a search for powershell.
func foldRune(r rune) rune {
	if r == 'ſ' {
		return 's'
	}
	return unicode.ToLower(r)
}

// unitAt returns the unit at s[i] and its length in bytes. The ASCII path
// is small enough to be inlined into the loops below.
func unitAt(s string, i int) (unit, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiFold[c], 1
	}
	return wideUnitAt(s, i)
}

func wideUnitAt(s string, i int) (unit, int) {
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n == 1 {
		return uBad - unit(s[i]), 1
	}
	return foldRune(r), n
}

// unitBefore returns the unit that ends at s[end-1] and its length.
func unitBefore(s string, end int) (unit, int) {
	if c := s[end-1]; c < utf8.RuneSelf {
		return asciiFold[c], 1
	}
	r, n := utf8.DecodeLastRuneInString(s[:end])
	if r == utf8.RuneError && n == 1 {
		return uBad - unit(s[end-1]), 1
	}
	return foldRune(r), n
}

// foldUnits returns the units of s.
func foldUnits(s string) []unit {
	out := make([]unit, 0, len(s))
	for i := 0; i < len(s); {
		u, n := unitAt(s, i)
		out = append(out, u)
		i += n
	}
	return out
}

// prefixLen returns how many bytes of s the literal units p cover when s
// starts with them, or -1.
func prefixLen(s string, p []unit) int {
	i := 0
	for _, u := range p {
		if i >= len(s) {
			return -1
		}
		v, n := unitAt(s, i)
		if v != u {
			return -1
		}
		i += n
	}
	return i
}

// hasSuffix reports whether s ends with the literal units p. It walks
// backwards because a folded character and its source may differ in length
// (the Kelvin sign is three bytes, k one).
func hasSuffix(s string, p []unit) bool {
	end := len(s)
	for k := len(p) - 1; k >= 0; k-- {
		if end == 0 {
			return false
		}
		v, n := unitBefore(s, end)
		if v != p[k] {
			return false
		}
		end -= n
	}
	return true
}

// asciiOnlyFolds reports whether every character that folds to the ASCII
// byte c is ASCII: all but i (from İ), k (from the Kelvin sign) and s (from
// ſ). Only then can a substring search skip ahead with IndexByte.
func asciiOnlyFolds(c unit) bool {
	return c >= 0 && c < utf8.RuneSelf && c != 'i' && c != 'k' && c != 's'
}

// contains reports whether s contains the literal units p. With first set
// (p starts with an ASCII unit whose only sources are lo and up), candidate
// starts are found with IndexByte, which is vectorised; otherwise every
// character boundary is tried.
func contains(s string, p []unit, lo, up byte, first bool) bool {
	last := len(s) - len(p) // a unit takes at least one byte
	if !first {
		for i := 0; i <= last; {
			if prefixLen(s[i:], p) >= 0 {
				return true
			}
			_, n := unitAt(s, i)
			i += n
		}
		return false
	}
	// nextLo and nextUp cache the next position of each byte at or after
	// i, so that a byte that is rare in s is not searched for again and
	// again.
	nextLo, nextUp := -1, -1
	for i := 0; i <= last; {
		if nextLo < i {
			nextLo = indexFrom(s, i, lo)
		}
		if nextUp < i {
			nextUp = nextLo
			if up != lo {
				nextUp = indexFrom(s, i, up)
			}
		}
		c := min(nextLo, nextUp)
		if c > last {
			return false
		}
		if prefixLen(s[c:], p) >= 0 {
			return true
		}
		i = c + 1 // c holds an ASCII byte, so c+1 starts a character
	}
	return false
}

// indexFrom returns the index of b in s at or after i, or len(s).
func indexFrom(s string, i int, b byte) int {
	if j := strings.IndexByte(s[i:], b); j >= 0 {
		return i + j
	}
	return len(s)
}

// glob matches s against units with uStar and uOne, backtracking to the
// last star on a mismatch: linear for the usual patterns, and at worst
// len(s) times len(p), never exponential.
func glob(s string, p []unit) bool {
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch u := p[pi]; u {
			case uStar:
				starP, starS = pi, si
				pi++
				continue
			case uOne:
				_, n := unitAt(s, si)
				si += n
				pi++
				continue
			default:
				if v, n := unitAt(s, si); v == u {
					si += n
					pi++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, n := unitAt(s, starS)
		starS += n
		si, pi = starS, starP+1
	}
	for pi < len(p) && p[pi] == uStar {
		pi++
	}
	return pi == len(p)
}

// compareFold compares s with the literal units p in folded order.
func compareFold(s string, p []unit) int {
	i := 0
	for _, u := range p {
		if i >= len(s) {
			return -1
		}
		v, n := unitAt(s, i)
		if v != u {
			if v < u {
				return -1
			}
			return 1
		}
		i += n
	}
	if i < len(s) {
		return 1
	}
	return 0
}
