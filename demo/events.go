package demo

import (
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// Providers and channels, as Windows names them.
const (
	sysmonProvider   = "Microsoft-Windows-Sysmon"
	sysmonGUID       = "5770385F-C22A-43E0-BF4C-06F5698FFBD9"
	sysmonChannel    = "Microsoft-Windows-Sysmon/Operational"
	securityProvider = "Microsoft-Windows-Security-Auditing"
	securityGUID     = "54849625-5478-4994-A5BA-3E3B0328C30D"
	securityChannel  = "Security"
	scmProvider      = "Service Control Manager"
	scmGUID          = "555908D1-A6D7-4695-8E1E-26931D2012F4"
	systemChannel    = "System"
	psProvider       = "Microsoft-Windows-PowerShell"
	psGUID           = "A0C1853E-5C40-4B15-8766-3CF1C58F985A"
	psChannel        = "Microsoft-Windows-PowerShell/Operational"
)

// Security audit keywords.
const (
	auditSuccess = 0x8020000000000000
	auditFailure = 0x8010000000000000
)

// rec is one event of the scenario before it is numbered.
type rec struct {
	at      time.Duration
	stage   int
	host    *host
	channel string
	ev      event.Event
}

// builder accumulates the scenario's events. Each stage's code sets stage
// before writing its events, so that tests can tell which stage an alert
// came from.
type builder struct {
	start time.Time
	org   *org
	stage int
	recs  []rec
}

// header is the System part of an event.
type header struct {
	provider, guid, sourceName string
	qualifiers                 int // EventID_Qualifiers; 0 when the event has none
	id, version, level, task   int
	opcode                     int
	keywords                   uint64
	pid, tid                   int
	channel                    string
	userSID                    string // Security_UserID; "" when the event has none
}

// add records an event: the System fields in the order the evtx reader
// produces them (docs/windows-fields.md), then the event data.
// EventRecordID is filled in once the whole scenario is sorted.
func (b *builder) add(at time.Duration, h *host, hd header, data []event.Field) {
	t := b.start.Add(at)
	ev := event.Event{Time: t, Fields: make([]event.Field, 0, 16+len(data))}
	ev.Add("Provider_Name", event.String(hd.provider))
	ev.Add("Provider_Guid", event.String(hd.guid))
	if hd.sourceName != "" {
		ev.Add("Provider_EventSourceName", event.String(hd.sourceName))
	}
	if hd.qualifiers != 0 {
		ev.Add("EventID_Qualifiers", event.Int(int64(hd.qualifiers)))
	}
	ev.Add("EventID", event.Int(int64(hd.id)))
	ev.Add("Version", event.Int(int64(hd.version)))
	ev.Add("Level", event.Int(int64(hd.level)))
	ev.Add("Task", event.Int(int64(hd.task)))
	ev.Add("Opcode", event.Int(int64(hd.opcode)))
	ev.Add("Keywords", event.Hex(hd.keywords))
	ev.Add("TimeCreated_SystemTime", event.String(t.Format("2006-01-02T15:04:05.000000Z")))
	ev.Add("EventRecordID", event.Int(0))
	ev.Add("Execution_ProcessID", event.Int(int64(hd.pid)))
	ev.Add("Execution_ThreadID", event.Int(int64(hd.tid)))
	ev.Add("Channel", event.String(hd.channel))
	ev.Add("Computer", event.String(h.computer()))
	if hd.userSID != "" {
		ev.Add("Security_UserID", event.String(hd.userSID))
	}
	ev.Fields = append(ev.Fields, data...)
	b.recs = append(b.recs, rec{at: at, stage: b.stage, host: h, channel: hd.channel, ev: ev})
}

// finish orders the events by time (events at the same instant keep the
// order they were written in, which is causal) and numbers them: each
// channel of each host counts its own EventRecordID, and Source.Record is
// the event's position, which is also its line number in NDJSON output.
func (b *builder) finish() []rec {
	sort.SliceStable(b.recs, func(i, j int) bool { return b.recs[i].at < b.recs[j].at })
	for i := range b.recs {
		r := &b.recs[i]
		r.host.records[r.channel]++
		id := r.host.recordBase + r.host.records[r.channel]
		if r.channel == sysmonChannel {
			id = 3*r.host.recordBase + r.host.records[r.channel] // Sysmon logs far more than Security
		}
		r.ev.Set("EventRecordID", event.Int(id))
		r.ev.Source = event.Source{Path: "demo", Format: "demo", Record: int64(i + 1), Offset: -1}
	}
	return b.recs
}

// hexVal marks an integer that Windows renders as HexInt ("0x3e7").
type hexVal uint64

// data builds event data from name, value pairs. Values are strings, ints
// or hexVal; anything else is a bug in the scenario.
func data(kv ...any) []event.Field {
	if len(kv)%2 != 0 {
		panic("demo: odd number of event data arguments")
	}
	fs := make([]event.Field, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		name := kv[i].(string)
		var v event.Value
		switch x := kv[i+1].(type) {
		case string:
			v = event.String(x)
		case int:
			v = event.Int(int64(x))
		case hexVal:
			v = event.Hex(uint64(x))
		default:
			panic(fmt.Sprintf("demo: event data %s has type %T", name, x))
		}
		fs = append(fs, event.Field{Name: name, Value: v})
	}
	return fs
}

// --- Sysmon ----------------------------------------------------------------

func sysmonHeader(h *host, id, version int) header {
	return header{provider: sysmonProvider, guid: sysmonGUID, id: id, version: version, level: 4, task: id,
		keywords: 0x8000000000000000, pid: h.sysmonPID, tid: h.sysmonPID + 1212, channel: sysmonChannel, userSID: "S-1-5-18"}
}

// utc is Sysmon's UtcTime rendering.
func (b *builder) utc(at time.Duration) string {
	return b.start.Add(at).Format("2006-01-02 15:04:05.000")
}

// exec starts a child of parent running as the same user, in the same
// logon session and directory (Sysmon event 1).
func (b *builder) exec(at time.Duration, parent *proc, image, cmd string) *proc {
	return b.spawn(at, parent, proc{image: image, cmd: cmd})
}

// spawn starts child under parent (Sysmon event 1). Fields of child left
// empty are inherited from parent, as Windows does for a plain
// CreateProcess.
func (b *builder) spawn(at time.Duration, parent *proc, child proc) *proc {
	c := child
	c.host = parent.host
	if c.user.name == "" {
		c.user, c.logonID, c.session = parent.user, parent.logonID, parent.session
	}
	if c.integrity == "" {
		c.integrity = parent.integrity
	}
	if c.cwd == "" {
		c.cwd = parent.cwd
		if c.cwd == "" {
			c.cwd = `C:\Windows\system32\`
		}
	}
	c.pid = c.host.pid()
	c.guid = c.host.guid()
	in := c.host.info(c.image)
	b.add(at, c.host, sysmonHeader(c.host, 1, 5), data(
		"RuleName", "-",
		"UtcTime", b.utc(at),
		"ProcessGuid", c.guid,
		"ProcessId", c.pid,
		"Image", c.image,
		"FileVersion", in.version,
		"Description", in.description,
		"Product", in.product,
		"Company", in.company,
		"OriginalFileName", in.original,
		"CommandLine", c.cmd,
		"CurrentDirectory", c.cwd,
		"User", c.user.qualified(),
		"LogonGuid", c.logonGUID(),
		"LogonId", hexVal(c.logonID),
		"TerminalSessionId", c.session,
		"IntegrityLevel", c.integrity,
		"Hashes", hashes(c.image, in.version),
		"ParentProcessGuid", parent.guid,
		"ParentProcessId", parent.pid,
		"ParentImage", parent.image,
		"ParentCommandLine", parent.cmd,
		"ParentUser", parent.user.qualified(),
	))
	return &c
}

// hashes makes up the Sysmon Hashes of an image: stable per file name and
// version, so that the same binary has the same hash on every host.
func hashes(image, version string) string {
	name := strings.ToLower(image[strings.LastIndexByte(image, '\\')+1:])
	seed := []byte("bulwark demo " + name + " " + version)
	md := md5.Sum(seed)
	sh := sha256.Sum256(seed)
	imp := md5.Sum(append(seed, " imports"...))
	return fmt.Sprintf("MD5=%X,SHA256=%X,IMPHASH=%X", md, sh, imp)
}

// connect is a network connection p made (Sysmon event 3).
func (b *builder) connect(at time.Duration, p *proc, dstIP, dstHost string, dstPort, srcPort int) {
	portName := map[int]string{80: "http", 443: "https", 445: "microsoft-ds", 135: "epmap", 3389: "ms-wbt-server"}[dstPort]
	if portName == "" {
		portName = "-"
	}
	if dstHost == "" {
		dstHost = "-"
	}
	b.add(at, p.host, sysmonHeader(p.host, 3, 5), data(
		"RuleName", "-",
		"UtcTime", b.utc(at),
		"ProcessGuid", p.guid,
		"ProcessId", p.pid,
		"Image", p.image,
		"User", p.user.qualified(),
		"Protocol", "tcp",
		"Initiated", "true",
		"SourceIsIpv6", "false",
		"SourceIp", p.host.ip,
		"SourceHostname", p.host.computer(),
		"SourcePort", srcPort,
		"SourcePortName", "-",
		"DestinationIsIpv6", "false",
		"DestinationIp", dstIP,
		"DestinationHostname", dstHost,
		"DestinationPort", dstPort,
		"DestinationPortName", portName,
	))
}

// accessProcess is src opening dst (Sysmon event 10).
func (b *builder) accessProcess(at time.Duration, src, dst *proc, access uint64, callTrace string) {
	b.add(at, src.host, sysmonHeader(src.host, 10, 3), data(
		"RuleName", "-",
		"UtcTime", b.utc(at),
		"SourceProcessGUID", src.guid,
		"SourceProcessId", src.pid,
		"SourceThreadId", src.pid+4,
		"SourceImage", src.image,
		"TargetProcessGUID", dst.guid,
		"TargetProcessId", dst.pid,
		"TargetImage", dst.image,
		"GrantedAccess", hexVal(access),
		"CallTrace", callTrace,
		"SourceUser", src.user.qualified(),
		"TargetUser", dst.user.qualified(),
	))
}

// createFile is p creating a file (Sysmon event 11).
func (b *builder) createFile(at time.Duration, p *proc, path string) {
	b.add(at, p.host, sysmonHeader(p.host, 11, 2), data(
		"RuleName", "-",
		"UtcTime", b.utc(at),
		"ProcessGuid", p.guid,
		"ProcessId", p.pid,
		"Image", p.image,
		"TargetFilename", path,
		"CreationUtcTime", b.utc(at),
		"User", p.user.qualified(),
	))
}

// setRegistry is p writing a registry value (Sysmon event 13).
func (b *builder) setRegistry(at time.Duration, p *proc, key, details string) {
	b.add(at, p.host, sysmonHeader(p.host, 13, 2), data(
		"RuleName", "-",
		"EventType", "SetValue",
		"UtcTime", b.utc(at),
		"ProcessGuid", p.guid,
		"ProcessId", p.pid,
		"Image", p.image,
		"TargetObject", key,
		"Details", details,
		"User", p.user.qualified(),
	))
}

// createPipe is p creating a named pipe (Sysmon event 17).
func (b *builder) createPipe(at time.Duration, p *proc, name string) {
	b.add(at, p.host, sysmonHeader(p.host, 17, 1), data(
		"RuleName", "-",
		"EventType", "CreatePipe",
		"UtcTime", b.utc(at),
		"ProcessGuid", p.guid,
		"ProcessId", p.pid,
		"PipeName", name,
		"Image", p.image,
		"User", p.user.qualified(),
	))
}

// --- Security --------------------------------------------------------------

func securityHeader(h *host, id, version, task int, keywords uint64) header {
	return header{provider: securityProvider, guid: securityGUID, id: id, version: version, task: task,
		keywords: keywords, pid: h.lsassPID, tid: h.lsassPID + 1468, channel: securityChannel}
}

// logon describes a logon for events 4624 and 4625.
type logon struct {
	user        user
	logonType   int
	logonID     uint64 // of the new session (4624)
	ip          string // "-" for local logons
	port        string
	workstation string
	// auth is "kerberos", "ntlm" (a network logon with an NTLM hash, as
	// pass-the-hash tools make) or "interactive" (console, unlock, RDP).
	auth string
	// linkedID is the other half of a split administrator token, 0 if none.
	linkedID uint64
	elevated bool
}

// logonProcess returns LogonProcessName, AuthenticationPackageName,
// LmPackageName and KeyLength of a kind of logon.
func (l logon) packages() (proc, pkg, lm string, keyLen int) {
	switch l.auth {
	case "kerberos":
		return "Kerberos", "Kerberos", "-", 0
	case "ntlm":
		return "NtLmSsp ", "NTLM", "NTLM V2", 0
	}
	return "User32 ", "Negotiate", "-", 0
}

// subject is who reported a logon: the machine itself for local logons,
// nobody for network logons.
func (l logon) subject(h *host) (sid, name, domain string, id uint64, procID uint64, procName string) {
	if l.logonType == 3 {
		return "S-1-0-0", "-", "-", 0, 0, "-"
	}
	name = h.machineAccount()
	procName = `C:\Windows\System32\svchost.exe`
	if l.logonType == 2 || l.logonType == 7 {
		procName = `C:\Windows\System32\lsass.exe`
	}
	return "S-1-5-18", name, NetBIOSDomain, 0x3e7, uint64(h.lsassPID + 720), procName
}

// loggedOn is a successful logon (Security 4624).
func (b *builder) loggedOn(at time.Duration, h *host, l logon) {
	sSID, sName, sDomain, sID, procID, procName := l.subject(h)
	lp, pkg, lm, keyLen := l.packages()
	elevated := "%%1843"
	if l.elevated {
		elevated = "%%1842"
	}
	restricted := "-"
	if l.logonType == 10 {
		restricted = "%%1843"
	}
	logonGUID := "00000000-0000-0000-0000-000000000000"
	if l.auth == "kerberos" {
		logonGUID = fmt.Sprintf("A4C1%04X-%04X-52B7-0C3E-%012X", l.logonID&0xffff, l.logonType, l.logonID)
	}
	b.add(at, h, securityHeader(h, 4624, 2, 12544, auditSuccess), data(
		"SubjectUserSid", sSID,
		"SubjectUserName", sName,
		"SubjectDomainName", sDomain,
		"SubjectLogonId", hexVal(sID),
		"TargetUserSid", l.user.sid,
		"TargetUserName", l.user.name,
		"TargetDomainName", l.user.domain,
		"TargetLogonId", hexVal(l.logonID),
		"LogonType", l.logonType,
		"LogonProcessName", lp,
		"AuthenticationPackageName", pkg,
		"WorkstationName", l.workstation,
		"LogonGuid", logonGUID,
		"TransmittedServices", "-",
		"LmPackageName", lm,
		"KeyLength", keyLen,
		"ProcessId", hexVal(procID),
		"ProcessName", procName,
		"IpAddress", l.ip,
		"IpPort", l.port,
		"ImpersonationLevel", "%%1833",
		"RestrictedAdminMode", restricted,
		"TargetOutboundUserName", "-",
		"TargetOutboundDomainName", "-",
		"VirtualAccount", "%%1843",
		"TargetLinkedLogonId", hexVal(l.linkedID),
		"ElevatedToken", elevated,
	))
}

// adminPrivileges is the special-privileges event (Security 4672) Windows
// writes after an administrator logs on.
func (b *builder) adminPrivileges(at time.Duration, h *host, u user, logonID uint64) {
	b.add(at, h, securityHeader(h, 4672, 0, 12548, auditSuccess), data(
		"SubjectUserSid", u.sid,
		"SubjectUserName", u.name,
		"SubjectDomainName", u.domain,
		"SubjectLogonId", hexVal(logonID),
		"PrivilegeList", "SeSecurityPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n\t\t\tSeTakeOwnershipPrivilege\n\t\t\tSeDebugPrivilege\n\t\t\tSeSystemEnvironmentPrivilege\n\t\t\tSeLoadDriverPrivilege\n\t\t\tSeImpersonatePrivilege\n\t\t\tSeDelegateSessionUserImpersonatePrivilege",
	))
}

// failedLogon is a failed logon (Security 4625) with a wrong password.
func (b *builder) failedLogon(at time.Duration, h *host, l logon) {
	sSID, sName, sDomain, sID, procID, procName := l.subject(h)
	lp, pkg, lm, keyLen := l.packages()
	b.add(at, h, securityHeader(h, 4625, 0, 12544, auditFailure), data(
		"SubjectUserSid", sSID,
		"SubjectUserName", sName,
		"SubjectDomainName", sDomain,
		"SubjectLogonId", hexVal(sID),
		"TargetUserSid", "S-1-0-0",
		"TargetUserName", l.user.name,
		"TargetDomainName", l.user.domain,
		"Status", hexVal(0xc000006d),
		"FailureReason", "%%2313",
		"SubStatus", hexVal(0xc000006a),
		"LogonType", l.logonType,
		"LogonProcessName", lp,
		"AuthenticationPackageName", pkg,
		"WorkstationName", l.workstation,
		"TransmittedServices", "-",
		"LmPackageName", lm,
		"KeyLength", keyLen,
		"ProcessId", hexVal(procID),
		"ProcessName", procName,
		"IpAddress", l.ip,
		"IpPort", l.port,
	))
}

// ticketGranted is a Kerberos TGT issued by the domain controller
// (Security 4768), with AES as a modern domain uses.
func (b *builder) ticketGranted(at time.Duration, u user, from *host, port int) {
	dc := b.org.dc
	b.add(at, dc, securityHeader(dc, 4768, 0, 14339, auditSuccess), data(
		"TargetUserName", u.name,
		"TargetDomainName", strings.ToUpper(DNSDomain),
		"TargetSid", u.sid,
		"ServiceName", "krbtgt",
		"ServiceSid", domainSID+"-502",
		"TicketOptions", hexVal(0x40810010),
		"Status", hexVal(0),
		"TicketEncryptionType", hexVal(0x12),
		"PreAuthType", "2",
		"IpAddress", "::ffff:"+from.ip,
		"IpPort", fmt.Sprint(port),
		"CertIssuerName", "",
		"CertSerialNumber", "",
		"CertThumbprint", "",
	))
}

// serviceTicket is a Kerberos service ticket for a computer's service
// (Security 4769).
func (b *builder) serviceTicket(at time.Duration, u user, from, to *host, port int) {
	dc := b.org.dc
	b.add(at, dc, securityHeader(dc, 4769, 0, 14337, auditSuccess), data(
		"TargetUserName", u.name+"@"+strings.ToUpper(DNSDomain),
		"TargetDomainName", strings.ToUpper(DNSDomain),
		"ServiceName", to.machineAccount(),
		"ServiceSid", fmt.Sprintf("%s-%d", domainSID, 1000+len(to.short)*7),
		"TicketOptions", hexVal(0x40810000),
		"TicketEncryptionType", hexVal(0x12),
		"IpAddress", "::ffff:"+from.ip,
		"IpPort", fmt.Sprint(port),
		"Status", hexVal(0),
		"LogonGuid", fmt.Sprintf("6F0D%04X-1C2B-8E4A-93D1-%012X", port, port*31),
		"TransmittedServices", "-",
	))
}

// --- System and PowerShell -------------------------------------------------

// serviceInstalled is a new service (System 7045), reported as the user
// whose request installed it.
func (b *builder) serviceInstalled(at time.Duration, h *host, by user, name, imagePath, startType string) {
	b.add(at, h, header{provider: scmProvider, guid: scmGUID, sourceName: scmProvider, qualifiers: 16384,
		id: 7045, level: 4, keywords: 0x8080000000000000, pid: h.servicesPID, tid: h.servicesPID + 5320,
		channel: systemChannel, userSID: by.sid}, data(
		"ServiceName", name,
		"ImagePath", imagePath,
		"ServiceType", "user mode service",
		"StartType", startType,
		"AccountName", "LocalSystem",
	))
}

// scriptBlock is a PowerShell script block logged by p (PowerShell 4104).
func (b *builder) scriptBlock(at time.Duration, p *proc, text, id, path string) {
	b.add(at, p.host, header{provider: psProvider, guid: psGUID, id: 4104, version: 1, level: 5, task: 2, opcode: 15,
		pid: p.pid, tid: p.pid + 1088, channel: psChannel, userSID: p.user.sid}, data(
		"MessageNumber", 1,
		"MessageTotal", 1,
		"ScriptBlockText", text,
		"ScriptBlockId", id,
		"Path", path,
	))
}
