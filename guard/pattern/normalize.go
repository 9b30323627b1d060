package pattern

import (
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Normalize folds the tricks people use to slip words past filters back to
// plain ASCII, for the prompt classifier to read:
//
//   - homoglyphs: Cyrillic and Greek letters that look Latin, fullwidth
//     forms, mathematical alphanumerics (bold, italic, script, fraktur,
//     double-struck, sans-serif, monospace), letterlike symbols and circled
//     letters become their ASCII letter or digit. Cyrillic and Greek are
//     folded only in words with no other letters of their script or in
//     words mixed with Latin, so Russian and Greek text is left as it is;
//   - invisible characters (tag characters, bidi controls, zero-width
//     characters, BOMs) and combining diacritics (the "Zalgo" stacks) are
//     dropped, without splitting the word they sit in;
//   - leetspeak is undone inside tokens that mix letters with the digits
//     0 1 3 4 5 7 or the symbols @ $: "1gn0r3" → "ignore", "p@ssw0rd" →
//     "password". A token is rewritten only when a leet character sits
//     between letters or leads into them, the token holds no other digit
//     and it is no ordinal, so "mp3", "ipv4", "sha1", "h264", "x86" and
//     "3rd" are left alone. '1' reads as 'l' next to another '1' ("a11ow"
//     → "allow") and as 'i' otherwise. Inside an email address '@' reads
//     as 'a' too; the classifier does not care.
//
// Case is kept. Normalize makes one pass with no regular expressions and
// returns s itself, without allocating, when there is nothing to change.
func Normalize(s string) string {
	var out []byte // nil while the output equals s[:i]
	materialize := func(i int) {
		if out == nil {
			out = append(make([]byte, 0, len(s)+8), s[:i]...)
		}
	}
	var tk normToken
	endToken := func(i int) {
		switch {
		case tk.n == 0:
		case tk.foreign > 0 && tk.native > 0 && tk.latin == 0:
			// A real Cyrillic or Greek word: undo the folds.
			out = appendClean(out[:tk.out], s[tk.in:i])
		case tk.letters >= 2 && !tk.other && (tk.inner || tk.leadLeet):
			materialize(i)
			if t := out[tk.out:]; !ordinal(t) {
				unleet(t)
			}
		}
		tk = normToken{}
	}

	for i := 0; i < len(s); {
		c := s[i]
		if tk.n == 0 && c < utf8.RuneSelf {
			// Fast path, between tokens: ASCII punctuation and spaces are
			// copied, and a token that is ASCII to its end is judged whole.
			if class[c]&setAlnum == 0 {
				if out != nil {
					out = append(out, c)
				}
				i++
				continue
			}
			if j, ok := asciiToken(s, i); ok {
				if out != nil {
					out = append(out, s[i:j]...)
				}
				if asciiLeet(s[i:j]) {
					materialize(j)
					unleet(out[len(out)-(j-i):])
				}
				i = j
				continue
			}
		}
		size := 1
		var b byte // the ASCII byte written, or 0 when the raw rune is kept
		r := rune(c)
		folded := false
		if c < utf8.RuneSelf {
			b = c
		} else {
			r, size = utf8.DecodeRuneInString(s[i:])
			if hiddenKind(r) != hidNone || (r >= 0x300 && r <= 0x36F) {
				materialize(i)
				i += size
				continue // dropped; the token goes on
			}
			if f := fold(r); f != 0 {
				materialize(i)
				b, folded = f, true
			}
		}
		letter := b != 0 && isLetter(b) || b == 0 && unicode.IsLetter(r)
		leet := !letter && b != 0 && isLeet(b, tk.n > 0)
		digit := !letter && !leet && b != 0 && isDigit(b)
		if !letter && !leet && !digit {
			endToken(i)
		} else {
			if tk.n == 0 {
				tk.in, tk.out = i, i
				if out != nil {
					tk.out = len(out)
				}
			}
			tk.add(r, letter, leet, folded)
		}
		if out != nil {
			if b != 0 {
				out = append(out, b)
			} else {
				out = append(out, s[i:i+size]...)
			}
		}
		i += size
	}
	endToken(len(s))
	if out == nil {
		return s
	}
	// out is not written again: hand it over as the string, as
	// strings.Builder does, rather than copy it.
	return unsafe.String(unsafe.SliceData(out), len(out))
}

// asciiToken returns the end of the token of letters, digits and inner
// '@' or '$' at s[i], and false when a non-ASCII character continues it
// (the slow path then handles the token rune by rune).
func asciiToken(s string, i int) (int, bool) {
	j := i
	for j < len(s) {
		c := s[j]
		if class[c]&setAlnum != 0 || (c == '@' || c == '$') && j > i {
			j++
			continue
		}
		return j, c < utf8.RuneSelf
	}
	return j, true
}

// asciiLeet applies Normalize's leet rule to an ASCII token.
func asciiLeet(tok string) bool {
	if len(tok) > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X') {
		return false // a hex literal
	}
	letters, inner, lead := 0, false, false
	prevLetter, leetRun := false, false
	for k := 0; k < len(tok); k++ {
		c := tok[k]
		switch {
		case isLetter(c):
			letters++
			inner = inner || leetRun
			lead = lead || k == 1 && isLeet(tok[0], false)
			prevLetter, leetRun = true, false
		case isLeet(c, k > 0):
			leetRun = leetRun || prevLetter
			prevLetter = false
		default:
			return false // a digit that is no leet: a number or an identifier
		}
	}
	return letters >= 2 && (inner || lead) && !ordinal([]byte(tok))
}

