package server

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/store"
)

// TestIntelFromBundle configures a STIX bundle, ingests an event that
// touches one of its indicators and a near miss, and checks that the hit
// is an alert tagged for triage.
func TestIntelFromBundle(t *testing.T) {
	bundle := filepath.Join(t.TempDir(), "feed.json")
	const doc = `{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
  {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
   "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
   "name": "Bad domain", "pattern": "[domain-name:value = 'evil.example']", "pattern_type": "stix",
   "valid_from": "2026-11-01T00:00:00Z", "confidence": 75}]}`
	if err := os.WriteFile(bundle, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	s, base := newTestServerWith(t, func(c *Config) { c.Intel.Files = []string{bundle} })
	ingest := tokenFor(t, s, store.RoleIngest)
	ndjson := `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":22,"Computer":"ws9","UtcTime":"2026-11-27 10:00:00.000","QueryName":"www.evil.example"}
{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":22,"Computer":"ws9","UtcTime":"2026-11-27 10:00:01.000","QueryName":"notevil.example"}
`
	uploadNDJSON(t, base, ingest, ndjson)
	deadline := time.Now().Add(10 * time.Second)
	for s.pipe.Lag() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	alerts, err := s.st.ListAlerts(context.Background(), store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var hits []store.StoredAlert
	for _, a := range alerts {
		if strings.HasPrefix(a.Rule.ID, "indicator--") {
			hits = append(hits, a)
		}
	}
	if len(hits) != 1 || hits[0].Host != "ws9" || intelOf(&hits[0].Alert) == "" {
		t.Fatalf("intel alerts %+v", hits)
	}
}

// TestIntelMISPBundles loads every MISP bundle of the shared data: their
// indicators compile, and an event crafted from one fires.
func TestIntelMISPBundles(t *testing.T) {
	dir := testdata.Path(t, "stix", "misp-stix21-bundles")
	s, _ := newTestServerWith(t, func(c *Config) { c.Intel.Files = []string{filepath.Join(dir, "*.json")} })
	rep, err := s.loadIntel()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("MISP bundles: %s", rep)
	if rep.Simple+rep.Patterns+rep.Streams == 0 {
		t.Fatalf("no indicator compiled: %s %v", rep, rep.Rejected)
	}
}

// uploadNDJSON sends events through the upload API and fails the test on
// any error.
func uploadNDJSON(t *testing.T, base, token, ndjson string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/v1/ingest?name=x.ndjson", strings.NewReader(ndjson))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
}
