package pattern

import (
	"encoding/base64"
	"slices"
	"strings"

	"github.com/bulwarkhq/bulwark/guard"
)

// SecretsName is the name of the secrets scanner.
const SecretsName = "secrets"

// Secrets finds credentials: tokens with known prefixes, private keys,
// passwords in URLs and assignments, and high-entropy strings.
type Secrets struct{}

// NewSecrets returns the secrets scanner.
func NewSecrets() *Secrets { return &Secrets{} }

// Name implements guard.Scanner.
func (*Secrets) Name() string { return SecretsName }

// Scan implements guard.Scanner. One pass looks at each byte once: a
// token rule is tried only at a word start whose byte begins some rule, an
// assignment only at '=' or ':', a private key only at '-'. After a match
// the pass resumes behind it, so no byte is matched twice.
func (s *Secrets) Scan(seg guard.Segment) []guard.Finding {
	t := seg.Text
	var fs, skips []guard.Finding
	var ahead nextIndex // next "-----END " and "Private-MAC:", searched once
	add := func(kind, what string, score float64, start, end int) {
		fs = append(fs, finding(SecretsName, guard.Secret, kind, score, t, start, end, what))
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch c {
		case '=', ':':
			if a, ok := assignment(t, i); ok {
				add(a.kind, a.what, a.score, a.start, a.end)
				i = a.end - 1
				continue
			}
			if c == ':' {
				if start, end, ok := urlPassword(t, i); ok {
					add("url_password", "password in a URL", 0.9, start, end)
					i = end - 1
				}
			}
			continue
		case '-':
			if strings.HasPrefix(t[i:], "-----BEGIN ") {
				kind, score, end := privateKey(t, i, &ahead)
				switch {
				case kind != "":
					add(kind, "private key block", score, i, end)
				case end > i:
					// Certificates and public keys are not secret, but their
					// base64 would read as high-entropy strings.
					skips = append(skips, guard.Finding{Start: i, End: end})
				}
				if end > i {
					i = end - 1
				}
				continue
			}
		case 'P':
			if strings.HasPrefix(t[i:], "PuTTY-User-Key-File-") {
				end := puttyKey(t, i, &ahead)
				add("ssh_private_key", "PuTTY private key file", 0.95, i, end)
				i = end - 1
				continue
			}
		}
		if byFirst[c] == nil || !wordStart(t, i) {
			continue
		}
		// Every token format is at least 20 bytes of token characters;
		// ordinary words fail this after a few bytes, before any rule runs.
		if run(t, i, setTokenish, minToken) < i+minToken {
			i = skipWord(t, i)
			continue
		}
		r, end := matchToken(t, i)
		if r == nil {
			// In a long run of token characters (a base64 blob full of '-'
			// and '_' word starts) each start would rescan the run; skip
			// it instead, which keeps the scan linear. Real tokens are
			// preceded by a space, a quote or an operator.
			if e := run(t, i, setTokenish, 1<<30); e-i > 256 {
				i = e - 1
			}
			continue
		}
		start := i
		if r.url {
			start = schemeStart(t, i)
		}
		add(r.kind, r.what, r.score, start, end)
		i = end - 1
	}
	return entropyScan(t, fs, skips)
}

// minToken is the length of the shortest token any rule matches.
const minToken = 20

// setTokenish is the bytes any token rule's token is made of.
const setTokenish = setB64URL | cDot | cSlash | cColon | cPlus | cEq

// skipWord returns the index of the last letter or digit of the word
// starting at s[i], so the caller's i++ lands after it: no word start lies
// inside a word.
func skipWord(s string, i int) int {
	for i+1 < len(s) && isAlnum(s[i+1]) {
		i++
	}
	return i
}

// schemeStart widens a URL match at s[i] to take in "https://" before it.
func schemeStart(s string, i int) int {
	for _, p := range []string{"https://", "http://"} {
		if i >= len(p) && s[i-len(p):i] == p {
			return i - len(p)
		}
	}
	return i
}

