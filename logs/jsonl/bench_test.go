package jsonl

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/logs"
)

// benchRead reads data b.N times and reports events per second.
func benchRead(b *testing.B, data []byte) {
	b.Helper()
	r := New()
	var events int
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		in := logs.Input{Path: "bench", R: bytes.NewReader(data)}
		if err := r.Read(context.Background(), in, func(*event.Event) error { events++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// winlogbeatLines makes n Winlogbeat-shaped Sysmon process creation
// records, one per line, of about 1.4 kB each.
func winlogbeatLines(n int) []byte {
	var buf bytes.Buffer
	for i := range n {
		fmt.Fprintf(&buf, `{"@timestamp":"2024-05-01T10:%02d:%02d.%03dZ","agent":{"type":"winlogbeat","version":"8.13.0","hostname":"ws%d"},`+
			`"event":{"code":"1","kind":"event","provider":"Microsoft-Windows-Sysmon","action":"Process Create (rule: ProcessCreate)","category":["process"],"type":["start"]},`+
			`"host":{"name":"ws%d.corp.local","ip":["10.0.%d.%d","fe80::1"],"os":{"family":"windows","version":"10.0"}},`+
			`"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"ws%d.corp.local","event_id":"1","record_id":"%d","provider_name":"Microsoft-Windows-Sysmon","provider_guid":"{5770385f-c22a-43e0-bf4c-06f5698ffbd9}","process":{"pid":3116,"thread":{"id":1656}},"user":{"identifier":"S-1-5-18","domain":"NT AUTHORITY","name":"SYSTEM","type":"Well Known Group"},"opcode":"Info","version":5,`+
			`"event_data":{"RuleName":"-","UtcTime":"2024-05-01 10:%02d:%02d.%03d","ProcessGuid":"{0197231e-e9ee-692f-b004-%012d}","ProcessId":"%d","Image":"C:\\Windows\\System32\\cmd.exe","FileVersion":"10.0.19041.1","Description":"Windows Command Processor","Product":"Microsoft® Windows® Operating System","Company":"Microsoft Corporation","OriginalFileName":"Cmd.Exe","CommandLine":"cmd.exe /c \"whoami /all \u0026 echo %d\"","CurrentDirectory":"C:\\Users\\alice\\","User":"CORP\\alice","LogonGuid":"{0197231e-bbfb-692f-3c8c-050000000000}","LogonId":"0x58c3c","TerminalSessionId":"1","IntegrityLevel":"Medium","Hashes":"SHA256=1F9FFC2227F8DEA8B771D543C464CF8166C22A39420A5322B5892A640C4B34B6","ParentProcessGuid":"{0197231e-e967-692f-a904-000000000900}","ParentProcessId":"9076","ParentImage":"C:\\Windows\\explorer.exe","ParentCommandLine":"C:\\Windows\\Explorer.EXE","ParentUser":"CORP\\alice"}}}`+"\n",
			i/3600%60, i/60%60, i%1000, i%50, i%50, i%256, i%200, i%50, i, i/3600%60, i/60%60, i%1000, i, 1000+i%30000, i)
	}
	return buf.Bytes()
}

func BenchmarkReadWinlogbeat(b *testing.B) { benchRead(b, winlogbeatLines(5000)) }

// BenchmarkReadEVTXDump reads SigmaHQ's evtx_dump renderings, concatenated:
// pretty-printed objects.
func BenchmarkReadEVTXDump(b *testing.B) {
	root := testdata.Path(b, "sigma", "regression_data")
	var buf bytes.Buffer
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && filepath.Ext(p) == ".json" {
			data, _ := os.ReadFile(p)
			buf.Write(data)
			buf.WriteByte('\n')
		}
		return nil
	})
	benchRead(b, buf.Bytes())
}
