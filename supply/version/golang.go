package version

import "strings"

// goScheme orders Go module versions: semver with a "v" prefix (optional
// here, as OSV writes Go ranges without it), "+incompatible" as build
// metadata that does not change the order, and pseudo-versions
// (v0.0.0-20191109021931-daa7c04131f5, v1.2.4-0.2019...) as the
// prereleases they are, which SemVer precedence already orders by time.
// Toolchain names ("go1.21.3", "go1.21rc2", "1.22") are accepted for the
// "stdlib" and "toolchain" packages.
type goScheme struct{}

func (goScheme) Name() string { return "Go" }

func (goScheme) Parse(text string) (Version, error) {
	s := strings.TrimSpace(text)
	if strings.HasPrefix(s, "go") {
		s = goToolchainSemver(s[2:])
	}
	v, err := parseSemver("Go", s)
	if err != nil {
		return nil, err
	}
	v.text = text
	return v, nil
}

// goToolchainSemver turns a Go release name without its "go" prefix into
// semver: "1.21rc2" is 1.21.0-rc.2, "1.9beta1" is 1.9.0-beta.1, "1.21" is
// 1.21.0, as the Go vulnerability database writes them.
func goToolchainSemver(s string) string {
	for _, pre := range []string{"rc", "beta", "alpha"} {
		if i := strings.Index(s, pre); i > 0 {
			core, n := s[:i], s[i+len(pre):]
			if strings.Count(core, ".") == 1 {
				core += ".0"
			}
			if n == "" {
				return core + "-" + pre
			}
			return core + "-" + pre + "." + n
		}
	}
	return s
}
