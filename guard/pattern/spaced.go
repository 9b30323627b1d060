package pattern

import "strings"

// Encodings written as spaced symbols rather than one run: binary octets
// ("01001001 01100111 ...") and Morse code (".. --. -. --- .-. ."). Both
// are stock ways to slip an instruction past a filter that reads words,
// and neither is base64 or hex, which encodedRuns covers.

// minSpacedBytes is the shortest decoded payload kept: shorter ones are
// too short to carry an instruction and too easily hit by chance (a
// Morse "SOS", a bit mask in a log line).
const minSpacedBytes = 10

// spacedRuns finds binary and Morse runs that decode to text.
func spacedRuns(s string) []encoded {
	var runs []encoded
	total := 0
	for i := 0; i < len(s) && len(runs) < maxRuns && total < maxDecoded; i++ {
		c := s[i]
		if c != '0' && c != '1' && c != '.' && c != '-' || i > 0 && !isSpacedBoundary(s[i-1]) {
			continue
		}
		var end int
		var kind, text string
		if c == '0' || c == '1' {
			end, text = binaryRun(s, i)
			kind = "binary_text"
		} else {
			end, text = morseRun(s, i)
			kind = "morse_text"
		}
		if text == "" {
			// A run that does not decode has no suffix that would (fewer
			// letters, the same alphabet): skip it whole, so a long line
			// of dashes costs one pass, not one per dash.
			i = max(i, end-1)
			continue
		}
		text = truncate(text, maxDecoded-total)
		total += len(text)
		runs = append(runs, encoded{start: i, end: end, kind: kind, decoded: text})
		i = end - 1
	}
	return runs
}

// isSpacedBoundary reports whether a run may start after byte b.
func isSpacedBoundary(b byte) bool {
	return b == ' ' || b == '\n' || b == '\t' || b == '"' || b == '\'' || b == ':' || b == '(' || b == '[' || b == '`'
}

// binaryRun reads octets of '0' and '1', each followed by at most one
// space, from s[i:], and returns where the run ends and its text, or "" when it
// is too short or does not read as text.
func binaryRun(s string, i int) (int, string) {
	var b []byte
	end := i
	for j := i; j+8 <= len(s) && len(b) < maxRunRead/8; {
		var v byte
		k := 0
		for ; k < 8 && (s[j+k] == '0' || s[j+k] == '1'); k++ {
			v = v<<1 | (s[j+k] - '0')
		}
		if k < 8 {
			break
		}
		b = append(b, v)
		j += 8
		end = j
		if j < len(s) && s[j] == ' ' {
			j++
		}
	}
	if len(b) < minSpacedBytes || !printableText(b, minSpacedBytes) {
		return end, ""
	}
	return end, string(b)
}

// morse maps Morse codes to the characters they stand for.
var morse = func() map[string]byte {
	codes := map[byte]string{
		'a': ".-", 'b': "-...", 'c': "-.-.", 'd': "-..", 'e': ".", 'f': "..-.", 'g': "--.", 'h': "....",
		'i': "..", 'j': ".---", 'k': "-.-", 'l': ".-..", 'm': "--", 'n': "-.", 'o': "---", 'p': ".--.",
		'q': "--.-", 'r': ".-.", 's': "...", 't': "-", 'u': "..-", 'v': "...-", 'w': ".--", 'x': "-..-",
		'y': "-.--", 'z': "--..",
		'0': "-----", '1': ".----", '2': "..---", '3': "...--", '4': "....-", '5': ".....",
		'6': "-....", '7': "--...", '8': "---..", '9': "----.",
		'.': ".-.-.-", ',': "--..--", '?': "..--..", '!': "-.-.--", '\'': ".----.", ':': "---...", '/': "-..-.",
	}
	m := make(map[string]byte, len(codes))
	for c, code := range codes {
		m[code] = c
	}
	return m
}()

// morseRun reads Morse letters separated by spaces, with "/" or "|" (or
// a run of spaces) between words, from s[i:], and returns where the run
// ends and its text, or "" when it is too short or is only dashes or
// only dots (rules, ellipses).
func morseRun(s string, i int) (int, string) {
	var out strings.Builder
	letters, dots, dashes := 0, 0, 0
	end := i
	for j := i; j < len(s) && out.Len() < maxRunRead; {
		k := j
		for k < len(s) && (s[k] == '.' || s[k] == '-') {
			k++
		}
		c, ok := morse[s[j:k]]
		if k == j || !ok {
			break
		}
		dots += strings.Count(s[j:k], ".")
		dashes += strings.Count(s[j:k], "-")
		out.WriteByte(c)
		letters++
		end = k
		// Separators: one space between letters; a slash, bar or more
		// spaces between words.
		sp := k
		for sp < len(s) && s[sp] == ' ' {
			sp++
		}
		word := sp-k > 1
		if sp < len(s) && (s[sp] == '/' || s[sp] == '|') {
			word = true
			sp++
			for sp < len(s) && s[sp] == ' ' {
				sp++
			}
		}
		if sp == k || sp >= len(s) || (s[sp] != '.' && s[sp] != '-') {
			break
		}
		if word {
			out.WriteByte(' ')
		}
		j = sp
	}
	if letters < minSpacedBytes || dots == 0 || dashes == 0 {
		return end, ""
	}
	return end, out.String()
}