// privateKey matches a PEM private key block at s[i] ("-----BEGIN ...
// PRIVATE KEY-----"). The span runs to the matching END line, or, when the
// block is cut short, to the end of the base64 body, so that redaction
// removes every key byte that is there. Escaped newlines ("\n" inside a
// JSON string, as in a GCP service-account file) count as body. Other PEM
// blocks (certificates, public keys) return no kind but their end, so the
// caller can skip them.
func privateKey(s string, i int, ahead *nextIndex) (kind string, score float64, end int) {
	const maxBlock = 16 << 10
	j := i + len("-----BEGIN ")
	labelEnd := strings.Index(s[j:min(len(s), j+64)], "-----")
	if labelEnd < 0 {
		return "", 0, i
	}
	label := s[j : j+labelEnd]
	j += labelEnd + len("-----")
	switch {
	case !strings.Contains(label, "PRIVATE KEY"):
		kind = ""
	case strings.Contains(label, "OPENSSH"):
		kind = "ssh_private_key"
	case strings.Contains(label, "PGP"):
		kind = "pgp_private_key"
	case strings.Contains(window(s, i, 48), `"private_key"`):
		kind = "gcp_service_account_key"
	default:
		kind = "private_key"
	}
	limit := min(len(s), j+maxBlock)
	if k := ahead.find(s, j, "-----END ", &ahead.end); k >= 0 && k < limit {
		bodyLen := k - j
		end = k + len("-----END ")
		if e := strings.Index(s[end:min(len(s), end+64)], "-----"); e >= 0 {
			end += e + len("-----")
		}
		// A block whose body is a placeholder ("...") is documentation.
		score = 0.99
		if bodyLen < 64 {
			score = 0.6
		}
		return kind, score, end
	}
	end = j
	for end < limit {
		c := s[end]
		if in(c, setB64Pad|cSpace) || c == ':' || c == '-' || c == ',' {
			end++
			continue
		}
		if c == '\\' && end+1 < len(s) && (s[end+1] == 'n' || s[end+1] == 'r') {
			end += 2
			continue
		}
		break
	}
	score = 0.95
	if end-j < 64 {
		score = 0.6
	}
	return kind, score, end
}

// puttyKey spans a PuTTY key file from its header to the end of its
// Private-MAC line, or just the header line when the file is cut short.
func puttyKey(s string, i int, ahead *nextIndex) int {
	limit := min(len(s), i+16<<10)
	end := lineEnd(s, i, limit)
	if k := ahead.find(s, i, "Private-MAC:", &ahead.mac); k >= 0 && k < limit {
		end = lineEnd(s, k, limit)
	}
	return end
}

// nextIndex remembers where the next occurrence of a marker is, so that
// many anchors looking for the same far-away (or missing) marker search
// the text once between them instead of once each.
type nextIndex struct {
	end, mac int // see find
}

// find returns the index of the first sep at or after from, or -1. pos
// caches the last answer: 0 for none yet, p+1 for a match at p, -(f+1)
// for no match from f onwards.
func (n *nextIndex) find(s string, from int, sep string, pos *int) int {
	if *pos > 0 && *pos-1 >= from {
		return *pos - 1
	}
	if *pos < 0 && -*pos-1 <= from {
		return -1 // searched from an earlier point and found none
	}
	if k := strings.Index(s[from:], sep); k >= 0 {
		*pos = from + k + 1
		return from + k
	}
	*pos = -(from + 1)
	return -1
}

func lineEnd(s string, i, limit int) int {
	if k := strings.IndexByte(s[i:limit], '\n'); k >= 0 {
		return i + k
	}
	return limit
}

