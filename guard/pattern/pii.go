package pattern

import (
	"strings"

	"github.com/bulwarkhq/bulwark/guard"
)

// PIIName is the name of the personal-data scanner.
const PIIName = "pii"

// PII finds personal data: email addresses, phone numbers, payment cards,
// IBANs and national identity numbers (US SSN, UK NINO, Spanish DNI/NIE,
// Indian Aadhaar, German tax id).
type PII struct{}

// NewPII returns the personal-data scanner.
func NewPII() *PII { return &PII{} }

// Name implements guard.Scanner.
func (*PII) Name() string { return PIIName }

// Scan implements guard.Scanner. Anchors: '@' for email, a digit, '+' or
// '(' at a word start for numbers, an upper-case letter at a word start
// for IBAN, NINO and NIE.
func (p *PII) Scan(seg guard.Segment) []guard.Finding {
	t := seg.Text
	var fs []guard.Finding
	add := func(kind, what string, score float64, start, end int) {
		fs = append(fs, finding(PIIName, guard.PII, kind, score, t, start, end, what))
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if piiAnchor[c] == 0 {
			continue // lower-case letters, spaces, most punctuation
		}
		switch {
		case c == '@':
			if start, end, ok := email(t, i); ok && (len(fs) == 0 || fs[len(fs)-1].End <= start) {
				add("email", "email address", 0.9, start, end)
				i = end - 1
			}
		case isDigit(c) || c == '+' || c == '(':
			if !numberStart(t, i) {
				continue
			}
			n := scanNumber(t, i)
			if n.nd == 0 {
				continue
			}
			if kind, what, score, end, ok := classifyNumber(t, &n); ok {
				add(kind, what, score, n.start, end)
				i = end - 1
			}
		case isUpper(c):
			if !wordStart(t, i) {
				continue
			}
			if kind, what, score, end, ok := letterID(t, i); ok {
				add(kind, what, score, i, end)
				i = end - 1
			} else {
				i = skipWord(t, i)
			}
		}
	}
	return fs
}

// piiAnchor marks the bytes a personal-data match can start at (or, for
// '@', be anchored on).
var piiAnchor = func() (t [256]uint8) {
	for c := range 256 {
		if isDigit(byte(c)) || isUpper(byte(c)) || c == '@' || c == '+' || c == '(' {
			t[c] = 1
		}
	}
	return t
}()

// email matches an address around the '@' at s[at]: a local part of up to
// 64 bytes before and a domain of dot-separated labels after whose last
// label (the TLD) is letters. Image names like icon@2x.png are not
// addresses.
func email(s string, at int) (start, end int, ok bool) {
	start = at
	for start > 0 && at-start < 64 && (isAlnum(s[start-1]) || strings.IndexByte("._%+-", s[start-1]) >= 0) {
		start--
	}
	for start < at && s[start] == '.' {
		start++
	}
	if start == at || s[at-1] == '.' {
		return 0, 0, false
	}
	// user:password@host is a URL's userinfo, not an address.
	if start > 0 && s[start-1] == ':' && !strings.HasSuffix(s[:start], "mailto:") {
		return 0, 0, false
	}
	end = at + 1
	limit := min(len(s), end+253)
	lastDot := -1
	for end < limit && (isAlnum(s[end]) || s[end] == '-' || s[end] == '.') {
		if s[end] == '.' {
			if s[end-1] == '.' || s[end-1] == '@' {
				return 0, 0, false
			}
			lastDot = end
		}
		end++
	}
	for end > at+1 && (s[end-1] == '.' || s[end-1] == '-') {
		end--
	}
	if lastDot < 0 || lastDot >= end-2 {
		return 0, 0, false
	}
	tld := s[lastDot+1 : end]
	for i := 0; i < len(tld); i++ {
		if !isLetter(tld[i]) {
			return 0, 0, false
		}
	}
	switch strings.ToLower(tld) {
	case "png", "jpg", "jpeg", "gif", "svg", "webp", "ico":
		return 0, 0, false
	}
	return start, end, true
}

