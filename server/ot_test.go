package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/store"
)

// TestOTWatchFolder drops a real DNP3 capture of a cold restart in the
// watched folder and expects its alert stored, with the evidence event,
// the asset inventory served, and the baseline saved at shutdown.
func TestOTWatchFolder(t *testing.T) {
	data := testdata.Dir(t)
	pcap, err := os.ReadFile(filepath.Join(data, "pcap/dnp3/iti/dnp3__cold_restart_and_response.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	watch := t.TempDir()
	s, base := newTestServerWith(t, func(c *Config) { c.OT.Watch = []string{watch} })
	if s.ot == nil {
		t.Fatal("OT monitor not started")
	}
	if err := os.WriteFile(filepath.Join(watch, "restart.pcap"), pcap, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.ot.run(ctx); close(done) }()

	var got *store.StoredAlert
	for deadline := time.Now().Add(30 * time.Second); got == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		as, err := s.st.ListAlerts(ctx, store.AlertFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for i := range as {
			if strings.Contains(as[i].Alert.Rule.ID, "restart") {
				got = &as[i]
			}
		}
	}
	if got == nil {
		t.Fatal("no restart alert stored")
	}
	if got.Alert.Entities[alert.EntitySrcIP] != "192.168.60.1" || len(got.Alert.Rule.Attack) == 0 || got.EventID == 0 {
		t.Errorf("alert %+v", got)
	}
	var ev *store.StoredEvent
	if err := s.st.ScanEvents(ctx, store.EventFilter{AfterID: got.EventID - 1, Limit: 1}, func(se *store.StoredEvent) error {
		ev = se
		return store.ErrStop
	}); err != nil || ev == nil {
		t.Fatalf("evidence event %d: %v", got.EventID, err)
	}
	if ev.Source.Format != alert.EmbeddedFormat || ev.GetString("src_ip") != "192.168.60.1" {
		t.Errorf("evidence event %+v", ev)
	}

	viewer := tokenFor(t, s, store.RoleViewer)
	var inv struct {
		Enabled bool `json:"enabled"`
		Assets  []struct {
			Address, Role string
		} `json:"assets"`
	}
	if code, body := call(t, "GET", base+"/api/v1/ot/assets", viewer, nil, &inv); code != 200 || !inv.Enabled || len(inv.Assets) != 2 {
		t.Fatalf("assets: %d %s", code, body)
	}

	cancel()
	<-done
	if _, err := os.Stat(filepath.Join(s.cfg.DataDir, "ot-baseline.json")); err != nil {
		t.Errorf("baseline not saved: %v", err)
	}
	// The file is remembered: a second monitor does not read it again.
	if v, ok, _ := s.st.GetSetting(context.Background(), "ot.read."+filepath.Join(watch, "restart.pcap")); !ok || v == "" {
		t.Errorf("read file not remembered")
	}
}
