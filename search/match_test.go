package search

import (
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
)

// matchTests lists queries and the test events (testEvents) each matches.
var matchTests = []struct{ q, want string }{
	// Equality ignores case, compares text, and falls back to a field
	// name in another case only when the exact name is missing.
	{`EventID:4625`, "logon"},
	{`eventid:4625`, "logon"},
	{`eventid:7`, "json"},
	{`EventID:7`, "json"},
	{`TargetUserName:ADMINISTRATOR`, "logon"},
	{`TargetUserName:admin`, ""},
	{`AccessMask:0x1F`, "logon"},
	{`AccessMask:31`, ""},
	{`b:TRUE`, "json"},
	{`f:1.5`, "json"},
	{`empty:""`, "json"},
	{`n:""`, "json"}, // null's text is empty
	{`missing:""`, ""},

	// Wildcards.
	{`TargetUserName:admin*`, "logon"},
	{`Image:*\\powershell.exe`, "sysmon"},
	{`Image:*\powershell.exe`, "sysmon"},
	{`image:*POWERSHELL.EXE`, "sysmon"},
	{`Image:c:\\windows\\*`, "sysmon"},
	{`Image:*\\system32\\*`, "sysmon"},
	{`Image:*System32*powershell*`, "sysmon"},
	{`Image:C?\\*.exe`, "sysmon"},
	{`Image:*.ex?`, "sysmon"},
	{`Image:*.ex`, ""},
	{`IpAddress:10.1.2.*`, "logon"},
	{`IpAddress:10.1.2.?`, "logon"},
	{`IpAddress:10.1.2.??`, ""},
	{`User:"CORP\bob"`, "sysmon"},
	{`User:CORP\\bob`, "sysmon"},
	{`User:"CORP\\bob"`, "sysmon"},
	{`User:corp\\*`, "sysmon"},
	{`User:"corp\*"`, ""}, // quoted: the star is literal
	{`u:*s*`, "json"},     // ſ folds to s
	{`u:*k`, "json"},      // the Kelvin sign folds to k
	{`u:äöü*`, "json"},
	{`u:"ÄÖÜ S K"`, "json"},

	// Exists.
	{`CommandLine:*`, "sysmon"},
	{`n:*`, ""}, // null
	{`tags:*`, "json"},
	{`NOT CommandLine:*`, "logon json empty"},

	// Lists match when an element does.
	{`tags:beta`, "json"},
	{`tags:ALPHA`, "json"},
	{`tags:bet?`, "json"},
	{`tags:"alpha beta"`, ""},
	{`"alpha beta"`, ""},

	// Bare words and phrases: a substring of any value.
	{`powershell`, "sysmon"},
	{`POWERSHELL`, "sysmon"},
	{`mimikatz`, ""},
	{`"-enc"`, "sysmon"},
	{`\-enc`, "sysmon"},
	{`sqbfafga`, "sysmon"},
	{`"Program Files"`, "sysmon"},
	{`system32*power`, "sysmon"},
	{`4625`, "logon"},
	{`administrator`, "logon"},
	{`beta`, "json"},
	{`*`, "sysmon logon json empty"},
	{``, "sysmon logon json empty"},

	// Comparisons and ranges: numbers when the bounds are numbers.
	{`LogonType:>5`, "logon"},
	{`LogonType:>10`, ""},
	{`LogonType:>=10`, "logon"},
	{`LogonType:<=10`, "logon"},
	{`LogonType:<10`, ""},
	{`LogonType:[10 TO 10]`, "logon"},
	{`LogonType:{10 TO 20]`, ""},
	{`LogonType:[1 TO *]`, "logon"},
	{`AccessMask:[31 TO 31]`, "logon"},
	{`AccessMask:>=0x1f`, "logon"},
	{`AccessMask:>0x1f`, ""},
	{`count:>15`, "json"}, // text "0x10" reads as 16
	{`count:<16`, ""},
	{`f:>1.4`, "json"},
	{`f:<-1`, ""},
	{`b:>0`, "json"},
	{`tags:>1`, ""},
	{`Computer:[a TO e]`, "sysmon logon"},
	{`Computer:[DC01 TO DC01]`, "logon"},
	{`Computer:{dc01 TO *]`, "sysmon"},
	{`Computer:>=dc01.corp`, "sysmon"},
	{`EventID:[1 TO abc]`, "sysmon logon json"}, // text: "1", "4625" and "7" sort between "1" and "abc"
	{`eventid:[* TO *]`, "sysmon logon json"},   // exists, on EventID where eventid is missing

	// Regular expressions: case-sensitive unless (?i), unanchored.
	{`CommandLine:/-enc\s+[A-Z]+/`, "sysmon"},
	{`CommandLine:/-ENC/`, ""},
	{`CommandLine:/(?i)-ENC/`, "sysmon"},
	{`CommandLine:/^-enc/`, ""},
	{`Image:/\\v1\.0\\/`, "sysmon"},
	{`tags:/^b/`, "json"},
	{`Channel:/Sysmon\/Operational$/`, "sysmon"},

	// Time.
	{`time:>now-2h`, "sysmon"},
	{`time:>now-1h`, ""},
	{`time:>=now-1h`, "sysmon"},
	{`time:2024-01-03`, "logon"},
	{`@timestamp:2024-01-03`, "logon"},
	{`TIME:2024-01-03T10:00:00Z`, "logon"},
	{`time:"2024-01-03 10:00:00"`, "logon"},
	{`time:2024-01-03T10:00`, "logon"},
	{`time:2024-01-03T11:00:00+01:00`, "logon"},
	{`time:[2024-01-01 TO 2024-01-02]`, ""},
	{`time:[2024-01-01 TO 2024-01-03]`, "logon"},
	{`time:[2024-01-01 TO 2024-01-03}`, ""},
	{`time:{2024-01-02 TO now]`, "sysmon logon"},
	{`time:{2024-01-03 TO now]`, "sysmon"},
	{`time:>2024-01-02`, "sysmon logon"},
	{`time:<=2024-01-03`, "logon"},
	{`time:<2024-01-03`, ""},
	{`time:*`, "sysmon logon"},
	{`NOT time:*`, "json empty"},
	{`time:(2024-01-03 OR >now-2h)`, "sysmon logon"},

	// Host: the event's host name, wherever the format keeps it.
	{`host:dc01`, "logon"},
	{`host:DC01`, ""},              // exact, as the store selects hosts
	{`host:dc01*`, "sysmon logon"}, // wildcards ignore case
	{`host:DC01.corp.local`, "sysmon"},
	{`host:"dc01"`, "logon"},
	{`host:dc0?`, "logon"},
	{`host:web01`, "json"},
	{`host:*`, "sysmon logon json"},
	{`host:/^dc/`, "logon"},
	{`Computer:dc01`, "logon"},

	// Operators and precedence: NOT > AND > OR.
	{`EventID:(1 OR 4625)`, "sysmon logon"},
	{`EventID:(1 4625)`, ""},
	{`-EventID:1`, "logon json empty"},
	{`NOT EventID:1 AND NOT EventID:4625`, "json empty"},
	{`EventID:1 OR EventID:4625 LogonType:5`, "sysmon"},
	{`(EventID:1 OR EventID:4625) LogonType:10`, "logon"},
	{`NOT EventID:1 EventID:4625`, "logon"},
	{`-(EventID:1 OR EventID:4625)`, "json empty"},
	{`NOT NOT EventID:1`, "sysmon"},
	{`--EventID:1`, "sysmon"},
	{`Image:*\\rundll32.exe AND NOT CommandLine:*.dll*`, ""},
	{`EventID:4625 AND TargetUserName:admin*`, "logon"},
	{`time:>now-24h host:dc01* "powershell"`, "sysmon"},
	{`Computer:(dc01 OR web01) OR host.name:web01`, "logon json"},
	{`EventID:(NOT 1)`, "logon json empty"},
	{`eventid:(7 OR (4625 LogonType:10))`, "json"}, // in a group, LogonType:10 is a value of eventid
}