// num is a run of digit groups with the separators between them.
type num struct {
	start, end int
	plus       bool // started with '+'
	paren      bool // started with '(' (perhaps after '+')
	d          [24]byte
	nd         int // digits seen; only the first len(d) are kept
	g          [8]uint8
	ng         int
	seps       uint8
}

const (
	sepSpace = 1 << iota
	sepDash
	sepDot
	sepSlash
	sepParen
)

func (n *num) digits() []byte { return n.d[:min(n.nd, len(n.d))] }

func (n *num) groups(want ...uint8) bool {
	if n.ng != len(want) {
		return false
	}
	for i, w := range want {
		if n.g[i] != w {
			return false
		}
	}
	return true
}

// oneSep reports whether at most one kind of separator, from allowed, was
// used: 4111-1111 1111-1111 is not how anybody writes a card.
func (n *num) oneSep(allowed uint8) bool {
	return n.seps&^allowed == 0 && n.seps&(n.seps-1) == 0
}

// numberStart reports whether a number may start at s[i]: not inside a
// word, a decimal, a version, a price or another number.
func numberStart(s string, i int) bool {
	c := s[i]
	if c == '+' || c == '(' {
		if i+1 >= len(s) || !(isDigit(s[i+1]) || s[i+1] == '(') {
			return false
		}
	}
	if i == 0 {
		return true
	}
	switch p := s[i-1]; {
	case isAlnum(p):
		return false
	case strings.IndexByte("._-+/,$#\\", p) >= 0:
		return false
	case p >= 0x80: // after a multi-byte character such as € or £
		return false
	}
	// A group after "digit space" continues a number the scan has already
	// judged (or an IBAN, or a long digit run); it is not a number of its own.
	return !(i >= 2 && s[i-1] == ' ' && isDigit(s[i-2]))
}

// scanNumber reads digit groups separated by up to two of " -./()" (one
// space at most) from s[i]. It stops after 24 digits or 8 groups, so the
// work per start is bounded; longer runs are not personal data anyway.
func scanNumber(s string, i int) num {
	n := num{start: i, end: i}
	j := i
	if s[j] == '+' {
		n.plus = true
		j++
	}
	if j < len(s) && s[j] == '(' {
		n.paren = true
		j++
	}
	for j < len(s) {
		k := j
		for k < len(s) && isDigit(s[k]) {
			if n.nd < len(n.d) {
				n.d[n.nd] = s[k]
			}
			n.nd++
			k++
		}
		if k == j {
			break
		}
		if n.ng < len(n.g) {
			n.g[n.ng] = uint8(min(k-j, 255))
		}
		n.ng++
		n.end = k
		if n.nd > len(n.d) || n.ng > len(n.g) {
			n.nd = 0 // too long to be any of ours
			return n
		}
		m, spaces := k, 0
		var seps uint8
	sep:
		for m < len(s) && m-k < 2 {
			switch s[m] {
			case ' ':
				if spaces > 0 {
					break sep
				}
				spaces++
				seps |= sepSpace
			case '-':
				seps |= sepDash
			case '.':
				seps |= sepDot
			case '/':
				seps |= sepSlash
			case '(', ')':
				seps |= sepParen
			default:
				break sep
			}
			m++
		}
		if m == k || m >= len(s) || !isDigit(s[m]) {
			// "(415)" closes before the space: take the paren, not the space.
			if n.paren && n.ng == 1 && m > k && s[k] == ')' {
				n.seps |= sepParen
			}
			break
		}
		n.seps |= seps
		j = m
	}
	return n
}

// negativeContext holds words that, just before a number, say it is an
// order, invoice or account number rather than a phone number.
var negativeContext = []string{"order", "invoice", "ref", "tracking", "sku", "#", "isbn", "ticket", "serial", "acct", "account", "item", "part no", "po "}

var phoneContext = []string{"phone", "tel", "mobile", "cell", "call", "whatsapp", "fax", "sms", "contact"}

func anyFold(ctx string, words []string) bool {
	for _, w := range words {
		if containsFold(ctx, w) {
			return true
		}
	}
	return false
}

