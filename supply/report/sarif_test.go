package report

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestSARIFStructure checks the SARIF output against what the 2.1.0 schema
// requires and what GitHub code scanning needs to accept an upload.
func TestSARIFStructure(t *testing.T) {
	var buf bytes.Buffer
	if err := SARIF(&buf, rankedFixture(), goldenOptions); err != nil {
		t.Fatal(err)
	}
	var log map[string]any
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if log["version"] != "2.1.0" {
		t.Errorf("version = %v", log["version"])
	}
	if s, _ := log["$schema"].(string); !strings.Contains(s, "sarif-2.1.0") {
		t.Errorf("$schema = %q", s)
	}
	runs, _ := log["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("runs = %v", log["runs"])
	}
	run := runs[0].(map[string]any)
	driver := dig(t, run, "tool", "driver")
	if name, _ := driver["name"].(string); name == "" {
		t.Error("runs[].tool.driver.name is required")
	}
	rules, _ := driver["rules"].([]any)
	ruleIDs := map[string]int{}
	for i, r := range rules {
		rule := r.(map[string]any)
		id, _ := rule["id"].(string)
		if id == "" {
			t.Errorf("rule %d has no id", i)
		}
		if _, dup := ruleIDs[id]; dup {
			t.Errorf("rule id %s repeated", id)
		}
		ruleIDs[id] = i
		for _, field := range []string{"shortDescription", "fullDescription", "help"} {
			text, _ := dig(t, rule, field)["text"].(string)
			if text == "" {
				t.Errorf("rule %s: %s.text empty", id, field)
			}
			if field != "help" && len(text) > 1024 {
				t.Errorf("rule %s: %s longer than GitHub's 1024 characters", id, field)
			}
		}
		props := dig(t, rule, "properties")
		sev, ok := props["security-severity"].(string)
		score, err := strconv.ParseFloat(sev, 64)
		if !ok || err != nil || score < 0 || score > 10 {
			t.Errorf("rule %s: security-severity %v must be a numeric string in [0,10]", id, props["security-severity"])
		}
		tags, _ := props["tags"].([]any)
		if len(tags) == 0 || tags[0] != "security" {
			t.Errorf("rule %s: tags %v should include security (GitHub shows severity for security rules)", id, tags)
		}
		checkLevel(t, "rule "+id, dig(t, rule, "defaultConfiguration")["level"])
	}
	results, _ := run["results"].([]any)
	if len(results) == 0 {
		t.Fatal("no results")
	}
	for i, r := range results {
		res := r.(map[string]any)
		ruleID, _ := res["ruleId"].(string)
		idx, known := ruleIDs[ruleID]
		if !known {
			t.Errorf("result %d: ruleId %q has no rule", i, ruleID)
		}
		if ri, ok := res["ruleIndex"].(float64); !ok || int(ri) != idx {
			t.Errorf("result %d: ruleIndex %v, rule %s is at %d", i, res["ruleIndex"], ruleID, idx)
		}
		if text, _ := dig(t, res, "message")["text"].(string); text == "" {
			t.Errorf("result %d: message.text is required", i)
		}
		checkLevel(t, "result "+ruleID, res["level"])
		fps, _ := res["partialFingerprints"].(map[string]any)
		if len(fps) == 0 {
			t.Errorf("result %d: no partialFingerprints", i)
		}
		for k, v := range fps {
			if s, ok := v.(string); !ok || s == "" {
				t.Errorf("result %d: fingerprint %s = %v", i, k, v)
			}
		}
		locs, _ := res["locations"].([]any)
		if len(locs) != 1 {
			t.Errorf("result %d: %d locations, GitHub reads one", i, len(locs))
			continue
		}
		phys := dig(t, locs[0].(map[string]any), "physicalLocation")
		art := dig(t, phys, "artifactLocation")
		uri, _ := art["uri"].(string)
		if u, err := url.Parse(uri); err != nil || u.IsAbs() || strings.HasPrefix(uri, "/") || strings.Contains(uri, `\`) || uri == "" {
			t.Errorf("result %d: uri %q must be a relative forward-slash path", i, uri)
		}
		if art["uriBaseId"] != "%SRCROOT%" {
			t.Errorf("result %d: uriBaseId = %v", i, art["uriBaseId"])
		}
		if region, ok := phys["region"].(map[string]any); ok {
			if line, _ := region["startLine"].(float64); line < 1 {
				t.Errorf("result %d: startLine %v", i, region["startLine"])
			}
		}
	}
	// jquery is in two lockfiles: one result for each, with distinct fingerprints.
	var jquery []map[string]any
	for _, r := range results {
		if r.(map[string]any)["ruleId"] == "GHSA-jpcq-cgw6-v4j6" {
			jquery = append(jquery, r.(map[string]any))
		}
	}
	if len(jquery) != 2 || jquery[0]["partialFingerprints"].(map[string]any)[fingerprintKey] == jquery[1]["partialFingerprints"].(map[string]any)[fingerprintKey] {
		t.Errorf("jquery results: %v", jquery)
	}
}

func checkLevel(t *testing.T, what string, level any) {
	t.Helper()
	switch level {
	case "none", "note", "warning", "error":
	default:
		t.Errorf("%s: level %v not in none, note, warning, error", what, level)
	}
}

func dig(t *testing.T, m map[string]any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("missing object %q in %v", k, keys)
		}
		m = next
	}
	return m
}

func TestSARIFSeverityFloor(t *testing.T) {
	log := buildSARIF(rankedFixture(), goldenOptions)
	want := map[string]string{
		"MAL-2025-0001":       "10.0", // malicious
		"GO-2023-2102":        "9.0",  // KEV, no CVSS: raised to critical's floor
		"GHSA-jpcq-cgw6-v4j6": "9.0",  // KEV with CVSS 6.9
		"PYSEC-2022-213":      "7.0",  // EPSS 0.21 (high), no CVSS
		"RUSTSEC-2019-0009":   "9.8",  // CVSS
		"GHSA-9wx4-h78v-vm56": "5.6",  // low priority keeps its CVSS
	}
	for _, r := range log.Runs[0].Tool.Driver.Rules {
		if w, ok := want[r.ID]; ok && r.Properties.SecuritySeverity != w {
			t.Errorf("%s security-severity = %s, want %s", r.ID, r.Properties.SecuritySeverity, w)
		}
	}
}
