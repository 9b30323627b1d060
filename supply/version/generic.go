package version

import "strings"

// genericScheme orders versions of ecosystems without a scheme of their
// own: runs of digits compare numerically and rank above runs of letters,
// which compare lexically; any other character separates. When one version
// runs out, a number after it makes the other newer ("1.0.1" > "1.0") and a
// word makes it older ("1.0rc1" < "1.0"). It is a total order, which is all
// range evaluation needs; it is not any ecosystem's exact rule.
type genericScheme struct{}

func (genericScheme) Name() string { return GenericName }

type generic struct {
	text   string
	tokens []semverIdent
}

func (genericScheme) Parse(text string) (Version, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return nil, parseError(GenericName, text, "empty")
	}
	v := &generic{text: text}
	for i := 0; i < len(s); {
		j := i
		switch {
		case isDigit(s[i]):
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			v.tokens = append(v.tokens, semverIdent{s: s[i:j], numeric: true})
		case isAlpha(s[i]):
			for j < len(s) && isAlpha(s[j]) {
				j++
			}
			v.tokens = append(v.tokens, semverIdent{s: strings.ToLower(s[i:j])})
		default:
			j++
		}
		i = j
	}
	return v, nil
}

func (v *generic) String() string { return v.text }

// genericRank places a token or the end of the version: words < end < numbers.
func genericRank(t []semverIdent, i int) int {
	switch {
	case i >= len(t):
		return 1
	case t[i].numeric:
		return 2
	}
	return 0
}

func (v *generic) Compare(w Version) int {
	o, ok := w.(*generic)
	if !ok {
		return mismatch(v, w)
	}
	for i := 0; i < len(v.tokens) || i < len(o.tokens); i++ {
		ra, rb := genericRank(v.tokens, i), genericRank(o.tokens, i)
		if c := cmpInt(ra, rb); c != 0 {
			return c
		}
		var c int
		if ra == 2 {
			c = cmpDigits(v.tokens[i].s, o.tokens[i].s)
		} else {
			c = strings.Compare(v.tokens[i].s, o.tokens[i].s)
		}
		if c != 0 {
			return c
		}
	}
	return 0
}
