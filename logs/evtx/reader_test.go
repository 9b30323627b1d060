package evtx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/evtx/evtxtest"
)

var t0 = time.Date(2024, 3, 1, 12, 30, 45, 123456700, time.UTC)

func sysmonRecord(i int) evtxtest.Record {
	return evtxtest.Record{
		Provider: "Microsoft-Windows-Sysmon", ProviderGUID: "5770385F-C22A-43E0-BF4C-06F5698FFBD9",
		EventID: 1, Version: 5, Level: 4, Task: 1, Keywords: 0x8000000000000000,
		Time: t0.Add(time.Duration(i) * time.Second), ProcessID: 3544, ThreadID: 4272,
		Channel: "Microsoft-Windows-Sysmon/Operational", Computer: "ws1.corp.local", UserID: "S-1-5-18",
		EventData: []evtxtest.Data{
			{Name: "RuleName", Value: "-"},
			{Name: "ProcessGuid", Value: evtxtest.GUID("{0197231E-005A-6928-A50B-000000000D00}")},
			{Name: "ProcessId", Value: uint32(4460 + i)},
			{Name: "Image", Value: `C:\Windows\System32\cmd.exe`},
			{Name: "CommandLine", Value: fmt.Sprintf(`cmd.exe /c echo %d `, i)},
			{Name: "User", Value: `CORP\alice`},
		},
	}
}

// fields renders an event's fields as "name=kind:text" lines.
func fields(e *event.Event) string {
	var b strings.Builder
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "%s=%s:%s\n", f.Name, f.Value.Kind, f.Value.Str)
	}
	return b.String()
}

type result struct {
	events []*event.Event
	warns  []logs.Warning
	err    error
}

func read(data []byte) result {
	var r result
	in := logs.Input{Path: "test.evtx", R: bytes.NewReader(data), Warn: func(w logs.Warning) { r.warns = append(r.warns, w) }}
	r.err = New().Read(context.Background(), in, func(e *event.Event) error {
		r.events = append(r.events, e.Clone())
		return nil
	})
	return r
}

