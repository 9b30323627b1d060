// Package version orders package versions the way each ecosystem does:
// npm, crates.io, Pub, Hex and SwiftURL by SemVer 2.0 (npm's loose spelling
// accepted), PyPI by PEP 440, Go by semver with its v prefix, pseudo-versions
// and toolchain names, Maven by Maven's ComparableVersion, RubyGems by
// Gem::Version, NuGet by NuGetVersion, Packagist by Composer's normalised
// form and PHP's version_compare; anything else by a generic
// number-and-word order.
//
// A version is parsed once (Parse) and compared many times (Version.Compare),
// because matching a lockfile against a database compares each package
// version with hundreds of range bounds.
package version

import (
	"errors"
	"fmt"
	"strings"
)

// Version is one parsed version of one scheme.
type Version interface {
	// Compare returns a negative number, zero or a positive number as the
	// version sorts before, equal to or after w. Both must come from the
	// same Scheme; versions of different schemes compare by their text.
	Compare(w Version) int
	// String returns the version as it was written.
	String() string
}

// Scheme parses the versions of one ordering.
type Scheme interface {
	// Name is the scheme's name: an OSV ecosystem, "SemVer" or "generic".
	Name() string
	Parse(s string) (Version, error)
}

// ErrEmpty is returned for an empty version string.
var ErrEmpty = errors.New("empty version")

// Scheme names that are not OSV ecosystems.
const (
	SemVerName  = "SemVer"
	GenericName = "generic"
)

// SemVer is strict-enough SemVer 2.0 precedence, the order of OSV SEMVER
// ranges in every ecosystem. It accepts a leading "v" and missing minor or
// patch numbers, because Go versions carry a "v" and advisories write "4.0".
var SemVer Scheme = semverScheme{name: SemVerName}

// Generic orders versions by runs of digits (numerically) and letters
// (lexically); it is the fallback for ecosystems without their own scheme.
var Generic Scheme = genericScheme{}

// schemes maps an ecosystem name (without any ":suffix") to its scheme.
var schemes = map[string]Scheme{
	"npm":       semverScheme{name: "npm"},
	"crates.io": semverScheme{name: "crates.io"},
	"Hex":       semverScheme{name: "Hex"},
	"SwiftURL":  semverScheme{name: "SwiftURL"},
	"Pub":       semverScheme{name: "Pub", compareBuild: true},
	"Go":        goScheme{},
	"PyPI":      pep440Scheme{},
	"Maven":     mavenScheme{},
	"RubyGems":  gemScheme{},
	"NuGet":     nugetScheme{},
	"Packagist": composerScheme{},
}

// BaseEcosystem strips an OSV ecosystem's ":<suffix>" (release or remote
// repository), which does not change the version order: "Maven:https://..."
// orders like "Maven".
func BaseEcosystem(ecosystem string) string {
	if i := strings.IndexByte(ecosystem, ':'); i >= 0 {
		return ecosystem[:i]
	}
	return ecosystem
}

// For returns the scheme of an OSV ecosystem, and whether the ecosystem has
// a scheme of its own; when it does not, the Generic scheme is returned.
func For(ecosystem string) (Scheme, bool) {
	if s, ok := schemes[BaseEcosystem(ecosystem)]; ok {
		return s, true
	}
	return Generic, false
}

// Known reports whether the ecosystem has its own version scheme.
func Known(ecosystem string) bool {
	_, ok := For(ecosystem)
	return ok
}

// Parse parses s in the ecosystem's scheme.
func Parse(ecosystem, s string) (Version, error) {
	sc, _ := For(ecosystem)
	return sc.Parse(s)
}

// Compare parses a and b in the ecosystem's scheme and compares them.
func Compare(ecosystem, a, b string) (int, error) {
	sc, _ := For(ecosystem)
	va, err := sc.Parse(a)
	if err != nil {
		return 0, err
	}
	vb, err := sc.Parse(b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}

// parseError is the error of every parser: the scheme, the text and why.
func parseError(scheme, s, why string) error {
	return fmt.Errorf("%s version %q: %s", scheme, s, why)
}

// cmpInt orders two ints.
func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpDigits orders two strings of ASCII digits numerically without
// converting them, so that 30-digit build numbers cannot overflow.
func cmpDigits(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if c := cmpInt(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// mismatch orders versions of different schemes by text, so that Compare
// is still a total order when a caller mixes schemes by mistake.
func mismatch(v, w Version) int {
	return strings.Compare(v.String(), w.String())
}
