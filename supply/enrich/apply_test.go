package enrich

import (
	"reflect"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/supply"
)

var (
	testKEV = KEVCatalog{
		"CVE-2021-44228": {CVE: "CVE-2021-44228", DateAdded: "2021-12-10", DueDate: "2021-12-24", Ransomware: true},
		"CVE-2020-11023": {CVE: "CVE-2020-11023", DateAdded: "2025-01-23", DueDate: "2025-02-13"},
		"CVE-2023-44487": {CVE: "CVE-2023-44487", DateAdded: "2023-10-10", DueDate: "2023-10-31"},
	}
	testEPSS = EPSSScores{
		"CVE-2021-44228": {CVE: "CVE-2021-44228", Score: 0.94358, Percentile: 0.99953},
		"CVE-2020-11023": {CVE: "CVE-2020-11023", Score: 0.01842, Percentile: 0.82931},
		"CVE-2023-44487": {CVE: "CVE-2023-44487", Score: 0.94323, Percentile: 0.9993},
		"CVE-2023-39325": {CVE: "CVE-2023-39325", Score: 0.00412, Percentile: 0.60912},
		"CVE-2019-10744": {CVE: "CVE-2019-10744", Score: 0.03114, Percentile: 0.86478},
		"CVE-2022-0001":  {CVE: "CVE-2022-0001", Score: 0.00005, Percentile: 0.00301},
	}
	// related stands in for the OSV database's "related" field.
	related = WithRelated(func(id string) []string {
		if id == "GO-2023-2102" {
			return []string{"CVE-2023-44487"}
		}
		return nil
	})
)

func pkg(eco, name, version string) supply.Package {
	return supply.Package{Ecosystem: eco, Name: name, Version: version}
}

