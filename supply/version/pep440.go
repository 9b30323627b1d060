package version

import (
	"regexp"
	"strings"
)

// pep440Scheme orders PyPI versions by PEP 440: epoch, release (trailing
// zeros do not count: 1.0 == 1.0.0), then dev < pre (a < b < rc) < release
// < post, dev releases of each below it, and local versions above the
// public version they label. Spelling variants normalise as the PEP says
// ("1.0-ALPHA_1" is 1.0a1, "1.0-1" is 1.0.post1, "v1" is 1).
type pep440Scheme struct{}

func (pep440Scheme) Name() string { return "PyPI" }

// pep440Pattern is the PEP's own regular expression (Appendix B), anchored.
var pep440Pattern = regexp.MustCompile(`(?i)^\s*v?` +
	`(?:(?P<epoch>[0-9]+)!)?` +
	`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?P<pre>[-_\.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?P<pre_n>[0-9]+)?)?` +
	`(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_\.]?(?P<post_l>post|rev|r)[-_\.]?(?P<post_n2>[0-9]+)?))?` +
	`(?P<dev>[-_\.]?(?P<dev_l>dev)[-_\.]?(?P<dev_n>[0-9]+)?)?` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?\s*$`)

var pep440Groups = func() map[string]int {
	m := map[string]int{}
	for i, n := range pep440Pattern.SubexpNames() {
		if n != "" {
			m[n] = i
		}
	}
	return m
}()

// pep440 is a parsed PEP 440 version. Numbers stay digit strings so that
// date-like releases (20240101123000) cannot overflow.
type pep440 struct {
	text    string
	epoch   string
	release []string // trailing zeros removed
	// preKind, postKind and devKind say whether the part is absent, and
	// where an absent part sorts: -1 below every value, +1 above.
	preKind  int
	preRank  int // a=0, b=1, rc=2
	preN     string
	postKind int
	postN    string
	devKind  int
	devN     string
	local    []semverIdent // nil when there is none
}

func (pep440Scheme) Parse(text string) (Version, error) {
	m := pep440Pattern.FindStringSubmatch(text)
	if m == nil {
		return nil, parseError("PyPI", text, "not a PEP 440 version")
	}
	g := func(name string) string { return m[pep440Groups[name]] }
	v := &pep440{text: text, epoch: orZero(g("epoch"))}
	rel := strings.Split(g("release"), ".")
	for len(rel) > 1 && strings.Trim(rel[len(rel)-1], "0") == "" {
		rel = rel[:len(rel)-1]
	}
	if len(rel) == 1 && strings.Trim(rel[0], "0") == "" {
		rel = nil // 0 == 0.0
	}
	v.release = rel
	hasPre, hasPost, hasDev := g("pre") != "", g("post") != "", g("dev") != ""
	switch {
	case hasPre:
		switch strings.ToLower(g("pre_l")) {
		case "a", "alpha":
			v.preRank = 0
		case "b", "beta":
			v.preRank = 1
		default: // c, rc, pre, preview
			v.preRank = 2
		}
		v.preN = orZero(g("pre_n"))
	case !hasPost && hasDev:
		v.preKind = -1 // 1.0.dev1 sorts before 1.0a1
	default:
		v.preKind = 1
	}
	if hasPost {
		v.postN = orZero(g("post_n1") + g("post_n2"))
	} else {
		v.postKind = -1
	}
	if hasDev {
		v.devN = orZero(g("dev_n"))
	} else {
		v.devKind = 1
	}
	if l := g("local"); l != "" {
		for _, p := range strings.FieldsFunc(strings.ToLower(l), func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			v.local = append(v.local, semverIdent{s: p, numeric: allDigits(p)})
		}
	}
	return v, nil
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func (v *pep440) String() string { return v.text }

func (v *pep440) Compare(w Version) int {
	o, ok := w.(*pep440)
	if !ok {
		return mismatch(v, w)
	}
	if c := cmpDigits(v.epoch, o.epoch); c != 0 {
		return c
	}
	for i := 0; i < len(v.release) || i < len(o.release); i++ {
		a, b := "0", "0"
		if i < len(v.release) {
			a = v.release[i]
		}
		if i < len(o.release) {
			b = o.release[i]
		}
		if c := cmpDigits(a, b); c != 0 {
			return c
		}
	}
	if c := cmpInt(v.preKind, o.preKind); c != 0 {
		return c
	}
	if v.preKind == 0 {
		if c := cmpInt(v.preRank, o.preRank); c != 0 {
			return c
		}
		if c := cmpDigits(v.preN, o.preN); c != 0 {
			return c
		}
	}
	if c := cmpInt(v.postKind, o.postKind); c != 0 {
		return c
	}
	if v.postKind == 0 {
		if c := cmpDigits(v.postN, o.postN); c != 0 {
			return c
		}
	}
	if c := cmpInt(v.devKind, o.devKind); c != 0 {
		return c
	}
	if v.devKind == 0 {
		if c := cmpDigits(v.devN, o.devN); c != 0 {
			return c
		}
	}
	// Local versions: absent sorts first; segments compare numbers above
	// strings (the reverse of SemVer), then by length.
	switch {
	case v.local == nil && o.local == nil:
		return 0
	case v.local == nil:
		return -1
	case o.local == nil:
		return 1
	}
	for i := 0; i < len(v.local) && i < len(o.local); i++ {
		x, y := v.local[i], o.local[i]
		var c int
		switch {
		case x.numeric && y.numeric:
			c = cmpDigits(x.s, y.s)
		case x.numeric:
			c = 1
		case y.numeric:
			c = -1
		default:
			c = strings.Compare(x.s, y.s)
		}
		if c != 0 {
			return c
		}
	}
	return cmpInt(len(v.local), len(o.local))
}
