package version

import (
	"regexp"
	"testing"
)

// fuzzSchemes are every scheme the fuzz targets exercise.
var fuzzSchemes = []Scheme{
	SemVer, Generic,
	schemes["npm"], schemes["Pub"], schemes["Go"], schemes["PyPI"],
	schemes["Maven"], schemes["RubyGems"], schemes["NuGet"], schemes["Packagist"],
}

func fuzzSeeds(f *testing.F) {
	for _, tab := range orderTables {
		for i := 0; i+2 < len(tab.versions); i += 2 {
			f.Add(tab.versions[i], tab.versions[i+1], tab.versions[i+2])
		}
	}
	f.Add("1-a-1-", "-", "..")
	f.Add("1.0-", "a-1.b-2", "0-0.0-a")
}

// FuzzCompare checks that no parser panics and that each scheme's Compare
// is reflexive, antisymmetric and transitive on whatever parses.
func FuzzCompare(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, a, b, c string) {
		for _, sc := range fuzzSchemes {
			va, errA := sc.Parse(a)
			vb, errB := sc.Parse(b)
			vc, errC := sc.Parse(c)
			if errA != nil || errB != nil || errC != nil {
				continue
			}
			if va.Compare(va) != 0 {
				t.Fatalf("%s: %q != itself", sc.Name(), a)
			}
			ab, ba := sign(va.Compare(vb)), sign(vb.Compare(va))
			if ab != -ba {
				t.Fatalf("%s: compare(%q,%q)=%d but compare(%q,%q)=%d", sc.Name(), a, b, ab, b, a, ba)
			}
			if sc.Name() == "Maven" && (mavenMidQualifier(a) || mavenMidQualifier(b) || mavenMidQualifier(c)) {
				continue
			}
			bc, ac := sign(vb.Compare(vc)), sign(va.Compare(vc))
			if ab <= 0 && bc <= 0 && ac > 0 {
				t.Fatalf("%s: %q <= %q <= %q but %q > %q", sc.Name(), a, b, c, a, c)
			}
			if ab >= 0 && bc >= 0 && ac < 0 {
				t.Fatalf("%s: %q >= %q >= %q but %q < %q", sc.Name(), a, b, c, a, c)
			}
		}
	})
}

// mavenMidQualifier reports a version outside the usual Maven shapes
// (numbers joined by ".", then "-" and a word or a number, repeated).
// Maven's ComparableVersion itself is not transitive on such text:
// "1.RC" > "1.A." > "1" yet "1.RC" < "1", and "1-0A0A0A" > "1-A" > "1" yet
// "1-0A0A0A" < "1", because a trailing qualifier opens a sub-list and an
// inner one does not. We keep Maven's order, so transitivity is checked on
// the usual shapes only.
func mavenMidQualifier(s string) bool {
	return !mavenUsualShape.MatchString(s)
}

var mavenUsualShape = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*(-([a-zA-Z]+|[0-9]+))*$`)
