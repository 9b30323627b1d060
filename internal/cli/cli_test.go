package cli

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/internal/logtest"
)

const sample = "../../testdata/sample"

// run executes the CLI and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// isolate points the data directory at an empty temporary one, so that
// rules downloaded on the developer's machine do not change results.
func isolate(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("BULWARK_DATA_DIR", dir)
	return dir
}

func TestDetectSampleJSONL(t *testing.T) {
	isolate(t)
	code, out, errOut := run(t, "detect", "-o", "jsonl", "--progress", "never", sample)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	logtest.Golden(t, "detect_sample.jsonl", out)
	// Every alert carries what an analyst needs.
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var a struct {
			Rule struct {
				ID, Title, Level, Author string
				Attack                   []string
			}
			Time    string
			Source  struct{ Path string }
			Matches []struct{ Field, Value string }
		}
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatal(err)
		}
		if a.Rule.ID == "" || a.Rule.Title == "" || a.Rule.Level == "" || a.Rule.Author == "" || len(a.Rule.Attack) == 0 || a.Time == "" || a.Source.Path == "" || len(a.Matches) == 0 {
			t.Errorf("incomplete alert: %s", line)
		}
	}
	if !strings.Contains(errOut, "Alerts: 19") {
		t.Errorf("summary: %s", errOut)
	}
}

func TestDetectSampleTable(t *testing.T) {
	isolate(t)
	code, out, errOut := run(t, "detect", "--progress", "never", "--color", "never", "-q", sample)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	logtest.Golden(t, "detect_sample.txt", out)
}

func TestDetectSampleCSV(t *testing.T) {
	isolate(t)
	code, out, errOut := run(t, "detect", "-o", "csv", "--progress", "never", "-q", "--min-level", "high", sample)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "time,level,rule_id") || len(lines) != 11 {
		t.Errorf("want a header and 10 alerts of level high and above, got %d lines:\n%s", len(lines), out)
	}
}

func TestDetectFailOn(t *testing.T) {
	isolate(t)
	code, _, _ := run(t, "detect", "-q", "--progress", "never", "-o", "jsonl", "--fail-on", "critical", sample)
	if code != exitFindings {
		t.Errorf("--fail-on critical: exit %d, want %d", code, exitFindings)
	}
	code, _, _ = run(t, "detect", "-q", "--progress", "never", "-o", "jsonl", "--fail-on", "critical", filepath.Join(sample, "web01-auth.log"))
	if code != 0 {
		t.Errorf("--fail-on critical on a log without critical alerts: exit %d", code)
	}
}

func TestUsageErrors(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{
		{"detect"},
		{"detect", "--min-level", "severe", sample},
		{"detect", "--format", "pcap", sample},
		{"detect", "-o", "xml", sample},
		{"detect", "--bogus", sample},
		{"nosuchcommand"},
	} {
		code, _, errOut := run(t, args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, exitUsage, errOut)
		}
		if !strings.HasPrefix(errOut, "bulwark: ") {
			t.Errorf("%q: error not reported: %q", args, errOut)
		}
	}
	code, _, errOut := run(t, "detect", "/no/such/path")
	if code != exitError || !strings.Contains(errOut, "/no/such/path") {
		t.Errorf("missing path: exit %d, %q", code, errOut)
	}
}

func TestRulesLint(t *testing.T) {
	isolate(t)
	code, out, errOut := run(t, "rules", "lint")
	if code != 0 || !strings.Contains(out, "0 fail") {
		t.Errorf("built-in rules: exit %d\n%s%s", code, out, errOut)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "good.yml"), []byte("title: ok\nlogsource: {product: windows}\ndetection:\n  sel: {EventID: 1}\n  condition: sel\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.yml"), []byte("title: broken\nlogsource: {product: windows}\ndetection:\n  sel:\n    Image|endwith: x\n  condition: sel\n"), 0o644)
	code, out, _ = run(t, "rules", "lint", "--no-builtin", "-r", dir)
	if code != exitError {
		t.Errorf("broken rule: exit %d", code)
	}
	if !strings.Contains(out, "bad.yml:1:") || !strings.Contains(out, `unknown modifier "endwith"`) || !strings.Contains(out, "2 documents: 1 load") {
		t.Errorf("lint output does not name the file, line and reason:\n%s", out)
	}
}

func TestRulesUpdateFromArchive(t *testing.T) {
	data := isolate(t)
	// An archive laid out like SigmaHQ's release.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"rules/windows/process_creation/proc_creation_win_whoami.yml": "title: Whoami\nid: 11111111-2222-3333-4444-555555555555\nlevel: low\nauthor: Someone\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel: {Image|endswith: '\\whoami.exe'}\n  condition: sel\n",
		"LICENSE":   "Detection Rule License",
		"README.md": "not a rule",
	} {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	zw.Close()
	archive := filepath.Join(t.TempDir(), "sigma_all_rules.zip")
	os.WriteFile(archive, buf.Bytes(), 0o644)

	code, out, errOut := run(t, "rules", "update", "--url", archive)
	if code != 0 || !strings.Contains(out, "Installed 2 rule files") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(data, "rules", "sigmahq", "rules", "windows", "process_creation", "proc_creation_win_whoami.yml")); err != nil {
		t.Fatal(err)
	}
	// detect now runs the downloaded rules by default, next to the built-in ones.
	code, out, errOut = run(t, "detect", "-o", "jsonl", "--progress", "never", "--min-level", "low", filepath.Join(sample, "WS-ACCT-07-sysmon.evtx"))
	if code != 0 || !strings.Contains(out, `"title":"Whoami"`) || !strings.Contains(errOut, "1 "+filepath.Join(data, "rules", "sigmahq")) {
		t.Errorf("downloaded rules not used: exit %d\n%s\n%s", code, out, errOut)
	}
	// A broken archive leaves the installed rules alone.
	os.WriteFile(archive, []byte("not a zip"), 0o644)
	if code, _, _ := run(t, "rules", "update", "--url", archive); code == 0 {
		t.Error("a broken archive was accepted")
	}
	if _, err := os.Stat(filepath.Join(data, "rules", "sigmahq", "LICENSE")); err != nil {
		t.Error("previous rules lost after a failed update")
	}
}

// TestHelpHasExamples keeps every command's help useful.
func TestHelpHasExamples(t *testing.T) {
	root := newRootCmd(&env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
	// Cobra's own help and completion commands are not ours to document.
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() == "help" || c.Name() == "completion" {
			return
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q has no examples in its help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if code, out, _ := run(t, "completion", "bash"); code != 0 || !strings.Contains(out, "bash completion") {
		t.Errorf("shell completion: exit %d", code)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "version", "--json")
	var v struct{ Version, Go string }
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Version == "" || v.Go == "" {
		t.Errorf("version: exit %d %q", code, out)
	}
}
