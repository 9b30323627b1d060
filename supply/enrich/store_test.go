package enrich

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var importTime = time.Date(2025, 8, 26, 9, 0, 0, 0, time.UTC)

const sharedKEV = "/work/shared/data/supply/kev/known_exploited_vulnerabilities.json"

func TestImportSharedKEV(t *testing.T) {
	f, err := os.Open(sharedKEV)
	if err != nil {
		t.Skipf("shared KEV catalogue not available: %v", err)
	}
	defer f.Close()
	dir := t.TempDir()
	src, err := ImportKEV(dir, f, importTime)
	if err != nil {
		t.Fatal(err)
	}
	if src.Entries+src.Rejects != 1404 || src.Version != "2025.08.25" || src.SourceDate != "2025-08-25" {
		t.Errorf("source = %+v", src)
	}
	if src.Rejects != 0 {
		t.Errorf("the published catalogue should validate, rejects: %v", src.RejectList)
	}
	store, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	log4j, ok := store.KEV("CVE-2021-44228")
	if !ok || !log4j.Ransomware || log4j.DateAdded != "2021-12-10" || log4j.DueDate != "2021-12-24" || log4j.Product != "Log4j2" {
		t.Errorf("CVE-2021-44228 = %+v, %v", log4j, ok)
	}
	if e, ok := store.KEV("CVE-2023-44487"); !ok || e.Ransomware {
		t.Errorf("CVE-2023-44487 = %+v, %v", e, ok)
	}
}

func TestImportKEVRejects(t *testing.T) {
	dir := t.TempDir()
	src, err := ImportFile(dir, SourceKEV, "testdata/kev_small.json", importTime)
	if err != nil {
		t.Fatal(err)
	}
	if src.Entries != 3 || src.Rejects != 5 || len(src.RejectList) != 5 {
		t.Fatalf("entries %d rejects %d: %v", src.Entries, src.Rejects, src.RejectList)
	}
	want := []string{
		"entry 3 (CVE-2024-0001): required field missing: dueDate",
		`entry 4 (CVE-24-1): cveID "CVE-24-1" is not CVE-YYYY-NNNN`,
		"entry 5 (CVE-2020-11023): CVE listed more than once",
		`entry 6 (CVE-2024-0002): dateAdded "01/02/2024" is not a YYYY-MM-DD date`,
		"entry 7: field cveID is not a string",
	}
	for i, r := range src.RejectList {
		if r.String() != want[i] {
			t.Errorf("reject %d = %q, want %q", i, r.String(), want[i])
		}
	}
	if len(src.Notes) != 1 || !strings.Contains(src.Notes[0], "count says 6, it holds 8") {
		t.Errorf("notes = %v", src.Notes)
	}
}

func TestImportKEVInvalidKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	if _, err := ImportFile(dir, SourceKEV, "testdata/kev_small.json", importTime); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		`not json`,
		`{"catalogVersion": "1", "dateReleased": "2025-01-01T00:00:00Z", "vulnerabilities": []}`, // no count
		`{"catalogVersion": "1", "dateReleased": "2025-01-01T00:00:00Z", "count": 1, "vulnerabilities": [{"cveID": "CVE-2020-0001"}]}`,
	} {
		if _, err := ImportKEV(dir, strings.NewReader(bad), importTime.Add(time.Hour)); err == nil {
			t.Errorf("ImportKEV(%.40q) accepted", bad)
		}
	}
	store, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := store.KEV("CVE-2020-11023"); !ok {
		t.Error("a failed import replaced the previous catalogue")
	}
	if srcs := store.Sources(); len(srcs) != 1 || !srcs[0].ImportedAt.Equal(importTime) {
		t.Errorf("sources = %+v", srcs)
	}
}

func TestImportEPSS(t *testing.T) {
	plain, err := os.ReadFile("testdata/epss_scores-2025-08-25.csv")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()

	for name, input := range map[string][]byte{"csv": plain, "csv.gz": gz.Bytes()} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src, err := ImportEPSS(dir, bytes.NewReader(input), importTime)
			if err != nil {
				t.Fatal(err)
			}
			if src.Entries != 6 || src.Rejects != 5 || src.SourceDate != "2025-08-25" || src.Version != "v2025.03.14" {
				t.Errorf("source = %+v", src)
			}
			wantRejects := []string{
				`line 9 (not-a-cve): "not-a-cve" is not CVE-YYYY-NNNN`,
				`line 10 (CVE-2022-0002): epss "1.5" is not a number in [0, 1]`,
				`line 11: 2 columns, want at least 3`,
				`line 12 (CVE-2022-0004): epss "NaN" is not a number in [0, 1]`,
				`line 13 (CVE-2021-44228): CVE listed more than once`,
			}
			for i, r := range src.RejectList {
				if i < len(wantRejects) && r.String() != wantRejects[i] {
					t.Errorf("reject %d = %q, want %q", i, r, wantRejects[i])
				}
			}
			store, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			e, ok := store.EPSS("CVE-2021-44228")
			if !ok || e.Score != 0.94358 || e.Percentile != 0.99953 || e.Date != "2025-08-25" {
				t.Errorf("CVE-2021-44228 = %+v, %v", e, ok)
			}
			if _, ok := store.EPSS("CVE-2022-0002"); ok {
				t.Error("a rejected row was stored")
			}
		})
	}
}

func TestEPSSHeaderRequired(t *testing.T) {
	for _, bad := range []string{"", "#model_version:v1,score_date:2025-01-01\n", "cve,score\nCVE-2020-0001,0.1\n"} {
		if _, _, err := ParseEPSS(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseEPSS(%q) accepted", bad)
		}
	}
	// Older files have no comment line; they import without a date.
	entries, src, err := ParseEPSS(strings.NewReader("cve,epss,percentile\nCVE-2020-0001,0.1,0.9\n"))
	if err != nil || len(entries) != 1 || src.SourceDate != "" {
		t.Errorf("entries %v source %+v err %v", entries, src, err)
	}
}

func TestStatusAndEmptyDir(t *testing.T) {
	dir := t.TempDir()
	store, err := Open(filepath.Join(dir, "never-created"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := store.KEV("CVE-2021-44228"); ok || len(store.Sources()) != 0 {
		t.Error("an empty directory answered")
	}
	var nilStore *Store
	if _, ok := nilStore.EPSS("CVE-2021-44228"); ok {
		t.Error("a nil store answered")
	}

	if _, err := ImportFile(dir, SourceKEV, "testdata/kev_small.json", importTime); err != nil {
		t.Fatal(err)
	}
	if _, err := ImportFile(dir, SourceEPSS, "testdata/epss_scores-2025-08-25.csv", importTime); err != nil {
		t.Fatal(err)
	}
	srcs, err := Status(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 2 || srcs[0].Name != SourceKEV || srcs[1].Name != SourceEPSS ||
		srcs[0].Entries != 3 || srcs[1].Entries != 6 || srcs[1].Rejects != 5 || srcs[0].SourceDate != "2025-08-25" {
		t.Errorf("status = %+v", srcs)
	}
	if _, err := ImportFile(dir, "nvd", "testdata/kev_small.json", importTime); err == nil {
		t.Error("unknown source accepted")
	}

	// A corrupt store is an error, not an empty answer.
	os.WriteFile(filepath.Join(dir, epssFile), []byte("garbage"), 0o644)
	if _, err := Open(dir); err == nil {
		t.Error("corrupt EPSS file opened")
	}
}
