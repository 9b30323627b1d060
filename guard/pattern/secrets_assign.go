package pattern

import "strings"

// assign is a credential found as the value of a key=value or key: value
// pair.
type assign struct {
	kind, what string
	score      float64
	start, end int
}

type keyClass int

const (
	keyNone keyClass = iota
	keyPassword
	keySecret
	keyAWSSecret
	keyAzure
	keyHeroku
	keyAuthHeader
)

// assignment looks at the operator s[i] ('=' or ':', also ":=" and "=>")
// for a credential-named key before it and a credential-looking value
// after it. Key and value are read with bounded loops, so the cost per
// operator is constant. The span is the value alone, so redaction keeps
// "password=" and the reader knows what was removed.
func assignment(s string, i int) (assign, bool) {
	vs := i + 1
	if s[i] == ':' {
		if vs < len(s) && (s[vs] == ':' || s[vs] == '/' || s[vs] == '\\') {
			return assign{}, false // C++ scope, URL scheme, Windows path
		}
		if vs < len(s) && s[vs] == '=' {
			vs++
		}
	} else {
		if i > 0 && strings.IndexByte(":!<>=", s[i-1]) >= 0 {
			return assign{}, false
		}
		if vs < len(s) && s[vs] == '=' {
			return assign{}, false // a comparison
		}
		if vs < len(s) && s[vs] == '>' {
			vs++
		}
	}
	// The key: an identifier, perhaps quoted, perhaps followed by spaces.
	k := i
	for n := 0; k > 0 && n < 4 && (s[k-1] == ' ' || s[k-1] == '\t'); n++ {
		k--
	}
	if k > 0 && (s[k-1] == '"' || s[k-1] == '\'' || s[k-1] == '`') {
		k--
	}
	ke := k
	for k > 0 && ke-k < 64 && in(s[k-1], setWord|cDash|cDot) {
		k--
	}
	if k == ke {
		return assign{}, false
	}
	key := s[k:ke]
	kc := classifyKey(key)
	if kc == keyNone {
		return assign{}, false
	}
	// In a query string '&' ends the value; elsewhere it may be part of it.
	query := k > 0 && (s[k-1] == '?' || s[k-1] == '&')
	start, end := readValue(s, vs, query)
	if kc == keyAuthHeader {
		v := s[start:end]
		if !strings.EqualFold(v, "bearer") && !strings.EqualFold(v, "basic") && !strings.EqualFold(v, "token") {
			return assign{}, false
		}
		start, end = readValue(s, end, query)
	}
	v := s[start:end]
	if v == "" || strings.HasPrefix(v, "-----") {
		return assign{}, false
	}
	// A value that is itself a known token is left to its token rule,
	// which names it better.
	if r, _ := matchToken(s, start); r != nil {
		return assign{}, false
	}
	a := assign{start: start, end: end}
	keyName := truncate(key, 40)
	switch kc {
	case keyAWSSecret:
		if len(v) != 40 || run(v, 0, setB64, 40) != 40 {
			return assign{}, false
		}
		a.kind, a.what, a.score = "aws_secret_key", "AWS secret access key", 0.95
	case keyAzure:
		if len(v) < 80 || !strings.HasSuffix(v, "==") || run(v, 0, setB64Pad, len(v)) != len(v) {
			return assign{}, false
		}
		a.kind, a.what, a.score = "azure_storage_key", "Azure storage account key", 0.95
	case keyHeroku:
		if len(v) != 36 || !isHexish(v) || strings.Count(v, "-") != 4 {
			return assign{}, false
		}
		a.kind, a.what, a.score = "heroku_api_key", "Heroku API key", 0.9
	case keyAuthHeader:
		if len(v) < 16 || placeholder(v) {
			return assign{}, false
		}
		a.kind, a.what, a.score = "authorization_header", "credential in an Authorization header", 0.9
	case keyPassword:
		if len(v) < 6 || len(v) > 128 || placeholder(v) || !passwordLike(v) {
			return assign{}, false
		}
		a.kind, a.what, a.score = "password_assignment", "password assigned to "+keyName, 0.85
	case keySecret:
		if len(v) < 8 || placeholder(v) {
			return assign{}, false
		}
		up, lo, dg := classes(v)
		if b2i(up)+b2i(lo)+b2i(dg) < 2 || entropy(v) < 2.5 {
			return assign{}, false
		}
		a.kind, a.what, a.score = "secret_assignment", "secret assigned to "+keyName, 0.65
		if entropy(v) >= 3.5 {
			a.score = 0.8
		}
	}
	return a, true
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// passwordLike wants two kinds of character (upper, lower, digit, symbol)
// or length: "Password: required" in documentation is not a password,
// "hunter2" is.
func passwordLike(v string) bool {
	up, lo, dg := classes(v)
	sym := false
	for i := 0; i < len(v); i++ {
		if !isAlnum(v[i]) {
			sym = true
			break
		}
	}
	return b2i(up)+b2i(lo)+b2i(dg)+b2i(sym) >= 2 || len(v) >= 16
}

// readValue reads the value after an operator at s[j]: spaces, then a
// quoted string or a bare word, at most 256 bytes. A longer value is not a
// credential and reads as empty.
func readValue(s string, j int, query bool) (start, end int) {
	for n := 0; j < len(s) && n < 4 && (s[j] == ' ' || s[j] == '\t'); n++ {
		j++
	}
	if j >= len(s) {
		return j, j
	}
	var quote byte
	if c := s[j]; c == '"' || c == '\'' || c == '`' {
		quote = c
		j++
	}
	start = j
	limit := min(len(s), j+257)
	for j < limit {
		c := s[j]
		if c == '\n' || c == '\r' {
			break
		}
		if quote != 0 {
			if c == quote {
				break
			}
		} else if c == ' ' || c == '\t' || c == ',' || c == ';' || c == '&' && query || c == ')' || c == '}' || c == ']' ||
			c == '"' || c == '\'' || c == '<' || c == '>' || c == '`' {
			break
		}
		j++
	}
	if j-start > 256 {
		return start, start
	}
	// Trailing sentence punctuation is not part of a bare value.
	if quote == 0 {
		for j > start && (s[j-1] == '.' || s[j-1] == ':') {
			j--
		}
	}
	return start, j
}

// classifyKey decides from a key name what its value would be. Keys are
// matched by their ending, so DB_PASSWORD and clientSecret count while
// tokenizer, max_tokens and secretary do not.
func classifyKey(key string) keyClass {
	var buf [64]byte
	n := 0
	for i := 0; i < len(key) && n < len(buf); i++ {
		c := lower(key[i])
		if c == '-' || c == '.' {
			c = '_'
		}
		buf[n] = c
		n++
	}
	// Trailing digits and separators: PASSWORD2, api_key_.
	for n > 0 && (isDigit(buf[n-1]) || buf[n-1] == '_') {
		n--
	}
	k := string(buf[:n]) // does not escape; the compiler keeps it on the stack
	has := strings.HasSuffix
	switch {
	case has(k, "accountkey"):
		return keyAzure
	case has(k, "secretaccesskey") || has(k, "secret_access_key") || (strings.Contains(k, "aws") && has(k, "secret_key")):
		return keyAWSSecret
	case strings.Contains(k, "heroku") && (has(k, "api_key") || has(k, "apikey")):
		return keyHeroku
	case has(k, "authorization"):
		return keyAuthHeader
	case k == "pass" || has(k, "_pass") || has(k, "password") || has(k, "passwd") || has(k, "pwd") || has(k, "passphrase"):
		return keyPassword
	}
	for _, suf := range secretKeySuffixes {
		if has(k, suf) {
			return keySecret
		}
	}
	return keyNone
}

var secretKeySuffixes = []string{
	"token", "secret", "api_key", "apikey", "secret_key", "secretkey", "access_key", "accesskey",
	"private_key", "privatekey", "auth_key", "authkey", "signing_key", "encryption_key", "master_key",
	"credential", "credentials",
}