// normToken is what Normalize knows about the token it is in.
type normToken struct {
	out, in int // where the token starts in the output and the input
	n       int // runes so far
	letters int
	latin   int // ASCII letters and styled forms folded to them
	foreign int // Cyrillic and Greek letters folded to Latin
	native  int // other non-ASCII letters (Cyrillic that looks like nothing Latin, é, ...)

	leadLeet, inner, other bool // leet leading into letters, leet between letters, non-leet digit
	firstLeet, prevLetter  bool
	leetRun                bool // in leet characters that follow a letter
}

func (t *normToken) add(r rune, letter, leet, folded bool) {
	switch {
	case letter:
		t.letters++
		switch {
		case r < utf8.RuneSelf || folded && r >= 0x2000:
			t.latin++
		case folded:
			t.foreign++
		default:
			t.native++
		}
		if t.leetRun {
			t.inner = true // letter, leet..., letter
		}
		if t.n == 1 && t.firstLeet {
			t.leadLeet = true
		}
		t.prevLetter, t.leetRun = true, false
	case leet:
		if t.n == 0 {
			t.firstLeet = true
		}
		if t.prevLetter {
			t.leetRun = true
		}
		t.prevLetter = false
	default:
		t.other = true
		t.prevLetter, t.leetRun = false, false
	}
	t.n++
}

// ordinal reports whether t is digits followed by st, nd, rd or th.
func ordinal(t []byte) bool {
	i := 0
	for i < len(t) && isDigit(t[i]) {
		i++
	}
	if i == 0 || len(t)-i != 2 {
		return false
	}
	switch string([]byte{lower(t[i]), lower(t[i+1])}) {
	case "st", "nd", "rd", "th":
		return true
	}
	return false
}

// appendClean appends src to dst without hidden characters and combining
// marks.
func appendClean(dst []byte, src string) []byte {
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRuneInString(src[i:])
		if hiddenKind(r) == hidNone && !(r >= 0x300 && r <= 0x36F) {
			dst = append(dst, src[i:i+n]...)
		}
		i += n
	}
	return dst
}

// isLeet reports whether b stands for a letter in leetspeak. '@' and '$'
// only count inside a token: "@everyone" and "$HOME" are not leet.
func isLeet(b byte, inToken bool) bool {
	switch b {
	case '0', '1', '3', '4', '5', '7':
		return true
	case '@', '$':
		return inToken
	}
	return false
}

// unleet rewrites the leet characters of one token in place.
func unleet(t []byte) {
	for i, c := range t {
		switch c {
		case '0':
			t[i] = 'o'
		case '1':
			if i > 0 && (t[i-1] == '1' || t[i-1] == 'l') || i+1 < len(t) && t[i+1] == '1' {
				t[i] = 'l'
			} else {
				t[i] = 'i'
			}
		case '3':
			t[i] = 'e'
		case '4', '@':
			t[i] = 'a'
		case '5', '$':
			t[i] = 's'
		case '7':
			t[i] = 't'
		}
	}
}

// fold maps a look-alike rune to the ASCII letter or digit it imitates,
// or returns 0.
func fold(r rune) byte {
	switch {
	case r < 0x370:
		return 0
	case r >= 0xFF01 && r <= 0xFF5E: // fullwidth ASCII
		return byte(r - 0xFEE0)
	case r >= 0x1D400 && r <= 0x1D6A3: // mathematical letters, 52 per style
		k := (r - 0x1D400) % 52
		if k < 26 {
			return byte('A' + k)
		}
		return byte('a' + k - 26)
	case r >= 0x1D7CE && r <= 0x1D7FF: // mathematical digits, 10 per style
		return byte('0' + (r-0x1D7CE)%10)
	case r >= 0x24B6 && r <= 0x24CF: // circled capitals
		return byte('A' + r - 0x24B6)
	case r >= 0x24D0 && r <= 0x24E9: // circled small letters
		return byte('a' + r - 0x24D0)
	}
	if int(r) < len(confusables) {
		return confusables[r]
	}
	return letterlike(r)
}

// confusables maps Greek and Cyrillic letters (U+0370..U+052F) that look
// like Latin ones; the rest are 0.
var confusables = func() (t [0x530]byte) {
	pairs := []struct {
		from string
		to   string
	}{
		// Greek capitals and small letters.
		{"ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX"},
		{"αεικνορτυχω", "aeikvoptuxw"},
		// Cyrillic capitals and small letters.
		{"АВЕЅІЈКМНОРСТХУ", "ABESIJKMHOPCTXY"},
		{"аеѕіјорсхуԁԛԝһӏ", "aesijopcxydqwhl"},
	}
	for _, p := range pairs {
		from := []rune(p.from)
		for i, r := range from {
			t[r] = p.to[i]
		}
	}
	return t
}()

// letterlike maps the Letterlike Symbols block's stand-ins for letters
// (used by the mathematical alphabets for their gaps).
func letterlike(r rune) byte {
	switch r {
	case 'ℂ':
		return 'C'
	case 'ℊ':
		return 'g'
	case 'ℋ', 'ℌ', 'ℍ':
		return 'H'
	case 'ℎ':
		return 'h'
	case 'ℐ', 'ℑ':
		return 'I'
	case 'ℒ':
		return 'L'
	case 'ℓ':
		return 'l'
	case 'ℕ':
		return 'N'
	case 'ℙ':
		return 'P'
	case 'ℚ':
		return 'Q'
	case 'ℛ', 'ℜ', 'ℝ':
		return 'R'
	case 'ℤ':
		return 'Z'
	case 'ℬ':
		return 'B'
	case 'ℭ':
		return 'C'
	case 'ℯ':
		return 'e'
	case 'ℰ':
		return 'E'
	case 'ℱ':
		return 'F'
	case 'ℳ':
		return 'M'
	case 'ℴ':
		return 'o'
	}
	return 0
}
