package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
)

func otData(t *testing.T) string {
	return filepath.Join(testdata.Dir(t), "pcap")
}

// TestOTAlertsAndInventory runs bulwark ot as its help says on a DNP3
// capture of a cold restart.
func TestOTAlertsAndInventory(t *testing.T) {
	dir := otData(t)
	f := filepath.Join(dir, "dnp3/iti/dnp3__cold_restart_and_response.pcap")
	code, out, errOut := run(t, "ot", "--format", "json", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Alerts []struct {
			Rule struct {
				ID     string
				Attack []string
			}
			EventID string `json:"event_id"`
			Source  struct{ Path string }
		}
		Inventory struct {
			Assets []struct{ Address, Role string }
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(res.Alerts) != 1 || res.Alerts[0].Rule.ID != "ot.dnp3.restart" || res.Alerts[0].EventID != "frame:4" ||
		res.Alerts[0].Source.Path != f || len(res.Alerts[0].Rule.Attack) == 0 {
		t.Errorf("alerts %+v", res.Alerts)
	}
	if len(res.Inventory.Assets) != 2 {
		t.Errorf("inventory %+v", res.Inventory)
	}
	// --fail-on turns alerts into exit status 3.
	if code, _, _ := run(t, "ot", "--fail-on", "high", f); code != exitFindings {
		t.Errorf("--fail-on high: exit %d", code)
	}
	if code, _, _ := run(t, "ot", "--fail-on", "critical", f); code != 0 {
		t.Errorf("--fail-on critical: exit %d", code)
	}
}

// TestOTBaselineRoundTrip learns a baseline, reviews it, and checks a
// capture against it.
func TestOTBaselineRoundTrip(t *testing.T) {
	dir := otData(t)
	pcap := filepath.Join(dir, "modbus/lemay_cset16/moving_two_files_modbus_6RTU.pcap")
	base := filepath.Join(t.TempDir(), "plant.json")
	if code, _, errOut := run(t, "ot", "--learn", "10s", "--save-baseline", base, pcap); code != 0 {
		t.Fatalf("learn: exit %d: %s", code, errOut)
	}
	code, out, errOut := run(t, "ot", "baseline", base)
	if code != 0 || !strings.Contains(out, "192.168.1.100") {
		t.Fatalf("review: exit %d: %s%s", code, out, errOut)
	}
	code, out, errOut = run(t, "ot", "--baseline", base, "--learn", "0", "--format", "jsonl", pcap)
	if code != 0 {
		t.Fatalf("check: exit %d: %s", code, errOut)
	}
	if n := strings.Count(out, "\n"); n == 0 || !strings.Contains(out, "ot.net.unexpected-flow") {
		t.Errorf("check: %d alerts:\n%s", n, out)
	}
	// A baseline that does not parse is named with the entry at fault.
	if err := os.WriteFile(base, []byte(`{"version": 1, "pairs": [{"master": "nope"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "ot", "--baseline", base, "--learn", "0", pcap); code != exitError || !strings.Contains(errOut, "plant.json") {
		t.Errorf("bad baseline: exit %d: %s", code, errOut)
	}
}

// TestOTStats checks the JSON counts of a Modbus capture against
// tshark's (pcap/tshark_reference.tsv).
func TestOTStats(t *testing.T) {
	dir := otData(t)
	code, out, errOut := run(t, "ot", "stats", "--format", "json", filepath.Join(dir, "modbus/iti/ModbusTCP__modbus_test_data_part1.pcap"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s struct {
		Frames int64
		Modbus struct {
			Frames    int64
			FuncCode  map[string]int64 `json:"func_code"`
			Requests  map[string]int64
			Responses map[string]int64
			Exception map[string]int64 `json:"exception_code"`
		}
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	// tshark: 118 frames, 45 with Modbus; Read Coils 14 (2 requests, 12
	// responses); Diagnostics 16; exceptions 5 (5), 6 (5), 11 (4).
	if s.Frames != 118 || s.Modbus.Frames != 45 || s.Modbus.FuncCode["1"] != 14 || s.Modbus.Requests["1"] != 2 ||
		s.Modbus.Responses["1"] != 12 || s.Modbus.FuncCode["8"] != 16 || s.Modbus.Exception["11"] != 4 {
		t.Errorf("stats %+v", s)
	}
}

func TestOTUsage(t *testing.T) {
	for _, args := range [][]string{
		{"ot"},
		{"ot", "--format", "xml", "x.pcap"},
		{"ot", "--learn", "0", "x.pcap"},
		{"ot", "--modbus-port", "0", "x.pcap"},
		{"ot", "--modbus-port", "502", "--dnp3-port", "502", "x.pcap"},
	} {
		if code, _, _ := run(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
