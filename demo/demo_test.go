package demo

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/rules"
	"github.com/bulwarkhq/bulwark/sigma"
)

var update = flag.Bool("update", false, "rewrite testdata/alerts.golden")

// testStart is an arbitrary start with sub-microsecond noise, which
// Scenario must drop.
var testStart = time.Date(2026, 3, 14, 9, 12, 0, 123456789, time.FixedZone("CET", 3600))

const goldenPath = "testdata/alerts.golden"

// compile compiles rule documents, failing on any that do not compile.
func compile(t *testing.T, docs []sigma.Document) *detect.Engine {
	t.Helper()
	rs := sigma.Compile(docs, sigma.Options{})
	for _, f := range rs.Failed() {
		t.Errorf("%s: %v", f.Path, f.Err)
	}
	return detect.New(rs, detect.Options{})
}

// detectAll runs the engine over evs in order, correlations included, and
// returns every alert whatever its level.
func detectAll(t *testing.T, e *detect.Engine, evs []event.Event) []*alert.Alert {
	t.Helper()
	var out []*alert.Alert
	d := e.NewDetector(e.NewCorrelations(), sigma.LevelUnknown, func(a *alert.Alert) error {
		out = append(out, a)
		return nil
	})
	for i := range evs {
		if err := d.Process(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	return out
}

// stageOf returns the stage of the event an alert was raised on (for a
// correlation, the event that completed it): Source.Record is the event's
// 1-based position in the scenario, and in its NDJSON rendering.
func stageOf(t *testing.T, recs []rec, a *alert.Alert) int {
	t.Helper()
	i := a.Source.Record - 1
	if i < 0 || int(i) >= len(recs) {
		t.Fatalf("alert %q has record %d, outside the scenario", a.Rule.Title, a.Source.Record)
	}
	return recs[i].stage
}

func level(t *testing.T, a *alert.Alert) sigma.Level {
	t.Helper()
	l, err := sigma.ParseLevel(a.Rule.Level)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// summarize renders alerts as the golden file: one line per stage, level,
// rule and host, with the number of alerts.
func summarize(t *testing.T, recs []rec, alerts []*alert.Alert) string {
	t.Helper()
	names := map[int]string{stageBackground: "background"}
	for _, s := range Stages() {
		names[s.ID] = s.Key
	}
	counts := map[string]int{}
	for _, a := range alerts {
		s := stageOf(t, recs, a)
		key := fmt.Sprintf("%d %s\t%s\t%s\t%s", s, names[s], a.Rule.Level, a.Rule.Title, a.Host)
		counts[key]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Alerts of Bulwark's built-in rules on the demo scenario.\n")
	b.WriteString("# Regenerate with: go test ./demo -update\n")
	b.WriteString("# stage\tlevel\trule\thost\tcount\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s\t%d\n", k, counts[k])
	}
	return b.String()
}

// TestBuiltinRulesCoverEveryStage is the point of the scenario: with only
// the rules built into the binary, every stage raises at least one alert of
// level medium or above, the ordinary background raises none, and the
// alerts are exactly those of the golden file.
func TestBuiltinRulesCoverEveryStage(t *testing.T) {
	recs := build(testStart)
	evs := Scenario(testStart)
	alerts := detectAll(t, compile(t, rules.Builtin()), evs)

	serious := map[int]int{}
	for _, a := range alerts {
		s := stageOf(t, recs, a)
		if s == stageBackground {
			t.Errorf("background event raised %q (%s) on %s", a.Rule.Title, a.Rule.Level, a.Host)
		}
		if level(t, a) >= sigma.LevelMedium {
			serious[s]++
		}
	}
	for _, s := range Stages() {
		if serious[s.ID] == 0 {
			t.Errorf("stage %d (%s) raised no alert of level medium or higher", s.ID, s.Key)
		}
	}

	got := summarize(t, recs, alerts)
	if *update {
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (create it with go test ./demo -update)", err)
	}
	if got != string(want) {
		t.Errorf("alerts differ from %s (regenerate with go test ./demo -update if the change is intended):\n%s",
			goldenPath, lineDiff(string(want), got))
	}
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

// systemFields are the System fields every event carries, as the evtx
// reader produces them.
var systemFields = []string{"Provider_Name", "Provider_Guid", "EventID", "Version", "Level", "Task", "Opcode", "Keywords",
	"TimeCreated_SystemTime", "EventRecordID", "Execution_ProcessID", "Execution_ThreadID", "Channel", "Computer"}

func TestScenarioShape(t *testing.T) {
	recs := build(testStart)
	evs := Scenario(testStart)
	if len(evs) != len(recs) || len(evs) < 150 {
		t.Fatalf("%d events", len(evs))
	}
	if !reflect.DeepEqual(evs, Scenario(testStart)) {
		t.Fatal("two scenarios from the same start differ")
	}
	start := testStart.UTC().Truncate(time.Microsecond)
	stages := map[int]Stage{}
	for _, s := range Stages() {
		stages[s.ID] = s
	}
	lastRecord := map[string]int64{}
	for i, ev := range evs {
		if i > 0 && ev.Time.Before(evs[i-1].Time) {
			t.Errorf("event %d is earlier than the one before", i+1)
		}
		off := ev.Time.Sub(start)
		if off < 0 || off >= Duration {
			t.Errorf("event %d at offset %v, outside the scenario", i+1, off)
		}
		if s, ok := stages[recs[i].stage]; ok && (off < s.Start || off >= s.End) {
			t.Errorf("event %d of stage %s at %v, outside the stage's window [%v, %v)", i+1, s.Key, off, s.Start, s.End)
		}
		for _, f := range systemFields {
			if v, ok := ev.Get(f); !ok || v.Str == "" {
				t.Errorf("event %d lacks %s", i+1, f)
			}
		}
		if got := ev.GetString("TimeCreated_SystemTime"); got != ev.Time.Format("2006-01-02T15:04:05.000000Z") {
			t.Errorf("event %d: TimeCreated_SystemTime %s, Time %v", i+1, got, ev.Time)
		}
		if ev.Source.Record != int64(i+1) {
			t.Errorf("event %d has Source.Record %d", i+1, ev.Source.Record)
		}
		// Record ids count up per log, as in a real log.
		log := ev.GetString("Computer") + "|" + ev.GetString("Channel")
		v, _ := ev.Get("EventRecordID")
		id := int64(v.Num)
		if id <= lastRecord[log] {
			t.Errorf("event %d: EventRecordID %d after %d in %s", i+1, id, lastRecord[log], log)
		}
		lastRecord[log] = id
	}
	// The same story an hour later: only the times move.
	later := Scenario(testStart.Add(time.Hour))
	for i := range later {
		if d := later[i].Time.Sub(evs[i].Time); d != time.Hour {
			t.Fatalf("event %d moved by %v with the start moved by an hour", i+1, d)
		}
		if a, b := later[i].GetString("CommandLine"), evs[i].GetString("CommandLine"); a != b && !strings.Contains(a, wmiexecPipe) {
			t.Errorf("event %d: command line changed with the start: %q, %q", i+1, b, a)
		}
	}
}

func TestStages(t *testing.T) {
	technique := regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	hosts := map[string]bool{}
	o := newOrg()
	for _, h := range []*host{o.reception, o.finance, o.dc, o.fs} {
		hosts[h.short] = true
	}
	stages := Stages()
	var prevEnd time.Duration
	keys := map[string]bool{}
	for i, s := range stages {
		if s.ID != i+1 || s.Key == "" || keys[s.Key] || s.Name == "" || s.Summary == "" {
			t.Errorf("stage %d: bad id, key, name or summary: %+v", i+1, s)
		}
		keys[s.Key] = true
		if s.Start < prevEnd || s.End <= s.Start || s.End > Duration {
			t.Errorf("stage %s: window [%v, %v) overlaps or is out of order", s.Key, s.Start, s.End)
		}
		prevEnd = s.End
		if len(s.Techniques) == 0 {
			t.Errorf("stage %s: no techniques", s.Key)
		}
		for _, id := range s.Techniques {
			if !technique.MatchString(id) {
				t.Errorf("stage %s: %q is not an ATT&CK technique id", s.Key, id)
			}
		}
		for _, h := range s.Hosts {
			if !hosts[h] {
				t.Errorf("stage %s: unknown host %q", s.Key, h)
			}
		}
	}
	// Every stage has events on each host it names, and only those.
	seen := map[int]map[string]bool{}
	for _, r := range build(testStart) {
		if seen[r.stage] == nil {
			seen[r.stage] = map[string]bool{}
		}
		seen[r.stage][r.host.short] = true
	}
	for _, s := range stages {
		var got []string
		for h := range seen[s.ID] {
			got = append(got, h)
		}
		want := slices.Clone(s.Hosts)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("stage %s: events on %v, Hosts says %v", s.Key, got, want)
		}
	}
}

// TestEncodedCommand checks the -Enc argument against a value computed by
// hand: "IEX" in UTF-16LE is 49 00 45 00 58 00.
func TestEncodedCommand(t *testing.T) {
	if got := encodeCommand("IEX"); got != "SQBFAFgA" {
		t.Errorf("encodeCommand(IEX) = %s", got)
	}
}

// TestSigmaHQRules runs the scenario against SigmaHQ's Windows rules from
// the shared test data and logs what fires per stage. Each stage must raise
// something; what exactly changes with every SigmaHQ release, so it is
// logged, not compared.
func TestSigmaHQRules(t *testing.T) {
	dir, ok := testdata.Find()
	if !ok {
		t.Skipf("SigmaHQ rules not available: set %s to the shared test data (with sigma/rules/windows)", testdata.Env)
	}
	winDir := filepath.Join(dir, "sigma", "rules", "windows")
	if st, err := os.Stat(winDir); err != nil || !st.IsDir() {
		t.Skipf("SigmaHQ rules not available: %s not found under %s=%s", "sigma/rules/windows", testdata.Env, dir)
	}
	docs, err := rules.LoadDir(winDir)
	if err != nil {
		t.Fatal(err)
	}
	rs := sigma.Compile(docs, sigma.Options{})
	t.Logf("%d SigmaHQ Windows documents, %d compiled, %d failed", len(docs), rs.Loaded(), len(rs.Failed()))
	e := detect.New(rs, detect.Options{})
	recs := build(testStart)
	alerts := detectAll(t, e, Scenario(testStart))

	type tally struct {
		alerts int
		rules  map[string]int
	}
	byStage := map[int]*tally{}
	for _, a := range alerts {
		s := stageOf(t, recs, a)
		if byStage[s] == nil {
			byStage[s] = &tally{rules: map[string]int{}}
		}
		byStage[s].alerts++
		byStage[s].rules[a.Rule.Level+" "+a.Rule.Title]++
	}
	report := func(name string, tl *tally) {
		if tl == nil {
			t.Logf("%s: no alerts", name)
			return
		}
		t.Logf("%s: %d alerts from %d rules", name, tl.alerts, len(tl.rules))
		titles := make([]string, 0, len(tl.rules))
		for r := range tl.rules {
			titles = append(titles, r)
		}
		sort.Strings(titles)
		for _, r := range titles {
			t.Logf("    %3d  %s", tl.rules[r], r)
		}
	}
	for _, s := range Stages() {
		report(fmt.Sprintf("stage %d %s", s.ID, s.Key), byStage[s.ID])
		if byStage[s.ID] == nil {
			t.Errorf("stage %d (%s): no SigmaHQ rule fired", s.ID, s.Key)
		}
	}
	// SigmaHQ's threat-hunting and low-level rules are meant to be noisy;
	// what they say about the background is for reading, not asserting.
	report("background", byStage[stageBackground])
}
