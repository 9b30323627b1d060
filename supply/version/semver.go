package version

import "strings"

// semverScheme is SemVer 2.0 precedence. It is lenient in spelling, as npm's
// loose mode and osv-scanner are: a leading "v" or "=", surrounding spaces,
// leading zeros and missing minor or patch numbers ("4.0" is 4.0.0), because
// advisories are written that way and rejecting them would hide findings.
type semverScheme struct {
	name string
	// compareBuild orders build metadata after equal precedence (Dart's
	// pub_semver does; SemVer itself ignores it).
	compareBuild bool
}

func (s semverScheme) Name() string { return s.name }

func (s semverScheme) Parse(text string) (Version, error) {
	v, err := parseSemver(s.name, text)
	if err != nil {
		return nil, err
	}
	v.compareBuild = s.compareBuild
	return v, nil
}

// semver is a parsed SemVer version.
type semver struct {
	text         string
	major        string // digits, leading zeros trimmed
	minor, patch string
	pre          []semverIdent
	build        []semverIdent
	compareBuild bool
}

// semverIdent is one dot-separated prerelease or build identifier.
type semverIdent struct {
	s       string
	numeric bool
}

func parseSemver(scheme, text string) (*semver, error) {
	s := strings.TrimSpace(text)
	s = strings.TrimPrefix(s, "=")
	if len(s) > 0 && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	if s == "" {
		return nil, parseError(scheme, text, "empty")
	}
	v := &semver{text: text}
	if i := strings.IndexByte(s, '+'); i >= 0 {
		b, err := semverIdents(scheme, text, s[i+1:])
		if err != nil {
			return nil, err
		}
		v.build = b
		s = s[:i]
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		p, err := semverIdents(scheme, text, s[i+1:])
		if err != nil {
			return nil, err
		}
		v.pre = p
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		return nil, parseError(scheme, text, "more than three numbers")
	}
	nums := [3]string{"0", "0", "0"}
	for i, p := range parts {
		if !allDigits(p) {
			return nil, parseError(scheme, text, "not a number: "+p)
		}
		if p = strings.TrimLeft(p, "0"); p == "" {
			p = "0"
		}
		nums[i] = p
	}
	v.major, v.minor, v.patch = nums[0], nums[1], nums[2]
	return v, nil
}

func semverIdents(scheme, text, s string) ([]semverIdent, error) {
	var out []semverIdent
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return nil, parseError(scheme, text, "empty identifier")
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !isDigit(c) && !isAlpha(c) && c != '-' {
				return nil, parseError(scheme, text, "invalid character in "+id)
			}
		}
		out = append(out, semverIdent{s: id, numeric: allDigits(id)})
	}
	return out, nil
}

func (v *semver) String() string { return v.text }

func (v *semver) Compare(w Version) int {
	o, ok := w.(*semver)
	if !ok {
		return mismatch(v, w)
	}
	if c := cmpDigits(v.major, o.major); c != 0 {
		return c
	}
	if c := cmpDigits(v.minor, o.minor); c != 0 {
		return c
	}
	if c := cmpDigits(v.patch, o.patch); c != 0 {
		return c
	}
	// A version without prerelease ranks above any prerelease of it.
	switch {
	case len(v.pre) == 0 && len(o.pre) > 0:
		return 1
	case len(v.pre) > 0 && len(o.pre) == 0:
		return -1
	}
	if c := cmpIdents(v.pre, o.pre, false); c != 0 {
		return c
	}
	if !v.compareBuild {
		return 0
	}
	switch {
	case len(v.build) == 0 && len(o.build) > 0:
		return -1
	case len(v.build) > 0 && len(o.build) == 0:
		return 1
	}
	return cmpIdents(v.build, o.build, false)
}

// cmpIdents is SemVer's rule 11.4: numeric identifiers numerically and below
// alphanumeric ones, others in ASCII order (case-folded when fold is set,
// as NuGet does), and a shorter list first when all else is equal.
func cmpIdents(a, b []semverIdent, fold bool) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		var c int
		switch {
		case x.numeric && y.numeric:
			c = cmpDigits(x.s, y.s)
		case x.numeric:
			c = -1
		case y.numeric:
			c = 1
		case fold:
			c = strings.Compare(strings.ToLower(x.s), strings.ToLower(y.s))
		default:
			c = strings.Compare(x.s, y.s)
		}
		if c != 0 {
			return c
		}
	}
	return cmpInt(len(a), len(b))
}
