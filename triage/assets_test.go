package triage

import (
	"strings"
	"testing"
)

func TestAssets(t *testing.T) {
	as, err := ParseAssets("# our assets\ndc*, critical, domain controllers\nkiosk1, low\n\n")
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := as.Lookup("DC01.corp.example"); !ok || a.Criticality != "critical" {
		t.Errorf("dc01: %+v %v", a, ok)
	}
	if _, ok := as.Lookup("ws1"); ok {
		t.Error("ws1 matched")
	}
	score, reasons := as.Weigh([]string{"ws1", "dc02"}, 10, nil)
	if score != 16 || len(reasons) != 1 || !strings.Contains(reasons[0], `"dc02" is a critical asset (domain controllers)`) {
		t.Errorf("weigh: %v %v", score, reasons)
	}
	if got, _ := ParseAssets(as.Text()); len(got) != 2 || got[0] != as[0] {
		t.Errorf("round trip: %+v", got)
	}
	for _, bad := range []string{"dc1", "dc1, vital", ", high", "[, high"} {
		if _, err := ParseAssets(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