// urlPassword matches the password of scheme://user:password@host with
// s[i] the scheme's ':'. The span is the password alone, so redaction keeps
// the rest of the URL readable.
func urlPassword(s string, i int) (start, end int, ok bool) {
	if !strings.HasPrefix(s[i:], "://") || i == 0 || !isAlnum(s[i-1]) {
		return 0, 0, false
	}
	j := i + 3
	limit := min(len(s), j+256)
	colon := -1
	for k := j; k < limit; k++ {
		switch c := s[k]; c {
		case ':':
			if colon < 0 {
				colon = k
			}
		case '@':
			if colon <= j || k == colon+1 || k+1 >= len(s) || !isAlnum(s[k+1]) {
				return 0, 0, false
			}
			if placeholder(s[colon+1 : k]) {
				return 0, 0, false
			}
			return colon + 1, k, true
		case '/', '?', '#', ' ', '\t', '\r', '\n', '"', '\'', '<', '>', '`':
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// placeholder reports whether a value is a stand-in rather than a secret:
// template references, masks, and the words people write instead of one.
func placeholder(v string) bool {
	if v == "" {
		return true
	}
	switch v[0] {
	case '$', '{', '<', '%', '[', '(':
		return true
	}
	if strings.Contains(v, "xxx") || strings.Contains(v, "XXX") || strings.Contains(v, "***") || strings.Contains(v, "...") || strings.ContainsRune(v, '(') {
		return true
	}
	same := true
	for i := 1; i < len(v); i++ {
		if v[i] != v[0] {
			same = false
			break
		}
	}
	if same {
		return true
	}
	var buf [24]byte
	if len(v) > len(buf) {
		return false
	}
	for i := 0; i < len(v); i++ {
		buf[i] = lower(v[i])
	}
	switch string(buf[:len(v)]) {
	case "password", "passwd", "pass", "secret", "token", "changeme", "redacted", "example",
		"placeholder", "none", "null", "nil", "true", "false", "undefined", "required", "optional",
		"string", "your_password", "yourpassword", "your_token", "your_api_key", "mypassword",
		"user", "username", "pwd", "hidden", "masked", "empty", "todo", "tbd", "env", "value":
		return true
	}
	return false
}

// entropyScan adds high-entropy strings outside the spans already found.
//
// The choices, each against a known source of false positives:
//   - Tokens are runs of base64 and base64url characters (dots, colons and
//     spaces split them) of 20 to 512 bytes. Longer runs are data, not
//     credentials, and the obfuscation scanner looks at them.
//   - A token must mix upper case, lower case and digits and switch between
//     those classes on at least a third of its bytes: identifiers such as
//     getHTTPResponseCode2xx have long same-case stretches and switch far
//     less often than random base64 (about 0.64).
//   - Its entropy must reach 3.5 bits per byte (random 20-byte base64
//     scores about 4; English words and identifiers about 3).
//   - Pure hex (git commit ids, SHA sums, MD5s) and UUIDs are ordinary in
//     prompts and are only reported with a credential word ("key",
//     "secret", "token", "password", "auth") on the same line before them.
//   - Tokens inside URLs (document ids, video ids), data: URIs, file paths
//     and PEM certificates are skipped; credentials in query strings are
//     caught as assignments.
//   - Base64 that decodes to text is an encoding, not a key; the
//     obfuscation scanner reports it.
func entropyScan(t string, fs, skips []guard.Finding) []guard.Finding {
	slices.SortFunc(fs, func(a, b guard.Finding) int { return a.Start - b.Start })
	next, nextSkip := 0, 0 // index of the first finding that may overlap later tokens
	n := len(fs)
	for i := 0; i < len(t); {
		if !in(t[i], setB64|cDash|cUnder) {
			i++
			continue
		}
		start := i
		i = b64Run(t, i)
		end := i
		if end-start < 20 || end-start > 512 {
			continue
		}
		for next < n && fs[next].End <= start {
			next++
		}
		if next < n && fs[next].Start < end {
			continue
		}
		for nextSkip < len(skips) && skips[nextSkip].End <= start {
			nextSkip++
		}
		if nextSkip < len(skips) && skips[nextSkip].Start < end {
			continue
		}
		tok := strings.Trim(t[start:end], "=-_")
		if len(tok) < 20 {
			continue
		}
		if kind, score, ok := highEntropy(t, start, tok); ok {
			s := start + strings.Index(t[start:end], tok)
			fs = append(fs, finding(SecretsName, guard.Secret, kind, score, t, s, s+len(tok), "high-entropy string"))
		}
	}
	if len(fs) > n {
		slices.SortFunc(fs, func(a, b guard.Finding) int { return a.Start - b.Start })
	}
	return fs
}

func highEntropy(t string, start int, tok string) (kind string, score float64, ok bool) {
	if inURLOrPath(t, start) {
		return "", 0, false
	}
	if isHexish(tok) {
		ctx := window(t, start, 48)
		for _, w := range []string{"key", "secret", "token", "password", "auth"} {
			if containsFold(ctx, w) {
				return "high_entropy_hex", 0.6, entropy(tok) >= 3.0
			}
		}
		return "", 0, false
	}
	up, lo, dg := classes(tok)
	if !up || !lo || !dg || switchRatio(tok) < 0.34 || entropy(tok) < 3.5 {
		return "", 0, false
	}
	if decodesToText(tok) {
		return "", 0, false
	}
	return "high_entropy_string", 0.6, true
}

// isHexish reports whether tok is hex digits, optionally in dash-separated
// groups (UUIDs).
func isHexish(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if !in(tok[i], setHexAny|cDash) {
			return false
		}
	}
	return true
}

// switchRatio is the share of adjacent byte pairs whose classes (upper,
// lower, digit, other) differ.
func switchRatio(s string) float64 {
	kind := func(c byte) uint16 { return class[c] & (cUpper | cLower | cDigit) }
	sw := 0
	for i := 1; i < len(s); i++ {
		if kind(s[i]) != kind(s[i-1]) {
			sw++
		}
	}
	return float64(sw) / float64(len(s)-1)
}

// inURLOrPath reports whether the token at s[i] continues a URL or a file
// path: the bytes since the last space hold "://" or start with '/', '~'
// or '.'.
func inURLOrPath(s string, i int) bool {
	j := i
	for j > 0 && i-j < 512 {
		c := s[j-1]
		if c == ' ' || c == '\n' || c == '\t' || c == '"' || c == '\'' || c == '(' || c == '`' {
			break
		}
		j--
	}
	w := s[j:i]
	if strings.Contains(w, "://") || strings.Contains(w, "base64,") {
		return true
	}
	return j < len(s) && (s[j] == '/' || s[j] == '~' || s[j] == '.')
}

// decodesToText reports whether tok is base64 (either alphabet) of text.
func decodesToText(tok string) bool {
	var buf [400]byte
	raw := strings.TrimRight(tok, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(raw, "-_") {
		enc = base64.RawURLEncoding
	}
	if enc.DecodedLen(len(raw)) > len(buf) {
		return false
	}
	n, err := enc.Decode(buf[:], []byte(raw))
	return err == nil && printableText(buf[:n], 12)
}
