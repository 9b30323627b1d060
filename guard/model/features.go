package model

import (
	"unicode"
	"unicode/utf8"
)

// The features are hashed n-grams of the normalised text: words, word pairs
// and character n-grams of words. Character n-grams carry the model across
// languages, misspellings and leetspeak that survives normalisation; word
// pairs carry phrasing ("ignore previous", "developer mode"). Every feature
// instance has a byte position so that windows of a long text can be scored
// from one pass (see Model.scoreWindows).

// feature is one hashed feature instance at a position in the text.
type feature struct {
	index uint32 // bucket in [0, buckets)
	pos   int32  // byte offset of the word it came from
	// dep is the byte offset of the earliest word the feature depends on:
	// its own word, the word before for a word pair, the earlier word of
	// a concept pair. A feature with dep at or after a unit's start is one
	// that featurizing the unit alone would give (see scoreDocument).
	dep int32
}

// Feature kinds are mixed into the hash so a word and a character n-gram
// with the same bytes do not share a bucket on purpose.
const (
	seedWord   uint64 = 0x9e3779b97f4a7c15
	seedPair   uint64 = 0xc2b2ae3d27d4eb4f
	seedChar   uint64 = 0x165667b19e3779f9
	charGramN         = 4 // runes per character n-gram, boundaries included
	maxWordLen        = 40
)

// mix is a 64-bit finaliser (from SplitMix64): cheap and well distributed,
// and stable across processes and versions, unlike hash/maphash.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// wordHash is the hash featurize gives a word; the phrase rules look words
// up by it.
func wordHash(w string) uint64 {
	h := seedWord
	for _, r := range w {
		h = mix(h ^ uint64(unicode.ToLower(r)))
	}
	return h
}

// featurize appends the feature instances of text (already normalised) to
// dst, and each word's hash to words, and returns both. buckets must be a
// power of two.
func featurize(dst []feature, words []uint64, text string, buckets uint32) ([]feature, []uint64) {
	mask := uint64(buckets - 1)
	var prev uint64 // hash of the previous word, 0 at the start
	var prevPos int32
	var cw conceptWindow
	var runes [maxWordLen + 2]rune
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			i += size
			continue
		}
		start := i
		n := 0
		runes[n] = ' '
		n++
		var wh uint64 = seedWord
		wide := false // Hangul, kana, CJK or Thai: see wideConcepts
		for i < len(text) {
			if c := text[i]; c < utf8.RuneSelf { // ASCII: no decoding, no tables
				if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
					break
				}
				if c <= 'Z' && c >= 'A' {
					c += 'a' - 'A'
				}
				r = rune(c)
				i++
			} else {
				r, size = utf8.DecodeRuneInString(text[i:])
				if !isWordRune(r) {
					break
				}
				i += size
				r = unicode.ToLower(r)
				wide = wide || r >= 0x1100 || r >= 0x0e00 && r < 0x0e80 // Thai too
			}
			wh = mix(wh ^ uint64(r))
			if n <= maxWordLen {
				runes[n] = r
				n++
			}
			// Scripts without spaces between words (Chinese, Japanese,
			// Thai) would make one endless word: cut them into short
			// pieces so the character n-grams still see them.
			if n > maxWordLen {
				break
			}
		}
		runes[n] = ' '
		n++
		pos := int32(start)
		words = append(words, wh)
		dst = append(dst, feature{uint32(wh & mask), pos, pos})
		if prev != 0 {
			dst = append(dst, feature{uint32(mix(seedPair^prev^(wh<<1)) & mask), pos, prevPos})
		}
		prev, prevPos = wh, pos
		if c := concepts[wh]; c != conceptNone {
			dst = cw.add(dst, c, len(words)-1, pos, mask)
		} else if wide {
			dst = cw.addWide(dst, text[start:i], len(words)-1, pos, mask)
		}
		if n-2 <= 2 {
			continue // a word of one or two letters is fully described by itself
		}
		for j := 0; j+charGramN <= n; j++ {
			g := runes[j : j+charGramN]
			h := seedChar ^ uint64(g[0])<<48 ^ uint64(g[1])<<32 ^ uint64(g[2])<<16 ^ uint64(g[3])
			h ^= uint64(g[0]) >> 16 << 40 // keep the high bits of wide runes
			dst = append(dst, feature{uint32(mix(h) & mask), pos, pos})
		}
	}
	return dst, words
}

// isWordRune reports whether r belongs inside a word: letters, digits and
// the combining marks that vowel signs of Indic scripts are (Hindi "बिना"
// is four runes, two of them marks), so such words are not cut apart.
func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc))
}
