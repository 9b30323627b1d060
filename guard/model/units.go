package model

import (
	"strings"
	"unicode"
)

// Documents are scored by the document model sentence by sentence (a line
// of a table or of code counts as one): an instruction planted in an email
// is a sentence or two among many ordinary ones, and in a window of a few
// hundred bytes the ordinary ones outweigh it. The document model is
// trained on the same units.

const (
	// minUnitBytes: shorter pieces ("Hi Sam,", "| 12 |") join the next,
	// so a unit has words enough to be judged.
	minUnitBytes = 40
	// maxUnitBytes: a longer run without a sentence end (a minified page,
	// a paragraph with no full stops) is cut at a space near this length.
	maxUnitBytes = 400
)

// Units splits a document into the units the document model scores:
// sentences and lines of the normalised text, short ones joined to the
// next, long ones cut. In order, they cover the whole text.
func Units(text string) []string {
	var out []string
	forEachUnit(Normalize(text), func(u string, _ int) { out = append(out, u) })
	return out
}

// forEachUnit calls f with each unit of text and its byte offset in text.
func forEachUnit(text string, f func(u string, at int)) {
	start := 0
	emit := func(end int) {
		raw := text[start:end]
		left := strings.TrimLeftFunc(raw, unicode.IsSpace)
		if u := strings.TrimRightFunc(left, unicode.IsSpace); u != "" {
			f(u, start+len(raw)-len(left))
		}
		start = end
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		end := -1
		switch {
		case c == '\n':
			end = i + 1
		case (c == '.' || c == '?' || c == '!' || c == ';') && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n'):
			end = i + 1
		case i-start >= maxUnitBytes && c == ' ':
			end = i + 1
		case i-start >= 2*maxUnitBytes:
			// No space for a long while (Chinese, Japanese, a blob):
			// cut at the next rune start.
			if c < 0x80 || c >= 0xC0 {
				end = i
			}
		}
		if end > start && (end-start >= minUnitBytes || c == '\n' && i > 0 && text[i-1] == '\n') {
			emit(end)
		}
	}
	emit(len(text))
}
