package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/db"
	"github.com/bulwarkhq/bulwark/supply/enrich"
	"github.com/bulwarkhq/bulwark/supply/report"
)

// testFindings are two findings of one scan: a KEV-listed one whose
// package name would be markup if it were not escaped, and a medium one.
func testFindings() []supply.Finding {
	kev := supply.Finding{
		Package:  supply.Package{Ecosystem: supply.Npm, Name: "<script>alert(1)</script>", Version: "3.4.1", Locations: []supply.Location{{File: "package-lock.json"}}},
		ID:       "GHSA-jpcq-cgw6-v4j6",
		Aliases:  []string{"CVE-2020-11023"},
		Summary:  "XSS in <b>jQuery</b>",
		Fixed:    []string{"3.5.0"},
		KEV:      &supply.KEVEntry{CVE: "CVE-2020-11023", DateAdded: "2025-01-23", Ransomware: true},
		Priority: "critical", Rank: 1,
	}
	med := supply.Finding{
		Package: supply.Package{Ecosystem: supply.Npm, Name: "minimist", Version: "1.2.0", Locations: []supply.Location{{File: "package-lock.json"}}},
		ID:      "GHSA-xvch-5gv4-984h", Aliases: []string{"CVE-2021-44906"}, Fixed: []string{"0.2.4", "1.2.6"},
		CVSS: 7.5, Priority: "medium", Rank: 2,
	}
	return []supply.Finding{kev, med}
}

// reportBody is the JSON report bulwark scan --format json writes.
func reportBody(t *testing.T, findings []supply.Finding) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.JSON(&b, findings, report.Options{ToolVersion: "test"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// call sends a request with a bearer token and decodes a JSON answer into
// out (when not nil); it returns the status and the raw body.
func call(t *testing.T, method, u, token string, body []byte, out any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, u, err, raw)
		}
	}
	return resp.StatusCode, string(raw)
}

func TestSupplyUploadAndExposure(t *testing.T) {
	s, base := newTestServer(t)
	ingest, viewer := tokenFor(t, s, store.RoleIngest), tokenFor(t, s, store.RoleViewer)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := t0
	s.now = func() time.Time { return clock }

	var sum store.SupplyScan
	code, body := call(t, "POST", base+"/api/v1/supply/scans?project=shop", ingest, reportBody(t, testFindings()), &sum)
	if code != http.StatusCreated || sum.Opened != 2 || sum.Findings != 2 {
		t.Fatalf("upload: %d %s", code, body)
	}
	// Ten and a half days later, the exposure shows the KEV finding open
	// for 10 days, counted from when it was first seen.
	clock = t0.Add(10*24*time.Hour + 12*time.Hour)
	var x Exposure
	if code, body := call(t, "GET", base+"/api/v1/supply/exposure", viewer, nil, &x); code != http.StatusOK {
		t.Fatalf("exposure: %d %s", code, body)
	}
	if len(x.KEV) != 1 || x.KEV[0].OpenDays != 10 || x.KEV[0].Project != "shop" || x.KEV[0].FixVersion != "3.5.0" ||
		len(x.KEV[0].CVEs) != 1 || x.KEV[0].CVEs[0] != "CVE-2020-11023" || !x.KEV[0].FirstSeen.Equal(t0) {
		t.Errorf("exposure KEV = %+v", x.KEV)
	}
	if x.Open != 2 || x.OpenKEV != 1 || x.ByPriority["critical"] != 1 || x.ByPriority["medium"] != 1 || len(x.Projects) != 1 {
		t.Errorf("exposure counts = %+v", x)
	}

	// A second scan without the KEV finding fixes it.
	code, body = call(t, "POST", base+"/api/v1/supply/scans?project=shop", ingest, reportBody(t, testFindings()[1:]), &sum)
	if code != http.StatusCreated || sum.Fixed != 1 || sum.Opened != 0 {
		t.Fatalf("second upload: %d %s", code, body)
	}
	x = Exposure{}
	call(t, "GET", base+"/api/v1/supply/exposure", viewer, nil, &x)
	if len(x.KEV) != 0 || x.Open != 1 {
		t.Errorf("after the fix: %+v", x)
	}
	var list struct{ Findings []store.SupplyFinding }
	call(t, "GET", base+"/api/v1/supply/findings?project=shop", viewer, nil, &list)
	if len(list.Findings) != 2 || list.Findings[1].Open() || !list.Findings[1].Fixed.Equal(clock) {
		t.Errorf("findings = %+v, want the KEV one fixed", list.Findings)
	}
	call(t, "GET", base+"/api/v1/supply/findings?open=1&kev=1", viewer, nil, &list)
	if len(list.Findings) != 0 {
		t.Errorf("open KEV findings = %+v", list.Findings)
	}
	audit, err := s.st.ListAudit(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range audit {
		if e.Action == "supply.upload" && e.Target == "shop" && e.Actor == "token:t-ingest" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d supply.upload audit entries, want 2", n)
	}
}

func TestSupplyUploadRefuses(t *testing.T) {
	s, base := newTestServer(t)
	tok := tokenFor(t, s, store.RoleAnalyst)
	good := string(reportBody(t, testFindings()))
	tests := []struct {
		name, project, body string
		status              int
		want                string // in the error message
	}{
		{"no project", "", good, 400, "project"},
		{"bad project", "a\nb", good, 400, "project"},
		{"not JSON", "p", "{", 400, "body"},
		{"no schema", "p", `{"findings":[]}`, 400, "schema: missing"},
		{"wrong schema", "p", `{"schema":"other/v9","findings":[]}`, 400, `schema: "other/v9"`},
		{"no findings", "p", `{"schema":"bulwark.supply.report/v1"}`, 400, "findings: missing"},
		{"wrong type", "p", `{"schema":"bulwark.supply.report/v1","findings":[{"package":{"ecosystem":"npm","name":"a","version":3},"id":"X"}]}`, 400, "findings[0]: json: cannot unmarshal number into Go struct field Package.package.version"},
		{"unknown field", "p", `{"schema":"bulwark.supply.report/v1","findings":[{"package":{"ecosystem":"npm","name":"a","version":"1"},"id":"X","sevrity":[]}]}`, 400, `findings[0]: json: unknown field "sevrity"`},
		{"empty name", "p", `{"schema":"bulwark.supply.report/v1","findings":[{"package":{"ecosystem":"npm","name":"a","version":"1"},"id":"X"},{"package":{"ecosystem":"npm","name":"","version":"1"},"id":"Y"}]}`, 400, "findings[1].package.name: empty"},
		{"bad priority", "p", `{"schema":"bulwark.supply.report/v1","findings":[{"package":{"ecosystem":"npm","name":"a","version":"1"},"id":"X","priority":"urgent"}]}`, 400, "findings[0].priority"},
		{"bad cvss", "p", `{"schema":"bulwark.supply.report/v1","findings":[{"package":{"ecosystem":"npm","name":"a","version":"1"},"id":"X","cvss":11}]}`, 400, "findings[0].cvss"},
		{"empty scan", "p", `{"schema":"bulwark.supply.report/v1","findings":[]}`, 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := call(t, "POST", base+"/api/v1/supply/scans?project="+url.QueryEscape(tt.project), tok, []byte(tt.body), nil)
			var e struct{ Error string }
			_ = json.Unmarshal([]byte(body), &e)
			if code != tt.status || !strings.Contains(e.Error, tt.want) {
				t.Errorf("%d %s, want %d and %q", code, body, tt.status, tt.want)
			}
		})
	}
	// The body limit: one byte over is refused before it is read.
	big := bytes.Repeat([]byte(" "), supplyReportBody+1)
	if code, body := call(t, "POST", base+"/api/v1/supply/scans?project=p", tok, big, nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized upload: %d %s, want 413", code, body)
	}
	// Viewers read but do not upload.
	if code, _ := call(t, "POST", base+"/api/v1/supply/scans?project=p", tokenFor(t, s, store.RoleViewer), []byte(good), nil); code != http.StatusForbidden {
		t.Errorf("viewer upload: %d, want 403", code)
	}
}