// classifyNumber decides what a digit run is, most specific first. Phone
// numbers have no check digit, so they need a shape: E.164 with '+', a
// North American (NXX) NXX-XXXX, or a national number with a trunk 0
// written in groups; bare digit runs count only with a word like "phone"
// before them, and never after words like "order" or "invoice". Dates
// (2024-01-15, 15/01/2024), versions and IPv4 addresses have group shapes
// no rule accepts.
func classifyNumber(s string, n *num) (kind, what string, score float64, end int, ok bool) {
	end = n.end
	d := n.digits()
	if len(d) < 8 {
		return // shorter than anything below; the checks index up to d[3]
	}
	// DNI: eight digits and the check letter, perhaps after a dash.
	if !n.plus && !n.paren && n.ng == 1 && n.nd == 8 {
		j := end
		if j < len(s) && s[j] == '-' {
			j++
		}
		if j < len(s) && isUpper(s[j]) && (j+1 == len(s) || !isAlnum(s[j+1])) && s[j] == dniLetter(d) {
			return "es_dni", "Spanish DNI number", 0.85, j + 1, true
		}
	}
	if end < len(s) && (isAlnum(s[end]) || s[end] == '@') {
		return "", "", 0, 0, false
	}
	ctx := window(s, n.start, 32)
	plain := !n.plus && !n.paren
	switch {
	case plain && n.nd >= 13 && n.nd <= 19 && n.oneSep(sepSpace|sepDash) && (n.ng == 1 || n.g[0] == 4) &&
		cardBrand(d) != "" && luhn(d):
		return "payment_card", cardBrand(d) + " card number", 0.95, end, true
	case plain && n.nd == 9 && (n.groups(3, 2, 4) && n.oneSep(sepSpace|sepDash) ||
		n.ng == 1 && (containsFold(ctx, "ssn") || containsFold(ctx, "social security"))) && ssnValid(d):
		return "us_ssn", "US Social Security number", 0.85, end, true
	case plain && n.nd == 12 && d[0] >= '2' && (n.groups(4, 4, 4) && n.oneSep(sepSpace|sepDash) ||
		n.ng == 1 && anyFold(ctx, []string{"aadhaar", "aadhar", "uidai"})) && verhoeff(d):
		return "in_aadhaar", "Indian Aadhaar number", 0.85, end, true
	case plain && n.nd == 11 && (n.ng == 1 || n.groups(2, 3, 3, 3)) &&
		anyFold(window(s, n.start, 48), []string{"steuer", "tax id", "tax-id", "idnr", "identifikationsnummer", "tin"}) && steuerID(d):
		return "de_tax_id", "German tax identification number", 0.85, end, true
	}
	if n.seps&sepSlash != 0 {
		return "", "", 0, 0, false
	}
	score = 0
	switch {
	case n.plus:
		if n.nd >= 8 && n.nd <= 15 && d[0] != '0' {
			return "phone", "phone number", 0.85, end, true
		}
	case n.nd >= 11 && n.nd <= 17 && d[0] == '0' && d[1] == '0' && n.ng >= 2:
		score = 0.7
	case n.paren && n.groups(3, 3, 4) && nanp(d):
		score = 0.8
	case plain && (n.groups(3, 3, 4) && nanp(d) || n.groups(1, 3, 3, 4) && d[0] == '1' && nanp(d[1:])) &&
		n.oneSep(sepSpace|sepDash|sepDot):
		score = 0.75
	case plain && d[0] == '0' && d[1] != '0' && (n.nd == 10 || n.nd == 11) && n.ng >= 2 && n.ng <= 4 &&
		n.seps&^(sepSpace|sepDash) == 0 && minGroup(n) >= 2:
		score = 0.7
	case plain && n.ng == 1 && (n.nd == 10 || n.nd == 11) && anyFold(ctx, phoneContext):
		score = 0.7
	}
	if score == 0 || anyFold(ctx, negativeContext) {
		return "", "", 0, 0, false
	}
	return "phone", "phone number", score, end, true
}

func minGroup(n *num) uint8 {
	m := uint8(255)
	for _, g := range n.g[:min(n.ng, len(n.g))] {
		m = min(m, g)
	}
	return m
}

