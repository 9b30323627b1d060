package version

import (
	"testing"
)

// ascending lists versions lowest first; each must compare below every
// later one, and above every earlier one.
type ascending struct {
	ecosystem string
	source    string
	versions  []string
}

var orderTables = []ascending{
	// semver.org, section 11.
	{"npm", "SemVer 2.0 §11", []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1"}},
	{"crates.io", "SemVer 2.0 §11", []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.11", "1.0.0", "1.0.1", "1.10.0"}},
	{SemVerName, "SemVer, numbers beyond 64 bits", []string{"1.0.0", "18446744073709551615.0.0", "18446744073709551616.0.0"}},
	// PEP 440, "Summary of permitted suffixes and relative ordering".
	{"PyPI", "PEP 440", []string{"1.dev0", "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1"}},
	{"PyPI", "PEP 440 epochs", []string{"2013.10", "2014.04", "1!1.0", "1!1.1", "2!0.1"}},
	// Maven ComparableVersionTest (maven-artifact 3.9).
	{"Maven", "ComparableVersionTest VERSIONS_QUALIFIER", []string{"1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11", "1-rc", "1-cr2", "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1", "1-1-snapshot", "1-1", "1-2", "1-123"}},
	{"Maven", "ComparableVersionTest VERSIONS_NUMBER", []string{"2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1", "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m"}},
	{"Maven", "MNG-5568", []string{"6.1.0rc3", "6.1.0", "6.1H.5-beta"}},
	{"Maven", "MNG-6572", []string{"20190126.230843", "1234567890.12345", "123456789012345.1H.5-beta", "12345678901234567890.1H.5-beta"}},
	{"Maven", "MNG-6964", []string{"1-0.alpha", "1-0.beta", "1"}},
	{"Maven", "MNG-7644", []string{"1.0.0.RC1", "1.0.0-RC2", "1.0.0"}},
	{"Maven", "ComparableVersionTest testVersionComparing", []string{"1.0-alpha-1", "1.0-alpha-2", "1.0-beta-1", "1.0-SNAPSHOT", "1.0", "1.0-1", "1.0-2", "2.0-1", "2.0.1", "2.0.1-klm", "2.0.1-lmn", "2.0.1-xyz", "2.0.1-123"}},
	// Go: pseudo-versions are prereleases ordered by time; +incompatible is metadata.
	{"Go", "Go modules reference", []string{"v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20200101000000-0123456789ab", "v0.0.1", "v1.2.3", "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4-pre", "v1.2.4-pre.0.20200101000000-0123456789ab", "v1.2.4", "v2.0.0+incompatible", "v2.1.0+incompatible"}},
	{"Go", "Go toolchain names", []string{"go1.9beta1", "go1.21rc2", "go1.21.0", "1.21.1", "go1.22.0"}},
	// Gem::Version documentation.
	{"RubyGems", "Gem::Version", []string{"1.0.a", "1.0.a.2", "1.0.a10", "1.0.b1", "1.0", "1.0.1", "1.1.pre", "1.1.rc1", "1.1", "2.0.0-rc1", "2.0.0"}},
	{"NuGet", "NuGet versioning", []string{"1.0.0-alpha", "1.0.0-alpha.2", "1.0.0-BETA", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0", "1.0.0.1", "1.0.1", "1.2"}},
	{"Packagist", "Composer stabilities", []string{"1.0.0-dev", "1.0.0-alpha1", "1.0.0-a2", "1.0.0-beta", "1.0.0-RC1", "1.0.0-rc2", "1.0.0", "1.0.0-p1", "1.0.0-patch2", "v1.0.1", "1.1", "2.0.0"}},
	{"Pub", "pub_semver build order", []string{"1.0.0-dev", "1.0.0", "1.0.0+1", "1.0.0+2", "1.0.1"}},
	{"Hex", "Elixir Version", []string{"1.0.0-rc.0", "1.0.0", "1.0.1"}},
	{"Debian", "generic fallback", []string{"1.0rc1", "1.0", "1.0.1", "1.2", "1.10", "2"}},
}

func TestOrderTables(t *testing.T) {
	for _, tab := range orderTables {
		sc, _ := For(tab.ecosystem)
		if tab.ecosystem == SemVerName {
			sc = SemVer
		}
		parsed := make([]Version, len(tab.versions))
		for i, s := range tab.versions {
			v, err := sc.Parse(s)
			if err != nil {
				t.Fatalf("%s (%s): %v", tab.ecosystem, tab.source, err)
			}
			parsed[i] = v
		}
		for i := range parsed {
			for j := range parsed {
				got := sign(parsed[i].Compare(parsed[j]))
				if want := sign(i - j); got != want {
					t.Errorf("%s (%s): compare(%q, %q) = %d, want %d", tab.ecosystem, tab.source, tab.versions[i], tab.versions[j], got, want)
				}
			}
		}
	}
}

func TestEqualVersions(t *testing.T) {
	for _, tc := range []struct{ ecosystem, a, b string }{
		{"npm", "v1.2.3", "1.2.3"},
		{"npm", "1.2.3+build.1", "1.2.3+build.2"},
		{"npm", "4.0", "4.0.0"},
		{"Go", "v2.0.0+incompatible", "v2.0.0"},
		{"Go", "1.6.0", "v1.6.0"},
		{"PyPI", "1.0", "1.0.0"},
		{"PyPI", "1.0-ALPHA_1", "1.0a1"},
		{"PyPI", "1.0-1", "1.0.post1"},
		{"PyPI", "1.0.rev2", "1.0post2"},
		{"PyPI", "v1.0", "1.0"},
		{"PyPI", "1.0c1", "1.0rc1"},
		{"PyPI", "1.0.preview1", "1.0rc1"},
		{"PyPI", "1.0a", "1.0a0"},
		{"PyPI", "0!1.0", "1.0"},
		{"PyPI", "1.0+ubuntu-1", "1.0+ubuntu.1"},
		// Maven ComparableVersionTest testVersionsEqual.
		{"Maven", "1", "1.0.0"},
		{"Maven", "1", "1-0"},
		{"Maven", "1.0", "1.0-0"},
		{"Maven", "1a", "1-a"},
		{"Maven", "1a", "1.0.0-a"},
		{"Maven", "1.0a", "1-a"},
		{"Maven", "1x", "1.0-x"},
		{"Maven", "1ga", "1"},
		{"Maven", "1release", "1"},
		{"Maven", "1final", "1"},
		{"Maven", "1cr", "1rc"},
		{"Maven", "1a1", "1-alpha-1"},
		{"Maven", "1b2", "1-beta-2"},
		{"Maven", "1m3", "1-milestone-3"},
		{"Maven", "1X", "1x"},
		{"Maven", "1FINAL", "1"},
		{"Maven", "1m3", "1MILESTONE3"},
		{"Maven", "1-abcdefghijklmnopqrstuvwxyz", "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
		{"Maven", "0000000000000000001", "1"},
		{"Maven", "0000000000000000000", "0"},
		{"RubyGems", "1.0", "1"},
		{"RubyGems", "1.0.a", "1.a"},
		{"NuGet", "1.0", "1.0.0.0"},
		{"NuGet", "1.0.0-Beta", "1.0.0-beta"},
		{"NuGet", "1.0.0+abc", "1.0.0"},
		{"Packagist", "v1.2", "1.2.0.0"},
		{"Packagist", "1.0.0-b2", "1.0.0-beta2"},
		{"Packagist", "1.0.0-stable", "1.0.0"},
	} {
		c, err := Compare(tc.ecosystem, tc.a, tc.b)
		if err != nil || c != 0 {
			t.Errorf("%s: compare(%q, %q) = %d, %v; want equal", tc.ecosystem, tc.a, tc.b, c, err)
		}
	}
}

func TestMavenCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"1.0.0":            "1",
		"1.0-alpha-1":      "1-alpha1", // "X-1" reads as "X1"
		"1.0-SNAPSHOT":     "1-snapshot",
		"2.0.1-xyz":        "2.0.1-xyz",
		"1.0.0.RC1":        "1-rc1",
		"1.2.3.Final":      "1.2.3-final", // equal to 1.2.3 but kept in the canonical form
		"3.0.0.RELEASE":    "3-release",
		"2.9.10.1":         "2.9.10.1",
		"1.4.7-jenkins-1":  "1.4.7-jenkins1",
		"5.3.0.CR2":        "5.3-rc2",
		"1.0-beta-2":       "1-beta2",
		"1.0.0-alpha2snap": "1-alpha2-snap",
	} {
		v, err := Parse("Maven", in)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.(*maven).Canonical(); got != want {
			t.Errorf("canonical(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ ecosystem, v string }{
		{"npm", ""},
		{"npm", "1.2.3.4"},
		{"npm", "1.x"},
		{"npm", "1.2.3-"},
		{"npm", "1.2.3-a..b"},
		{"PyPI", "1.0-foo"},
		{"PyPI", "french toast"},
		{"RubyGems", "1.0 beta"},
		{"NuGet", "1.2.3.4.5"},
		{"Go", "vx.y.z"},
		{"Maven", " "},
	} {
		if _, err := Parse(tc.ecosystem, tc.v); err == nil {
			t.Errorf("%s: Parse(%q) succeeded, want an error", tc.ecosystem, tc.v)
		}
	}
}

func TestForFallsBack(t *testing.T) {
	if s, ok := For("Maven:https://maven.google.com"); !ok || s.Name() != "Maven" {
		t.Errorf("For(Maven:url) = %v, %v", s, ok)
	}
	if s, ok := For("Debian:12"); ok || s.Name() != GenericName {
		t.Errorf("For(Debian:12) = %v, %v; want the generic fallback", s, ok)
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
