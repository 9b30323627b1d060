package inventory

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/supply"
)

// TestFixtures scans each testdata/<case> folder and compares with its
// want.txt: one line per package, "ecosystem name version [direct] [dev]
// @line" (or "@file:line" for another file than the one that names it),
// and "skip ecosystem name" for dependencies that must be listed as
// skipped. The package list must match exactly.
func TestFixtures(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "want.txt"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, wantFile := range dirs {
		dir := filepath.Dir(wantFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			res, err := Scan(context.Background(), []string{dir}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Errors {
				t.Errorf("error: %v", e)
			}
			wantPkgs, wantSkips := readWant(t, wantFile)
			var got []string
			for _, p := range res.Packages {
				got = append(got, describe(p))
				if p.PURL == "" {
					t.Errorf("%s %s has no purl", p.Name, p.Version)
				}
			}
			sort.Strings(got)
			var want []string
			for _, w := range wantPkgs {
				want = append(want, w.key)
			}
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("packages:\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			for _, w := range wantPkgs {
				p := find(res.Packages, w.key)
				if p == nil {
					continue
				}
				if !hasLocation(p.Locations, w.file, w.line) {
					t.Errorf("%s: locations %v, want line %s:%d", w.key, p.Locations, w.file, w.line)
				}
			}
			for _, s := range wantSkips {
				found := false
				for _, got := range res.Skipped {
					if got.Ecosystem == s[0] && got.Name == s[1] {
						found = true
						if got.Reason == "" || got.Location.File == "" {
							t.Errorf("skipped %v has no reason or location", got)
						}
					}
				}
				if !found {
					t.Errorf("want %s %q skipped; skipped: %+v", s[0], s[1], res.Skipped)
				}
			}
			if len(res.Files) == 0 {
				t.Error("no file status")
			}
		})
	}
}

type wantPkg struct {
	key  string
	file string // "" for the first location's file
	line int
}

func readWant(t *testing.T, path string) ([]wantPkg, [][2]string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []wantPkg
	var skips [][2]string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if rest, ok := strings.CutPrefix(line, "skip "); ok {
			eco, name, _ := strings.Cut(rest, " ")
			skips = append(skips, [2]string{eco, name})
			continue
		}
		f := strings.Fields(line)
		at := f[len(f)-1]
		w := wantPkg{key: strings.Join(f[:len(f)-1], " ")}
		loc := strings.TrimPrefix(at, "@")
		if i := strings.LastIndexByte(loc, ':'); i >= 0 {
			w.file, loc = loc[:i], loc[i+1:]
		}
		w.line, err = strconv.Atoi(loc)
		if err != nil {
			t.Fatalf("%s: bad line %q", path, line)
		}
		pkgs = append(pkgs, w)
	}
	return pkgs, skips
}

func describe(p supply.Package) string {
	s := p.Ecosystem + " " + p.Name + " " + p.Version
	if p.Direct {
		s += " direct"
	}
	if p.Dev {
		s += " dev"
	}
	return s
}

func find(pkgs []supply.Package, key string) *supply.Package {
	for i := range pkgs {
		if describe(pkgs[i]) == key {
			return &pkgs[i]
		}
	}
	return nil
}

func hasLocation(locs []supply.Location, file string, line int) bool {
	for i, l := range locs {
		if file == "" && i == 0 && l.Line == line {
			return true
		}
		if file != "" && filepath.Base(l.File) == file && l.Line == line {
			return true
		}
	}
	return false
}

// TestEveryExtractorHasFixture keeps the list and the fixtures in step.
func TestEveryExtractorHasFixture(t *testing.T) {
	covered := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*"))
	for _, f := range files {
		for _, ex := range Extractors() {
			if ex.Matches(f) {
				covered[ex.Format()] = true
			}
		}
	}
	for _, ex := range Extractors() {
		if !covered[ex.Format()] {
			t.Errorf("no fixture for %s", ex.Format())
		}
	}
}

