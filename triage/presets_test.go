package triage

import (
	"strings"
	"testing"
)

func TestPresets(t *testing.T) {
	in := strings.Join([]string{
		`{"timestamp":"2024-05-01T10:00:00.000+0000","rule":{"level":10,"description":"sshd: brute force","id":"5712","mitre":{"tactic":["Credential Access"]}},"agent":{"id":"001","name":"web1"},"data":{"srcip":"203.0.113.9","dstuser":"root"}}`,
		`{"timestamp":"2024-05-01T10:00:01.000+0000","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2"}`,
		`{"timestamp":"2024-05-01T10:00:02.000+0000","event_type":"alert","src_ip":"203.0.113.9","dest_ip":"10.0.0.5","alert":{"signature":"ET SCAN Nmap","signature_id":2009582,"severity":2}}`,
		`{"rule":{"id":"r1","title":"LSASS Memory Dumped","level":"high"},"time":"2024-05-01T10:00:03Z","host":"ws1","entities":{"user":"CORP\\amy","process":"C:\\Windows\\System32\\rundll32.exe"}}`,
	}, "\n")
	alerts, err := Read(strings.NewReader(in), "mixed.ndjson", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 3 {
		t.Fatalf("%d alerts, want 3 (the flow record is not one)", len(alerts))
	}
	w, e, b := alerts[0], alerts[1], alerts[2]
	if w.Name != "sshd: brute force" || w.Rule != "5712" || w.Severity != "10" || w.Entities[Host] != "web1" ||
		w.Entities[SrcIP] != "203.0.113.9" || w.Entities[User] != "root" || len(w.Tactics) != 1 {
		t.Errorf("wazuh: %+v", w)
	}
	if e.Line != 2 || e.Name != "ET SCAN Nmap" || e.Severity != "medium" || e.Entities[DstIP] != "10.0.0.5" {
		t.Errorf("eve: %+v", e)
	}
	if b.Name != "LSASS Memory Dumped" || b.Severity != "high" || b.Entities[User] != `CORP\amy` || b.Entities[Host] != "ws1" {
		t.Errorf("bulwark: %+v", b)
	}
}