func TestReaderInterface(t *testing.T) {
	r := New()
	if r.Name() != "evtx" {
		t.Errorf("Name() = %q", r.Name())
	}
	file := evtxtest.MustBuild([]evtxtest.Record{sysmonRecord(0)}, evtxtest.Options{})
	if !r.Sniff(file[:64]) {
		t.Error("Sniff rejects an EVTX header")
	}
	for _, head := range [][]byte{nil, []byte("ElfFile"), []byte(`{"Event":1}`), []byte("ElfChnk\x00")} {
		if r.Sniff(head) {
			t.Errorf("Sniff accepts %q", head)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	q := uint16(16384)
	recs := []evtxtest.Record{
		sysmonRecord(0),
		{
			Provider: "Service Control Manager", ProviderGUID: "{555908d1-a6d7-4695-8e1e-26931d2012f4}",
			Qualifiers: &q, EventID: 7045, Level: 4, Keywords: 0x8080000000000000, Time: t0,
			Channel: "System", Computer: "srv", ActivityID: "6B3DFF46-F4E6-4CDA-983B-76B101728AA5",
			Unnamed: []any{"PSEXESVC", `%SystemRoot%\PSEXESVC.exe`, nil, uint8(3)},
		},
		{
			Provider: "Microsoft-Windows-Eventlog", EventID: 1102, Time: t0, Channel: "Security", Computer: "dc1",
			UserData: &evtxtest.UserData{
				Element: "LogFileCleared", Namespace: "http://manifests.microsoft.com/win/2004/08/windows/eventlog",
				Fields: []evtxtest.Data{
					{Name: "SubjectUserSid", Value: evtxtest.SID("S-1-5-21-3623811015-3361044348-30300820-1013")},
					{Name: "SubjectUserName", Value: "admin"},
					{Name: "SubjectLogonId", Value: evtxtest.Hex64(0x3e7)},
				},
			},
		},
		{
			Provider: "Types", EventID: 1, Time: t0, Channel: "Test", Computer: "c",
			EventData: []evtxtest.Data{
				{Name: "i8", Value: int8(-5)}, {Name: "i16", Value: int16(-300)}, {Name: "i32", Value: int32(-70000)},
				{Name: "i64", Value: int64(-1) << 40}, {Name: "u16", Value: uint16(65535)}, {Name: "u64", Value: uint64(1) << 63},
				{Name: "f", Value: 1.5}, {Name: "t", Value: true}, {Name: "no", Value: false},
				{Name: "bin", Value: []byte{0xde, 0xad, 0x01}}, {Name: "when", Value: time.Date(2020, 2, 29, 23, 59, 59, 999999000, time.UTC)},
				{Name: "h32", Value: evtxtest.Hex32(0)}, {Name: "empty", Value: ""}, {Name: "null", Value: nil},
				{Name: "unicode", Value: "Zürich 😀 Microsoft®\u202egepj.exe"},
			},
		},
	}
	r := read(evtxtest.MustBuild(recs, evtxtest.Options{}))
	if r.err != nil || len(r.warns) != 0 {
		t.Fatalf("err %v, warnings %v", r.err, r.warns)
	}
	system := func(provider, guid string, q string, id, level, keywords, time, rec string, extra string) string {
		s := "Provider_Name=string:" + provider + "\n"
		if guid != "" {
			s += "Provider_Guid=string:" + guid + "\n"
		}
		if q != "" {
			s += "EventID_Qualifiers=int:" + q + "\n"
		}
		s += "EventID=int:" + id + "\nVersion=int:" + map[bool]string{true: "5", false: "0"}[provider == "Microsoft-Windows-Sysmon"] + "\n"
		s += "Level=int:" + level + "\nTask=int:" + map[bool]string{true: "1", false: "0"}[provider == "Microsoft-Windows-Sysmon"] + "\nOpcode=int:0\nKeywords=int:" + keywords + "\n"
		s += "TimeCreated_SystemTime=string:" + time + "\nEventRecordID=int:" + rec + "\n" + extra
		return s
	}
	want := []string{
		system("Microsoft-Windows-Sysmon", "5770385F-C22A-43E0-BF4C-06F5698FFBD9", "", "1", "4", "0x8000000000000000", "2024-03-01T12:30:45.123456Z", "1",
			"Execution_ProcessID=int:3544\nExecution_ThreadID=int:4272\nChannel=string:Microsoft-Windows-Sysmon/Operational\nComputer=string:ws1.corp.local\nSecurity_UserID=string:S-1-5-18\n"+
				"RuleName=string:-\nProcessGuid=string:0197231E-005A-6928-A50B-000000000D00\nProcessId=int:4460\nImage=string:C:\\Windows\\System32\\cmd.exe\n"+
				"CommandLine=string:cmd.exe /c echo 0\nUser=string:CORP\\alice\n"),
		system("Service Control Manager", "555908D1-A6D7-4695-8E1E-26931D2012F4", "16384", "7045", "4", "0x8080000000000000", "2024-03-01T12:30:45.123456Z", "2",
			"Correlation_ActivityID=string:6B3DFF46-F4E6-4CDA-983B-76B101728AA5\nExecution_ProcessID=int:0\nExecution_ThreadID=int:0\nChannel=string:System\nComputer=string:srv\n"+
				"Data=list:PSEXESVC %SystemRoot%\\PSEXESVC.exe  3\n"),
		system("Microsoft-Windows-Eventlog", "", "", "1102", "0", "0x0", "2024-03-01T12:30:45.123456Z", "3",
			"Execution_ProcessID=int:0\nExecution_ThreadID=int:0\nChannel=string:Security\nComputer=string:dc1\n"+
				"SubjectUserSid=string:S-1-5-21-3623811015-3361044348-30300820-1013\nSubjectUserName=string:admin\nSubjectLogonId=int:0x3e7\n"),
		system("Types", "", "", "1", "0", "0x0", "2024-03-01T12:30:45.123456Z", "4",
			"Execution_ProcessID=int:0\nExecution_ThreadID=int:0\nChannel=string:Test\nComputer=string:c\n"+
				"i8=int:-5\ni16=int:-300\ni32=int:-70000\ni64=int:-1099511627776\nu16=int:65535\nu64=int:9223372036854775808\n"+
				"f=float:1.5\nt=bool:true\nno=bool:false\nbin=string:DEAD01\nwhen=string:2020-02-29T23:59:59.999999Z\nh32=int:0x0\n"+
				"empty=string:\nnull=null:\nunicode=string:Zürich 😀 Microsoft®\u202egepj.exe\n"),
	}
	if len(r.events) != len(want) {
		t.Fatalf("%d events, want %d", len(r.events), len(want))
	}
	for i, e := range r.events {
		if got := fields(e); got != want[i] {
			t.Errorf("record %d fields:\n%s\nwant:\n%s", i, got, want[i])
		}
		if !e.Time.Equal(t0.Add(time.Duration(0))) && i > 0 {
			t.Errorf("record %d time %v", i, e.Time)
		}
		if e.Source.Record != int64(i+1) || e.Source.Format != "evtx" || e.Source.Path != "test.evtx" {
			t.Errorf("record %d source %+v", i, e.Source)
		}
	}
	if !r.events[0].Time.Equal(t0) {
		t.Errorf("time %v, want %v (100 ns precision kept)", r.events[0].Time, t0)
	}
	data := r.events[1].Fields[len(r.events[1].Fields)-1].Value
	if len(data.List) != 4 || data.List[2].Kind != event.KindNull || data.List[3].Num != 3 {
		t.Errorf("Data list %+v", data.List)
	}
}

// TestManyChunks writes enough records for several chunks and checks every
// record comes back once, in order, at increasing offsets.
func TestManyChunks(t *testing.T) {
	for _, perChunk := range []int{0, 1, 7} {
		var recs []evtxtest.Record
		n := 1500
		if perChunk > 0 {
			n = 40
		}
		for i := 0; i < n; i++ {
			recs = append(recs, sysmonRecord(i))
		}
		file := evtxtest.MustBuild(recs, evtxtest.Options{MaxRecordsPerChunk: perChunk})
		chunks := (len(file) - 4096) / 65536
		if perChunk == 0 && chunks < 3 {
			t.Fatalf("%d chunks: want several", chunks)
		}
		r := read(file)
		if r.err != nil || len(r.warns) != 0 {
			t.Fatalf("err %v, warnings %v", r.err, r.warns)
		}
		if len(r.events) != n {
			t.Fatalf("per chunk %d: %d events, want %d", perChunk, len(r.events), n)
		}
		last := int64(-1)
		for i, e := range r.events {
			if e.Source.Record != int64(i+1) || e.Source.Offset <= last {
				t.Fatalf("event %d: source %+v after offset %d", i, e.Source, last)
			}
			last = e.Source.Offset
			if got := e.GetString("ProcessId"); got != fmt.Sprint(4460+i) {
				t.Fatalf("event %d: ProcessId %q", i, got)
			}
		}
	}
}

func TestEmitErrorStops(t *testing.T) {
	file := evtxtest.MustBuild([]evtxtest.Record{sysmonRecord(0), sysmonRecord(1), sysmonRecord(2)}, evtxtest.Options{})
	stop := errors.New("stop")
	n := 0
	err := New().Read(context.Background(), logs.Input{Path: "x", R: bytes.NewReader(file)}, func(*event.Event) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d events, want stop after 1", err, n)
	}
}

func TestContextCancelled(t *testing.T) {
	file := evtxtest.MustBuild([]evtxtest.Record{sysmonRecord(0)}, evtxtest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := New().Read(ctx, logs.Input{Path: "x", R: bytes.NewReader(file)}, func(*event.Event) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

// TestReadError: an input that fails is an error, not a warning.
func TestReadError(t *testing.T) {
	file := evtxtest.MustBuild([]evtxtest.Record{sysmonRecord(0)}, evtxtest.Options{})
	boom := errors.New("disk on fire")
	in := logs.Input{Path: "x", R: &failingReader{data: file[:5000], err: boom}}
	if err := New().Read(context.Background(), in, func(*event.Event) error { return nil }); !errors.Is(err, boom) {
		t.Errorf("err %v, want %v", err, boom)
	}
}

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// TestEventReused checks that a cloned event keeps its values after the
// reader has moved on (the record text is not reused).
func TestEventReused(t *testing.T) {
	file := evtxtest.MustBuild([]evtxtest.Record{sysmonRecord(0), sysmonRecord(1)}, evtxtest.Options{})
	var first *event.Event
	var ptrs []*event.Event
	New().Read(context.Background(), logs.Input{Path: "x", R: bytes.NewReader(file)}, func(e *event.Event) error {
		ptrs = append(ptrs, e)
		if first == nil {
			first = e.Clone()
		}
		return nil
	})
	if ptrs[0] != ptrs[1] {
		t.Error("the reader does not reuse its Event")
	}
	if got := first.GetString("CommandLine"); got != "cmd.exe /c echo 0" {
		t.Errorf("clone changed: %q", got)
	}
}

// TestRepeatedUserDataElements: a UserData element that repeats becomes a
// list, in order, at its first position; with few fields (pairwise merge)
// and with many (map merge).
func TestRepeatedUserDataElements(t *testing.T) {
	for _, n := range []int{3, 100} {
		fs := []evtxtest.Data{{Name: "Before", Value: "x"}}
		var want []string
		for i := 0; i < n; i++ {
			fs = append(fs, evtxtest.Data{Name: "Item", Value: fmt.Sprint("v", i)}, evtxtest.Data{Name: fmt.Sprint("F", i), Value: uint32(i)})
			want = append(want, fmt.Sprint("v", i))
		}
		rec := evtxtest.Record{Provider: "P", EventID: 1, Time: t0, Channel: "C", Computer: "h",
			UserData: &evtxtest.UserData{Element: "Thing", Fields: fs}}
		r := read(evtxtest.MustBuild([]evtxtest.Record{rec}, evtxtest.Options{}))
		if r.err != nil || len(r.warns) != 0 || len(r.events) != 1 {
			t.Fatalf("n=%d: err %v warnings %v events %d", n, r.err, r.warns, len(r.events))
		}
		e := r.events[0]
		v, _ := e.Get("Item")
		if v.Kind != event.KindList || len(v.List) != n || v.Str != strings.Join(want, " ") {
			t.Errorf("n=%d: Item = %+v", n, v)
		}
		names := map[string]int{}
		for i, f := range e.Fields {
			if _, dup := names[f.Name]; dup {
				t.Errorf("n=%d: %s twice", n, f.Name)
			}
			names[f.Name] = i
		}
		if !(names["Before"] < names["Item"] && names["Item"] < names["F0"]) || e.GetString(fmt.Sprint("F", n-1)) != fmt.Sprint(n-1) {
			t.Errorf("n=%d: field order %v", n, fields(e))
		}
	}
}

// TestConcurrentReads: one Reader serves concurrent Reads (run with -race).
func TestConcurrentReads(t *testing.T) {
	file := sampleFile(t)
	r := New()
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			n := 0
			err := r.Read(context.Background(), logs.Input{Path: "x", R: bytes.NewReader(file)}, func(e *event.Event) error {
				if got, want := e.GetString("ProcessId"), fmt.Sprint(4460+n); got != want {
					return fmt.Errorf("event %d: ProcessId %q, want %q", n, got, want)
				}
				n++
				return nil
			})
			if err == nil && n != 40 {
				err = fmt.Errorf("%d events", n)
			}
			errs <- err
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
