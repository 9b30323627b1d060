package db

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/internal/atomicfile"
	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/osv"
)

var testEntries = map[string]string{
	"GHSA-1.json": `{"id":"GHSA-1","modified":"2024-03-01T00:00:00Z","aliases":["CVE-2024-1"],"related":["CVE-2024-9"],"summary":"bad","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
		"affected":[{"package":{"ecosystem":"npm","name":"Left-Pad"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.3.0"},{"introduced":"2.0.0"},{"fixed":"2.0.1"}]}]}]}`,
	"MAL-1.json":  `{"id":"MAL-2024-1","modified":"2024-02-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"evil"},"versions":["1.0.0"]}]}`,
	"W-1.json":    `{"id":"GHSA-w","modified":"2024-01-01T00:00:00Z","withdrawn":"2024-01-02T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`,
	"BAD-1.json":  `{"id":"GHSA-bad","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"fixed":"1.0.0"}]}]}]}`,
	"PY-1.json":   `{"id":"PYSEC-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"Zope.Interface"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.0"}]}]}]}`,
	"broken.json": `{"id": 12`,
}

func writeEntries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, js := range testEntries {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestImportAndMatch(t *testing.T) {
	data := t.TempDir()
	rep, err := Import(data, writeEntries(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sources) != 3 { // npm, PyPI, and "unknown" for the broken file
		t.Fatalf("sources %+v", rep.Sources)
	}
	if len(rep.Rejects) != 2 {
		t.Errorf("rejects %v, want the entry without introduced and the broken JSON", rep.Rejects)
	}
	d, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	pkgs := []supply.Package{
		{Ecosystem: supply.Npm, Name: "left-pad", Version: "1.2.0"},
		{Ecosystem: supply.Npm, Name: "left-pad", Version: "1.3.0"},
		{Ecosystem: supply.Npm, Name: "evil", Version: "1.0.0"},
		{Ecosystem: supply.PyPI, Name: "zope_interface", Version: "4.7"},
		{Ecosystem: supply.CratesIO, Name: "regex", Version: "1.0.0"},
	}
	got, err := d.Match(pkgs)
	var noData *NoDataError
	if !errors.As(err, &noData) || !slices.Equal(noData.Ecosystems, []string{"crates.io"}) {
		t.Fatalf("err = %v, want no data for crates.io", err)
	}
	var ids []string
	for _, f := range got {
		ids = append(ids, f.Package.Name+"@"+f.Package.Version+" "+f.ID)
	}
	want := []string{"zope_interface@4.7 PYSEC-1", "evil@1.0.0 MAL-2024-1", "left-pad@1.2.0 GHSA-1"}
	if !slices.Equal(ids, want) {
		t.Fatalf("findings %v, want %v", ids, want)
	}
	if !got[1].Malicious || got[2].Malicious {
		t.Error("only MAL-2024-1 is malicious")
	}
	if f := got[2]; !slices.Equal(f.Fixed, []string{"1.3.0", "2.0.1"}) || f.Aliases[0] != "CVE-2024-1" || f.Related[0] != "CVE-2024-9" || f.Severity[0].Vector == "" {
		t.Errorf("finding %+v", f)
	}
	st, err := Status(data)
	if err != nil {
		t.Fatal(err)
	}
	if st[0].Name != "osv/PyPI" || st[1].Name != "osv/npm" || st[1].Entries != 4 || st[1].Withdrawn != 1 || st[1].Rejects != 1 {
		t.Errorf("status %+v", st)
	}
	if want := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC); !st[1].SourceDate.Equal(want) || st[1].Age < time.Since(want)-time.Minute {
		t.Errorf("npm source date %v age %v", st[1].SourceDate, st[1].Age)
	}
	if rej, err := Rejects(data, "npm"); err != nil || len(rej) != 1 || rej[0].ID != "GHSA-bad" {
		t.Errorf("Rejects = %v, %v", rej, err)
	}
}

func TestRecordSourceForEnrich(t *testing.T) {
	data := t.TempDir()
	date := time.Date(2025, 8, 25, 0, 0, 0, 0, time.UTC)
	if err := RecordSource(data, Source{Name: "kev", Kind: "kev", ImportedAt: date.Add(time.Hour), SourceDate: date, Entries: 1404}); err != nil {
		t.Fatal(err)
	}
	st, err := statusAt(data, date.Add(48*time.Hour))
	if err != nil || len(st) != 1 || st[0].Entries != 1404 || st[0].Age != 48*time.Hour {
		t.Errorf("status %+v, %v", st, err)
	}
}

func TestDownload(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("GHSA-1.json")
	w.Write([]byte(testEntries["GHSA-1.json"]))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/npm/all.zip" {
			http.NotFound(w, r)
			return
		}
		w.Write(buf.Bytes())
	}))
	defer srv.Close()
	data := t.TempDir()
	rep, err := Download(context.Background(), srv.URL, []string{"npm"}, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sources) != 1 || rep.Sources[0].Origin != srv.URL+"/npm/all.zip" || rep.Sources[0].Entries != 1 {
		t.Errorf("sources %+v", rep.Sources)
	}
	if _, err := Download(context.Background(), srv.URL, []string{"PyPI"}, data); err == nil {
		t.Error("a 404 must fail the download")
	}
	leftovers, _ := filepath.Glob(filepath.Join(data, ".download-*"))
	if len(leftovers) != 0 {
		t.Errorf("downloads left behind: %v", leftovers)
	}
}