func testFindings() []supply.Finding {
	return []supply.Finding{
		{Package: pkg(supply.Npm, "lodash", "4.17.11"), ID: "GHSA-jf85-cpcp-j695", Aliases: []string{"CVE-2019-10744"}, Fixed: []string{"4.17.12"},
			Severity: []supply.Severity{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"}}},
		{Package: pkg(supply.Npm, "jquery", "3.4.1"), ID: "GHSA-jpcq-cgw6-v4j6", Aliases: []string{"CVE-2020-11023"}, Fixed: []string{"3.5.0"},
			Severity: []supply.Severity{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:L/A:N"}}},
		{Package: pkg(supply.Go, "golang.org/x/net", "0.7.0"), ID: "GO-2023-2102", Aliases: []string{"CVE-2023-39325", "GHSA-4374-p667-p6c8"}, Fixed: []string{"0.17.0"}},
		{Package: pkg(supply.Npm, "flatmap-stream", "0.1.1"), ID: "MAL-2022-1234", Summary: "Malicious code in flatmap-stream"},
		{Package: pkg(supply.Maven, "org.apache.logging.log4j:log4j-core", "2.14.1"), ID: "GHSA-jfh8-c2jp-5v3q", Aliases: []string{"CVE-2021-44228"}, Fixed: []string{"2.15.0", "2.12.2"},
			Severity: []supply.Severity{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}}},
		{Package: pkg(supply.PyPI, "tiny", "1.0"), ID: "PYSEC-2022-1", Aliases: []string{"CVE-2022-0001"},
			Severity: []supply.Severity{
				{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N"},
				{Type: "CVSS_V4", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N"},
				{Type: "CVSS_V3", Vector: "CVSS:3.1/bogus"},
			}},
		{Package: pkg(supply.CratesIO, "nothing", "0.1.0"), ID: "RUSTSEC-2020-0001"},
	}
}

func TestApplyRanking(t *testing.T) {
	got := Apply(testFindings(), testKEV, testEPSS, related)
	want := []struct {
		id, priority string
		cvss         float64
	}{
		{"MAL-2022-1234", Critical, 0},         // malicious first
		{"GHSA-jfh8-c2jp-5v3q", Critical, 10},  // KEV, ransomware
		{"GO-2023-2102", Critical, 0},          // KEV via a related id, added 2023
		{"GHSA-jpcq-cgw6-v4j6", Critical, 6.9}, // KEV added 2025
		{"GHSA-jf85-cpcp-j695", High, 9.1},     // CVSS 9.1 with EPSS 0.03
		{"PYSEC-2022-1", Low, 6.9},             // EPSS 0.00005
		{"RUSTSEC-2020-0001", Low, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("%d findings, want %d", len(got), len(want))
	}
	for i, w := range want {
		f := got[i]
		if f.ID != w.id || f.Priority != w.priority || f.CVSS != w.cvss || f.Rank != i+1 {
			t.Errorf("rank %d: %s %s cvss %v rank %d; want %s %s cvss %v", i+1, f.ID, f.Priority, f.CVSS, f.Rank, w.id, w.priority, w.cvss)
		}
	}
}

func TestApplyJoinsAndReasons(t *testing.T) {
	byID := map[string]supply.Finding{}
	for _, f := range Apply(testFindings(), testKEV, testEPSS, related) {
		byID[f.ID] = f
	}
	tests := map[string][]string{
		"MAL-2022-1234": {"malicious package: remove now"},
		"GHSA-jfh8-c2jp-5v3q": {
			"listed in CISA KEV since 2021-12-10 (federal due date 2021-12-24), used in ransomware campaigns",
			"EPSS 0.94 (99th percentile)",
			"CVSS 10.0 from CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
			"fixed in 2.15.0, 2.12.2",
		},
		"GO-2023-2102": {
			"listed in CISA KEV as CVE-2023-44487 (a related id) since 2023-10-10 (federal due date 2023-10-31)",
			"EPSS 0.94 (99th percentile) for CVE-2023-44487 (a related id)",
			"fixed in 0.17.0",
		},
		"GHSA-jpcq-cgw6-v4j6": {
			"listed in CISA KEV since 2025-01-23 (federal due date 2025-02-13)",
			"EPSS 0.02 (82nd percentile)",
			"CVSS 6.9 from CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:L/A:N",
			"fixed in 3.5.0",
		},
		"PYSEC-2022-1": {
			"EPSS 0.00005 (0th percentile)",
			"CVSS 6.9 from CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N",
			"no fixed version yet",
		},
		"RUSTSEC-2020-0001": {"no fixed version yet"},
	}
	for id, want := range tests {
		if got := byID[id].Reasons; !reflect.DeepEqual(got, want) {
			t.Errorf("%s reasons:\n got %q\nwant %q", id, got, want)
		}
	}
	if !byID["MAL-2022-1234"].Malicious {
		t.Error("a MAL- id is not marked malicious")
	}
	// Each vector gets its own score; an unreadable one scores 0.
	sev := byID["PYSEC-2022-1"].Severity
	if sev[0].Score != 3.5 || sev[1].Score != 6.9 || sev[2].Score != 0 {
		t.Errorf("severity scores = %+v", sev)
	}
}

func TestApplyWithoutRelatedMissesKEV(t *testing.T) {
	for _, f := range Apply(testFindings(), testKEV, testEPSS) {
		if f.ID == "GO-2023-2102" {
			if f.KEV != nil || f.EPSS == nil || f.EPSS.CVE != "CVE-2023-39325" || f.Priority != Low {
				t.Errorf("without related ids: KEV %v EPSS %+v priority %s", f.KEV, f.EPSS, f.Priority)
			}
		}
	}
}

func TestApplyDeterministicAndPure(t *testing.T) {
	input := testFindings()
	first := Apply(input, testKEV, testEPSS, related)
	if !reflect.DeepEqual(input, testFindings()) {
		t.Fatal("Apply modified its input")
	}
	// Reversed input, same output.
	reversed := testFindings()
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	if second := Apply(reversed, testKEV, testEPSS, related); !reflect.DeepEqual(first, second) {
		t.Error("Apply depends on input order")
	}
	// Enriching twice gives the same result (stale enrichment is reset).
	if again := Apply(first, testKEV, testEPSS, related); !reflect.DeepEqual(first, again) {
		t.Error("Apply is not idempotent")
	}
	if got := Apply(nil, nil, nil); len(got) != 0 {
		t.Error("nil input gave findings")
	}
	var nilStore *Store
	if got := Apply(testFindings(), nilStore, nilStore); got[0].ID != "MAL-2022-1234" || got[0].KEV != nil {
		t.Error("a nil store should just give no enrichment")
	}
}

func TestPriorityCutoffs(t *testing.T) {
	tests := []struct {
		f    supply.Finding
		want string
	}{
		{supply.Finding{Malicious: true}, Critical},
		{supply.Finding{KEV: &supply.KEVEntry{}}, Critical},
		{supply.Finding{EPSS: &supply.EPSS{Score: 0.10}}, High},
		{supply.Finding{CVSS: 9.0}, High},
		{supply.Finding{EPSS: &supply.EPSS{Score: 0.0999}, CVSS: 8.9}, Medium},
		{supply.Finding{EPSS: &supply.EPSS{Score: 0.01}}, Medium},
		{supply.Finding{CVSS: 7.0}, Medium},
		{supply.Finding{EPSS: &supply.EPSS{Score: 0.0099}, CVSS: 6.9}, Low},
		{supply.Finding{}, Low},
	}
	for _, tt := range tests {
		if got := PriorityOf(tt.f); got != tt.want {
			t.Errorf("PriorityOf(%+v) = %s, want %s", tt.f, got, tt.want)
		}
	}
}

func TestFormatting(t *testing.T) {
	for in, want := range map[float64]string{0.94358: "0.94", 0.01842: "0.02", 0.00412: "0.0041", 0.00005: "0.00005", 0: "0.00", 1: "1.00"} {
		if got := FormatEPSS(in); got != want {
			t.Errorf("FormatEPSS(%v) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[int]string{0: "0th", 1: "1st", 2: "2nd", 3: "3rd", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 82: "82nd", 99: "99th"} {
		if got := ordinal(in); got != want {
			t.Errorf("ordinal(%d) = %s, want %s", in, got, want)
		}
	}
	if !strings.HasPrefix(FormatEPSS(0.000001), "0.000001") {
		t.Errorf("FormatEPSS(1e-6) = %s", FormatEPSS(0.000001))
	}
}
