package demo

import (
	"fmt"
	"strings"
)

// domainSID is the made-up SID of the RIVERSIDE domain; accounts append
// their RID.
const domainSID = "S-1-5-21-2718281828-3141592653-1618033988"

// Addresses: the office network uses 10.10.0.0/16; the intruder's server is
// in the documentation range 203.0.113.0/24.
const (
	attackerIP = "203.0.113.45"
)

// host is one computer of the organisation.
type host struct {
	short string // "ws-reception01"
	ip    string
	// osVersion is the FileVersion of the host's system binaries: Windows 10
	// on workstations, Server 2022 on servers.
	osVersion string
	// Process ids of the components that write each log, for the
	// Execution_ProcessID of their events.
	sysmonPID, lsassPID, servicesPID int
	// nextPID hands out process ids; Windows ids are multiples of four.
	nextPID int
	// guidPrefix is the first part of this host's Sysmon process GUIDs
	// (Sysmon derives it from the machine).
	guidPrefix string
	guidSeq    int
	// records numbers each channel's events (EventRecordID).
	records map[string]int64
	// recordBase is where the host's logs were when the scenario starts.
	recordBase int64
}

// computer is the host's name as Windows writes it in the Computer field.
func (h *host) computer() string { return h.short + "." + DNSDomain }

// netbios is the host's NetBIOS name, as workstation names appear in logon
// events.
func (h *host) netbios() string { return strings.ToUpper(h.short) }

// machineAccount is the host's domain account name.
func (h *host) machineAccount() string { return h.netbios() + "$" }

// pid returns a fresh process id. The step varies so that ids look like the
// ones of a real machine rather than a counter.
func (h *host) pid() int {
	h.nextPID += 4 * (3 + (h.nextPID/4)%13)
	return h.nextPID
}

// guid returns a fresh Sysmon process GUID.
func (h *host) guid() string {
	h.guidSeq++
	return fmt.Sprintf("%s-%04X-6A3F-%04X-%012X", h.guidPrefix, 0x1B00+h.guidSeq*7, 0x0100+h.guidSeq, 0x00000000A00+h.guidSeq)
}

// user is a domain (or built-in) account.
type user struct {
	domain, name, sid string
}

