package postgres

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/search"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/storetest"
)

// searchClock is the clock the search package's query list is written for.
var searchClock = time.Date(2024, 3, 2, 12, 0, 0, 0, time.UTC)

// searchEvents are events with the awkward text search must still find:
// case and Unicode folding, lists, NUL and broken UTF-8, LIKE's own
// wildcards, Windows paths.
func searchEvents() []event.Event {
	mk := func(at time.Time, kv ...any) event.Event {
		e := event.Event{Time: at}
		for i := 0; i+1 < len(kv); i += 2 {
			var v event.Value
			switch x := kv[i+1].(type) {
			case string:
				v = event.String(x)
			case int:
				v = event.Int(int64(x))
			case []string:
				v.Kind = event.KindList
				for _, s := range x {
					v.List = append(v.List, event.String(s))
				}
			}
			e.Add(kv[i].(string), v)
		}
		return e
	}
	evs := []event.Event{
		mk(searchClock.Add(-time.Hour), "Channel", "Microsoft-Windows-Sysmon/Operational", "EventID", 1, "Computer", "DC01.corp.local",
			"Image", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "CommandLine", `powershell.exe -enc SQBFAFgA`,
			"ParentImage", `C:\Program Files\Microsoft Office\WINWORD.EXE`, "User", `CORP\bob`, "ProcessId", 4242),
		mk(time.Date(2024, 1, 3, 10, 0, 0, 0, time.UTC), "Channel", "Security", "EventID", 4625, "Computer", "dc01",
			"TargetUserName", "Administrator", "SubjectUserName", "DC01$", "LogonType", 10, "IpAddress", "10.1.2.3"),
		mk(time.Time{}, "host.name", "web01", "eventid", "7", "tags", []string{"Alpha", "beta"}, "u", "ÄÖÜ ſ \u212a", "empty", ""),
		mk(searchClock.Add(-48*time.Hour), "msg", "50% of_the \\ files: mimikatz.exe \"two words\" quoted \"value\" with \\ and \\d", "Threat Name", "x"),
		mk(searchClock, "msg", "nul\x00byte and bad\xffutf8 and MIMIKATZ", "url", "http://example.com/a?b=c"),
		mk(searchClock.Add(-time.Minute), "CommandLine", "rundll32.exe shell32.dll,Control_RunDLL", "Image", `C:\Windows\System32\rundll32.exe`),
		mk(searchClock.Add(-2*time.Minute), "TargetUserName", "admin_backup", "EventID", 4625),
		mk(searchClock.Add(-3*time.Minute), "POWERſHELL", "POWERſHELL.EXE", "ANDROID", "ORACLE NOTHING"),
	}
	for i := range 40 {
		evs = append(evs, storetest.WindowsEvent(i, searchClock.Add(-time.Duration(i)*time.Hour)))
	}
	return evs
}

// searchQueries are the search package's own query list and a few more.
func searchQueries(t *testing.T) []string {
	f, err := os.Open("../../search/testdata/queries.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var qs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			qs = append(qs, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return append(qs,
		`mimikatz`, `MIMIKATZ.exe`, `"50% of_the"`, `msg:*of_the*`, `*\\ files*`, `nul*byte`, `bad*utf8`,
		`powershell -enc`, `CommandLine:*-enc* OR Image:*rundll32*`, `NOT mimikatz`, `u:*äöü*`, `u:*ſ*`, `POWERSHELL.exe`,
		`tags:alpha`, `tags:ALP*`, `admin_*`, `TargetUserName:admin\*`, `ws3.corp.local`, `task17.ps1`,
		`(EventID:1 OR EventID:4625) AND NOT host:ws1*`, `host:ws1.corp.local ps1`, `ProcessId:[4000 TO 4010] powershell`,
	)
}

// SearchEvents finds exactly what a scan followed by Match finds, for
// every query the search package tests, in both orders and with limits.
func TestSearchEventsMatchesScan(t *testing.T) {
	s := openTest(t, t.Name(), Options{})
	defer s.Close()
	ctx := t.Context()
	if _, err := s.AppendEvents(ctx, searchEvents()); err != nil {
		t.Fatal(err)
	}
	defer func(first, max, probe int) { firstPage, maxPage, probeRows = first, max, probe }(firstPage, maxPage, probeRows)
	for _, pages := range [][3]int{{firstPage, maxPage, probeRows}, {1, 1, 1}, {2, 4, 3}, {2, 4, 1000}} {
		firstPage, maxPage, probeRows = pages[0], pages[1], pages[2]
		checkSearches(t, s)
	}
}

