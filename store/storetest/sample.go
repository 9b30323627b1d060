package storetest

import (
	"strconv"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// WindowsEvent returns a realistic 40-field Sysmon process-creation event,
// as the EVTX reader produces one, numbered i: record ids, process ids and
// the command line vary with i, and the host cycles through eight names.
// Benchmarks of stores use it as their typical ingest record.
func WindowsEvent(i int, at time.Time) event.Event {
	n := strconv.Itoa(i)
	e := event.Event{
		Time: at,
		Source: event.Source{
			Path:   `C:\Windows\System32\winevt\Logs\Microsoft-Windows-Sysmon%4Operational.evtx`,
			Format: "evtx",
			Record: int64(i + 1),
			Offset: int64(4608 + 1024*i),
		},
		Fields: make([]event.Field, 0, 40),
	}
	e.Add("Provider_Name", event.String("Microsoft-Windows-Sysmon"))
	e.Add("Provider_Guid", event.String("5770385F-C22A-43E0-BF4C-06F5698FFBD9"))
	e.Add("EventID", event.Int(1))
	e.Add("Version", event.Int(5))
	e.Add("Level", event.Int(4))
	e.Add("Task", event.Int(1))
	e.Add("Opcode", event.Int(0))
	e.Add("Keywords", event.Hex(0x8000000000000000))
	e.Add("TimeCreated_SystemTime", event.String(at.UTC().Format("2006-01-02T15:04:05.000000Z")))
	e.Add("EventRecordID", event.Int(int64(i+1)))
	e.Add("Execution_ProcessID", event.Int(3544))
	e.Add("Execution_ThreadID", event.Int(4272))
	e.Add("Channel", event.String("Microsoft-Windows-Sysmon/Operational"))
	e.Add("Computer", event.String("ws"+strconv.Itoa(i%8)+".corp.local"))
	e.Add("Security_UserID", event.String("S-1-5-18"))
	e.Add("RuleName", event.String("technique_id=T1059,technique_name=Command-Line Interface"))
	e.Add("UtcTime", event.String(at.UTC().Format("2006-01-02 15:04:05.000")))
	e.Add("ProcessGuid", event.String("0197231E-005A-6928-A50B-0000"+pad8(i)))
	e.Add("ProcessId", event.Int(int64(4000+i%60000)))
	e.Add("Image", event.String(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`))
	e.Add("FileVersion", event.String("10.0.19041.3996 (WinBuild.160101.0800)"))
	e.Add("Description", event.String("Windows PowerShell"))
	e.Add("Product", event.String("Microsoft® Windows® Operating System"))
	e.Add("Company", event.String("Microsoft Corporation"))
	e.Add("OriginalFileName", event.String("PowerShell.EXE"))
	e.Add("CommandLine", event.String(`powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\ProgramData\task`+n+`.ps1`))
	e.Add("CurrentDirectory", event.String(`C:\Users\alice\AppData\Local\Temp\`))
	e.Add("User", event.String(`CORP\alice`))
	e.Add("LogonGuid", event.String("0197231E-0042-6928-3F2A-0B0000000000"))
	e.Add("LogonId", event.Hex(0xb2a3f))
	e.Add("TerminalSessionId", event.Int(1))
	e.Add("IntegrityLevel", event.String("High"))
	e.Add("Hashes", event.String("SHA1=F43D9BB316E30AE1A3494AC5B0624F6BEA1BF054,MD5=04029E121A0CFA5991749937DD22A1D9,SHA256=9F914D42706FE215501044ACD85A32D58AAEF1419D404FDDFA5D3B48F66CCD9F,IMPHASH=7C955A0ABC747F57CCC4324480737EF7"))
	e.Add("ParentProcessGuid", event.String("0197231E-0031-6928-9B0A-000000000C00"))
	e.Add("ParentProcessId", event.Int(6120))
	e.Add("ParentImage", event.String(`C:\Windows\explorer.exe`))
	e.Add("ParentCommandLine", event.String(`C:\Windows\Explorer.EXE`))
	e.Add("ParentUser", event.String(`CORP\alice`))
	e.Add("EventType", event.String("ProcessCreate"))
	e.Add("Sequence", event.Int(int64(i)))
	return e
}

// pad8 formats i as eight hex digits, as GUID tails are written.
func pad8(i int) string {
	s := strconv.FormatUint(uint64(uint32(i)), 16)
	for len(s) < 8 {
		s = "0" + s
	}
	return s
}

// WindowsEventBatches returns batches of size WindowsEvents, one
// millisecond apart, as ingest hands them to AppendEvents: the stores'
// benchmarks write and read the same records.
func WindowsEventBatches(batches, size int) [][]event.Event {
	start := time.Date(2025, 11, 27, 0, 0, 0, 0, time.UTC)
	out := make([][]event.Event, batches)
	for b := range out {
		out[b] = make([]event.Event, size)
		for i := range out[b] {
			n := b*size + i
			out[b][i] = WindowsEvent(n, start.Add(time.Duration(n)*time.Millisecond))
		}
	}
	return out
}
