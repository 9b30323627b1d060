package evtx

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/logs/evtx/evtxtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenRecords is a fixed, Windows-like mix: Sysmon with named data,
// Security with hex and SID values, a classic service event with unnamed
// data, and a log-cleared event with UserData.
func goldenRecords() []evtxtest.Record {
	q := uint16(16384)
	at := time.Date(2025, 11, 27, 7, 40, 10, 165324100, time.UTC)
	return []evtxtest.Record{
		sysmonRecord(0),
		{
			Provider: "Microsoft-Windows-Security-Auditing", ProviderGUID: "54849625-5478-4994-A5BA-3E3B0328C30D",
			EventID: 4624, Version: 2, Task: 12544, Keywords: 0x8020000000000000, Time: at,
			ActivityID: "CD4E5D70-1D10-0001-895D-4ECD101DD801", ProcessID: 596, ThreadID: 1056,
			Channel: "Security", Computer: "dc1.corp.local",
			EventData: []evtxtest.Data{
				{Name: "SubjectUserSid", Value: evtxtest.SID("S-1-5-18")},
				{Name: "SubjectUserName", Value: "DC1$"},
				{Name: "SubjectLogonId", Value: evtxtest.Hex64(0x3e7)},
				{Name: "TargetUserName", Value: "alice"},
				{Name: "LogonType", Value: uint32(10)},
				{Name: "LogonGuid", Value: evtxtest.GUID("{00000000-0000-0000-0000-000000000000}")},
				{Name: "ImpersonationLevel", Value: "%%1833"},
				{Name: "IpAddress", Value: "10.0.0.5"},
				{Name: "IpPort", Value: "49712"},
				{Name: "AccessMask", Value: evtxtest.Hex32(0x100)},
			},
		},
		{
			Provider: "Service Control Manager", ProviderGUID: "{555908d1-a6d7-4695-8e1e-26931d2012f4}",
			Qualifiers: &q, EventID: 7045, Level: 4, Keywords: 0x8080000000000000, Time: at.Add(time.Second),
			ProcessID: 640, ThreadID: 7000, Channel: "System", Computer: "srv1", UserID: "S-1-5-21-1-2-3-500",
			Unnamed: []any{"PSEXESVC", `%SystemRoot%\PSEXESVC.exe`, "user mode service", "demand start", "LocalSystem"},
		},
		{
			Provider: "Microsoft-Windows-Eventlog", ProviderGUID: "fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148",
			EventID: 1102, Level: 4, Task: 104, Keywords: 0x4020000000000000, Time: at.Add(2 * time.Second),
			ProcessID: 1100, ThreadID: 4000, Channel: "Security", Computer: "dc1.corp.local",
			UserData: &evtxtest.UserData{
				Element: "LogFileCleared", Namespace: "http://manifests.microsoft.com/win/2004/08/windows/eventlog",
				Fields: []evtxtest.Data{
					{Name: "SubjectUserSid", Value: evtxtest.SID("S-1-5-21-3623811015-3361044348-30300820-1013")},
					{Name: "SubjectUserName", Value: "admin"},
					{Name: "SubjectDomainName", Value: "CORP"},
					{Name: "SubjectLogonId", Value: evtxtest.Hex64(0x5b16f)},
				},
			},
		},
	}
}

// TestGolden pins both the writer's bytes (by hash: the demo sample is made
// with it) and the reader's rendering of them. Run with -update to rewrite.
func TestGolden(t *testing.T) {
	file := evtxtest.MustBuild(goldenRecords(), evtxtest.Options{})
	r := read(file)
	if r.err != nil || len(r.warns) != 0 {
		t.Fatalf("err %v, warnings %v", r.err, r.warns)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "file %d bytes, sha256 %x\n", len(file), sha256.Sum256(file))
	for _, e := range r.events {
		fmt.Fprintf(&b, "\nrecord %d at offset %d, time %s\n", e.Source.Record, e.Source.Offset, e.Time.Format(time.RFC3339Nano))
		b.WriteString(fields(e))
	}
	path := filepath.Join("testdata", "golden", "evtxtest-sample.txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("rendering differs from %s (run with -update if intended):\n%s", path, got)
	}
}