func (u user) qualified() string { return u.domain + `\` + u.name }

func domainUser(name string, rid int) user {
	return user{NetBIOSDomain, name, fmt.Sprintf("%s-%d", domainSID, rid)}
}

// Built-in accounts that processes run as.
var (
	systemUser  = user{"NT AUTHORITY", "SYSTEM", "S-1-5-18"}
	networkSvc  = user{"NT AUTHORITY", "NETWORK SERVICE", "S-1-5-20"}
	adminDomain = domainUser("Administrator", 500)
)

// org is the organisation: its computers, its people, and the processes
// already running when the scenario starts.
type org struct {
	reception, finance, dc, fs *host
	// harper is the receptionist, okafor the accountant, tpatel the IT
	// administrator whose admin account adm-tpatel is stolen.
	harper, okafor, tpatel user
	// staff are the other accounts the password spray tries.
	staff []string
	// Long-running processes the scenario's processes descend from.
	receptionExplorer, receptionOutlook, financeExplorer *proc
	fsServices, fsWmiPrvSE, fsSchedule, financeServices  *proc
	lsass                                                map[*host]*proc
}

func newOrg() *org {
	mk := func(short, ip, os string, base int64, prefix string, sysmon, lsass, services int) *host {
		return &host{short: short, ip: ip, osVersion: os, sysmonPID: sysmon, lsassPID: lsass, servicesPID: services,
			nextPID: 5000 + int(base%977)*4, guidPrefix: prefix, records: map[string]int64{}, recordBase: base}
	}
	const (
		win10  = "10.0.19041.1 (WinBuild.160101.0800)"
		win22  = "10.0.20348.1 (WinBuild.160101.0800)"
		wsBase = 184_220
	)
	o := &org{
		reception: mk("ws-reception01", "10.10.20.21", win10, wsBase, "7E3A91C2", 2932, 688, 672),
		finance:   mk("ws-finance02", "10.10.30.12", win10, wsBase+61_337, "7E3A5D08", 3104, 704, 684),
		dc:        mk("dc01", "10.10.1.10", win22, 2_418_907, "0B44E6F1", 2688, 652, 640),
		fs:        mk("fs01", "10.10.1.20", win22, 903_115, "5C21A7B3", 2740, 660, 648),
		harper:    domainUser("j.harper", 1107),
		okafor:    domainUser("d.okafor", 1112),
		tpatel:    domainUser("adm-tpatel", 1120),
		staff: []string{"a.brennan", "c.mwangi", "e.lindqvist", "f.romano", "g.tanaka", "h.oduya",
			"k.dubois", "l.fischer", "m.alvarez", "n.kowalczyk", "p.osei", "r.silva"},
		lsass: map[*host]*proc{},
	}
	for _, h := range []*host{o.reception, o.finance, o.dc, o.fs} {
		o.lsass[h] = &proc{host: h, guid: h.guid(), pid: h.lsassPID, image: `C:\Windows\system32\lsass.exe`,
			cmd: `C:\Windows\system32\lsass.exe`, user: systemUser, logonID: 0x3e7, integrity: "System"}
	}
	o.receptionExplorer = &proc{host: o.reception, guid: o.reception.guid(), pid: 4316, image: `C:\Windows\explorer.exe`,
		cmd: `C:\Windows\Explorer.EXE`, user: o.harper, logonID: 0x2b4c1f, session: 1, integrity: "Medium"}
	o.receptionOutlook = &proc{host: o.reception, guid: o.reception.guid(), pid: 7720,
		image: `C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE`,
		cmd:   `"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE" `, user: o.harper, logonID: 0x2b4c1f, session: 1, integrity: "Medium"}
	o.financeExplorer = &proc{host: o.finance, guid: o.finance.guid(), pid: 5128, image: `C:\Windows\explorer.exe`,
		cmd: `C:\Windows\Explorer.EXE`, user: o.okafor, logonID: 0x31a7e2, session: 1, integrity: "Medium"}
	o.financeServices = &proc{host: o.finance, guid: o.finance.guid(), pid: o.finance.servicesPID, image: `C:\Windows\system32\services.exe`,
		cmd: `C:\Windows\system32\services.exe`, user: systemUser, logonID: 0x3e7, integrity: "System"}
	o.fsServices = &proc{host: o.fs, guid: o.fs.guid(), pid: o.fs.servicesPID, image: `C:\Windows\system32\services.exe`,
		cmd: `C:\Windows\system32\services.exe`, user: systemUser, logonID: 0x3e7, integrity: "System"}
	o.fsWmiPrvSE = &proc{host: o.fs, guid: o.fs.guid(), pid: 3412, image: `C:\Windows\System32\wbem\WmiPrvSE.exe`,
		cmd: `C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding`, user: networkSvc, logonID: 0x3e4, integrity: "System"}
	o.fsSchedule = &proc{host: o.fs, guid: o.fs.guid(), pid: 1284, image: `C:\Windows\System32\svchost.exe`,
		cmd: `C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`, user: systemUser, logonID: 0x3e7, integrity: "System"}
	return o
}

// proc is a running process, as Sysmon describes it.
type proc struct {
	host       *host
	guid       string
	pid        int
	image, cmd string
	cwd        string
	user       user
	logonID    uint64
	session    int
	integrity  string
}

// logonGUID is the Sysmon LogonGuid of a logon session: derived from the
// logon id, as Sysmon's are stable within a session.
func (p *proc) logonGUID() string {
	return fmt.Sprintf("%s-%04X-6A3F-%04X-%012X", p.host.guidPrefix, (p.logonID>>16)&0xffff, p.logonID&0xffff, p.logonID)
}

// imageInfo is the version resource Sysmon reports for an image.
type imageInfo struct {
	version, description, product, company, original string
}

const (
	msCorp    = "Microsoft Corporation"
	winOS     = "Microsoft® Windows® Operating System"
	officeVer = "16.0.18526.20168"
)

// images are the version resources of the binaries the scenario runs, by
// lower-case file name. A version of "os" means the host's Windows build.
// Binaries missing here (the intruder's) have no version resource: Sysmon
// reports "-".
var images = map[string]imageInfo{
	"winword.exe":    {officeVer, "Microsoft Word", "Microsoft Office", msCorp, "WinWord.exe"},
	"excel.exe":      {officeVer, "Microsoft Excel", "Microsoft Office", msCorp, "Excel.exe"},
	"outlook.exe":    {officeVer, "Microsoft Outlook", "Microsoft Outlook", msCorp, "Outlook.exe"},
	"wscript.exe":    {"5.812.10240.16384", "Microsoft ® Windows Based Script Host", "Microsoft ® Windows Script Host", msCorp, "wscript.exe"},
	"powershell.exe": {"os", "Windows PowerShell", winOS, msCorp, "PowerShell.EXE"},
	"cmd.exe":        {"os", "Windows Command Processor", winOS, msCorp, "Cmd.Exe"},
	"whoami.exe":     {"os", "whoami - displays logged on user information", winOS, msCorp, "whoami.exe"},
	"net.exe":        {"os", "Net Command", winOS, msCorp, "net.exe"},
	"net1.exe":       {"os", "Net Command", winOS, msCorp, "net1.exe"},
	"nltest.exe":     {"os", "Microsoft® Logon Server Test Utility", winOS, msCorp, "nltestrk.exe"},
	"rundll32.exe":   {"os", "Windows host process (Rundll32)", winOS, msCorp, "RUNDLL32.EXE"},
	"vssadmin.exe":   {"os", "Command Line Interface for Microsoft® Volume Shadow Copy Service ", winOS, msCorp, "VSSADMIN.EXE"},
	"wmic.exe":       {"os", "WMI Commandline Utility", winOS, msCorp, "wmic.exe"},
	"bcdedit.exe":    {"os", "Boot Configuration Data Editor", winOS, msCorp, "bcdedit.exe"},
	"wbadmin.exe":    {"os", "Command Line Interface for Microsoft® BLB Backup", winOS, msCorp, "WBADMIN.EXE"},
	"certutil.exe":   {"os", "CertUtil.exe", winOS, msCorp, "CertUtil.exe"},
	"rdpclip.exe":    {"os", "RDP Clipboard Monitor", winOS, msCorp, "rdpclip.exe"},
	"svchost.exe":    {"os", "Host Process for Windows Services", winOS, msCorp, "svchost.exe"},
	"fodhelper.exe":  {"os", "Features On Demand Helper", winOS, msCorp, "FodHelper.EXE"},
	"explorer.exe":   {"os", "Windows Explorer", winOS, msCorp, "EXPLORER.EXE"},
	"notepad.exe":    {"os", "Notepad", winOS, msCorp, "NOTEPAD.EXE"},
	"chrome.exe":     {"131.0.6778.140", "Google Chrome", "Google Chrome", "Google LLC", "chrome.exe"},
	"psexec64.exe":   {"2.43", "Execute processes remotely", "Sysinternals PsExec", "Sysinternals - www.sysinternals.com", "psexec.exe"},
	"psexesvc.exe":   {"2.43", "PsExec Service", "Sysinternals PsExec", "Sysinternals - www.sysinternals.com", "psexesvc.exe"},
	"lsm.exe":        {"2.2.0.0", "mimikatz for Windows", "mimikatz", "gentilkiwi (Benjamin DELPY)", "mimikatz.exe"},
	"msmpeng.exe":    {"4.18.24090.11", "Antimalware Service Executable", winOS, msCorp, "MsMpEng.exe"},
}

// info returns the version resource of image on host h.
func (h *host) info(image string) imageInfo {
	name := strings.ToLower(image[strings.LastIndexByte(image, '\\')+1:])
	in, ok := images[name]
	if !ok {
		return imageInfo{"-", "-", "-", "-", "-"}
	}
	if in.version == "os" {
		in.version = h.osVersion
	}
	return in
}