// TestMalformed: each broken file gives an error that names the file and a
// position, and the good file beside it is still scanned.
func TestMalformed(t *testing.T) {
	cases := map[string]string{
		"package-lock.json": "{\n  \"packages\": {\n    \"node_modules/a\": {\"version\": 1}\n  }\n}\n",
		"Pipfile.lock":      "{\"default\": {\"x\": {\"version\": \"==1\"}",
		"composer.lock":     "{\"packages\": [{\"name\": \"a/b\", \"version\": 1.0}]}",
		"Cargo.lock":        "[[package]]\nname = \"a\nversion = \"1\"\n",
		"poetry.lock":       "[[package]]\nname = \"a\"\nversion = [1, 2\n",
		"go.mod":            "module x\n\ngo 1.21\n\nrequire (\n\tgithub.com/a/b\n)\n",
		"pom.xml":           "<project>\n  <dependencies>\n    <dependency>\n  </dependencies>\n</project>\n",
		"pnpm-lock.yaml":    "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {\n",
		"yarn.lock":         "  version \"1.0.0\"\n",
		"gradle.lockfile":   "just-a-name\n",
		"bom.json":          "{\"bomFormat\": \"CycloneDX\", \"components\": [}",
		"x.spdx.json":       "{\"spdxVersion\": \"SPDX-2.3\", \"packages\": 5}",
		"x.spdx":            "SPDXVersion: SPDX-2.3\nno colon here\n",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("six==1.16.0\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := Scan(context.Background(), []string{dir}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) != 1 {
				t.Fatalf("errors = %v, want one", res.Errors)
			}
			var pe *ParseError
			if !errors.As(res.Errors[0], &pe) {
				t.Fatalf("error %v is not a ParseError", res.Errors[0])
			}
			if pe.File != filepath.Join(dir, name) || (pe.Line == 0 && pe.Offset < 0 && pe.Path == "") {
				t.Errorf("error %q lacks the file or a position", pe)
			}
			if len(res.Packages) != 1 || res.Packages[0].Name != "six" {
				t.Errorf("the good file was not scanned: %+v", res.Packages)
			}
		})
	}
}

func TestFileLimitAndUnknown(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "package-lock.json")
	if err := os.WriteFile(big, []byte(`{"packages": {}}`+strings.Repeat(" ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Scan(context.Background(), []string{big}, Options{MaxFileSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "limit") {
		t.Errorf("errors = %v, want the size limit", res.Errors)
	}
	other := filepath.Join(dir, "notes.txt")
	os.WriteFile(other, []byte("hi"), 0o644)
	res, _ = Scan(context.Background(), []string{other, filepath.Join(dir, "missing")}, Options{})
	if len(res.Errors) != 2 {
		t.Errorf("errors = %v, want unknown format and missing file", res.Errors)
	}
}

func TestSkipDirs(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"node_modules/x", ".git", "app"} {
		os.MkdirAll(filepath.Join(dir, sub), 0o755)
		os.WriteFile(filepath.Join(dir, sub, "requirements.txt"), []byte("six==1.16.0\n"), 0o644)
	}
	res, _ := Scan(context.Background(), []string{dir}, Options{})
	if len(res.Files) != 1 || !strings.Contains(res.Files[0].Path, "app") {
		t.Errorf("files = %+v, want only app/requirements.txt", res.Files)
	}
	res, _ = Scan(context.Background(), []string{dir}, Options{SkipDirs: []string{}})
	if len(res.Files) != 3 {
		t.Errorf("with no skip list, files = %+v", res.Files)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Scan(ctx, []string{dir}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled scan: err = %v", err)
	}
}

func TestPURL(t *testing.T) {
	for _, tc := range []struct{ eco, name, version, want string }{
		{supply.Npm, "@babel/core", "7.0.0", "pkg:npm/%40babel/core@7.0.0"},
		{supply.Npm, "lodash", "4.17.21", "pkg:npm/lodash@4.17.21"},
		{supply.Maven, "org.apache.logging.log4j:log4j-core", "2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		{supply.Go, "github.com/foo/bar/v2", "v2.0.0+incompatible", "pkg:golang/github.com/foo/bar/v2@v2.0.0+incompatible"},
		{supply.Go, "stdlib", "1.21.0", "pkg:golang/stdlib@1.21.0"},
		{supply.PyPI, "Django_Rest", "1.0", "pkg:pypi/django-rest@1.0"},
		{supply.Packagist, "guzzlehttp/guzzle", "7.4.5", "pkg:composer/guzzlehttp/guzzle@7.4.5"},
		{supply.CocoaPods, "Firebase/Core", "10.0.0", "pkg:cocoapods/Firebase@10.0.0#Core"},
		{supply.SwiftURL, "github.com/apple/swift-nio", "2.58.0", "pkg:swift/github.com/apple/swift-nio@2.58.0"},
		{"Unknown", "x", "1", ""},
	} {
		got := PURL(tc.eco, tc.name, tc.version)
		if got != tc.want {
			t.Errorf("PURL(%s, %s, %s) = %q, want %q", tc.eco, tc.name, tc.version, got, tc.want)
			continue
		}
		if got == "" {
			continue
		}
		pp, err := ParsePURL(got)
		if err != nil {
			t.Errorf("ParsePURL(%q): %v", got, err)
			continue
		}
		eco, name, ok := PackageFromPURL(pp)
		if tc.eco == supply.PyPI {
			name = tc.name // lowercased by the purl spec
		}
		if !ok || eco != tc.eco || name != tc.name || pp.Version != tc.version {
			t.Errorf("round trip of %q = %s %s %s", got, eco, name, pp.Version)
		}
	}
}
