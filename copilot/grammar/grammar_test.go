package grammar

import (
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/demo"
	"github.com/bulwarkhq/bulwark/search"
)

// testNow is a Wednesday afternoon.
var testNow = time.Date(2026, 3, 18, 15, 4, 5, 0, time.UTC)

var translateTests = []struct {
	question, pattern, query string
}{
	{"logons by alice in the last day", "logons-by-user", `EventID:4624 TargetUserName:alice time:>now-24h`},
	{"Show me successful logins of RIVERSIDE\\alice", "logons-by-user", `EventID:4624 TargetUserName:alice`},
	{"when did bob@riverside.local log on", "logons-by-user", `EventID:4624 TargetUserName:bob`},
	{"failed logons for bob since yesterday", "failed-logons", `EventID:4625 TargetUserName:bob time:>=2026-03-17`},
	{"Failed logins in the past 24 hours?", "failed-logons", `EventID:4625 time:>now-24h`},
	{"since monday, failed logons", "failed-logons", `EventID:4625 time:>=2026-03-16`},
	{"bad passwords for administrator on dc01 last 2 days", "failed-logons", `EventID:4625 TargetUserName:administrator host:dc01* time:>now-2d`},
	{"processes started by powershell on HOST01", "child-processes", `EventID:(1 OR 4688) (ParentImage:*\powershell.exe OR ParentProcessName:*\powershell.exe) host:HOST01*`},
	{"what did winword spawn", "child-processes", `EventID:(1 OR 4688) (ParentImage:*\winword.exe OR ParentProcessName:*\winword.exe)`},
	{"what ran on ws-finance02 in the last hour", "what-ran", `EventID:(1 OR 4688) host:ws-finance02* time:>now-1h`},
	{"which processes started on fs01 today", "what-ran", `EventID:(1 OR 4688) host:fs01* time:>=2026-03-18`},
	{"network connections from 10.0.0.5", "network-connections", `(SourceIp:10.0.0.5 OR SourceAddress:10.0.0.5)`},
	{"connections to 203.0.113.66 in the last week", "network-connections", `(DestinationIp:203.0.113.66 OR DestAddress:203.0.113.66) time:>now-7d`},
	{"connections to port 4444", "connections-to-port", `DestinationPort:4444`},
	{"DNS queries for evil.example", "dns-queries", `QueryName:(evil.example OR *.evil.example)`},
	{"who resolved update.evil.example yesterday", "dns-queries", `QueryName:(update.evil.example OR *.update.evil.example) time:2026-03-17`},
	{"who logged on to dc01 today", "who-logged-on", `EventID:4624 -TargetUserName:*$ host:dc01* time:>=2026-03-18`},
	{"new services installed in the last week", "services-installed", `EventID:(7045 OR 4697) time:>now-7d`},
	{"scheduled tasks created on fs01", "scheduled-tasks", `(EventID:4698 OR (Channel:"Microsoft-Windows-TaskScheduler/Operational" EventID:106)) host:fs01*`},
	{"PowerShell commands with -enc", "powershell-encoded", `Image:(*\powershell.exe OR *\pwsh.exe) CommandLine:/(?i)\s-e(nc(odedcommand)?)?\s/`},
	{"powershell with DownloadString", "powershell-with", `Image:(*\powershell.exe OR *\pwsh.exe) CommandLine:*DownloadString*`},
	{`files written to C:\Users\Public`, "files-written", `EventID:11 TargetFilename:C:\Users\Public\\*`},
	{`files dropped in C:\Program Files (x86)\App\`, "files-written", `EventID:11 TargetFilename:C:\Program\ Files\ \(x86\)\App\\*`},
	{"alerts on ws-reception01", "alerts", `((Channel:"Microsoft-Windows-Windows Defender/Operational" EventID:(1116 OR 1117)) OR event_type:alert) host:ws-reception01*`},
	{"accounts created in the last 7 days", "accounts-created", `EventID:4720 time:>now-7d`},
	{"RDP logons to fs01", "rdp-logons", `EventID:4624 LogonType:10 host:fs01*`},
	{"remote desktop sessions by adm-tpatel this week", "rdp-logons", `EventID:4624 LogonType:10 TargetUserName:adm-tpatel time:>=2026-03-16`},
	{"processes with hash 0123456789ABCDEF0123456789ABCDEF", "hash", `Hashes:*0123456789ABCDEF0123456789ABCDEF*`},
	{"events from user alice on dc01 yesterday", "user-activity", `(TargetUserName:alice OR SubjectUserName:alice OR User:*\alice) host:dc01* time:2026-03-17`},
	{"what did j.harper do since 2026-03-01", "user-activity", `(TargetUserName:j.harper OR SubjectUserName:j.harper OR User:*\j.harper) time:>=2026-03-01`},
	{"commands containing mimikatz", "commands-containing", `EventID:(1 OR 4688) CommandLine:*mimikatz*`},
	{`command lines with "vssadmin delete shadows"`, "commands-containing", `EventID:(1 OR 4688) CommandLine:*vssadmin\ delete\ shadows*`},
	{"where did mimikatz run", "process-executions", `EventID:(1 OR 4688) (Image:*\mimikatz.exe OR NewProcessName:*\mimikatz.exe)`},
	{"executions of rundll32 on fs01 last night", "process-executions", `EventID:(1 OR 4688) (Image:*\rundll32.exe OR NewProcessName:*\rundll32.exe) host:fs01* time:[2026-03-17T18:00:00Z TO 2026-03-18T06:00:00Z}`},
	{"processes accessing lsass in the last 30 minutes", "lsass-access", `EventID:10 TargetImage:*\lsass.exe time:>now-30m`},
	{"event logs cleared", "log-cleared", `EventID:(1102 OR 104)`},
	{"account lockouts today", "account-lockouts", `EventID:4740 time:>=2026-03-18`},
	{"users added to admin groups in the past month", "group-changes", `EventID:(4728 OR 4732 OR 4756) time:>now-30d`},
	{"everything on the host dc01 in the last 15 minutes", "host-events", `host:dc01* time:>now-15m`},
}

func TestTranslate(t *testing.T) {
	for _, tc := range translateTests {
		got, ok := Translate(tc.question, testNow)
		if !ok {
			t.Errorf("%q: not understood", tc.question)
			continue
		}
		if got.Query != tc.query || got.Pattern != tc.pattern {
			t.Errorf("%q:\n got %s [%s]\nwant %s [%s]", tc.question, got.Query, got.Pattern, tc.query, tc.pattern)
		}
		if _, err := search.ParseAt(got.Query, testNow); err != nil {
			t.Errorf("%q: %s does not parse: %v", tc.question, got.Query, err)
		}
		if !strings.HasSuffix(got.Explanation, ".") || got.Explanation == "." {
			t.Errorf("%q: explanation %q", tc.question, got.Explanation)
		}
	}
}

// Every pattern is exercised by the table, so that none is dead.
func TestEveryPatternTested(t *testing.T) {
	tested := map[string]bool{}
	for _, tc := range translateTests {
		tested[tc.pattern] = true
	}
	for _, p := range patterns() {
		if !tested[p.name] {
			t.Errorf("pattern %s has no test", p.name)
		}
	}
	if len(patterns()) < 15 {
		t.Errorf("%d patterns, want at least 15", len(patterns()))
	}
}

func TestDeclines(t *testing.T) {
	for _, q := range []string{
		"", "   ", "?", "hello", "what is the weather in Paris", "summarize case 12",
		"logons", // no user, host or time: every logon
		"processes", "alerts", "events", "what ran",
		"failed logons for", "connections from 10.0.0.999", "connections to port 99999",
		"DNS queries for localhost", "processes with hash 1234",
		"failed logons in the last 0 days", "logons in the last 99999999 weeks",
		strings.Repeat("failed logons for bob ", 20),
		"failed logons for bob\xff",
	} {
		if got, ok := Translate(q, testNow); ok {
			t.Errorf("%q: translated to %q [%s], want declined", q, got.Query, got.Pattern)
		}
	}
}

// Queries find what the questions ask for in the demo intrusion.
func TestQueriesFindDemoEvents(t *testing.T) {
	start := testNow.Add(-time.Hour)
	evs := demo.Scenario(start)
	for _, tc := range []struct {
		question string
		min      int
	}{
		{"failed logons for Administrator in the last 2 hours", 5},
		{"processes started by winword on ws-reception01", 1},
		{"what ran on fs01 in the last hour", 10},
		{"PowerShell commands with -enc", 1},
		{`files written to C:\Users\Public`, 1},
		{"RDP logons to ws-finance02", 1},
		{"logons by adm-tpatel today", 1},
		{"connections to 203.0.113.45", 1},
		{"commands containing comsvcs", 1},
		{"processes accessing lsass", 1},
		{"services installed on fs01", 1},
		{"events from user j.harper on ws-reception01", 5},
	} {
		tr, ok := Translate(tc.question, testNow)
		if !ok {
			t.Errorf("%q: not understood", tc.question)
			continue
		}
		q, err := search.ParseAt(tr.Query, testNow)
		if err != nil {
			t.Fatalf("%q: %v", tr.Query, err)
		}
		n := 0
		for i := range evs {
			if q.Match(&evs[i]) {
				n++
			}
		}
		if n < tc.min {
			t.Errorf("%q → %s: %d demo events, want at least %d", tc.question, tr.Query, n, tc.min)
		}
	}
}

func TestEscapeValue(t *testing.T) {
	for _, tc := range []struct{ in, prefix, suffix, want string }{
		{`C:\Users\Public\`, "", "*", `C:\Users\Public\\*`},
		{`a b(c)`, "*", "*", `*a\ b\(c\)*`},
		{`\\srv\share`, "", "", `\\\srv\share`},
		{`-enc`, "", "", `\-enc`},
		{`-enc`, "*", "*", `*-enc*`},
		{`x\`, "", "", `x\\`},
		{`say "hi"?`, "*", "*", `*say\ \"hi\"\?*`},
	} {
		if got := escapeValue(tc.in, tc.prefix, tc.suffix); got != tc.want {
			t.Errorf("escapeValue(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if _, err := search.ParseAt("f:"+escapeValue(tc.in, tc.prefix, tc.suffix), testNow); err != nil {
			t.Errorf("%q: %v", tc.in, err)
		}
	}
}
