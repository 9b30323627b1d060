package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/server"
	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// uploadServer runs the real server handler and returns its URL, the
// server, and an ingest and a viewer token.
func uploadServer(t *testing.T) (string, *server.Server, string, string) {
	t.Helper()
	t.Setenv(envToken, "")
	s, hs := startServer(t)
	tokens := map[store.Role]string{}
	for _, role := range []store.Role{store.RoleIngest, store.RoleViewer} {
		secret, hash := auth.NewToken()
		if err := s.Store().CreateToken(context.Background(), &store.Token{Name: "ci-" + string(role), Role: role, Hash: hash, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
		tokens[role] = secret
	}
	return hs.URL, s, tokens[store.RoleIngest], tokens[store.RoleViewer]
}

func TestScanUpload(t *testing.T) {
	dir := supplyDB(t)
	lock := filepath.Join(testdata.Path(t, "supply", "lockfiles"), "npm-nodejs-goof")
	base, s, ingest, viewer := uploadServer(t)

	code, out, errb := run(t, "scan", "--db", dir, "--format", "json", "--upload", base, "--token", ingest, "--project", "goof", "--fail-on", "kev", lock)
	if code != 1 { // the KEV findings fail the gate, after the upload
		t.Fatalf("exit %d, want 1: %s", code, errb)
	}
	if !strings.Contains(errb, `uploaded to `) || !strings.Contains(errb, `as project "goof"`) {
		t.Errorf("stderr lacks the upload: %s", errb)
	}
	var rep struct{ Findings []json.RawMessage }
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got, err := s.Store().ListSupplyFindings(context.Background(), store.SupplyFilter{Project: "goof", Open: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || len(got) != len(rep.Findings) {
		t.Errorf("server holds %d open findings, the report %d", len(got), len(rep.Findings))
	}
	if len(got) > 0 && got[0].Finding.KEV == nil {
		t.Errorf("most urgent stored finding is not KEV-listed: %+v", got[0].Finding)
	}

	// The token from the environment, the project from the path.
	t.Setenv(envToken, ingest)
	if code, _, errb := run(t, "scan", "--db", dir, "--format", "json", "--upload", base+"/", lock); code != 0 || !strings.Contains(errb, `"npm-nodejs-goof"`) {
		t.Errorf("upload with the token from the environment: exit %d: %s", code, errb)
	}
	t.Setenv(envToken, "")

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no token", []string{"--upload", base}, exitUsage, "needs a token"},
		{"plain http beyond loopback", []string{"--upload", "http://bulwark.example.org", "--token", ingest}, exitUsage, "plain HTTP"},
		{"not a URL", []string{"--upload", "bulwark.example.org", "--token", ingest}, exitUsage, "http(s) URL"},
		{"viewer token", []string{"--upload", base, "--token", viewer}, 1, "403"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"scan", "--db", dir, "--format", "json"}, tc.args...)
			code, _, errb := run(t, append(args, lock)...)
			if code != tc.code || !strings.Contains(errb, tc.want) {
				t.Errorf("exit %d, want %d with %q: %s", code, tc.code, tc.want, errb)
			}
		})
	}
}
