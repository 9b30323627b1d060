package inventory

import (
	"os"
	"path/filepath"
	"testing"
)

// fuzzExtract runs one extractor on arbitrary bytes: it must not panic,
// and an error must be a *ParseError naming the file (or, for the few
// checks outside parsing, at least name it).
func fuzzExtract(f *testing.F, name string, seeds ...string) {
	f.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "*", name))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	var ex Extractor
	for _, e := range Extractors() {
		if e.Matches(name) {
			ex = e
			break
		}
	}
	if ex == nil {
		f.Fatalf("no extractor for %s", name)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := ex.Extract(&Input{Path: name, Data: data})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, p := range out.Packages {
			if p.Name == "" || len(p.Locations) != 1 || p.Locations[0].File != name {
				t.Fatalf("bad package %+v", p)
			}
		}
	})
}

func FuzzPackageLock(f *testing.F) {
	fuzzExtract(f, "package-lock.json", `{"packages":{"node_modules/a":{"version":"1.0.0"}}}`, `{"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"2.0.0"}}}}}`)
}
func FuzzPackageJSON(f *testing.F) { fuzzExtract(f, "package.json", `{"dependencies":{"a":"1.0.0"}}`) }
func FuzzPnpmLock(f *testing.F)    { fuzzExtract(f, "pnpm-lock.yaml", "packages:\n  /a/1.0.0: {}\n") }
func FuzzYarnLock(f *testing.F)    { fuzzExtract(f, "yarn.lock", "a@^1:\n  version \"1.0.0\"\n") }
func FuzzBunLock(f *testing.F)     { fuzzExtract(f, "bun.lock", `{"packages":{"a":["a@1.0.0"],},}`) }
func FuzzRequirements(f *testing.F) {
	fuzzExtract(f, "requirements.txt", "a==1.0 \\\n  --hash=sha256:x\n-r other.txt\nb>=2 ; python_version<'3'\n")
}
func FuzzPipfileLock(f *testing.F) {
	fuzzExtract(f, "Pipfile.lock", `{"default":{"a":{"version":"==1"}}}`)
}
func FuzzPoetryLock(f *testing.F) {
	fuzzExtract(f, "poetry.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\ngroups = [\"main\"]\n")
}
func FuzzUvLock(f *testing.F) {
	fuzzExtract(f, "uv.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { virtual = \".\" }\ndependencies = [{ name = \"b\" }]\n")
}
func FuzzPdmLock(f *testing.F) {
	fuzzExtract(f, "pdm.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\n")
}
func FuzzGoMod(f *testing.F) {
	fuzzExtract(f, "go.mod", "module m\n\ngo 1.14\n\nrequire a.b/c v1.0.0\n", "module m\ntoolchain go1.22.0\nreplace a.b/c => ./x\n")
}
func FuzzGoSum(f *testing.F) {
	f.Add([]byte("a.b/c v1.0.0 h1:x=\na.b/c v1.0.0/go.mod h1:y=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = parseGoSum("go.sum", data)
	})
}
func FuzzCargoLock(f *testing.F) {
	fuzzExtract(f, "Cargo.lock", "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n[root]\nname = \"r\"\nversion = \"0.1.0\"\n")
}
func FuzzPom(f *testing.F) {
	fuzzExtract(f, "pom.xml", "<project><properties><v>${v}</v></properties><dependencies><dependency><groupId>g</groupId><artifactId>a</artifactId><version>${v}</version></dependency></dependencies></project>")
}
func FuzzGradleLockfile(f *testing.F) { fuzzExtract(f, "gradle.lockfile", "g:a:1=compileClasspath\n") }
func FuzzNuGetLock(f *testing.F) {
	fuzzExtract(f, "packages.lock.json", `{"dependencies":{"net6.0":{"A":{"type":"Direct","resolved":"1.0"}}}}`)
}
func FuzzComposerLock(f *testing.F) {
	fuzzExtract(f, "composer.lock", `{"packages":[{"name":"a/b","version":"1.0"}]}`)
}
func FuzzGemfileLock(f *testing.F) {
	fuzzExtract(f, "Gemfile.lock", "GEM\n  specs:\n    a (1.0)\n\nDEPENDENCIES\n  a\n")
}
func FuzzPubspecLock(f *testing.F) {
	fuzzExtract(f, "pubspec.lock", "packages:\n  a:\n    version: \"1.0.0\"\n")
}
func FuzzMixLock(f *testing.F) {
	fuzzExtract(f, "mix.lock", `%{"a": {:hex, :a, "1.0.0", "x", [:mix], [], "hexpm", "y"}}`)
}
func FuzzPodfileLock(f *testing.F) {
	fuzzExtract(f, "Podfile.lock", "PODS:\n  - A (1.0)\n  - B (2.0):\n    - A\n")
}
func FuzzPackageResolved(f *testing.F) {
	fuzzExtract(f, "Package.resolved", `{"object":{"pins":[{"package":"a","repositoryURL":"https://github.com/a/b.git","state":{"version":"1.0.0"}}]}}`)
}
func FuzzCycloneDX(f *testing.F) {
	fuzzExtract(f, "bom.json", `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"a","purl":"pkg:npm/a@1"}]}`)
}
func FuzzCycloneDXXML(f *testing.F) {
	fuzzExtract(f, "bom.xml", `<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library"><name>a</name><purl>pkg:npm/a@1</purl></component></components></bom>`)
}
func FuzzSPDX(f *testing.F) {
	fuzzExtract(f, "x.spdx.json", `{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"SPDXRef-a","name":"a","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:npm/a@1"}]}]}`)
}
func FuzzSPDXTagValue(f *testing.F) {
	fuzzExtract(f, "x.spdx", "SPDXVersion: SPDX-2.3\nPackageName: a\nSPDXID: SPDXRef-a\nExternalRef: PACKAGE-MANAGER purl pkg:npm/a@1\n")
}
func FuzzPURL(f *testing.F) {
	f.Add("pkg:npm/%40a/b@1.0.0?x=y#sub")
	f.Add("pkg:maven/g/a@1")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePURL(s)
		if err != nil {
			return
		}
		if eco, name, ok := PackageFromPURL(p); ok && name != "" {
			_ = PURL(eco, name, p.Version)
		}
	})
}
