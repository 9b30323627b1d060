package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/guard"
)

// ObfuscationName is the name of the obfuscation scanner.
const ObfuscationName = "obfuscation"

// Limits that keep decoding bounded whatever the input: encoded runs are
// at least minEncoded bytes (shorter ones decode to a few bytes, too short
// to carry an instruction and too easily hit by chance); at most maxRuns
// runs and maxDecoded decoded bytes are kept per text; payloads are decoded
// again at most maxDepth levels deep.
const (
	minEncoded = 16
	maxRuns    = 32
	maxDecoded = 64 << 10
	maxRunRead = 32 << 10 // encoded bytes decoded from one run
	maxDepth   = 2
)

// Obfuscation finds text hidden by encoding or disguise: base64, hex,
// binary and Morse runs that decode to readable text, and words that mix scripts (Latin
// letters with Cyrillic or Greek look-alikes) or are spelled in look-alike
// letters. Inner scanners, if any, are run over each decoded payload.
type Obfuscation struct {
	inner []guard.Scanner
}

// NewObfuscation returns the obfuscation scanner. Each decoded payload is
// rescanned by the inner scanners (and for nested encodings by this one,
// up to two levels); what they find is reported again with its Kind
// prefixed "decoded_" and the span of the encoded run, so a base64 API key
// is redacted like a plain one.
func NewObfuscation(inner ...guard.Scanner) *Obfuscation {
	return &Obfuscation{inner: inner}
}

// Name implements guard.Scanner.
func (*Obfuscation) Name() string { return ObfuscationName }

// Scan implements guard.Scanner.
func (o *Obfuscation) Scan(seg guard.Segment) []guard.Finding {
	return o.scan(seg, 1)
}

func (o *Obfuscation) scan(seg guard.Segment, depth int) []guard.Finding {
	t := seg.Text
	runs := append(encodedRuns(t), spacedRuns(t)...)
	fs := mixedScript(t)
	for _, r := range runs {
		fs = append(fs, finding(ObfuscationName, guard.Obfuscation, r.kind, 0.6, t, r.start, r.end,
			fmt.Sprintf("%s run decodes to %d bytes of text", strings.TrimSuffix(r.kind, "_text"), len(r.decoded))))
		sub := guard.Segment{Role: seg.Role, Where: seg.Where, Text: r.decoded}
		for _, s := range o.inner {
			for _, f := range s.Scan(sub) {
				fs = append(fs, redecoded(t, r, s.Name(), f))
			}
		}
		if depth < maxDepth {
			for _, f := range o.scan(sub, depth+1) {
				fs = append(fs, redecoded(t, r, ObfuscationName, f))
			}
		}
	}
	return fs
}

// redecoded re-reports a finding made inside a decoded payload against the
// encoded run it came from. Match stays the decoded match, which is what
// an allow-list entry names.
func redecoded(t string, r encoded, scanner string, f guard.Finding) guard.Finding {
	kind := f.Kind
	if !strings.HasPrefix(kind, "decoded_") {
		kind = "decoded_" + kind
	}
	f.Scanner = ObfuscationName + "/" + strings.TrimPrefix(scanner, ObfuscationName+"/")
	f.Kind = kind
	f.Start, f.End = r.start, r.end
	f.Detail = "inside " + strings.TrimSuffix(r.kind, "_text") + ": " + f.Detail
	if f.Match == "" {
		f.Match = t[r.start:r.end]
	}
	return f
}

// Decoded returns the text payloads of the base64, hex, binary and Morse
// runs in s, and of base64 and hex runs nested inside those, for scanners
// (the prompt classifier) that want to read what the encoding hides.
func Decoded(s string) []string {
	var out []string
	for _, r := range append(encodedRuns(s), spacedRuns(s)...) {
		out = append(out, r.decoded)
		for _, n := range encodedRuns(r.decoded) {
			out = append(out, n.decoded)
		}
	}
	return out
}

type encoded struct {
	start, end int
	kind       string // base64_text or hex_text
	decoded    string
}

// encodedRuns finds runs of base64 (either alphabet, padded or not) or hex
// of at least minEncoded bytes that decode to text. A JSON Web Token's
// segments are base64 of JSON but are the secrets scanner's business.
func encodedRuns(s string) []encoded {
	var runs []encoded
	total := 0
	for i := 0; i < len(s) && len(runs) < maxRuns && total < maxDecoded; {
		if !in(s[i], setB64|cDash|cUnder) {
			i++
			continue
		}
		start := i
		i = b64Run(s, i)
		tok := s[start:i]
		if len(tok) < minEncoded || (strings.HasPrefix(tok, "eyJ") && (i < len(s) && s[i] == '.' || start > 0 && s[start-1] == '.')) {
			continue
		}
		kind, text := decodeRun(tok)
		if text == "" {
			continue
		}
		text = truncate(text, maxDecoded-total)
		total += len(text)
		runs = append(runs, encoded{start: start, end: i, kind: kind, decoded: text})
	}
	return runs
}

