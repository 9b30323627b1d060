package grammar

import "strings"

// special are the characters a backslash makes literal in an unquoted
// value (docs/search.md, Quoting and escaping).
const special = " \t\r\n()\"*?\\"

// startSpecial mean something at the start of a word only.
const startSpecial = "><[{/-="

// escapeValue writes s as an unquoted value between the wildcards prefix
// and suffix ("" or "*"), so that wildcards still work around a value with
// spaces or parentheses (a quoted value has none). A backslash is doubled
// only where the next character would otherwise be escaped by it, so that
// Windows paths stay readable: C:\Users\Public\\* is the folder's files.
func escapeValue(s, prefix, suffix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			next := byte(0)
			if i+1 < len(s) {
				next = s[i+1]
			} else if suffix != "" {
				next = suffix[0]
			}
			if next != 0 && strings.IndexByte(special, next) >= 0 {
				b.WriteString(`\\`)
			} else if next == 0 {
				b.WriteString(`\\`) // a trailing backslash would escape the space after it
			} else {
				b.WriteByte('\\')
			}
		case strings.IndexByte(special, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		case i == 0 && prefix == "" && strings.IndexByte(startSpecial, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString(suffix)
	return b.String()
}
