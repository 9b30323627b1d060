package inventory

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/supply"
)

func scanShared(t testing.TB, elem ...string) Result {
	t.Helper()
	path := testdata.Path(t, append([]string{"supply", "lockfiles"}, elem...)...)
	res, err := Scan(context.Background(), []string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Errorf("error: %v", e)
	}
	return res
}

func findPkg(res Result, eco, name, version string) *supply.Package {
	for i := range res.Packages {
		p := &res.Packages[i]
		if p.Ecosystem == eco && p.Name == name && (version == "" || p.Version == version) {
			return p
		}
	}
	return nil
}

func count(res Result, eco string) int {
	n := 0
	for _, p := range res.Packages {
		if p.Ecosystem == eco {
			n++
		}
	}
	return n
}

// TestSharedLockfiles checks counts and spot values on every shared
// lockfile (counts are distinct ecosystem/name/version).
func TestSharedLockfiles(t *testing.T) {
	t.Run("nodejs-goof", func(t *testing.T) {
		res := scanShared(t, "npm-nodejs-goof")
		if n := count(res, supply.Npm); n != 980 {
			t.Errorf("%d npm packages, want 980", n)
		}
		p := findPkg(res, supply.Npm, "jquery", "2.2.4")
		if p == nil || !p.Direct || p.PURL != "pkg:npm/jquery@2.2.4" || p.Locations[0].Line == 0 {
			t.Errorf("jquery 2.2.4 = %+v", p)
		}
		if findPkg(res, supply.Npm, "@babel/core", "") == nil && findPkg(res, supply.Npm, "@types/node", "") == nil {
			t.Log("no scoped package in nodejs-goof")
		}
	})
	t.Run("nodegoat", func(t *testing.T) {
		res := scanShared(t, "npm-nodegoat")
		if n := count(res, supply.Npm); n != 1091 {
			t.Errorf("%d npm packages, want 1091", n)
		}
	})
	t.Run("juice-shop manifest only", func(t *testing.T) {
		res := scanShared(t, "npm-juice-shop-manifest-only")
		if len(res.Skipped) < 100 {
			t.Errorf("%d skipped ranges, want over 100", len(res.Skipped))
		}
		for _, p := range res.Packages {
			if !p.Direct {
				t.Errorf("%s from package.json is not direct", p.Name)
			}
		}
	})
	t.Run("pygoat", func(t *testing.T) {
		res := scanShared(t, "pypi-pygoat")
		if n := count(res, supply.PyPI); n != 34 {
			t.Errorf("%d PyPI packages, want 34", n)
		}
		if p := findPkg(res, supply.PyPI, "Django", "4.2"); p == nil || p.PURL != "pkg:pypi/django@4.2" {
			t.Errorf("Django 4.2 = %+v", p)
		}
		if findPkg(res, supply.PyPI, "PyYAML", "5.1") == nil {
			t.Error("PyYAML 5.1 missing")
		}
	})
	t.Run("ripgrep", func(t *testing.T) {
		res := scanShared(t, "cargo-ripgrep-0.10.0")
		if n := count(res, supply.CratesIO); n != 86 {
			t.Errorf("%d crates, want 86", n)
		}
		if findPkg(res, supply.CratesIO, "regex", "1.0.5") == nil || findPkg(res, supply.CratesIO, "grep-cli", "0.1.1") == nil {
			t.Error("regex 1.0.5 or the workspace crate grep-cli 0.1.1 missing")
		}
	})
	t.Run("webgoat", func(t *testing.T) {
		res := scanShared(t, "maven-webgoat-8.0.0-vulnerable-components")
		p := findPkg(res, supply.Maven, "com.thoughtworks.xstream:xstream", "1.4.7")
		if p == nil || p.PURL != "pkg:maven/com.thoughtworks.xstream/xstream@1.4.7" || p.Locations[0].Line != 12 {
			t.Errorf("xstream 1.4.7 = %+v", p)
		}
		if n := count(res, supply.Maven); n != 5 {
			t.Errorf("%d Maven packages, want 5", n)
		}
	})
	t.Run("tailscale MVS", func(t *testing.T) {
		res := scanShared(t, "go-tailscale-v1.0.0")
		// go 1.14: go.mod's 31 requirements, raised to go.sum's highest
		// version, plus modules with code in go.sum, plus stdlib.
		if n := count(res, supply.Go); n != 60 {
			t.Errorf("%d Go packages, want 60", n)
		}
		versions := map[string]int{}
		for _, p := range res.Packages {
			versions[p.Name]++
		}
		for name, n := range versions {
			if n > 1 {
				t.Errorf("%s reported at %d versions; MVS selects one", name, n)
			}
		}
		if p := findPkg(res, supply.Go, "golang.org/x/crypto", "v0.0.0-20200317142112-1b76d66859c6"); p == nil || !p.Direct {
			t.Errorf("x/crypto = %+v", p)
		}
		if p := findPkg(res, supply.Go, "stdlib", "1.14"); p == nil {
			t.Error("stdlib 1.14 missing")
		}
		// go.sum lists golang.org/x/text at v0.3.0 and v0.3.2: MVS picks v0.3.2.
		if findPkg(res, supply.Go, "golang.org/x/text", "v0.3.0") != nil || findPkg(res, supply.Go, "golang.org/x/text", "v0.3.2") == nil {
			t.Error("golang.org/x/text: want only v0.3.2")
		}
	})
}

// TestExpectedFindingsCovered: every package osv-scanner 2.5.0 found a
// vulnerability in must be in the inventory, at the same version.
func TestExpectedFindingsCovered(t *testing.T) {
	for file, dir := range map[string]string{
		"npm-nodejs-goof.tsv":      "npm-nodejs-goof",
		"pypi-pygoat.tsv":          "pypi-pygoat",
		"cargo-ripgrep-0.10.0.tsv": "cargo-ripgrep-0.10.0",
	} {
		t.Run(dir, func(t *testing.T) {
			res := scanShared(t, dir)
			f, err := os.Open(testdata.Path(t, "supply", "expected", file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Scan() // header
			n := 0
			for sc.Scan() {
				cols := strings.Split(sc.Text(), "\t")
				if len(cols) < 3 {
					continue
				}
				n++
				name := cols[1]
				if cols[0] == supply.PyPI {
					// osv-scanner writes PEP 503 names; the inventory keeps
					// the file's spelling ("Django").
					for _, p := range res.Packages {
						if p.Ecosystem == supply.PyPI && pypiCanonical(p.Name) == pypiCanonical(name) {
							name = p.Name
						}
					}
				}
				if findPkg(res, cols[0], name, cols[2]) == nil {
					t.Errorf("%s %s %s (%s) not in the inventory", cols[0], cols[1], cols[2], cols[3])
				}
			}
			if n == 0 {
				t.Error("no expected rows")
			}
		})
	}
}

func BenchmarkScanNodejsGoof(b *testing.B) {
	path := testdata.Path(b, "supply", "lockfiles", "npm-nodejs-goof")
	b.ReportAllocs()
	for b.Loop() {
		res, err := Scan(context.Background(), []string{path}, Options{})
		if err != nil || len(res.Packages) == 0 {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanAllShared(b *testing.B) {
	path := testdata.Path(b, "supply", "lockfiles")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(context.Background(), []string{path}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
