package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/enrich"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func loc(file string, line int) []supply.Location { return []supply.Location{{File: file, Line: line}} }

// fixtureFindings is a fixed scan: a malicious package, KEV-listed
// vulnerabilities (one used by ransomware, one joined through a related
// id), EPSS-only and CVSS-only findings, a package whose two advisories
// need the higher fix, one with fixes on two release lines, one with an
// advisory that has no fix, a package found in two lockfiles, and text
// that must be escaped.
func fixtureFindings() []supply.Finding {
	log4j := supply.Package{Ecosystem: supply.Maven, Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1",
		PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", Locations: loc("pom.xml", 42)}
	lodash := supply.Package{Ecosystem: supply.Npm, Name: "lodash", Version: "4.17.11", PURL: "pkg:npm/lodash@4.17.11", Locations: loc("package-lock.json", 3120)}
	django := supply.Package{Ecosystem: supply.PyPI, Name: "django", Version: "3.2.0", PURL: "pkg:pypi/django@3.2.0", Locations: loc("requirements.txt", 4)}
	smallvec := supply.Package{Ecosystem: supply.CratesIO, Name: "smallvec", Version: "0.6.9", PURL: "pkg:cargo/smallvec@0.6.9", Locations: loc("Cargo.lock", 211)}
	return []supply.Finding{
		{Package: supply.Package{Ecosystem: supply.Npm, Name: "flatmap-stream", Version: "0.1.1", PURL: "pkg:npm/flatmap-stream@0.1.1", Locations: loc("package-lock.json", 1204)},
			ID: "MAL-2025-0001", Summary: "Malicious code in flatmap-stream (npm)", Malicious: true},
		{Package: log4j, ID: "GHSA-jfh8-c2jp-5v3q", Aliases: []string{"CVE-2021-44228"}, Summary: "Remote code injection in Log4j",
			Fixed:    []string{"2.3.1", "2.12.2", "2.15.0"},
			Severity: []supply.Severity{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}}},
		{Package: log4j, ID: "GHSA-7rjr-3q55-vv33", Aliases: []string{"CVE-2021-45046"}, Summary: "Incomplete fix for Apache Log4j vulnerability",
			Fixed:    []string{"2.3.1", "2.12.2", "2.16.0"},
			Severity: []supply.Severity{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H"}}},
		{Package: supply.Package{Ecosystem: supply.Npm, Name: "jquery", Version: "3.4.1", PURL: "pkg:npm/jquery@3.4.1",
			Locations: []supply.Location{{File: "package-lock.json", Line: 2210}, {File: "web/package-lock.json", Line: 88}}},
			ID: "GHSA-jpcq-cgw6-v4j6", Aliases: []string{"CVE-2020-11023"}, Summary: "Potential XSS vulnerability in jQuery",
			Fixed:    []string{"3.5.0"},
			Severity: []supply.Severity{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:L/A:N"}}},
		{Package: supply.Package{Ecosystem: supply.Go, Name: "golang.org/x/net", Version: "0.7.0", PURL: "pkg:golang/golang.org/x/net@0.7.0", Locations: loc("/src/app/go.mod", 7)},
			ID: "GO-2023-2102", Aliases: []string{"CVE-2023-39325", "GHSA-4374-p667-p6c8"}, Summary: "HTTP/2 rapid reset can cause excessive work in net/http",
			Fixed: []string{"0.17.0"}},
		{Package: lodash, ID: "GHSA-jf85-cpcp-j695", Aliases: []string{"CVE-2019-10744"}, Summary: "Prototype Pollution in lodash",
			Fixed:    []string{"4.17.12"},
			Severity: []supply.Severity{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"}}},
		{Package: lodash, ID: "GHSA-p6mc-m468-83gw", Aliases: []string{"CVE-2020-8203"}, Summary: "Prototype Pollution in lodash",
			Fixed:    []string{"4.17.19"},
			Severity: []supply.Severity{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"}}},
		// EPSS only: no severity vector.
		{Package: django, ID: "PYSEC-2022-213", Aliases: []string{"CVE-2022-34265"}, Summary: "Trunc() and Extract() SQL injection",
			Fixed: []string{"3.2.14", "4.0.6"}},
		{Package: django, ID: "PYSEC-2099-1", Summary: "A | pipe, <b>tags</b> and *stars* in a [summary](x)"},
		// CVSS only: no CVE, so no EPSS.
		{Package: smallvec, ID: "RUSTSEC-2019-0009", Summary: "Double-free and use-after-free in SmallVec::grow()",
			Fixed:    []string{"0.6.10"},
			Severity: []supply.Severity{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}},
		{Package: smallvec, ID: "RUSTSEC-2021-0003", Summary: "Buffer overflow in SmallVec::insert_many",
			Fixed:    []string{"0.6.14", "1.6.1"},
			Severity: []supply.Severity{{Type: "CVSS_V4", Vector: "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:L/VA:H/SC:N/SI:N/SA:N"}}},
		{Package: supply.Package{Ecosystem: supply.PyPI, Name: "requests", Version: "2.25.0", PURL: "pkg:pypi/requests@2.25.0", Locations: loc("requirements.txt", 9)},
			ID: "GHSA-9wx4-h78v-vm56", Aliases: []string{"CVE-2024-35195"}, Summary: "Requests Session object does not verify requests after making first request with verify=False",
			Fixed:    []string{"2.32.0"},
			Severity: []supply.Severity{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N"}}},
	}
}

func rankedFixture() []supply.Finding {
	kev := enrich.KEVCatalog{
		"CVE-2021-44228": {CVE: "CVE-2021-44228", DateAdded: "2021-12-10", DueDate: "2021-12-24", Ransomware: true, VendorProject: "Apache", Product: "Log4j2"},
		"CVE-2020-11023": {CVE: "CVE-2020-11023", DateAdded: "2025-01-23", DueDate: "2025-02-13", VendorProject: "JQuery", Product: "JQuery"},
		"CVE-2023-44487": {CVE: "CVE-2023-44487", DateAdded: "2023-10-10", DueDate: "2023-10-31", VendorProject: "IETF", Product: "HTTP/2"},
	}
	epss := enrich.EPSSScores{
		"CVE-2021-44228": {CVE: "CVE-2021-44228", Score: 0.94358, Percentile: 0.99953, Date: "2025-08-25"},
		"CVE-2021-45046": {CVE: "CVE-2021-45046", Score: 0.94, Percentile: 0.9991, Date: "2025-08-25"},
		"CVE-2020-11023": {CVE: "CVE-2020-11023", Score: 0.01842, Percentile: 0.82931, Date: "2025-08-25"},
		"CVE-2023-44487": {CVE: "CVE-2023-44487", Score: 0.94323, Percentile: 0.9993, Date: "2025-08-25"},
		"CVE-2023-39325": {CVE: "CVE-2023-39325", Score: 0.00412, Percentile: 0.60912, Date: "2025-08-25"},
		"CVE-2019-10744": {CVE: "CVE-2019-10744", Score: 0.03114, Percentile: 0.86478, Date: "2025-08-25"},
		"CVE-2020-8203":  {CVE: "CVE-2020-8203", Score: 0.02145, Percentile: 0.84, Date: "2025-08-25"},
		"CVE-2022-34265": {CVE: "CVE-2022-34265", Score: 0.2061, Percentile: 0.955, Date: "2025-08-25"},
		"CVE-2024-35195": {CVE: "CVE-2024-35195", Score: 0.00042, Percentile: 0.11, Date: "2025-08-25"},
	}
	related := enrich.WithRelated(func(id string) []string {
		if id == "GO-2023-2102" {
			return []string{"CVE-2023-44487"}
		}
		return nil
	})
	return enrich.Apply(fixtureFindings(), kev, epss, related)
}

var goldenOptions = Options{ToolVersion: "1.0.0-test", Generated: time.Date(2025, 8, 26, 9, 0, 0, 0, time.UTC), Root: "/src/app"}

func TestGolden(t *testing.T) {
	findings := rankedFixture()
	for _, tt := range []struct{ format, file string }{
		{"table", "scan.txt"},
		{"json", "scan.json"},
		{"sarif", "scan.sarif"},
		{"cyclonedx", "scan.cdx.json"},
		{"markdown", "scan.md"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.format, findings, goldenOptions); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s (run go test -update to accept):\n%s", tt.format, golden, buf.String())
			}
			// Same input, same bytes.
			var again bytes.Buffer
			Write(&again, tt.format, findings, goldenOptions)
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Error("output is not deterministic")
			}
		})
	}
}

func TestEmptyScan(t *testing.T) {
	for _, format := range Formats() {
		var buf bytes.Buffer
		if err := Write(&buf, format, nil, Options{}); err != nil {
			t.Errorf("%s: %v", format, err)
		}
		if buf.Len() == 0 {
			t.Errorf("%s: empty output for an empty scan", format)
		}
	}
	if err := Write(&bytes.Buffer{}, "xml", nil, Options{}); err == nil {
		t.Error("unknown format accepted")
	}
}
