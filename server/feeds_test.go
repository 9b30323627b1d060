package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/store"
)

// TestFeedPull pulls a peer's TAXII collection into the server, checks
// that the pull is incremental, and that the pulled indicator fires.
func TestFeedPull(t *testing.T) {
	ctx := context.Background()
	src := taxii.NewMemStore()
	col := taxii.Collection{ID: "9d1c1e2a-0f5e-4f4e-8a9b-1c2d3e4f5a6b", Title: "isac", Read: []string{"*"}}
	if err := src.PutCollection(ctx, col); err != nil {
		t.Fatal(err)
	}
	var o stix.Object
	if err := json.Unmarshal([]byte(`{"type": "indicator", "spec_version": "2.1", "id": "indicator--7a9e8d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f",
  "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z", "name": "ISAC domain",
  "pattern": "[domain-name:value = 'bad.example']", "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"}`), &o); err != nil {
		t.Fatal(err)
	}
	e, err := taxii.NewEntry(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Add(ctx, col.ID, []taxii.Entry{e}, time.Now()); err != nil {
		t.Fatal(err)
	}
	peer := httptest.NewServer(taxii.NewServer(taxii.Options{Store: src}))
	defer peer.Close()

	feed := FeedConfig{URL: peer.URL + "/taxii2/", Collection: col.ID, Name: "isac"}
	s, base := newTestServerWith(t, func(c *Config) { c.Intel.Feeds = []FeedConfig{feed} })
	if n, err := s.pullFeed(ctx, feed); err != nil || n != 1 {
		t.Fatalf("first pull: %d objects, %v", n, err)
	}
	if n, err := s.pullFeed(ctx, feed); err != nil || n != 0 {
		t.Fatalf("second pull: %d objects, %v (want nothing new)", n, err)
	}
	if _, err := s.loadIntel(); err != nil {
		t.Fatal(err)
	}
	uploadNDJSON(t, base, tokenFor(t, s, store.RoleIngest), `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":22,"Computer":"ws4","UtcTime":"2026-11-27 10:00:00.000","QueryName":"cdn.bad.example"}
`)
	deadline := time.Now().Add(10 * time.Second)
	for s.pipe.Lag() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	alerts, err := s.st.ListAlerts(ctx, store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if a.Rule.ID == "indicator--7a9e8d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f" {
			return
		}
	}
	t.Errorf("no alert for the pulled indicator among %d alerts", len(alerts))
}
