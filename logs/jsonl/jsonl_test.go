package jsonl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/logtest"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/internal/jsonflat"
)

// TestGolden reads every input in testdata and compares the events and
// warnings with its .golden file.
func TestGolden(t *testing.T) {
	inputs := testInputs()
	if len(inputs) == 0 {
		t.Fatal("no inputs")
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			res := logtest.RunFile(t, New(), in)
			logtest.Golden(t, filepath.Base(in)+".golden", logtest.Format(res))
		})
	}
}

// testInputs lists the hand-made inputs in testdata.
func testInputs() []string {
	all, _ := filepath.Glob("testdata/*.json*")
	var out []string
	for _, p := range all {
		if !strings.HasSuffix(p, ".golden") {
			out = append(out, p)
		}
	}
	return out
}

func read(t *testing.T, data string) logtest.Result {
	t.Helper()
	res := logtest.Run(New(), "test", []byte(data))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	return res
}

func TestRecordsAndOffsets(t *testing.T) {
	in := "{\"a\":1}\n\nnot json\n{\"b\":2}\r\n{\"c\":3}"
	res := read(t, in)
	type pos struct{ rec, off int64 }
	want := []pos{{1, 0}, {4, 18}, {5, 27}}
	if len(res.Events) != len(want) {
		t.Fatalf("%d events", len(res.Events))
	}
	for i, w := range want {
		e := res.Events[i]
		if (pos{e.Source.Record, e.Source.Offset}) != w || e.Source.Path != "test" || e.Source.Format != Name {
			t.Errorf("event %d source %+v, want %+v", i, e.Source, w)
		}
		if !bytes.HasPrefix(e.Raw, []byte("{")) || !bytes.HasSuffix(e.Raw, []byte("}")) {
			t.Errorf("event %d Raw %q", i, e.Raw)
		}
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Offset != 9 || !strings.Contains(res.Warnings[0].Msg, "line 3") {
		t.Errorf("warnings %v", res.Warnings)
	}
}

func TestLongLine(t *testing.T) {
	long := `{"a":"` + strings.Repeat("x", jsonflat.MaxRecord) + `"}`
	res := read(t, `{"n":1}`+"\n"+long+"\n"+`{"n":3}`+"\n")
	if len(res.Events) != 2 || res.Events[1].Source.Record != 3 {
		t.Fatalf("%d events", len(res.Events))
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Offset != 8 || !strings.Contains(res.Warnings[0].Msg, "longer than the limit") {
		t.Errorf("warnings %v", res.Warnings)
	}
}

// TestHostileRecords feeds records built to amplify memory or time: a line
// of a million tiny values, and one of a hundred thousand distinct keys.
// They must cost memory proportional to their size, and time linear in it.
func TestHostileRecords(t *testing.T) {
	values := `{"a":[` + strings.Repeat("1,", 4<<20) + `1]}`
	var keys strings.Builder
	keys.WriteString("{")
	for i := range 100000 {
		fmt.Fprintf(&keys, `"k%d":1,`, i)
	}
	keys.WriteString(`"k0":2}`)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	res := read(t, values+"\n"+keys.String()+"\n")
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Msg, "more than") {
		t.Errorf("warnings %v", res.Warnings)
	}
	if len(res.Events) != 1 || len(res.Events[0].Fields) != 100000 || res.Events[0].GetString("k0") != "2" {
		t.Errorf("%d events", len(res.Events))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 400<<20 {
		t.Errorf("allocated %d MiB for %d MiB of input", alloc>>20, (len(values)+keys.Len())>>20)
	}
	t.Logf("%d MiB allocated, %v", (after.TotalAlloc-before.TotalAlloc)>>20, elapsed)
	if elapsed > 20*time.Second {
		t.Errorf("took %v", elapsed)
	}
}

func TestTime(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"@timestamp":"2024-01-02T03:04:05Z","time":"2000-01-01T00:00:00Z"}`, "2024-01-02T03:04:05Z"},
		{`{"time":"garbage","ts":1700000000}`, "2023-11-14T22:13:20Z"},
		{`{"UtcTime":"2024-01-02 03:04:05.678"}`, "2024-01-02T03:04:05.678Z"},
		{`{"eventTime":"2024-01-02T03:04:05Z"}`, "2024-01-02T03:04:05Z"},
		{`{"other":"2024-01-02T03:04:05Z"}`, "0001-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		res := read(t, tt.in)
		if got := res.Events[0].Time.UTC().Format(time.RFC3339Nano); got != tt.want {
			t.Errorf("%s: time %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestEmitErrorAndCancel(t *testing.T) {
	boom := errors.New("boom")
	in := logs.Input{Path: "x", R: strings.NewReader("{\"a\":1}\n{\"a\":2}\n")}
	n := 0
	err := New().Read(context.Background(), in, func(*event.Event) error { n++; return boom })
	if !errors.Is(err, boom) || n != 1 {
		t.Errorf("emit error: %v after %d events", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in.R = strings.NewReader(strings.Repeat("{\"a\":1}\n", 1000))
	if err := New().Read(ctx, in, func(*event.Event) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestSniff(t *testing.T) {
	yes := []string{`{"a":1}`, "\xef\xbb\xbf\n  [{\"a\":1}]", "{\n \"a\": 1\n}", `[{"a":` + strings.Repeat("1", 10)}
	no := []string{"", "[]", "[1,2]", `"str"`, "Jan  1 00:00:00 host app: msg", "#separator \\x09", "<13>1 - - - - - -", "not json"}
	for _, s := range yes {
		if !New().Sniff([]byte(s)) {
			t.Errorf("Sniff(%q) = false", s)
		}
	}
	for _, s := range no {
		if New().Sniff([]byte(s)) {
			t.Errorf("Sniff(%q) = true", s)
		}
	}
	// A first object longer than the head is still JSON.
	head := []byte(`{"a":"` + strings.Repeat("x", logs.SniffLen))[:logs.SniffLen]
	if !New().Sniff(head) {
		t.Error("Sniff of a truncated first object = false")
	}
}

// TestWindowsAliases checks the convention's names on hand-made Winlogbeat
// and evtx_dump records.
func TestWindowsAliases(t *testing.T) {
	get := func(e *event.Event, name string) string {
		v, ok := e.Get(name)
		if !ok {
			return "<absent>"
		}
		return logtest.FormatValue(v)
	}
	res := logtest.RunFile(t, New(), "testdata/winlogbeat.jsonl")
	e := res.Events[0]
	for name, want := range map[string]string{
		"EventID":             `int "4688"`,
		"Channel":             `string "Security"`,
		"Computer":            `string "ws1.corp.local"`,
		"Provider_Name":       `string "Microsoft-Windows-Security-Auditing"`,
		"Provider_Guid":       `string "{54849625-5478-4994-a5ba-3e3b0328c30d}"`,
		"EventRecordID":       `int "91234"`,
		"Execution_ProcessID": `int "4"`,
		"Execution_ThreadID":  `int "7788"`,
		"NewProcessName":      `string "C:\\Windows\\System32\\cmd.exe"`,
		"TokenElevationType":  `string "%%1936"`,
		"Threat Name":         `string "EICAR"`,
		"ThreatName":          `string "EICAR"`,
		"Opcode":              "<absent>", // winlog.opcode is a name, not the number
		"Keywords":            "<absent>",
	} {
		if got := get(e, name); got != want {
			t.Errorf("winlogbeat %s = %s, want %s", name, got, want)
		}
	}
	e = res.Events[1]
	if got := get(e, "Image"); got != `string "top-level wins"` {
		t.Errorf("a source field must win over an alias: Image = %s", got)
	}
	if got := get(e, "winlog.event_data.Image"); got != `string "C:\\Tools\\b.exe"` {
		t.Errorf("duplicate key: %s", got)
	}

	res = logtest.RunFile(t, New(), "testdata/evtx_dump.json")
	if len(res.Events) != 4 || len(res.Warnings) != 0 {
		t.Fatalf("%d events, warnings %v", len(res.Events), res.Warnings)
	}
	for i, want := range []map[string]string{
		{
			"EventID": `int "4625"`, "EventID_Qualifiers": `int "0"`, "Keywords": `int "0x8010000000000000"`,
			"Provider_Name": `string "Microsoft-Windows-Security-Auditing"`, "Execution_ProcessID": `int "628"`,
			"EventRecordID": `int "5501"`, "TimeCreated_SystemTime": `string "2024-05-01T10:00:00.123456Z"`,
			"Correlation": "<absent>", "Security_UserID": "<absent>", "xmlns": "<absent>",
			"TargetUserName": `string "administrator"`, "LogonType": `int "3"`, "Status": `string "0xc000006d"`,
		},
		{"Data": `[string "Available", string "None", string "HostName=ConsoleHost"]`, "Binary": `string "0A0B"`, "EventID": `int "400"`},
		{
			"SubjectUserName": `string "admin"`, "Name": `[string "c1", string "s1"]`, "Address": `string "10.0.0.1"`,
			"Address_Family": `string "4"`, "LogFileCleared_xmlns": "<absent>",
		},
		{"Data": `[string "single unnamed"]`},
	} {
		for name, w := range want {
			if got := get(res.Events[i], name); got != w {
				t.Errorf("evtx_dump event %d: %s = %s, want %s", i+1, name, got, w)
			}
		}
	}
	if got := res.Events[0].Time.Format(time.RFC3339Nano); got != "2024-05-01T10:00:00.123456Z" {
		t.Errorf("time %s", got)
	}
}

// TestRegressionData reads SigmaHQ's evtx_dump renderings of real events:
// every event parses, and gets the System names, the time, and an alias for
// every EventData value.
func TestRegressionData(t *testing.T) {
	root := testdata.Path(t, "sigma", "regression_data")
	var files []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no .json files")
	}
	events := 0
	for _, p := range files {
		f, err := logs.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if !New().Sniff(f.Head) {
			t.Errorf("%s: Sniff = false", p)
		}
		f.Close()
		res := logtest.RunFile(t, New(), p)
		if res.Err != nil || len(res.Warnings) > 0 || len(res.Events) == 0 {
			t.Errorf("%s: %d events, warnings %v, error %v", p, len(res.Events), res.Warnings, res.Err)
			continue
		}
		for _, e := range res.Events {
			events++
			for _, name := range []string{"EventID", "Channel", "Computer", "Provider_Name", "EventRecordID", "TimeCreated_SystemTime", "Keywords"} {
				if _, ok := e.Get(name); !ok {
					t.Errorf("%s record %d: no %s", p, e.Source.Record, name)
				}
			}
			if v, _ := e.Get("EventID"); v.Kind != event.KindInt {
				t.Errorf("%s: EventID kind %s", p, v.Kind)
			}
			if v, _ := e.Get("Keywords"); v.Kind != event.KindInt || !strings.HasPrefix(v.Str, "0x") {
				t.Errorf("%s: Keywords %+v", p, v)
			}
			if want, _ := time.Parse(time.RFC3339Nano, e.GetString("TimeCreated_SystemTime")); e.Time.IsZero() || !e.Time.Equal(want) {
				t.Errorf("%s: time %v vs %s", p, e.Time, e.GetString("TimeCreated_SystemTime"))
			}
			for _, fl := range e.Fields {
				name, ok := strings.CutPrefix(fl.Name, "Event.EventData.")
				if !ok || strings.Contains(name, ".") || name == "Data" {
					continue
				}
				if v, ok := e.Get(name); !ok || v.Str != fl.Value.Str {
					t.Errorf("%s: %s has no alias %s", p, fl.Name, name)
				}
			}
		}
	}
	t.Logf("%d files, %d events", len(files), events)
}

func FuzzRead(f *testing.F) {
	for _, in := range testInputs() {
		if b, err := os.ReadFile(in); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		logtest.CheckInvariants(t, New(), data)
		New().Sniff(data)
	})
}
