package report

import (
	"testing"

	"github.com/bulwarkhq/bulwark/supply"
)

func TestFailOn(t *testing.T) {
	scan := rankedFixture()
	for _, threshold := range FailOnThresholds {
		if !FailOn(scan, threshold) {
			t.Errorf("FailOn(fixture, %s) = false", threshold)
		}
		if FailOn(nil, threshold) {
			t.Errorf("FailOn(nil, %s) = true", threshold)
		}
	}
	mediumOnly := []supply.Finding{{ID: "X", CVSS: 7.5}} // unenriched: priority computed
	for threshold, want := range map[string]bool{"critical": false, "high": false, "medium": true, "low": true, "kev": false, "malicious": false, "bogus": false} {
		if got := FailOn(mediumOnly, threshold); got != want {
			t.Errorf("FailOn(medium finding, %s) = %v, want %v", threshold, got, want)
		}
	}
	if err := CheckFailOn("bogus"); err == nil {
		t.Error("CheckFailOn accepted bogus")
	}
	for _, th := range FailOnThresholds {
		if err := CheckFailOn(th); err != nil {
			t.Error(err)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	ordered := []string{"0.6.9", "0.6.10", "0.6.14", "1.0.0-alpha", "1.0.0-rc1", "1.0.0", "1.0.1", "1.2", "1.10.0", "2.0a1", "2.0", "2.0.post1", "v3.0.0"}
	for i := range ordered {
		for j := range ordered {
			got := CompareVersions(ordered[i], ordered[j])
			want := sign(i - j)
			if got != want {
				t.Errorf("CompareVersions(%s, %s) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	if CompareVersions("1.0", "1.0.0") != 0 {
		t.Error("1.0 and 1.0.0 should be equal")
	}
}

func TestFixAll(t *testing.T) {
	cmp := func(_, a, b string) int { return CompareVersions(a, b) }
	p := supply.Package{Ecosystem: supply.Go, Version: "1.20.5"}
	tests := []struct {
		name  string
		fixed [][]string
		want  string
	}{
		{"single", [][]string{{"1.20.10"}}, "1.20.10"},
		{"highest of the lowest fixes", [][]string{{"1.20.7"}, {"1.20.10"}}, "1.20.10"},
		{"fixes below the installed version do not count", [][]string{{"1.19.9", "1.20.7"}}, "1.20.7"},
		// 1.21.1 fixes the first advisory, but the second has its own
		// fix on the 1.21 line: 1.21.3.
		{"release line with its own fix", [][]string{{"1.21.1"}, {"1.20.10", "1.21.3"}}, "1.21.3"},
		{"an advisory without a fix", [][]string{{"1.20.10"}, {}}, ""},
		{"installed above every fix", [][]string{{"1.19.1"}}, ""},
	}
	for _, tt := range tests {
		var findings []supply.Finding
		for _, f := range tt.fixed {
			findings = append(findings, supply.Finding{Fixed: f})
		}
		if got := fixAll(p, findings, cmp); got != tt.want {
			t.Errorf("%s: fixAll = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestGroupRemovesMalicious(t *testing.T) {
	groups := Group(rankedFixture(), Options{})
	if !groups[0].Remove || groups[0].FixVersion != "" || groups[0].Priority != "critical" {
		t.Errorf("malicious group = %+v", groups[0])
	}
	if len(groups) != 8 {
		t.Errorf("%d groups, want 8", len(groups))
	}
}
