package version

import (
	"regexp"
	"strings"
)

// gemScheme is RubyGems' Gem::Version: segments are runs of digits or of
// letters ("1.0.a10" is 1, 0, "a", 10), "-" reads as ".pre.", a letter
// segment makes a prerelease that sorts before the numbers
// ("1.0.a" < "1.0"), trailing zeros of the release and of the prerelease
// part are ignored, and a missing segment counts as 0.
type gemScheme struct{}

func (gemScheme) Name() string { return "RubyGems" }

var gemPattern = regexp.MustCompile(`^\s*[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?\s*$`)

var gemSegment = regexp.MustCompile(`[0-9]+|[a-zA-Z]+`)

type gem struct {
	text string
	segs []semverIdent // canonical segments; numeric ones hold digits
}

func (gemScheme) Parse(text string) (Version, error) {
	if !gemPattern.MatchString(text) {
		return nil, parseError("RubyGems", text, "malformed version number string")
	}
	s := strings.ReplaceAll(strings.TrimSpace(text), "-", ".pre.")
	var all []semverIdent
	for _, t := range gemSegment.FindAllString(s, -1) {
		if allDigits(t) {
			if t = strings.TrimLeft(t, "0"); t == "" {
				t = "0"
			}
			all = append(all, semverIdent{s: t, numeric: true})
		} else {
			all = append(all, semverIdent{s: t})
		}
	}
	// canonical_segments: split at the first letter segment and drop the
	// trailing zeros of each half.
	split := len(all)
	for i, x := range all {
		if !x.numeric {
			split = i
			break
		}
	}
	segs := append(gemTrimZeros(all[:split:split]), gemTrimZeros(all[split:])...)
	return &gem{text: text, segs: segs}, nil
}

func gemTrimZeros(s []semverIdent) []semverIdent {
	for len(s) > 0 && s[len(s)-1].numeric && s[len(s)-1].s == "0" {
		s = s[:len(s)-1]
	}
	return s
}

func (v *gem) String() string { return v.text }

func (v *gem) Compare(w Version) int {
	o, ok := w.(*gem)
	if !ok {
		return mismatch(v, w)
	}
	zero := semverIdent{s: "0", numeric: true}
	for i := 0; i < len(v.segs) || i < len(o.segs); i++ {
		a, b := zero, zero
		if i < len(v.segs) {
			a = v.segs[i]
		}
		if i < len(o.segs) {
			b = o.segs[i]
		}
		var c int
		switch {
		case a.numeric && b.numeric:
			c = cmpDigits(a.s, b.s)
		case a.numeric:
			c = 1
		case b.numeric:
			c = -1
		default:
			c = strings.Compare(a.s, b.s)
		}
		if c != 0 {
			return c
		}
	}
	return 0
}
