package pattern

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/guard"
)

// HiddenName is the name of the hidden-text scanner.
const HiddenName = "hidden_text"

// Hidden finds text a person cannot see but a model reads: Unicode tag
// characters (which spell ASCII invisibly), bidirectional controls (which
// reorder what is displayed) and zero-width characters.
type Hidden struct{}

// NewHidden returns the hidden-text scanner.
func NewHidden() *Hidden { return &Hidden{} }

// Name implements guard.Scanner.
func (*Hidden) Name() string { return HiddenName }

// Kinds of invisible characters.
const (
	hidNone = iota
	hidTag
	hidBidi
	hidZero
)

// hiddenKind classifies r. Zero-width joiners and non-joiners are
// legitimate inside emoji sequences and Indic or Arabic words, so they are
// zero-width here but judged in context by the scanner.
func hiddenKind(r rune) int {
	switch {
	case r >= 0xE0000 && r <= 0xE007F:
		return hidTag
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return hidBidi
	case r >= 0x200B && r <= 0x200D, r >= 0x2060 && r <= 0x2064, r == 0xFEFF, r == 0x180E:
		return hidZero
	}
	return hidNone
}

// Scan implements guard.Scanner. ASCII bytes are skipped with one compare
// each; only multi-byte characters are decoded. Each finding spans a whole
// run of invisible characters of one kind, so redaction removes the run.
func (h *Hidden) Scan(seg guard.Segment) []guard.Finding {
	t := seg.Text
	if !mayHide(t) {
		return nil
	}
	var fs []guard.Finding
	for i := 0; i < len(t); {
		if t[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(t[i:])
		k := hiddenKind(r)
		if k == hidNone || (r == 0xFEFF && i == 0) { // a leading BOM is an encoding mark
			i += n
			continue
		}
		start, count := i, 0
		var decoded strings.Builder
		overrides := false
		for i < len(t) {
			r, n := utf8.DecodeRuneInString(t[i:])
			if hiddenKind(r) != k {
				break
			}
			count++
			if k == hidTag && r >= 0xE0020 && r <= 0xE007E && decoded.Len() < 256 {
				decoded.WriteByte(byte(r - 0xE0000))
			}
			if r == 0x202D || r == 0x202E {
				overrides = true
			}
			i += n
		}
		if f, ok := hiddenFinding(t, k, start, i, count, decoded.String(), overrides); ok {
			fs = append(fs, f)
		}
	}
	return fs
}

func hiddenFinding(t string, k, start, end, count int, decoded string, overrides bool) (guard.Finding, bool) {
	switch k {
	case hidTag:
		if emojiFlagTags(t, start, decoded) {
			return guard.Finding{}, false
		}
		detail := fmt.Sprintf("%d invisible tag characters", count)
		if decoded != "" {
			detail += fmt.Sprintf(" spelling %q", truncate(decoded, 120))
		}
		return finding(HiddenName, guard.HiddenText, "tag_characters", 0.95, t, start, end, detail), true
	case hidBidi:
		score, detail := 0.7, fmt.Sprintf("%d bidirectional control characters", count)
		if overrides {
			score, detail = 0.9, fmt.Sprintf("%d bidirectional override characters (text displays in a different order than it reads)", count)
		}
		return finding(HiddenName, guard.HiddenText, "bidi_control", score, t, start, end, detail), true
	}
	// Zero-width: a run of several is hiding something (or encoding bits);
	// a single one counts only when it splits a word, the trick used to
	// slip "ig\u200bnore" past keyword filters.
	score := 0.8
	switch {
	case count >= 8:
		score = 0.95
	case count == 1:
		if start == 0 || end >= len(t) || !isAlnum(t[start-1]) || !isAlnum(t[end]) {
			return guard.Finding{}, false
		}
		score = 0.7
	}
	return finding(HiddenName, guard.HiddenText, "zero_width", score, t, start, end,
		fmt.Sprintf("%d zero-width characters", count)), true
}

// mayHide reports whether t holds a lead byte of any invisible character
// (E1 for U+180E, E2 for U+2000..U+2FFF, EF for U+FEFF, F3 for the tags).
// IndexByte is vectorised, so clean text costs a few fast passes.
func mayHide(t string) bool {
	return strings.IndexByte(t, 0xE2) >= 0 || strings.IndexByte(t, 0xF3) >= 0 ||
		strings.IndexByte(t, 0xEF) >= 0 || strings.IndexByte(t, 0xE1) >= 0
}

// emojiFlagTags reports whether a tag run is the tail of a subdivision flag
// emoji (black flag U+1F3F4, a region code such as "gbsct" in tags, then
// CANCEL TAG), which is ordinary text.
func emojiFlagTags(t string, start int, decoded string) bool {
	if start < 4 || t[start-4:start] != "\U0001F3F4" || len(decoded) < 2 || len(decoded) > 7 {
		return false
	}
	for i := 0; i < len(decoded); i++ {
		if !in(decoded[i], setLowerNum) {
			return false
		}
	}
	return true
}