func TestMatch(t *testing.T) {
	evs := testEvents()
	var all []*event.Event
	for _, e := range evs {
		all = append(all, e)
	}
	for _, tc := range matchTests {
		q, err := ParseAt(tc.q, now)
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		if got := matching(q, evs); got != tc.want {
			t.Errorf("%s\n  matches %q, want %q (canonical %s)", tc.q, got, tc.want, q)
		}
		for _, e := range all {
			checkFilter(t, q, e)
		}
		checkRoundTrip(t, q, all)
	}
}

func TestMatchNil(t *testing.T) {
	q, err := ParseAt("x", now)
	if err != nil {
		t.Fatal(err)
	}
	if q.Match(nil) {
		t.Error("Match(nil) = true")
	}
	var nilQuery *Query
	if !nilQuery.Match(&event.Event{}) || nilQuery.String() != "" || nilQuery.Filter() != (store.EventFilter{}) {
		t.Error("a nil Query is not the empty query")
	}
}

// TestMatchConcurrent runs one query from several goroutines; the race
// detector checks that matching shares no mutable state.
func TestMatchConcurrent(t *testing.T) {
	q, err := ParseAt(`CommandLine:/(?i)enc/ OR Image:*shell* OR powershell`, now)
	if err != nil {
		t.Fatal(err)
	}
	e := testEvents()["sysmon"]
	done := make(chan bool)
	for range 4 {
		go func() {
			ok := true
			for range 200 {
				ok = ok && q.Match(e)
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("concurrent Match returned false")
		}
	}
}

func TestFilter(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ns := time.Nanosecond
	tests := []struct {
		q        string
		from, to time.Time
		host     string
	}{
		{q: ``},
		{q: `EventID:4625`},
		{q: `time:>now-24h host:dc01 "mimikatz"`, from: now.Add(-24*time.Hour + ns), host: "dc01"},
		{q: `time:>=2024-01-02T00:00:00Z`, from: at("2024-01-02T00:00:00Z")},
		{q: `time:>2024-01-02`, from: at("2024-01-03T00:00:00Z")},
		{q: `time:<2024-01-02`, to: at("2024-01-02T00:00:00Z")},
		{q: `time:<=2024-01-02`, to: at("2024-01-03T00:00:00Z")},
		{q: `time:<=2024-01-02T00:00:00Z`, to: at("2024-01-02T00:00:00Z").Add(ns)},
		{q: `time:2024-01-02`, from: at("2024-01-02T00:00:00Z"), to: at("2024-01-03T00:00:00Z")},
		{q: `time:2024-01-02T10:00:00Z`, from: at("2024-01-02T10:00:00Z"), to: at("2024-01-02T10:00:00Z").Add(ns)},
		{q: `time:[2024-01-01 TO 2024-01-02]`, from: at("2024-01-01T00:00:00Z"), to: at("2024-01-03T00:00:00Z")},
		{q: `time:{2024-01-01 TO 2024-01-02}`, from: at("2024-01-02T00:00:00Z"), to: at("2024-01-02T00:00:00Z")},
		{q: `time:[now-1h TO *]`, from: now.Add(-time.Hour)},
		{q: `time:>now-1h time:<now`, from: now.Add(-time.Hour + ns), to: now},
		{q: `time:>now-1h time:>now-2h time:<now time:<now-30m`, from: now.Add(-time.Hour + ns), to: now.Add(-30 * time.Minute)},
		{q: `time:>=now-1h OR time:>=now-2h`, from: now.Add(-2 * time.Hour)},
		{q: `time:[now-3h TO now-2h] OR time:[now-1h TO now]`, from: now.Add(-3 * time.Hour), to: now.Add(ns)},
		{q: `time:>now-1h OR x`},
		{q: `NOT time:<now-1h`},
		{q: `time:*`},
		{q: `(time:>=now-1h host:a) OR (time:>=now-2h host:a)`, from: now.Add(-2 * time.Hour), host: "a"},
		{q: `host:a OR host:A`},
		{q: `time:>=now-1h (a OR b)`, from: now.Add(-time.Hour)},
		{q: `host:dc01*`},
		{q: `host:"dc01"`, host: "dc01"},
		{q: `host:(dc01)`, host: "dc01"},
		{q: `host:dc01 OR (host:dc01 x)`, host: "dc01"},
		{q: `host:dc01 OR host:dc02`},
		{q: `host:dc01 OR x`},
		{q: `NOT host:dc01`},
		{q: `host:dc01 x:1 (y OR z)`, host: "dc01"},
		{q: `host:* host:dc01`, host: "dc01"},
		{q: `host:/dc01/`},
		{q: `host:>dc01`},
		{q: `Computer:dc01`},
		{q: `hostname:dc01`},
	}
	for _, tc := range tests {
		q, err := ParseAt(tc.q, now)
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		f := q.Filter()
		want := store.EventFilter{From: tc.from, To: tc.to, Host: tc.host}
		if !f.From.Equal(want.From) || !f.To.Equal(want.To) || f.Host != want.Host || f.Limit != 0 || f.Desc || f.AfterID != 0 {
			t.Errorf("%s\n  Filter() = %+v\n  want       %+v", tc.q, f, want)
		}
	}
}