func TestIndexRoundTrip(t *testing.T) {
	recs := map[string][]*osv.Record{
		"a": {{ID: "X-1", Ecosystem: "npm", Name: "a", Aliases: []string{"CVE-1"}, Related: []string{"R-1"}, Malicious: true,
			Severity: []osv.Severity{{Type: "CVSS_V3", Score: "v"}}, Versions: []string{"1.0.0"},
			Ranges: []osv.Range{{Type: "SEMVER", Events: []osv.Event{{Kind: osv.Introduced, Version: "0", Keys: 1}}}}}},
		"b": {{ID: "X-2", Ecosystem: "npm", Name: "b"}},
	}
	path := filepath.Join(t.TempDir(), "npm.idx")
	if err := atomicfile.Write(path, 0o644, func(f io.Writer) error { return writeIndex(f, recs) }); err != nil {
		t.Fatal(err)
	}
	ix, f, err := openIndex(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ix.lookup("a")
	if err != nil || len(got) != 1 || got[0].Related[0] != "R-1" || !got[0].Malicious || got[0].Ranges[0].Events[0].Version != "0" {
		t.Fatalf("lookup = %+v, %v", got, err)
	}
	if got, _ := ix.lookup("zzz"); got != nil {
		t.Error("unknown package found")
	}
}

// FuzzIndexReader feeds arbitrary bytes to the index reader: it must fail
// cleanly, never panic or allocate without bound.
func FuzzIndexReader(f *testing.F) {
	var buf bytes.Buffer
	tmp := filepath.Join(f.TempDir(), "seed.idx")
	atomicfile.Write(tmp, 0o644, func(fh io.Writer) error {
		return writeIndex(fh, map[string][]*osv.Record{"a": {{ID: "X-1", Versions: []string{"1"}, Ranges: []osv.Range{{Type: "SEMVER", Events: []osv.Event{{Kind: "introduced", Version: "0"}}}}}}})
	})
	seed, _ := os.ReadFile(tmp)
	buf.Write(seed)
	f.Add(buf.Bytes())
	f.Add([]byte(indexMagic + "\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x18\x01a\x18\x05"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := readIndex(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for name := range ix.dir {
			recs, err := ix.lookup(name)
			if err == nil {
				for _, r := range recs {
					r.Affects(osv.NewQuery("npm", "1.0.0"))
				}
			}
		}
	})
}
