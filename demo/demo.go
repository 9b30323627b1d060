// Package demo is Bulwark's built-in demonstration: a simulated intrusion on
// a small fictional organisation, Riverside (domain RIVERSIDE, riverside.local),
// replayed as the Windows events its Sysmon, Security, System and PowerShell
// logs would have recorded, with ordinary background activity around it.
//
// In about forty minutes a receptionist opens a booby-trapped booking request,
// the intruder maps the domain and dumps credentials from her workstation,
// guesses at the domain Administrator password, moves to the finance
// workstation and the file server with an IT administrator's stolen account,
// and finally runs ransomware on the file server. Every stage is written so
// that Bulwark's built-in rules raise alerts on it (see the package tests and
// testdata/alerts.golden), and the background raises none.
//
// Everything here was written by this project: the organisation, people,
// addresses (private ranges and the 203.0.113.0/24 documentation range),
// hashes and command lines. Only facts carry over from the real world:
// Windows event ids and field names, the way the tools behave, ATT&CK ids.
//
// Scenario returns the events, Stages describes the story for a UI, and
// NDJSON writes the events as JSON lines that the jsonl reader (and so the
// server's upload and HEC ingest) reads back with the same field names.
package demo

import (
	"time"
)

// Duration is the length of the scenario: every event lies in
// [start, start+Duration). A server that wants the intrusion to end now
// replays Scenario(time.Now().Add(-Duration)).
const Duration = 40 * time.Minute

// Domain names of the fictional organisation.
const (
	NetBIOSDomain = "RIVERSIDE"
	DNSDomain     = "riverside.local"
)

// Stage is one step of the intrusion.
type Stage struct {
	// ID numbers the stages in the order they happen, from 1.
	ID int `json:"id"`
	// Key is a stable short name ("phishing"), for URLs and tests.
	Key string `json:"key"`
	// Name is a title for display.
	Name string `json:"name"`
	// Summary tells what happens, for a timeline or a README.
	Summary string `json:"summary"`
	// Techniques are the MITRE ATT&CK technique ids the events show.
	Techniques []string `json:"techniques"`
	// Hosts are the short names of the computers involved.
	Hosts []string `json:"hosts"`
	// Start and End bound the stage's events as offsets from the scenario
	// start. Stages do not overlap; background events fall anywhere.
	Start time.Duration `json:"start"`
	End   time.Duration `json:"end"`
}

// The stage ids, in the order they happen.
const (
	stagePhishing = 1 + iota
	stageCredentials
	stageBruteForce
	stageLateral
	stageRansomware
)

// stageBackground marks events of ordinary activity, which belong to no
// stage and must raise no alert.
const stageBackground = 0

// Stages returns the stages of the scenario in the order they happen. The
// caller may modify the result.
func Stages() []Stage {
	return []Stage{
		{
			ID: stagePhishing, Key: "phishing", Name: "Phishing",
			Summary: "The receptionist opens a macro-enabled booking request from Outlook. The macro drops a JScript file and runs it; " +
				"the script starts PowerShell with a base64-encoded command, a download cradle that fetches and starts an implant.",
			Techniques: []string{"T1566.001", "T1204.002", "T1059.007", "T1059.001", "T1027.010", "T1105", "T1071.001"},
			Hosts:      []string{"ws-reception01"},
			Start:      0, End: 3 * time.Minute,
		},
		{
			ID: stageCredentials, Key: "credential-access", Name: "Discovery and credential dumping",
			Summary: "Through the implant the intruder checks who they are, lists the domain administrators and domain controllers, " +
				"dumps LSASS memory with rundll32 and comsvcs.dll, and reads the dump with Mimikatz: an IT administrator's " +
				"credentials were cached on the workstation.",
			Techniques: []string{"T1033", "T1069.002", "T1018", "T1003.001", "T1218.011"},
			Hosts:      []string{"ws-reception01"},
			Start:      5 * time.Minute, End: 11 * time.Minute,
		},
		{
			ID: stageBruteForce, Key: "brute-force", Name: "Password guessing",
			Summary: "From the receptionist's workstation the intruder tries to guess the built-in domain Administrator password " +
				"on the domain controller (it is exempt from lockout), then sprays one common password across a dozen accounts.",
			Techniques: []string{"T1110.001", "T1110.003"},
			Hosts:      []string{"ws-reception01", "dc01"},
			Start:      12 * time.Minute, End: 16 * time.Minute,
		},
		{
			ID: stageLateral, Key: "lateral-movement", Name: "Lateral movement",
			Summary: "With the IT administrator's stolen account the intruder logs on to the finance workstation over RDP, " +
				"opens a SYSTEM shell on the file server with PsExec, and runs commands there through remote WMI " +
				"(passing the stolen NTLM hash) to download the ransomware.",
			Techniques: []string{"T1078.002", "T1021.001", "T1021.002", "T1569.002", "T1543.003", "T1047", "T1550.002", "T1105"},
			Hosts:      []string{"ws-reception01", "ws-finance02", "fs01"},
			Start:      17 * time.Minute, End: 25 * time.Minute,
		},
		{
			ID: stageRansomware, Key: "ransomware", Name: "Ransomware",
			Summary: "On the file server the ransomware deletes the shadow copies and the backup catalogue, disables Windows " +
				"recovery, then encrypts the shares, writing each file anew with the .mudlark extension and leaving a ransom " +
				"note in every folder.",
			Techniques: []string{"T1490", "T1486"},
			Hosts:      []string{"fs01"},
			Start:      27 * time.Minute, End: 38 * time.Minute,
		},
	}
}
