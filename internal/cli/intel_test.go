package cli

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/intel/taxii/taxiitest"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestIntelPushPull(t *testing.T) {
	t.Setenv("BULWARK_DATA_DIR", t.TempDir())
	st := taxii.NewMemStore()
	for _, c := range taxiitest.Collections {
		_ = st.PutCollection(t.Context(), c)
	}
	srv := httptest.NewServer(taxii.NewServer(taxii.Options{Store: st, Auth: taxiitest.Auth, Root: "api1", PageSize: 3}))
	defer srv.Close()
	dir := t.TempDir()
	bundle := filepath.Join(dir, "in.json")
	var objs []stix.Object
	for i := range 7 {
		objs = append(objs, taxiitest.Indicator(i, 0))
	}
	f, _ := os.Create(bundle)
	if err := stix.WriteBundle(f, "bundle--00000000-0000-4000-8000-000000000001", objs); err != nil {
		t.Fatal(err)
	}
	f.Close()

	code, out, errs := runCLI(t, "", "intel", "push", srv.URL+"/taxii2/", "--collection", taxiitest.Open, "--user", "alice", "--password", "alice-pw", bundle)
	if code != 0 || !strings.Contains(out, "7 added") {
		t.Fatalf("push: %d %q %q", code, out, errs)
	}
	outFile := filepath.Join(dir, "out.json")
	code, _, errs = runCLI(t, "", "intel", "pull", srv.URL+"/api1/", "--collection", taxiitest.Open, "--token", "tok-alice", "--out", outFile)
	if code != 0 || !strings.Contains(errs, "pulled 7 objects") {
		t.Fatalf("pull: %d %q", code, errs)
	}
	rf, _ := os.Open(outFile)
	got, err := stix.ReadBundle(rf)
	rf.Close()
	if err != nil || len(got) != 7 || !stix.Equal(got[0], objs[0]) {
		t.Fatalf("pulled bundle: %d objects, %v", len(got), err)
	}
	// The second pull is incremental: nothing new.
	code, out, errs = runCLI(t, "", "intel", "pull", srv.URL+"/api1/", "--collection", taxiitest.Open, "--token", "tok-alice")
	if code != 0 || !strings.Contains(errs, "pulled 0 objects") || !strings.Contains(out, `"type":"bundle"`) {
		t.Fatalf("second pull: %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("BULWARK_DATA_DIR"), "intel", "taxii-state.json")); err != nil {
		t.Errorf("no state file: %v", err)
	}
	// --into names a new file; --full ignores the state.
	into := filepath.Join(dir, "feed")
	code, _, errs = runCLI(t, "", "intel", "pull", srv.URL+"/api1/", "--collection", taxiitest.Open, "--token", "tok-alice", "--full", "--into", into)
	if files, _ := filepath.Glob(filepath.Join(into, "*.json")); code != 0 || len(files) != 1 || !strings.Contains(errs, "pulled 7") {
		t.Fatalf("pull --into: %d %q %v", code, errs, files)
	}
	// bob may not write: exit 1 with the server's reason.
	code, _, errs = runCLI(t, "", "intel", "push", srv.URL+"/api1/", "--collection", taxiitest.Open, "--user", "bob", "--password", "bob-pw", bundle)
	if code != exitError || !strings.Contains(errs, "403") {
		t.Errorf("bob's push: %d %q", code, errs)
	}
}

func TestIntelUsage(t *testing.T) {
	t.Setenv("BULWARK_DATA_DIR", t.TempDir())
	for _, args := range [][]string{
		{"intel", "pull", "http://127.0.0.1:1/api1/"},
		{"intel", "pull", "http://127.0.0.1:1/api1/", "--collection", "c", "--out", "a", "--into", "b"},
		{"intel", "serve", "--listen", "0.0.0.0:9443"},
		{"intel", "serve", "--tls-cert", "c.pem"},
	} {
		if code, _, errs := runCLI(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, errs)
		}
	}
	code, out, _ := runCLI(t, "correct horse battery\n", "intel", "hash-password")
	if code != 0 || !strings.HasPrefix(out, "$argon2id$v=19$") {
		t.Errorf("hash-password: %d %q", code, out)
	}
}
