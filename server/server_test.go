package server

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/attack"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/triage"
)

func TestConfigPrecedence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bulwark.yml")
	yml := "listen: 127.0.0.1:9000\ndata_dir: /var/lib/bulwark\nretention: 90d\nsyslog:\n  udp: 127.0.0.1:5514\nrules:\n  min_level: medium\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"BULWARK_LISTEN": "127.0.0.1:9100", "BULWARK_RETENTION": "7d"}
	if err := c.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9100" || c.DataDir != "/var/lib/bulwark" || time.Duration(c.Retention) != 7*24*time.Hour ||
		c.Syslog.UDP != "127.0.0.1:5514" || c.Rules.MinLevel != "medium" || c.Limits.QueueEvents != 32768 {
		t.Errorf("merged config: %+v", c)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yml, want string }{
		{"listne: 127.0.0.1:1\n", "field listne not found"},
		{"retention: soon\n", "invalid duration"},
		{"log:\n  format: xml\n", "log format"},
		{"syslog:\n  tls: 127.0.0.1:6514\n", "needs tls_cert"},
		{"syslog:\n  udp: 0.0.0.0:514\n", "reachable from the network"},
	} {
		path := filepath.Join(t.TempDir(), "c.yml")
		os.WriteFile(path, []byte(tc.yml), 0o600)
		c, err := LoadConfigFile(path)
		if err == nil {
			c.Defaults()
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error containing %q", tc.yml, err, tc.want)
		}
	}
}

// TestReloadKeepsWorkingRules reloads a rule set, then breaks the rule
// directory and checks the running rules stay.
func TestReloadKeepsWorkingRules(t *testing.T) {
	dir := t.TempDir()
	rule := `title: Test Rule
id: 0b0e9bc4-55d1-4c3b-9a1e-6d1d3c0a0001
logsource: {product: windows, category: process_creation}
detection:
    sel: {Image|endswith: '\evil.exe'}
    condition: sel
level: high
`
	os.WriteFile(filepath.Join(dir, "r.yml"), []byte(rule), 0o600)
	cfg := Config{DataDir: t.TempDir()}
	cfg.Rules.Dirs = []string{dir}
	cfg.Rules.NoBuiltin = true
	s, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.st.Close()
	before := s.pipe.Engine()
	if st, err := s.ReloadRules(); err != nil || st.Rules != 1 {
		t.Fatalf("reload: %+v, %v", st, err)
	}
	if s.pipe.Engine() == before {
		t.Error("reload did not swap the engine")
	}
	working := s.pipe.Engine()
	os.RemoveAll(dir)
	if _, err := s.ReloadRules(); err == nil {
		t.Fatal("reload of a missing rule directory succeeded")
	}
	if s.pipe.Engine() != working || s.rules.Load().Rules != 1 {
		t.Error("a failed reload replaced the running rules")
	}
}

