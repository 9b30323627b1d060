package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const opsRule = `title: Test Tool Run %d
id: 5a4c2b1e-0000-4000-8000-00000000000%d
logsource: {product: windows, category: process_creation}
detection:
    sel: {Image|endswith: '\testtool%d.exe'}
    condition: sel
level: high
`

// TestTailAndReload follows a log file as `serve --tail` does, and reloads
// the rules on SIGHUP: a good set replaces the running one, a broken one
// does not.
func TestTailAndReload(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	os.MkdirAll(rules, 0o755)
	os.WriteFile(filepath.Join(rules, "r1.yml"), []byte(fmt.Sprintf(opsRule, 1, 1, 1)), 0o644)
	logFile := filepath.Join(dir, "sysmon.ndjson")
	os.WriteFile(logFile, nil, 0o644)

	srv := startServer(t, filepath.Join(dir, "data"), "--no-builtin", "-r", rules, "--tail", logFile)
	admin := srv.admin()

	line := func(n int, image string) string {
		return fmt.Sprintf(`{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"ws%d","UtcTime":"2026-11-27 10:00:%02d.000","Image":"C:\\Tools\\%s","CommandLine":"%s"}`+"\n", n, n, image, image)
	}
	appendLines := func(lines ...string) {
		f, err := os.OpenFile(logFile, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(strings.Join(lines, ""))
		f.Close()
	}
	appendLines(line(1, "testtool1.exe"), line(2, "testtool2.exe"))
	admin.waitIngested(2, time.Minute)
	if got := alertCount(t, admin); got != 1 {
		t.Fatalf("%d alerts after tailing two events with one rule, want 1", got)
	}

	rulesLoaded := func() int {
		var st struct {
			Rules int `json:"rules"`
		}
		if code := admin.do("GET", "/api/v1/rules", nil, &st); code != http.StatusOK {
			t.Fatalf("rules: %d", code)
		}
		return st.Rules
	}
	waitRules := func(want int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for rulesLoaded() != want {
			if time.Now().After(deadline) {
				t.Fatalf("rules loaded: %d, want %d", rulesLoaded(), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// A second rule, then SIGHUP: new events meet both rules.
	os.WriteFile(filepath.Join(rules, "r2.yml"), []byte(fmt.Sprintf(opsRule, 2, 2, 2)), 0o644)
	srv.Cmd.Process.Signal(syscall.SIGHUP)
	waitRules(2)
	appendLines(line(3, "testtool2.exe"))
	admin.waitIngested(3, time.Minute)
	if got := alertCount(t, admin); got != 2 {
		t.Fatalf("%d alerts after the reload, want 2", got)
	}

	// A broken set (the directory gone) leaves the running rules.
	os.RemoveAll(rules)
	srv.Cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(srv.Log(), "rules not reloaded") {
		if time.Now().After(deadline) {
			t.Fatal("no log line about the failed reload")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := rulesLoaded(); n != 2 {
		t.Errorf("after a failed reload %d rules run, want the 2 that did", n)
	}
	appendLines(line(4, "testtool1.exe"))
	admin.waitIngested(4, time.Minute)
	if got := alertCount(t, admin); got != 3 {
		t.Errorf("%d alerts after the failed reload, want 3", got)
	}
}

func alertCount(t *testing.T, c *client) int {
	t.Helper()
	var out struct {
		Alerts []json.RawMessage `json:"alerts"`
	}
	if code := c.do("GET", "/api/v1/alerts?limit=1000", nil, &out); code != http.StatusOK {
		t.Fatalf("alerts: %d", code)
	}
	return len(out.Alerts)
}
