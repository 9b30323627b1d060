package match

import (
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/intel"
)

func ev(t time.Time, fields ...string) *event.Event {
	e := &event.Event{Time: t}
	for i := 0; i+1 < len(fields); i += 2 {
		e.Add(fields[i], event.String(fields[i+1]))
	}
	return e
}

func TestDetector(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	inds := []intel.Indicator{
		{ID: "indicator--1", Name: "C2 server", Pattern: "[ipv4-addr:value = '203.0.113.45']", PatternType: "stix", Confidence: 85, TLP: intel.TLPAmber, Source: "isac"},
		{ID: "indicator--2", Name: "Encoded PowerShell", Pattern: "[process:command_line LIKE '%-enc %' AND process:name = 'powershell.exe']", PatternType: "stix", Confidence: 50},
		{ID: "indicator--3", Name: "Recon then dump", Pattern: "[process:name = 'whoami.exe'] FOLLOWEDBY [process:name = 'rundll32.exe'] WITHIN 600 SECONDS", PatternType: "stix"},
		{ID: "indicator--4", Name: "Old", Pattern: "[domain-name:value = 'old.example']", PatternType: "stix", ValidUntil: t0.Add(-time.Hour)},
		{ID: "indicator--5", Name: "Broken", Pattern: "[ipv4-addr:value = ", PatternType: "stix"},
	}
	d, rep := Compile(inds, t0)
	if rep.Simple != 1 || rep.Patterns != 1 || rep.Streams != 1 || rep.Expired != 1 || len(rep.Rejected) != 1 {
		t.Fatalf("report %s (%v)", rep, rep.Rejected)
	}
	w := d.NewWorker()
	var got []*alert.Alert
	emit := func(a *alert.Alert) { got = append(got, a) }
	events := []*event.Event{
		ev(t0, "Computer", "ws1", "DestinationIp", "203.0.113.45"),                                       // hit 1
		ev(t0, "Computer", "ws1", "DestinationIp", "203.0.113.46"),                                       // near miss
		ev(t0, "Image", `C:\Windows\powershell.exe`, "CommandLine", "powershell.exe -nop -enc SQBFAFgA"), // hit 2
		ev(t0, "Image", `C:\Windows\pwsh.exe`, "CommandLine", "pwsh -enc x"),                             // near miss
		ev(t0, "QueryName", "old.example"),                                                               // expired
		ev(t0.Add(time.Minute), "Image", `C:\Windows\System32\whoami.exe`),
		ev(t0.Add(2*time.Minute), "Image", `C:\Windows\System32\rundll32.exe`), // hit 3 (stream)
	}
	for _, e := range events {
		w.Process(e, emit)
	}
	want := []string{"indicator--1", "indicator--2", "indicator--3"}
	if len(got) != len(want) {
		for _, a := range got {
			t.Logf("alert %s %s %+v", a.Rule.ID, a.Rule.Title, a.Matches)
		}
		t.Fatalf("%d alerts, want %d", len(got), len(want))
	}
	for i, a := range got {
		if a.Rule.ID != want[i] {
			t.Errorf("alert %d: %s, want %s", i, a.Rule.ID, want[i])
		}
	}
	first := got[0]
	if first.Rule.Level != "high" || first.Host != "ws1" || first.Entities[alert.EntityDstIP] != "203.0.113.45" {
		t.Errorf("C2 alert %+v", first)
	}
	tags := map[string]bool{}
	for _, tag := range first.Rule.Tags {
		tags[tag] = true
	}
	for _, tag := range []string{"intel", "source:isac", "confidence:85", "tlp:amber"} {
		if !tags[tag] {
			t.Errorf("tag %s missing in %v", tag, first.Rule.Tags)
		}
	}
}