// decodeRun decodes a candidate run as hex or base64 and returns the text
// if it reads as text.
func decodeRun(tok string) (kind, text string) {
	if len(tok) > maxRunRead {
		tok = tok[:maxRunRead]
	}
	if len(tok)%2 == 0 && run(tok, 0, setHexAny, len(tok)) == len(tok) {
		b, err := hex.DecodeString(tok)
		if err == nil && printableText(b, 8) {
			return "hex_text", string(b)
		}
		return "", ""
	}
	raw := strings.TrimRight(tok, "=")
	std := strings.ContainsAny(raw, "+/")
	url := strings.ContainsAny(raw, "-_")
	if std && url {
		// A standard-alphabet payload glued to the "--" that closes the
		// HTML comment hiding it: the dashes are not part of it.
		raw = strings.TrimRight(strings.TrimRight(raw, "-_"), "=")
		if strings.ContainsAny(raw, "-_") {
			return "", ""
		}
		url = false
	}
	enc := base64.RawStdEncoding
	if url {
		enc = base64.RawURLEncoding
	}
	if len(tok) == maxRunRead {
		raw = raw[:len(raw)/4*4]
	}
	if len(raw)%4 == 1 {
		raw = raw[:len(raw)-1]
	}
	b, err := enc.DecodeString(raw)
	if err != nil || !printableText(b, 12) {
		return "", ""
	}
	return "base64_text", string(b)
}

// Scripts of letters, for mixed-script words.
const (
	scriptLatin = 1 << iota
	scriptCyrillic
	scriptGreek
	scriptStyled // fullwidth, mathematical, circled and letterlike forms
	scriptOther
)

// mixedScript reports words whose letters come from Latin and from Greek
// or Cyrillic look-alikes ("pаypal" with a Cyrillic а), words spelled in
// styled letters (mathematical bold and the like), and words spelled
// entirely in look-alikes in a text that is otherwise Latin. Pure ASCII
// text costs one compare per byte.
func mixedScript(t string) []guard.Finding {
	if ascii(t) {
		return nil
	}
	var fs []guard.Finding
	var lookalike []int // start/end pairs of words wholly in look-alikes
	latinWords, foreignWords := 0, 0
	start, scripts, letters, folds := -1, 0, 0, 0
	flush := func(end int) {
		// Past maxRuns findings the text is plainly obfuscated; more
		// findings would only cost memory.
		if start >= 0 && letters >= 2 && len(fs) < maxRuns {
			switch {
			case scripts&scriptLatin != 0 && scripts&(scriptCyrillic|scriptGreek) != 0 && folds > 0:
				fs = append(fs, finding(ObfuscationName, guard.Obfuscation, "mixed_script", 0.7, t, start, end,
					fmt.Sprintf("word mixes Latin with Cyrillic or Greek look-alikes; reads as %q", truncate(Normalize(t[start:end]), 60))))
			case scripts == scriptStyled && letters >= 3:
				fs = append(fs, finding(ObfuscationName, guard.Obfuscation, "styled_letters", 0.55, t, start, end,
					fmt.Sprintf("word in styled Unicode letters; reads as %q", truncate(Normalize(t[start:end]), 60))))
			case scripts&(scriptCyrillic|scriptGreek) != 0 && scripts&^(scriptCyrillic|scriptGreek) == 0 && folds == letters && letters >= 3:
				if len(lookalike) < 32 {
					lookalike = append(lookalike, start, end)
				}
			}
			if scripts == scriptLatin {
				latinWords++
			} else if scripts&(scriptCyrillic|scriptGreek) != 0 {
				foreignWords++
			}
		}
		start, scripts, letters, folds = -1, 0, 0, 0
	}
	for i := 0; i < len(t); {
		c := t[i]
		if c < utf8.RuneSelf {
			if isLetter(c) {
				if start < 0 {
					start = i
				}
				scripts |= scriptLatin
				letters++
			} else {
				flush(i)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(t[i:])
		if hiddenKind(r) != hidNone {
			i += n // invisible characters do not split a word
			continue
		}
		sc := runeScript(r)
		if sc == 0 {
			flush(i)
			i += n
			continue
		}
		if start < 0 {
			start = i
		}
		scripts |= sc
		letters++
		if sc != scriptLatin && sc != scriptOther && fold(r) != 0 {
			folds++
		}
		i += n
	}
	flush(len(t))
	// Whole look-alike words only stand out in Latin text; in Russian or
	// Greek text they are just words.
	if latinWords >= 3*foreignWords {
		for k := 0; k+1 < len(lookalike); k += 2 {
			s, e := lookalike[k], lookalike[k+1]
			fs = append(fs, finding(ObfuscationName, guard.Obfuscation, "lookalike_word", 0.7, t, s, e,
				fmt.Sprintf("Latin-looking word spelled in Cyrillic or Greek letters; reads as %q", truncate(Normalize(t[s:e]), 60))))
		}
	}
	return fs
}

// runeScript classifies a non-ASCII rune, or returns 0 if it is not a
// letter (digits in styled forms count as styled letters).
func runeScript(r rune) int {
	switch {
	case r >= 0x370 && r <= 0x3FF:
		return scriptGreek
	case r >= 0x400 && r <= 0x52F:
		return scriptCyrillic
	case fold(r) != 0:
		return scriptStyled
	case unicode.Is(unicode.Latin, r):
		return scriptLatin
	case unicode.IsLetter(r) || unicode.IsMark(r):
		return scriptOther
	}
	return 0
}