// TestUploadAndSearch uploads an NDJSON file through the API, waits for
// detection, and finds the events by search and the alert by listing.
func TestUploadAndSearch(t *testing.T) {
	s, base := newTestServer(t)
	ingest := tokenFor(t, s, store.RoleIngest)
	viewer := tokenFor(t, s, store.RoleViewer)
	ndjson := `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"ws1","UtcTime":"2026-11-27 10:00:00.000","Image":"C:\\Windows\\System32\\rundll32.exe","CommandLine":"rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\temp\\l.dmp full"}
{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"ws2","UtcTime":"2026-11-27 10:00:01.000","Image":"C:\\Windows\\notepad.exe","CommandLine":"notepad.exe"}
`
	req, _ := http.NewRequest("POST", base+"/api/v1/ingest?name=x.ndjson", strings.NewReader(ndjson))
	req.Header.Set("Authorization", "Bearer "+ingest)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"events": 2`) && !strings.Contains(string(body), `"events":2`) {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.pipe.Lag() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}

	get := func(path string, out any) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+viewer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			data, _ := io.ReadAll(resp.Body)
			t.Fatalf("GET %s: %s %s", path, resp.Status, data)
		}
		json.NewDecoder(resp.Body).Decode(out)
	}
	var found struct {
		Events []struct {
			ID    int64 `json:"id"`
			Event struct {
				Fields map[string]any `json:"fields"`
			} `json:"event"`
		} `json:"events"`
	}
	get("/api/v1/events?q="+urlQuery(`Image:*\rundll32.exe AND CommandLine:*minidump*`), &found)
	if len(found.Events) != 1 || found.Events[0].Event.Fields["Computer"] != "ws1" {
		t.Errorf("search found %+v, want the rundll32 event on ws1", found.Events)
	}
	var alerts struct {
		Alerts []store.StoredAlert `json:"alerts"`
	}
	get("/api/v1/alerts?host=ws1", &alerts)
	if len(alerts.Alerts) == 0 {
		t.Fatal("no alert for the LSASS dump on ws1")
	}
	if a := alerts.Alerts[0]; a.EventID != found.Events[0].ID {
		t.Errorf("alert on event %d, want %d", a.EventID, found.Events[0].ID)
	}
}

func urlQuery(q string) string { return url.QueryEscape(q) }

// TestREADMEConfig checks that the configuration example in the README
// loads and validates.
func TestREADMEConfig(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml block in README.md")
	}
	path := filepath.Join(t.TempDir(), "bulwark.yml")
	os.WriteFile(path, []byte(block), 0o600)
	c, err := LoadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	if err := c.Validate(); err != nil {
		t.Errorf("README's configuration: %v", err)
	}
}

// TestCaseLifecycle walks a case from new to closed with a verdict, with a
// comment, and checks the times MTTA and MTTR are measured from.
func TestCaseLifecycle(t *testing.T) {
	s, base := newTestServer(t)
	analyst := tokenFor(t, s, store.RoleAnalyst)
	call := func(method, path, body string, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+analyst)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	var c store.Case
	if code := call("POST", "/api/v1/cases", `{"title":"LSASS dump on ws1"}`, &c); code != http.StatusCreated || c.Status != "new" {
		t.Fatalf("create: %d %+v", code, c)
	}
	path := "/api/v1/cases/" + strconv.FormatInt(c.ID, 10)
	if code := call("PATCH", path, `{"status":"acknowledged","assignee":"amy"}`, &c); code != 200 || c.Acknowledged.IsZero() {
		t.Fatalf("acknowledge: %d %+v", code, c)
	}
	if code := call("PATCH", path, `{"status":"closed"}`, nil); code != http.StatusBadRequest {
		t.Errorf("closing without a verdict: %d, want 400", code)
	}
	if code := call("POST", path+"/comments", `{"text":"contained, host reimaged"}`, nil); code != http.StatusCreated {
		t.Errorf("comment: %d", code)
	}
	if code := call("PATCH", path, `{"status":"closed","verdict":"true-positive"}`, &c); code != 200 || c.Closed.IsZero() || c.Closed.Before(c.Acknowledged) {
		t.Fatalf("close: %d %+v", code, c)
	}
	var cs struct {
		Comments []store.CaseComment `json:"comments"`
	}
	if code := call("GET", path+"/comments", "", &cs); code != 200 || len(cs.Comments) != 1 || cs.Comments[0].Author != "token:t-analyst" {
		t.Errorf("comments: %d %+v", code, cs.Comments)
	}
	var reopened store.Case
	if code := call("PATCH", path, `{"status":"in-progress"}`, &reopened); code != 200 || !reopened.Closed.IsZero() || reopened.Acknowledged.IsZero() {
		t.Errorf("reopen: %d, %+v", code, reopened)
	}
}

// TestTriageIntoCases submits a small intrusion, triages, and checks that
// cases appear once, keep an analyst's changes, and that alerts after a
// case is closed open a new one.
func TestTriageIntoCases(t *testing.T) {
	s, _ := newTestServer(t)
	ctx := context.Background()
	now := time.Now().UTC()
	ev := func(host, image, cmd string, at time.Duration) event.Event {
		var e event.Event
		e.Time = now.Add(at)
		e.Add("Channel", event.String("Microsoft-Windows-Sysmon/Operational"))
		e.Add("EventID", event.Int(1))
		e.Add("Computer", event.String(host))
		e.Add("Image", event.String(image))
		e.Add("CommandLine", event.String(cmd))
		e.Add("User", event.String(`CORP\amy`))
		return e
	}
	submit := func(evs ...event.Event) {
		t.Helper()
		if err := s.pipe.Submit(ctx, evs, true); err != nil {
			t.Fatal(err)
		}
		for s.pipe.Lag() > 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	submit(
		ev("ws1", `C:\Windows\System32\whoami.exe`, "whoami /all", -30*time.Minute),
		ev("ws1", `C:\Windows\System32\rundll32.exe`, `rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\t\l.dmp full`, -29*time.Minute),
	)
	if err := s.TriageNow(ctx); err != nil {
		t.Fatal(err)
	}
	cases, _ := s.st.ListCases(ctx, store.CaseFilter{})
	if len(cases) != 1 || len(cases[0].AlertIDs) < 2 || cases[0].Status != "new" || !strings.Contains(cases[0].Title, "ws1") ||
		cases[0].Entities["host"] != "ws1" || len(cases[0].Reasons) == 0 {
		t.Fatalf("cases after triage: %+v", cases)
	}
	c := cases[0]
	c.Status, c.Assignee = "in-progress", "amy"
	s.st.UpdateCase(ctx, &c)
	if err := s.TriageNow(ctx); err != nil {
		t.Fatal(err)
	}
	cases, _ = s.st.ListCases(ctx, store.CaseFilter{})
	if len(cases) != 1 || cases[0].Status != "in-progress" || cases[0].Assignee != "amy" {
		t.Fatalf("second triage: %+v", cases)
	}
	c = cases[0]
	c.Status, c.Verdict = "closed", "true-positive"
	s.st.UpdateCase(ctx, &c)
	submit(ev("ws1", `C:\Windows\System32\vssadmin.exe`, "vssadmin delete shadows /all /quiet", -time.Minute))
	if err := s.TriageNow(ctx); err != nil {
		t.Fatal(err)
	}
	cases, _ = s.st.ListCases(ctx, store.CaseFilter{})
	if len(cases) != 2 {
		t.Errorf("after new alerts on a closed case: %d cases, want 2", len(cases))
	}
}

// TestNotifyNewCase checks that a new case over the threshold reaches a
// configured webhook.
func TestNotifyNewCase(t *testing.T) {
	got := make(chan map[string]any, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		got <- m
	}))
	defer hook.Close()
	cfg := Config{DataDir: t.TempDir()}
	cfg.Notify.MinScore = 1
	cfg.Notify.BaseURL = "https://bulwark.example/"
	cfg.Notify.Webhooks = []WebhookConfig{{URL: hook.URL}}
	t.Setenv("BULWARK_DATA_DIR", t.TempDir())
	s, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.st.Close()
	ctx := context.Background()
	a := store.StoredAlert{Alert: alert.Alert{Rule: alert.Rule{ID: "r", Title: "LSASS Memory Dumped", Level: "high"}, Time: time.Now().Add(-time.Minute), Host: "ws9"}}
	if err := s.st.AddAlerts(ctx, []store.StoredAlert{a}, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.TriageNow(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if !strings.Contains(m["title"].(string), "LSASS") || !strings.HasPrefix(m["url"].(string), "https://bulwark.example/cases/") {
			t.Errorf("notification: %v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification")
	}
}

// TestSuppression checks that a suppressed rule on a host opens no case,
// and that deleting the suppression undoes it.
func TestSuppression(t *testing.T) {
	s, base := newTestServer(t)
	ctx := context.Background()
	analyst := tokenFor(t, s, store.RoleAnalyst)
	rule := alert.Rule{ID: "r-backup", Title: "Shadow Copies Deleted", Level: "high"}
	add := func(host string) {
		a := store.StoredAlert{Alert: alert.Alert{Rule: rule, Time: time.Now().Add(-time.Minute), Host: host}}
		if err := s.st.AddAlerts(ctx, []store.StoredAlert{a}, 0); err != nil {
			t.Fatal(err)
		}
	}
	body := `{"rule_id":"r-backup","entity_kind":"host","entity":"backup01","reason":"nightly backup job rotates shadows","for":"30d"}`
	req, _ := http.NewRequest("POST", base+"/api/v1/suppressions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+analyst)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var sup store.Suppression
	json.NewDecoder(resp.Body).Decode(&sup)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || sup.Author != "token:t-analyst" || sup.Expires.Sub(sup.Created) != 30*24*time.Hour {
		t.Fatalf("create: %d %+v", resp.StatusCode, sup)
	}
	add("backup01")
	if err := s.TriageNow(ctx); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.st.ListCases(ctx, store.CaseFilter{}); len(cs) != 0 {
		t.Fatalf("suppressed alert opened %d cases", len(cs))
	}
	add("ws7") // the same rule elsewhere still counts
	s.TriageNow(ctx)
	if cs, _ := s.st.ListCases(ctx, store.CaseFilter{}); len(cs) != 1 || cs[0].Entities["host"] != "ws7" {
		t.Fatalf("cases: %+v", cs)
	}
	if err := s.st.DeleteSuppression(ctx, sup.ID); err != nil {
		t.Fatal(err)
	}
	s.TriageNow(ctx)
	if cs, _ := s.st.ListCases(ctx, store.CaseFilter{}); len(cs) != 2 {
		t.Errorf("after undoing the suppression: %d cases, want 2", len(cs))
	}
}

// TestVerdictFeedback closes a case as a false positive and checks that a
// later case of the same rule scores lower and says why, and that
// reopening the first case undoes it.
func TestVerdictFeedback(t *testing.T) {
	s, _ := newTestServer(t)
	ctx := context.Background()
	rule := alert.Rule{ID: "r-noisy", Title: "Admin Share Access", Level: "medium"}
	add := func(host string, ago time.Duration) {
		a := store.StoredAlert{Alert: alert.Alert{Rule: rule, Time: time.Now().Add(-ago), Host: host}}
		if err := s.st.AddAlerts(ctx, []store.StoredAlert{a}, 0); err != nil {
			t.Fatal(err)
		}
	}
	add("ws1", 5*time.Hour)
	s.TriageNow(ctx)
	cs, _ := s.st.ListCases(ctx, store.CaseFilter{})
	if len(cs) != 1 || !slices.Equal(cs[0].RuleIDs, []string{"r-noisy"}) {
		t.Fatalf("first case: %+v", cs)
	}
	first := cs[0]
	first.Status, first.Verdict = "closed", "false-positive"
	s.st.UpdateCase(ctx, &first)

	add("ws2", time.Minute)
	s.TriageNow(ctx)
	cs, _ = s.st.ListCases(ctx, store.CaseFilter{Status: "new"})
	if len(cs) != 1 || cs[0].Score >= first.Score || !strings.Contains(strings.Join(cs[0].Reasons, "|"), "1 false positive") {
		t.Fatalf("case after the verdict (first scored %.1f): %+v", first.Score, cs)
	}
	lowered := cs[0].Score

	first.Status, first.Verdict = "in-progress", ""
	s.st.UpdateCase(ctx, &first)
	s.TriageNow(ctx)
	c, _ := s.st.GetCase(ctx, cs[0].ID)
	if c.Score <= lowered {
		t.Errorf("after reopening the first case the second scores %.1f, still %.1f or less", c.Score, lowered)
	}
}

// TestCoverage maps the built-in rules onto the ATT&CK matrix.
func TestCoverage(t *testing.T) {
	k, err := attack.LoadFile(testdata.Path(t, "stix", "enterprise-attack-18.1.stix21.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTestServer(t)
	cols := s.coverage(k)
	if len(cols) != 14 {
		t.Fatalf("%d columns", len(cols))
	}
	covered := map[string]bool{}
	for _, c := range cols {
		for _, tc := range c.Techniques {
			if tc.Rules > 0 {
				covered[tc.ID] = true
			}
		}
	}
	// The built-in rules detect LSASS dumping (T1003) and shadow copy
	// deletion (T1490), among others.
	if !covered["T1003"] || !covered["T1490"] || len(covered) < 15 {
		t.Errorf("covered: %v", covered)
	}
}

// TestDisableRule turns a built-in rule off and on through the API path.
func TestDisableRule(t *testing.T) {
	s, _ := newTestServer(t)
	ctx := context.Background()
	has := func(id string) bool {
		for _, r := range s.pipe.Engine().RuleSet().Rules {
			if r.ID == id {
				return true
			}
		}
		return false
	}
	id := s.pipe.Engine().RuleSet().Rules[0].ID
	before := s.rules.Load().Rules
	if err := s.setRuleEnabled(ctx, id, false); err != nil {
		t.Fatal(err)
	}
	if has(id) || s.rules.Load().Rules != before-1 {
		t.Fatalf("rule %s still runs after disabling (%d rules)", id, s.rules.Load().Rules)
	}
	if err := s.setRuleEnabled(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	if !has(id) {
		t.Fatalf("rule %s does not run after enabling", id)
	}
}

// TestAssetCriticality checks that a case on a critical asset outranks
// the same case elsewhere, and says why.
func TestAssetCriticality(t *testing.T) {
	s, base := newTestServer(t)
	ctx := context.Background()
	analyst := tokenFor(t, s, store.RoleAnalyst)
	req, _ := http.NewRequest("PUT", base+"/api/v1/assets", strings.NewReader(`{"assets":[{"host":"dc*","criticality":"critical","note":"domain controllers"},{"host":"kiosk*","criticality":"low"}]}`))
	req.Header.Set("Authorization", "Bearer "+analyst)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("put assets: %d", resp.StatusCode)
	}
	bad, _ := http.NewRequest("PUT", base+"/api/v1/assets", strings.NewReader(`{"assets":[{"host":"x","criticality":"vital"}]}`))
	bad.Header.Set("Authorization", "Bearer "+analyst)
	if resp, _ := http.DefaultClient.Do(bad); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown criticality: %d, want 400", resp.StatusCode)
	}
	rule := alert.Rule{ID: "r-x", Title: "Suspicious Service Install", Level: "high"}
	for _, h := range []string{"dc01.corp.example", "ws5"} {
		a := store.StoredAlert{Alert: alert.Alert{Rule: rule, Time: time.Now().Add(-time.Minute), Host: h}}
		if err := s.st.AddAlerts(ctx, []store.StoredAlert{a}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.TriageNow(ctx); err != nil {
		t.Fatal(err)
	}
	cs, _ := s.st.ListCases(ctx, store.CaseFilter{})
	if len(cs) != 2 || cs[0].Entities["host"] != "dc01.corp.example" || cs[0].Score <= cs[1].Score ||
		!strings.Contains(strings.Join(cs[0].Reasons, "|"), "critical asset (domain controllers)") {
		t.Fatalf("cases: %+v", cs)
	}
}

func TestStatusAdjust(t *testing.T) {
	alerts := []store.StoredAlert{
		{Alert: alert.Alert{Rule: alert.Rule{ID: "a", Status: "experimental"}}},
		{Alert: alert.Alert{Rule: alert.Rule{ID: "b", Status: "stable"}}},
	}
	for _, tc := range []struct {
		lines  []int
		factor float64
	}{{[]int{0}, 0.8}, {[]int{0, 1}, 1.1}} {
		got, reasons := statusAdjust(&triage.Case{Lines: tc.lines}, alerts, 10, nil)
		if math.Abs(got-10*tc.factor) > 1e-9 || len(reasons) != 1 {
			t.Errorf("lines %v: %v %v, want ×%v", tc.lines, got, reasons, tc.factor)
		}
	}
}