func checkSearches(t *testing.T, s *Store) {
	ctx := t.Context()
	narrowed := 0
	for _, qs := range searchQueries(t) {
		q, err := search.ParseAt(qs, searchClock)
		if err != nil {
			continue // the list holds invalid queries too
		}
		if cond, _ := searchCondition(q, 0); cond != "" {
			narrowed++
		}
		for _, f := range []store.EventFilter{{}, {Desc: true}, {Desc: true, Limit: 2}, {AfterID: 5, Limit: 3}, {AfterID: 5, Desc: true}, q.Filter()} {
			var want, got []int64
			err := s.ScanEvents(ctx, store.EventFilter{AfterID: f.AfterID, From: f.From, To: f.To, Host: f.Host, Desc: f.Desc}, func(se *store.StoredEvent) error {
				if q.Match(&se.Event) && (f.Limit == 0 || len(want) < f.Limit) {
					want = append(want, se.ID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			err = s.SearchEvents(ctx, q, f, func(se *store.StoredEvent) error {
				got = append(got, se.ID)
				return nil
			})
			if err != nil {
				t.Fatalf("%s: %v", qs, err)
			}
			if !slices.Equal(got, want) {
				cond, args := searchCondition(q, 0)
				t.Errorf("%s (%s, %q %q) filter %+v, pages of %d to %d after %d: found %v, want %v", qs, q, cond, args, f, firstPage, maxPage, probeRows, got, want)
			}
		}
	}
	if narrowed < 20 {
		t.Errorf("only %d queries narrowed by the index", narrowed)
	}
}

// The conditions are what the index can answer: literal runs of at least
// three characters, folded, with LIKE's wildcards escaped; nothing under
// NOT, and nothing for an OR with a branch that requires no text.
func TestSearchCondition(t *testing.T) {
	tests := []struct{ q, cond, args string }{
		{`mimikatz`, `(search_text LIKE $1)`, `[%mimikatz%]`},
		{`EventID:4625 AND TargetUserName:Admin*`, `(search_text LIKE $1 AND search_text LIKE $2)`, `[%4625% %admin%]`},
		{`Image:*\powershell.exe -CommandLine:*-enc*`, `(search_text LIKE $1)`, `[%\\powershell.exe%]`},
		{`a OR mimikatz`, ``, `[]`},
		{`abc OR mimikatz`, `((search_text LIKE $1) OR (search_text LIKE $2))`, `[%abc% %mimikatz%]`},
		{`"50% of_the"`, `(search_text LIKE $1)`, `[%50\% of\_the%]`},
		{`time:>now-24h host:dc01 "mimikatz"`, `(search_text LIKE $1 AND search_text LIKE $2)`, `[%dc01% %mimikatz%]`},
		{`CommandLine:/mimi.*katz/`, ``, `[]`},
		{`ProcessId:[1000 TO 5000] powershell`, `(search_text LIKE $1)`, `[%powershell%]`},
	}
	for _, tt := range tests {
		q, err := search.ParseAt(tt.q, searchClock)
		if err != nil {
			t.Fatal(err)
		}
		cond, args := searchCondition(q, 0)
		if cond != tt.cond || fmtArgs(args) != tt.args {
			t.Errorf("%s (%s): condition %q %s, want %q %s", tt.q, q, cond, fmtArgs(args), tt.cond, tt.args)
		}
	}
}

func fmtArgs(args []any) string {
	var s []string
	for _, a := range args {
		s = append(s, a.(string))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// Scans read the same events whatever the page size, with every filter.
func TestScanPages(t *testing.T) {
	s := openTest(t, t.Name(), Options{})
	defer s.Close()
	ctx := t.Context()
	first, err := s.AppendEvents(ctx, searchEvents())
	if err != nil {
		t.Fatal(err)
	}
	filters := []store.EventFilter{
		{}, {Desc: true}, {AfterID: first + 3}, {AfterID: first + 3, Desc: true}, {Limit: 5}, {Desc: true, Limit: 7},
		{From: searchClock.Add(-10 * time.Hour), To: searchClock}, {Host: "ws3.corp.local", Desc: true},
	}
	ids := func(f store.EventFilter) []int64 {
		var out []int64
		err := s.ScanEvents(ctx, f, func(se *store.StoredEvent) error {
			out = append(out, se.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	var want [][]int64
	for _, f := range filters {
		want = append(want, ids(f))
	}
	defer func(first, max int) { firstPage, maxPage = first, max }(firstPage, maxPage)
	for _, pages := range [][2]int{{1, 1}, {1, 2}, {3, 3}} {
		firstPage, maxPage = pages[0], pages[1]
		for i, f := range filters {
			if got := ids(f); !slices.Equal(got, want[i]) {
				t.Errorf("pages of %v, filter %+v: %v, want %v", pages, f, got, want[i])
			}
		}
	}
}
