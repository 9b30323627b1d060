package version

import "strings"

// nugetScheme is NuGet's NuGetVersion order: up to four numbers
// (Major.Minor.Patch.Revision, missing ones 0), a release above its
// prereleases, prerelease labels compared as SemVer 2 but without regard to
// case, and build metadata ignored.
type nugetScheme struct{}

func (nugetScheme) Name() string { return "NuGet" }

type nuget struct {
	text string
	nums [4]string
	pre  []semverIdent
}

func (nugetScheme) Parse(text string) (Version, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return nil, parseError("NuGet", text, "empty")
	}
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if _, err := semverIdents("NuGet", text, s[i+1:]); err != nil {
			return nil, err
		}
		s = s[:i]
	}
	v := &nuget{text: text, nums: [4]string{"0", "0", "0", "0"}}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		p, err := semverIdents("NuGet", text, s[i+1:])
		if err != nil {
			return nil, err
		}
		v.pre = p
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return nil, parseError("NuGet", text, "more than four numbers")
	}
	for i, p := range parts {
		if !allDigits(p) {
			return nil, parseError("NuGet", text, "not a number: "+p)
		}
		v.nums[i] = p
	}
	return v, nil
}

func (v *nuget) String() string { return v.text }

func (v *nuget) Compare(w Version) int {
	o, ok := w.(*nuget)
	if !ok {
		return mismatch(v, w)
	}
	for i := range v.nums {
		if c := cmpDigits(v.nums[i], o.nums[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(v.pre) == 0 && len(o.pre) > 0:
		return 1
	case len(v.pre) > 0 && len(o.pre) == 0:
		return -1
	}
	return cmpIdents(v.pre, o.pre, true)
}
