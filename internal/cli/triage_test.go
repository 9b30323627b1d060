package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/logtest"
)

func TestTriage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"table", []string{"triage", "--top", "3", "testdata/triage_small.csv"}, "triage_small.txt"},
		{"json", []string{"triage", "--format", "json", "testdata/triage_small.csv"}, "triage_small.json"},
		{"ndjson with mapping", []string{"triage", "--format", "json", "--map", "time=ts,name=rule.title,rule=rule.id,host=agent.name,severity=sev",
			"testdata/triage_small.ndjson"}, "triage_small_ndjson.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			logtest.Golden(t, tt.golden, out)
		})
	}
}

// TestTriageJSONShape pins the JSON contract of issue 4: exactly these keys,
// and every input line in some case.
func TestTriageJSONShape(t *testing.T) {
	code, out, errOut := run(t, "triage", "--format", "json", "testdata/triage_small.csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Cases []map[string]json.RawMessage `json:"cases"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, c := range doc.Cases {
		for _, k := range []string{"id", "score", "reasons", "entities", "first_seen", "last_seen", "alerts"} {
			if _, ok := c[k]; !ok {
				t.Errorf("case lacks %q", k)
			}
		}
		if len(c) != 7 {
			t.Errorf("case has %d keys, want 7", len(c))
		}
		var lines []int
		_ = json.Unmarshal(c["alerts"], &lines)
		for _, l := range lines {
			seen[l] = true
		}
	}
	if len(seen) != 228 {
		t.Errorf("%d input lines in cases, want all 228", len(seen))
	}
}

func TestTriageErrors(t *testing.T) {
	bad := t.TempDir() + "/bad.csv"
	if err := os.WriteFile(bad, []byte("time,name,host\n1700000000,a,web\nlater,b,web\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"bad format", []string{"triage", "--format", "xml", "testdata/triage_small.csv"}, exitUsage, "--format must be table or json"},
		{"bad map", []string{"triage", "--map", "time=t,colour=c", "testdata/triage_small.csv"}, exitUsage, `unknown field "colour"`},
		{"no files", []string{"triage"}, exitUsage, "requires at least 1 arg"},
		{"missing file", []string{"triage", "testdata/nope.csv"}, exitError, "nope.csv"},
		{"bad line", []string{"triage", bad}, exitError, "bad.csv:3: time \"later\""},
		{"unmapped column", []string{"triage", "--map", "time=ts", "testdata/triage_small.csv"}, exitError, `triage_small.csv:1: no column "ts"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := run(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, tt.code, tt.msg)
			}
		})
	}
}
