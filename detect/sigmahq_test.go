package detect

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/evtx"
	"github.com/bulwarkhq/bulwark/sigma"
)

// sigmaHQRuleDirs are the rule folders of the SigmaHQ snapshot.
var sigmaHQRuleDirs = []string{"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder"}

// loadSigmaHQ parses every SigmaHQ rule of the shared data.
func loadSigmaHQ(tb testing.TB) []sigma.Document {
	tb.Helper()
	dir := testdata.Path(tb, "sigma")
	var docs []sigma.Document
	for _, sub := range sigmaHQRuleDirs {
		d, err := sigma.ParseFS(os.DirFS(dir), sub)
		if err != nil {
			tb.Fatal(err)
		}
		docs = append(docs, d...)
	}
	return docs
}

type regressionInfo struct {
	ID           string `yaml:"id"`
	RuleMetadata []struct {
		ID    string `yaml:"id"`
		Title string `yaml:"title"`
	} `yaml:"rule_metadata"`
	Tests []struct {
		Name       string `yaml:"name"`
		Type       string `yaml:"type"`
		MatchCount int    `yaml:"match_count"`
		Path       string `yaml:"path"`
	} `yaml:"regression_tests_info"`
}

// TestSigmaHQRegression runs every rule that has SigmaHQ regression data
// against its sample, as SigmaHQ's CI does: fewer matches than match_count
// is a failure.
func TestSigmaHQRegression(t *testing.T) {
	sigmaDir := testdata.Path(t, "sigma")
	docs := loadSigmaHQ(t)
	byID := map[string]sigma.Document{}
	for _, d := range docs {
		if d.Rule != nil && d.Rule.ID != "" {
			byID[d.Rule.ID] = d
		}
	}
	var infos []string
	err := filepath.WalkDir(filepath.Join(sigmaDir, "regression_data"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "info.yml" {
			infos = append(infos, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(infos)
	passed, failed := 0, 0
	var failures []string
	for _, infoPath := range infos {
		data, err := os.ReadFile(infoPath)
		if err != nil {
			t.Fatal(err)
		}
		var info regressionInfo
		if err := yaml.Unmarshal(data, &info); err != nil {
			t.Fatalf("%s: %v", infoPath, err)
		}
		for _, meta := range info.RuleMetadata {
			doc, ok := byID[meta.ID]
			if !ok {
				failed++
				failures = append(failures, meta.ID+" ("+meta.Title+"): rule not found")
				continue
			}
			rs := sigma.Compile([]sigma.Document{doc}, sigma.Options{})
			if f := rs.Failed(); len(f) > 0 {
				failed++
				failures = append(failures, meta.ID+" ("+meta.Title+"): "+f[0].Error())
				continue
			}
			for _, tc := range info.Tests {
				got := countMatches(t, New(rs, Options{}), filepath.Join(sigmaDir, tc.Path))
				if got < tc.MatchCount {
					failed++
					failures = append(failures, meta.ID+" ("+meta.Title+"): "+tc.Name+": "+strconv.Itoa(got)+" matches, want "+strconv.Itoa(tc.MatchCount)+" in "+tc.Path)
					continue
				}
				passed++
			}
		}
	}
	for _, f := range failures {
		t.Logf("FAIL %s", f)
	}
	t.Logf("SigmaHQ regression: %d of %d passed", passed, passed+failed)
	if failed > 2 {
		t.Errorf("%d regression tests failed; at most 2 may", failed)
	}
}

// countMatches runs the engine over one EVTX file and counts alerts.
func countMatches(tb testing.TB, e *Engine, path string) int {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	n := 0
	d := e.NewDetector(e.NewCorrelations(), sigma.LevelUnknown, func(*alert.Alert) error { n++; return nil })
	in := logs.Input{Path: path, R: f, Warn: func(w logs.Warning) { tb.Logf("warning: %s", w) }}
	if err := evtx.New().Read(context.Background(), in, func(ev *event.Event) error { return d.Process(ev) }); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	if err := d.Flush(); err != nil {
		tb.Fatal(err)
	}
	return n
}
