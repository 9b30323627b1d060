package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/osv"
)

var (
	supplyDBOnce sync.Once
	supplyDBDir  string
	supplyDBErr  string
)

// supplyDB imports the shared OSV database and KEV catalogue once, with
// the real command, into a directory shared by the tests of this package.
func supplyDB(t *testing.T) string {
	t.Helper()
	src := testdata.Path(t, "supply")
	supplyDBOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bulwark-supply-")
		if err != nil {
			supplyDBErr = err.Error()
			return
		}
		supplyDBDir = dir
		if code, _, errb := run(t, "db", "import", "--db", dir, src); code != exitOK {
			supplyDBErr = errb
		}
	})
	if supplyDBErr != "" {
		t.Fatalf("db import: %s", supplyDBErr)
	}
	return supplyDBDir
}

// TestScanExpected runs 'bulwark scan --format json' on the shared
// lockfiles that have osv-scanner 2.5.0's results beside them and
// compares (ecosystem, package, version, id).
func TestScanExpected(t *testing.T) {
	dir := supplyDB(t)
	lock := testdata.Path(t, "supply", "lockfiles")
	for _, c := range []struct{ expected, lockfile string }{
		{"npm-nodejs-goof.tsv", "npm-nodejs-goof"},
		{"pypi-pygoat.tsv", "pypi-pygoat"},
		{"cargo-ripgrep-0.10.0.tsv", "cargo-ripgrep-0.10.0"},
	} {
		t.Run(c.lockfile, func(t *testing.T) {
			code, out, errb := run(t, "scan", "--db", dir, "--format", "json", filepath.Join(lock, c.lockfile))
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errb)
			}
			got := findingKeys(t, out)
			want := expectedKeys(t, testdata.Path(t, "supply", "expected", c.expected))
			var missing, extra []string
			for k := range want {
				if !got[k] {
					missing = append(missing, k)
				}
			}
			for k := range got {
				if !want[k] {
					extra = append(extra, k)
				}
			}
			sort.Strings(missing)
			sort.Strings(extra)
			if len(missing)+len(extra) > 0 {
				t.Errorf("%d expected, %d found; missing %v; extra %v", len(want), len(got), missing, extra)
			}
			t.Logf("%s: %d findings, all equal to osv-scanner's", c.lockfile, len(got))
		})
	}
}

func findingKeys(t *testing.T, out string) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	for _, f := range reportFindings(t, out) {
		keys[key(f.Package.Ecosystem, f.Package.Name, f.Package.Version, f.ID)] = true
	}
	return keys
}

// key names a finding with the package name in its canonical form: the
// report keeps a name as the lockfile spells it ("Django"), osv-scanner
// prints PyPI's normalised one ("django").
func key(eco, name, version, id string) string {
	return strings.Join([]string{eco, osv.CanonicalName(eco, name), version, id}, "\t")
}

func reportFindings(t *testing.T, out string) []supply.Finding {
	t.Helper()
	var rep struct {
		Findings []supply.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report: %v\n%.500s", err, out)
	}
	return rep.Findings
}

func expectedKeys(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		if cols := strings.Split(strings.TrimSpace(sc.Text()), "\t"); len(cols) == 4 {
			keys[key(cols[0], cols[1], cols[2], cols[3])] = true
		}
	}
	return keys
}

// TestScanKEVOnTop checks the ranking the issue names: the KEV-listed
// jQuery 2.2.4 (CVE-2020-11023) in nodejs-goof is the most urgent after
// the malicious package, and WebGoat's xstream 1.4.7 (CVE-2021-39144)
// tops its scan.
func TestScanKEVOnTop(t *testing.T) {
	dir := supplyDB(t)
	lock := testdata.Path(t, "supply", "lockfiles")
	for _, c := range []struct {
		lockfile, pkg, cve string
		rank               int
	}{
		{"npm-nodejs-goof", "jquery", "CVE-2020-11023", 2},
		{"maven-webgoat-8.0.0-vulnerable-components", "com.thoughtworks.xstream:xstream", "CVE-2021-39144", 1},
	} {
		code, out, errb := run(t, "scan", "--db", dir, "--format", "json", filepath.Join(lock, c.lockfile))
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errb)
		}
		found := false
		for _, f := range reportFindings(t, out) {
			if f.Rank < c.rank && !f.Malicious {
				t.Errorf("%s: rank %d (%s) is above the KEV finding and not malicious", c.lockfile, f.Rank, f.Package.Name)
			}
			if f.Package.Name == c.pkg && f.KEV != nil && f.KEV.CVE == c.cve {
				found = true
				if f.Rank != c.rank {
					t.Errorf("%s: %s %s ranked %d, want %d", c.lockfile, c.pkg, c.cve, f.Rank, c.rank)
				}
			}
		}
		if !found {
			t.Errorf("%s: no KEV finding %s for %s", c.lockfile, c.cve, c.pkg)
		}
	}
}

func TestScanExitCodes(t *testing.T) {
	dir := supplyDB(t)
	goof := filepath.Join(testdata.Path(t, "supply", "lockfiles"), "npm-nodejs-goof")
	if code, _, _ := run(t, "scan", "--db", dir, "--fail-on", "kev", goof); code != 1 {
		t.Errorf("--fail-on kev with a KEV finding: exit %d, want 1", code)
	}
	if code, _, _ := run(t, "scan", "--db", dir, "--fail-on", "bogus", goof); code != exitUsage {
		t.Errorf("bad --fail-on: exit %d, want 2", code)
	}
	if code, _, errb := run(t, "scan", "--db", t.TempDir(), goof); code != 3 || !strings.Contains(errb, "db update") {
		t.Errorf("no database: exit %d, want 3 (%s)", code, errb)
	}
	bad := filepath.Join(t.TempDir(), "package-lock.json")
	if err := os.WriteFile(bad, []byte(`{"lockfileVersion": 3, "packages": {"": {}, "node_modules/x": {"version": 1`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errb := run(t, "scan", "--db", dir, bad, goof)
	if code != exitOK || !strings.Contains(errb, "package-lock.json") {
		t.Errorf("malformed lockfile beside a good one: exit %d, %s", code, errb)
	}
}

// TestMain removes the database the supply tests imported.
func TestMain(m *testing.M) {
	code := m.Run()
	if supplyDBDir != "" {
		os.RemoveAll(supplyDBDir)
	}
	os.Exit(code)
}

// TestDBImportAttack imports the ATT&CK bundles through 'bulwark db
// import', which keeps them where the UI, triage and the copilot look.
func TestDBImportAttack(t *testing.T) {
	path := testdata.Path(t, "stix", "enterprise-attack-18.1.stix21.json.gz")
	t.Setenv("BULWARK_DATA_DIR", t.TempDir())
	code, _, errb := run(t, "db", "import", "--db", t.TempDir(), path)
	if code != exitOK || !strings.Contains(errb, "835 techniques") {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if code, out, errb := run(t, "attack", "show", "T1003.001"); code != exitOK || !strings.Contains(out, "LSASS Memory") {
		t.Errorf("attack show: exit %d %s %s", code, out, errb)
	}
}
