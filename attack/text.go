package attack

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// MITRE writes descriptions in Markdown with citations to its references;
// answers read better, and cost fewer tokens, as plain text.
var (
	citation     = regexp.MustCompile(`\(Citation:[^)]*\)`)
	markdownLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	htmlTag      = regexp.MustCompile(`</?[a-zA-Z]+[^>]*>`)
	space        = regexp.MustCompile(`\s+`)
)

// plainText strips citations, links and markup from MITRE's text, joins it
// into one line and bounds it to limit bytes.
func plainText(s string, limit int) string {
	if s == "" {
		return ""
	}
	s = citation.ReplaceAllString(s, "")
	s = markdownLink.ReplaceAllString(s, "$1")
	s = htmlTag.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "`", "")
	s = strings.TrimSpace(space.ReplaceAllString(s, " "))
	return truncate(s, limit)
}

// firstParagraph returns the first paragraph of s as plain text.
func firstParagraph(s string, limit int) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	return plainText(s, limit)
}

// sentences returns the first n sentences of s as plain text, at most
// limit bytes.
func sentences(s string, n, limit int) string {
	s = plainText(s, 4*limit)
	end, count := 0, 0
	for i := 0; i < len(s) && count < n; i++ {
		if (s[i] == '.' || s[i] == '!' || s[i] == '?') && (i+1 == len(s) || s[i+1] == ' ') && !abbreviation(s[:i]) {
			end, count = i+1, count+1
		}
	}
	if count == n {
		s = s[:end]
	}
	return truncate(s, limit)
}

// abbreviation reports whether the text before a period ends with one of
// the abbreviations MITRE's text uses, which end no sentence.
func abbreviation(before string) bool {
	for _, a := range []string{"e.g", "i.e", "etc", "vs", "ex", "approx"} {
		if strings.HasSuffix(strings.ToLower(before), a) {
			return true
		}
	}
	return false
}

// truncate bounds s to limit bytes, cutting at a word boundary with an
// ellipsis and never inside a UTF-8 sequence.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := max(limit-len("…"), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if i := strings.LastIndexByte(s[:cut], ' '); i > cut/2 {
		cut = i
	}
	return strings.TrimRight(s[:cut], " ,;:") + "…"
}
