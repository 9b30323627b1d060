package version

import (
	"regexp"
	"strings"
)

// composerScheme orders Packagist versions as Composer does: the version is
// first normalised (VersionParser::normalize: "v1.2" is 1.2.0.0, "1.0-b2"
// is 1.0.0.0-beta2, "1.0.0-pl1" is 1.0.0.0-patch1, dates keep their
// numbers) and then compared with PHP's version_compare, where
// dev < alpha = a < beta = b < RC = rc < a number < patch = pl = p, and any
// other word sorts before dev. Text Composer cannot normalise (branch names
// such as "dev-main") is compared by version_compare as written.
type composerScheme struct{}

func (composerScheme) Name() string { return "Packagist" }

type composer struct {
	text       string
	normalized string
}

var (
	composerClassical = regexp.MustCompile(`(?i)^v?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?` + composerModifier)
	composerDate      = regexp.MustCompile(`(?i)^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})` + composerModifier)
)

const composerModifier = `[._-]?(?:(stable|beta|b|rc|alpha|a|patch|pl|p)((?:[.-]?\d+)+)?)?([.-]?dev)?$`

func (composerScheme) Parse(text string) (Version, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return nil, parseError("Packagist", text, "empty")
	}
	return &composer{text: text, normalized: composerNormalize(s)}, nil
}

func composerNormalize(s string) string {
	// Build metadata does not take part in the order.
	if i := strings.IndexByte(s, '+'); i > 0 {
		s = s[:i]
	}
	if m := composerClassical.FindStringSubmatch(s); m != nil {
		v := m[1]
		for _, p := range m[2:5] {
			if p == "" {
				p = ".0"
			}
			v += p
		}
		return v + composerModifiers(m[5], m[6], m[7])
	}
	if m := composerDate.FindStringSubmatch(s); m != nil {
		v := strings.Map(func(r rune) rune {
			if r < '0' || r > '9' {
				return '.'
			}
			return r
		}, m[1])
		return v + composerModifiers(m[2], m[3], m[4])
	}
	return s
}

func composerModifiers(stability, number, dev string) string {
	out := ""
	if stability != "" && !strings.EqualFold(stability, "stable") {
		switch strings.ToLower(stability) {
		case "a", "alpha":
			stability = "alpha"
		case "b", "beta":
			stability = "beta"
		case "p", "pl", "patch":
			stability = "patch"
		case "rc":
			stability = "RC"
		}
		out = "-" + stability + strings.TrimLeft(number, ".-")
	}
	if dev != "" {
		out += "-dev"
	}
	return out
}

func (v *composer) String() string { return v.text }

func (v *composer) Compare(w Version) int {
	o, ok := w.(*composer)
	if !ok {
		return mismatch(v, w)
	}
	return phpVersionCompare(v.normalized, o.normalized)
}

// phpCanonicalize is php_canonicalize_version: "-", "_" and "+" become ".",
// a change between digits and other characters inserts a ".", and any
// other non-alphanumeric character becomes ".".
func phpCanonicalize(s string) string {
	if s == "" {
		return s
	}
	b := []byte{s[0]}
	last := s[0]
	for i := 1; i < len(s); i++ {
		c := s[i]
		dot := func() {
			if b[len(b)-1] != '.' {
				b = append(b, '.')
			}
		}
		switch {
		case c == '-' || c == '_' || c == '+':
			dot()
		case (last != '.' && !isDigit(last) && isDigit(c)) || (isDigit(last) && c != '.' && !isDigit(c)):
			dot()
			b = append(b, c)
		case !isDigit(c) && !isAlpha(c):
			dot()
		default:
			b = append(b, c)
		}
		last = c
	}
	return string(b)
}

// phpSpecialForm ranks a non-numeric part by prefix, as PHP does.
func phpSpecialForm(s string) int {
	for _, f := range []struct {
		name  string
		order int
	}{{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2}, {"RC", 3}, {"rc", 3}, {"#", 4}, {"pl", 5}, {"p", 5}} {
		if strings.HasPrefix(s, f.name) {
			return f.order
		}
	}
	return -1
}

// phpVersionCompare is PHP's version_compare without an operator.
func phpVersionCompare(a, b string) int {
	pa := strings.Split(phpCanonicalize(a), ".")
	pb := strings.Split(phpCanonicalize(b), ".")
	n := min(len(pa), len(pb))
	for i := 0; i < n; i++ {
		x, y := pa[i], pb[i]
		if x == "" || y == "" {
			return cmpInt(len(x), len(y))
		}
		var c int
		switch dx, dy := isDigit(x[0]), isDigit(y[0]); {
		case dx && dy:
			c = cmpDigits(leadingDigits(x), leadingDigits(y))
		case !dx && !dy:
			c = cmpInt(phpSpecialForm(x), phpSpecialForm(y))
		case dx:
			c = cmpInt(phpSpecialForm("#N#"), phpSpecialForm(y))
		default:
			c = cmpInt(phpSpecialForm(x), phpSpecialForm("#N#"))
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case len(pa) > n:
		if rest := pa[n]; rest != "" && isDigit(rest[0]) {
			return 1
		}
		return phpVersionCompare(strings.Join(pa[n:], "."), "#N#")
	case len(pb) > n:
		if rest := pb[n]; rest != "" && isDigit(rest[0]) {
			return -1
		}
		return phpVersionCompare("#N#", strings.Join(pb[n:], "."))
	}
	return 0
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i]
}