// TestRouteAllowsUploader pins the pseudo-role: ingest tokens (CI),
// analysts and admins upload; viewers do not.
func TestRouteAllowsUploader(t *testing.T) {
	for role, want := range map[store.Role]bool{store.RoleIngest: true, store.RoleAnalyst: true, store.RoleAdmin: true, store.RoleViewer: false, "nobody": false} {
		if got := routeAllows(role, RoleUploader); got != want {
			t.Errorf("routeAllows(%s, uploader) = %v, want %v", role, got, want)
		}
	}
}

// supplyDBFixture imports the test advisory and KEV catalogue into a new
// database directory, as 'bulwark db import' would.
func supplyDBFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := db.Import(dir, filepath.Join("testdata", "supply", "osv")); err != nil {
		t.Fatal(err)
	}
	if _, err := enrich.ImportFile(dir, "kev", filepath.Join("testdata", "supply", "kev.json"), time.Now()); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSupplyScheduledScan(t *testing.T) {
	project := t.TempDir()
	lock, err := os.ReadFile(filepath.Join("testdata", "supply", "project", "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(project, "package-lock.json"), lock, 0o644); err != nil {
		t.Fatal(err)
	}
	dbDir := supplyDBFixture(t)
	s, _ := newTestServerWith(t, func(c *Config) {
		c.Supply.Paths = []SupplyPath{{Path: project}, {Name: "missing", Path: filepath.Join(project, "nope")}}
		c.Supply.DBDir = dbDir
	})
	s.scanSupply(context.Background())
	got, err := s.st.ListSupplyFindings(context.Background(), store.SupplyFilter{Open: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("findings = %+v, want the jquery one", got)
	}
	f := got[0]
	if f.Project != filepath.Base(project) || f.Finding.ID != "GHSA-test-kev1" || f.Finding.Package.Version != "3.4.1" ||
		f.Finding.KEV == nil || f.Finding.Priority != "critical" {
		t.Errorf("finding = %+v (project %s)", f.Finding, f.Project)
	}
	projects, _ := s.st.ListSupplyProjects(context.Background())
	if len(projects) != 1 {
		t.Errorf("projects = %+v, want only the one that scanned (the missing path is logged, not recorded)", projects)
	}

	// Without a database the scan is skipped with a warning that says how
	// to fix it, and nothing is recorded or fixed.
	s.cfg.Supply.DBDir = t.TempDir()
	var logs bytes.Buffer
	s.log = newTestLogger(&logs)
	s.scanSupply(context.Background())
	if !strings.Contains(logs.String(), "bulwark db update") {
		t.Errorf("log = %s, want the command that fixes it", logs.String())
	}
	if open, _ := s.st.ListSupplyFindings(context.Background(), store.SupplyFilter{Open: true}); len(open) != 1 {
		t.Errorf("after a scan without a database: %d open, want 1", len(open))
	}
}

func TestSupplyConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bulwark.yaml")
	yml := "supply:\n  paths:\n    - /srv/shop\n    - api: /srv/api-server\n  interval: 12h\n  db_dir: /var/lib/bulwark/supply\n"
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.Supply.Paths) != 2 || c.Supply.Paths[0].project() != "shop" || c.Supply.Paths[1].project() != "api" ||
		c.Supply.Paths[1].Path != "/srv/api-server" || time.Duration(c.Supply.Interval) != 12*time.Hour {
		t.Errorf("supply = %+v", c.Supply)
	}
	for _, tc := range []struct{ name, yml, want string }{
		{"duplicate", "supply:\n  paths: [/a/x, /b/x]\n", "two projects named"},
		{"short interval", "supply:\n  paths: [/a/x]\n  interval: 10s\n", "under a minute"},
		{"bad entry", "supply:\n  paths:\n    - [a, b]\n", "supply path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tc.yml), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := LoadConfigFile(path)
			if err == nil {
				c.Defaults()
				err = c.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSupplyUI(t *testing.T) {
	s, base := newTestServer(t)
	ctx := context.Background()
	hash, _ := auth.HashPassword("correct horse battery")
	if err := s.st.CreateUser(ctx, store.User{Name: "vic", Role: store.RoleViewer, PasswordHash: hash, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	if code, _ := postForm(t, c, base, "/login", url.Values{"user": {"vic"}, "password": {"correct horse battery"}, "next": {"/"}}); code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	if _, body := get(t, c, base+"/"); !strings.Contains(body, "No dependency scan yet") {
		t.Errorf("dashboard without scans lacks the hint")
	}
	t0 := time.Now().Add(-3 * 24 * time.Hour)
	if _, err := s.st.RecordScan(ctx, `shop"><i>`, t0, testFindings()); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, c, base+"/")
	if code != http.StatusOK {
		t.Fatalf("dashboard: %d", code)
	}
	for _, want := range []string{`id="exposure"`, "&lt;script&gt;alert(1)&lt;/script&gt;", "GHSA-jpcq-cgw6-v4j6", "CVE-2020-11023",
		"3 days", "<code>3.5.0</code>", `shop&#34;&gt;&lt;i&gt;`, `href="/supply?project=shop%22%3e%3ci%3e"`, `href="/supply"`} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>alert(1)", "<i>", "<b>jQuery"} {
		if strings.Contains(body, bad) {
			t.Errorf("dashboard holds unescaped %q", bad)
		}
	}
	code, body = get(t, c, base+"/supply?kev=1")
	if code != http.StatusOK || !strings.Contains(body, "GHSA-jpcq-cgw6-v4j6") || strings.Contains(body, "GHSA-xvch-5gv4-984h") {
		t.Errorf("supply page, KEV only: %d", code)
	}
	code, body = get(t, c, base+"/supply?project="+url.QueryEscape(`shop"><i>`))
	if code != http.StatusOK || !strings.Contains(body, "GHSA-xvch-5gv4-984h") || !strings.Contains(body, "&lt;b&gt;jQuery") || strings.Contains(body, "<i>") {
		t.Errorf("supply page for the project: %d", code)
	}
	if _, body := get(t, c, base+"/supply?project=other"); !strings.Contains(body, "No open finding") {
		t.Errorf("supply page for another project lists findings")
	}
	if !strings.Contains(body, `href="/supply" accesskey="u">Supply chain</a>`) {
		t.Errorf("navigation lacks the supply page")
	}
}

func newTestLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func TestValidProject(t *testing.T) {
	long := strings.Repeat("é", 128)
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"nodejs-goof", true},
		{"github.com/acme/shop@main", true},
		{"app v2.1+build:7", true},
		{"Überwachung_２", true},
		{long, true},
		{long + "x", false},
		{"", false},
		{" leading-space", false},
		{"semi;colon", false},
		{"new\nline", false},
		{"<script>", false},
		{"bad\xffutf8", false},
	} {
		if got := validProject(tc.name); got != tc.ok {
			t.Errorf("validProject(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
}