// nanp checks a ten-digit North American number: area code and exchange
// both start with 2-9.
func nanp(d []byte) bool { return len(d) == 10 && d[0] >= '2' && d[3] >= '2' }

// ssnValid applies the SSA's rules: area not 000, 666 or 900-999, group
// not 00, serial not 0000.
func ssnValid(d []byte) bool {
	area := string(d[:3])
	return area != "000" && area != "666" && d[0] != '9' && string(d[3:5]) != "00" && string(d[5:9]) != "0000"
}

// letterID matches identifiers that start with upper-case letters at s[i]:
// IBAN, UK National Insurance number, Spanish NIE.
func letterID(s string, i int) (kind, what string, score float64, end int, ok bool) {
	if i+2 >= len(s) {
		return
	}
	if isUpper(s[i+1]) && (isDigit(s[i+2]) || s[i+2] == ' ') {
		if end, ok = iban(s, i); ok {
			return "iban", "IBAN", 0.95, end, true
		}
		if end, ok = nino(s, i); ok {
			return "uk_nino", "UK National Insurance number", 0.85, end, true
		}
	}
	if c := s[i]; (c == 'X' || c == 'Y' || c == 'Z') && isDigit(s[i+1]) {
		if end, ok = nie(s, i); ok {
			return "es_nie", "Spanish NIE number", 0.85, end, true
		}
	}
	return
}

// iban reads a country code, two check digits and the country's number of
// characters, allowing the usual single spaces between groups of four.
func iban(s string, i int) (int, bool) {
	want := int(ibanLengths[int(s[i]-'A')*26+int(s[i+1]-'A')])
	if want == 0 {
		return 0, false
	}
	var buf [34]byte
	n, j := 0, i
	for j < len(s) && n < want {
		c := s[j]
		switch {
		case isDigit(c) || isUpper(c):
			buf[n] = c
			n++
			j++
		case c == ' ' && n%4 == 0 && j+1 < len(s) && isAlnum(s[j+1]):
			j++
		default:
			return 0, false
		}
	}
	if n != want || (j < len(s) && isAlnum(s[j])) || !isDigit(buf[2]) || !isDigit(buf[3]) {
		return 0, false
	}
	return j, ibanValid(buf[:n])
}

// nino matches AB123456C or AB 12 34 56 C. The first letter is never D,
// F, I, Q, U or V, the second never those or O, some pairs were never
// issued, and the suffix is A-D.
func nino(s string, i int) (int, bool) {
	a, b := s[i], s[i+1]
	if strings.IndexByte("DFIQUV", a) >= 0 || strings.IndexByte("DFIOQUV", b) >= 0 {
		return 0, false
	}
	switch s[i : i+2] {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return 0, false
	}
	j, digits := i+2, 0
	if j+1 < len(s) && s[j] == ' ' && isDigit(s[j+1]) {
		j++
	}
	for j < len(s) && digits < 6 {
		switch {
		case isDigit(s[j]):
			digits++
			j++
		case s[j] == ' ' && digits%2 == 0 && digits > 0 && j+1 < len(s) && isDigit(s[j+1]):
			j++
		default:
			return 0, false
		}
	}
	if digits != 6 {
		return 0, false
	}
	if j+1 < len(s) && s[j] == ' ' && s[j+1] >= 'A' && s[j+1] <= 'D' {
		j++
	}
	if j >= len(s) || s[j] < 'A' || s[j] > 'D' || (j+1 < len(s) && isAlnum(s[j+1])) {
		return 0, false
	}
	return j + 1, true
}

// nie matches a Spanish foreigner's number: X, Y or Z, seven digits and
// the check letter computed with the initial read as 0, 1 or 2.
func nie(s string, i int) (int, bool) {
	j := i + 1
	e := run(s, j, cDigit, 8)
	if e-j != 7 {
		return 0, false
	}
	var d [8]byte
	d[0] = '0' + s[i] - 'X'
	copy(d[1:], s[j:e])
	if e < len(s) && s[e] == '-' {
		e++
	}
	if e >= len(s) || s[e] != dniLetter(d[:]) || (e+1 < len(s) && isAlnum(s[e+1])) {
		return 0, false
	}
	return e + 1, true
}
