package event

import (
	"bytes"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// sysmonProcessCreate returns a realistic Sysmon process-creation event as
// the EVTX reader produces it: 40 fields, mostly strings, some decimal and
// hex integers.
func sysmonProcessCreate() *Event {
	e := &Event{
		Time:   time.Date(2025, 11, 27, 7, 40, 10, 165324100, time.UTC),
		Source: Source{Path: `C:\Windows\System32\winevt\Logs\Microsoft-Windows-Sysmon%4Operational.evtx`, Format: "evtx", Record: 1234567, Offset: 4608},
	}
	e.Add("Provider_Name", String("Microsoft-Windows-Sysmon"))
	e.Add("Provider_Guid", String("5770385F-C22A-43E0-BF4C-06F5698FFBD9"))
	e.Add("EventID", Int(1))
	e.Add("Version", Int(5))
	e.Add("Level", Int(4))
	e.Add("Task", Int(1))
	e.Add("Opcode", Int(0))
	e.Add("Keywords", Hex(0x8000000000000000))
	e.Add("TimeCreated_SystemTime", String("2025-11-27T07:40:10.165324Z"))
	e.Add("EventRecordID", Int(1234567))
	e.Add("Execution_ProcessID", Int(3544))
	e.Add("Execution_ThreadID", Int(4272))
	e.Add("Channel", String("Microsoft-Windows-Sysmon/Operational"))
	e.Add("Computer", String("ws1.corp.local"))
	e.Add("Security_UserID", String("S-1-5-18"))
	e.Add("RuleName", String("technique_id=T1059,technique_name=Command-Line Interface"))
	e.Add("UtcTime", String("2025-11-27 07:40:10.164"))
	e.Add("ProcessGuid", String("0197231E-005A-6928-A50B-000000000D00"))
	e.Add("ProcessId", Int(4460))
	e.Add("Image", String(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`))
	e.Add("FileVersion", String("10.0.19041.3996 (WinBuild.160101.0800)"))
	e.Add("Description", String("Windows PowerShell"))
	e.Add("Product", String("Microsoft® Windows® Operating System"))
	e.Add("Company", String("Microsoft Corporation"))
	e.Add("OriginalFileName", String("PowerShell.EXE"))
	e.Add("CommandLine", String(`powershell.exe -NoProfile -ExecutionPolicy Bypass -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA`))
	e.Add("CurrentDirectory", String(`C:\Users\alice\AppData\Local\Temp\`))
	e.Add("User", String(`CORP\alice`))
	e.Add("LogonGuid", String("0197231E-0042-6928-3F2A-0B0000000000"))
	e.Add("LogonId", Hex(0xb2a3f))
	e.Add("TerminalSessionId", Int(1))
	e.Add("IntegrityLevel", String("High"))
	e.Add("Hashes", String("SHA1=F43D9BB316E30AE1A3494AC5B0624F6BEA1BF054,MD5=04029E121A0CFA5991749937DD22A1D9,SHA256=9F914D42706FE215501044ACD85A32D58AAEF1419D404FDDFA5D3B48F66CCD9F,IMPHASH=7C955A0ABC747F57CCC4324480737EF7"))
	e.Add("ParentProcessGuid", String("0197231E-0031-6928-9B0A-000000000C00"))
	e.Add("ParentProcessId", Int(6120))
	e.Add("ParentImage", String(`C:\Windows\explorer.exe`))
	e.Add("ParentCommandLine", String(`C:\Windows\Explorer.EXE`))
	e.Add("ParentUser", String(`CORP\alice`))
	e.Add("EventType", String("ProcessCreate"))
	e.Add("Data", List(String("x"), Int(2), Bool(true)))
	return e
}

// sameEvent reports whether got is what decoding the encoding of want must
// give: the same event without Raw and with the time in UTC.
func sameEvent(got, want *Event) bool {
	if !got.Time.Equal(want.Time) || (!got.Time.IsZero() && got.Time.Location() != time.UTC) {
		return false
	}
	if got.Source != want.Source || got.Raw != nil || len(got.Fields) != len(want.Fields) {
		return false
	}
	return len(got.Fields) == 0 || reflect.DeepEqual(got.Fields, want.Fields)
}

func TestBinaryRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		e    *Event
	}{
		{"empty", &Event{}},
		{"zero time with fields", &Event{Fields: []Field{{"a", String("b")}}}},
		{"raw is dropped", &Event{Time: time.Unix(1, 0).UTC(), Raw: []byte(`{"a":1}`)}},
		{"nanoseconds", &Event{Time: time.Unix(1700000000, 999999999).UTC()}},
		{"other zone", &Event{Time: time.Date(2024, 3, 1, 12, 30, 45, 1234567, time.FixedZone("CET", 3600))}},
		{"FILETIME epoch", &Event{Time: time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"beyond int64 nanoseconds", &Event{Time: time.Date(9999, 12, 31, 23, 59, 59, 1, time.UTC)}},
		{"unix epoch", &Event{Time: time.Unix(0, 0).UTC()}},
		{"source", &Event{Source: Source{Path: "syslog/udp", Format: "syslog", Record: -3, Offset: -1}}},
		{"source extremes", &Event{Source: Source{Record: math.MaxInt64, Offset: math.MinInt64}}},
		{"every kind", &Event{Fields: []Field{
			{"null", Null()},
			{"string", String("cmd.exe")},
			{"empty string", String("")},
			{"int", Int(-4688)},
			{"int max", Int(math.MaxInt64)},
			{"int min", Int(math.MinInt64)},
			{"uint max", Uint(math.MaxUint64)},
			{"hex", Hex(0x8000000000000000)},
			{"float", Float(-1.5)},
			{"float tiny", Float(5e-324)},
			{"bool true", Bool(true)},
			{"bool false", Bool(false)},
			{"list", List(String("a"), Int(2), Null())},
			{"empty list", List()},
			{"nested list", List(List(List(String("deep"))), List())},
		}}},
		{"odd numbers", &Event{Fields: []Field{
			{"negative zero", Value{Kind: KindFloat, Str: "-0", Num: math.Copysign(0, -1)}},
			{"infinity", Value{Kind: KindFloat, Str: "+Inf", Num: math.Inf(1)}},
			{"string with a number", Value{Kind: KindString, Str: "x", Num: 7}},
		}}},
		{"names", &Event{Fields: []Field{{"", String("no name")}, {"dup", Int(1)}, {"dup", Int(2)}, {"ünïcödé.名前", String("\x00\xff")}}}},
		{"sysmon", sysmonProcessCreate()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := AppendBinary([]byte("prefix"), tt.e)
			if !bytes.HasPrefix(data, []byte("prefix")) {
				t.Fatal("AppendBinary lost dst")
			}
			var got Event
			if err := DecodeBinary(&got, data[len("prefix"):]); err != nil {
				t.Fatal(err)
			}
			if !sameEvent(&got, tt.e) {
				t.Errorf("round trip:\ngot  %+v\nwant %+v", got, *tt.e)
			}
		})
	}
}

// The names written as an index are unique (else one could never be
// written) and the common Windows ones are among them.
func TestFieldNames(t *testing.T) {
	if len(fieldNameIndex) != len(fieldNames) {
		for i, name := range fieldNames {
			if fieldNameIndex[name] != i {
				t.Errorf("fieldNames[%d] %q repeats entry %d", i, name, fieldNameIndex[name])
			}
		}
	}
	if len(fieldNames) > 1<<13 {
		t.Errorf("%d field names: indexes no longer fit two bytes", len(fieldNames))
	}
	e := sysmonProcessCreate()
	for _, f := range e.Fields {
		if _, ok := fieldNameIndex[f.Name]; !ok {
			t.Errorf("Sysmon field %q is not in fieldNames", f.Name)
		}
	}
	// A name written out and one written as an index decode alike.
	in := &Event{Fields: []Field{{"Image", String("a")}, {"NotInTheList", String("b")}}}
	var out Event
	if err := DecodeBinary(&out, AppendBinary(nil, in)); err != nil || !sameEvent(&out, in) {
		t.Errorf("decoded %+v, %v", out, err)
	}
}

func TestBinaryNaN(t *testing.T) {
	in := &Event{Fields: []Field{{"nan", Value{Kind: KindFloat, Str: "NaN", Num: math.NaN()}}}}
	var got Event
	if err := DecodeBinary(&got, AppendBinary(nil, in)); err != nil {
		t.Fatal(err)
	}
	if v := got.Fields[0].Value; !math.IsNaN(v.Num) || v.Str != "NaN" {
		t.Errorf("got %+v", v)
	}
}

func TestDecodeBinaryReusesFields(t *testing.T) {
	data := AppendBinary(nil, sysmonProcessCreate())
	e := &Event{Fields: make([]Field, 3, 64), Raw: []byte("old"), Time: time.Now()}
	e.Fields[2] = Field{"stale", List(String("old"))}
	first := &e.Fields[:1][0]
	if err := DecodeBinary(e, data); err != nil {
		t.Fatal(err)
	}
	if &e.Fields[0] != first {
		t.Error("DecodeBinary did not reuse the field slice")
	}
	if !sameEvent(e, sysmonProcessCreate()) {
		t.Errorf("decoded into a used event: %+v", e)
	}
	// Decoding a shorter event must leave nothing of the longer one.
	if err := DecodeBinary(e, AppendBinary(nil, &Event{Fields: []Field{{"a", Int(1)}}})); err != nil {
		t.Fatal(err)
	}
	if len(e.Fields) != 1 || e.Source != (Source{}) || !e.Time.IsZero() {
		t.Errorf("stale data after decode: %+v", e)
	}
}

func TestDecodeBinaryDoesNotAliasInput(t *testing.T) {
	data := AppendBinary(nil, sysmonProcessCreate())
	var e Event
	if err := DecodeBinary(&e, data); err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 0
	}
	if !sameEvent(&e, sysmonProcessCreate()) {
		t.Error("decoded event changed with the input buffer")
	}
}

func TestDecodeBinaryCorrupt(t *testing.T) {
	valid := AppendBinary(nil, &Event{Fields: []Field{{"a", String("b")}}})
	tests := []struct {
		name    string
		data    []byte
		wantErr string // substring of the error, including the offset
	}{
		{"empty", nil, "at byte 0: truncated"},
		{"unknown version", []byte{2, 0}, "at byte 0: unknown version 2"},
		{"unknown flags", []byte{1, 0x80}, "at byte 1: unknown flags 0x80"},
		{"truncated time", []byte{1, 1, 0x80}, "at byte 2: truncated"},
		{"nanoseconds out of range", []byte{1, 1, 2, 0x80, 0x94, 0xeb, 0xdc, 0x03}, "at byte 3: nanoseconds 1000000000 out of range"},
		{"varint overflow", []byte{1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "at byte 2: varint overflows"},
		{"string too long", []byte{1, 0, 5, 'a'}, "at byte 2: string length 5 exceeds the 1 remaining bytes"},
		{"field count too large", []byte{1, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0}, "at byte 6: count 4294967295 exceeds"},
		{"bad kind", []byte{1, 0, 0, 0, 0, 0, 1, 2, 'a', 0x0f, 0}, "at byte 9: bad value kind byte 0xf"},
		{"name index out of range", []byte{1, 0, 0, 0, 0, 0, 1, 0xff, 0x7f, 1, 0}, "at byte 7: field name index 8191 out of range"},
		{"name too long", []byte{1, 0, 0, 0, 0, 0, 1, 8, 'a', 1, 0}, "at byte 7: string length 4 exceeds the 3 remaining bytes"},
		{"bad number encoding", []byte{1, 0, 0, 0, 0, 0, 1, 0, 0x31, 0}, "at byte 8: bad number encoding"},
		{"unknown high bits", []byte{1, 0, 0, 0, 0, 0, 1, 0, 0x41, 0}, "at byte 8: bad value kind byte 0x41"},
		{"truncated float", []byte{1, 0, 0, 0, 0, 0, 1, 0, 0x23, 0, 1, 2}, "at byte 10: truncated"},
		{"list count too large", []byte{1, 0, 0, 0, 0, 0, 1, 0, 0x05, 0, 100, 0, 0}, "at byte 10: count 100 exceeds the 2 remaining bytes"},
		{"trailing bytes", append(append([]byte{}, valid...), 0, 0), "at byte 12: 2 trailing bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Event
			err := DecodeBinary(&e, tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("DecodeBinary(% x) = %v, want error containing %q", tt.data, err, tt.wantErr)
			}
		})
	}
}

// Every strict prefix of a valid encoding is truncated and must fail cleanly.
func TestDecodeBinaryEveryPrefix(t *testing.T) {
	data := AppendBinary(nil, sysmonProcessCreate())
	var e Event
	for n := range len(data) {
		if err := DecodeBinary(&e, data[:n]); err == nil {
			t.Fatalf("prefix of %d of %d bytes decoded without error", n, len(data))
		}
	}
}

func TestDecodeBinaryNesting(t *testing.T) {
	nested := func(depth int) []byte {
		b := []byte{1, 0, 0, 0, 0, 0, 1, 0}
		for range depth {
			b = append(b, byte(KindList), 0, 1)
		}
		return append(b, byte(KindString), 0)
	}
	var e Event
	if err := DecodeBinary(&e, nested(maxListDepth)); err != nil {
		t.Errorf("depth %d: %v", maxListDepth, err)
	}
	if err := DecodeBinary(&e, nested(maxListDepth+1)); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("depth %d: got %v, want a nesting error", maxListDepth+1, err)
	}
}

// A corrupt count must be refused before anything is allocated for it.
func TestDecodeBinaryBoundedAllocation(t *testing.T) {
	data := []byte{1, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
	var e Event
	if DecodeBinary(&e, data) == nil {
		t.Fatal("huge field count accepted")
	}
	// Averaged over many runs, so that what other goroutines of the test
	// binary allocate meanwhile does not count.
	const runs = 200
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		_ = DecodeBinary(&e, data)
	}
	runtime.ReadMemStats(&after)
	if n := (after.TotalAlloc - before.TotalAlloc) / runs; n > 4096 { // the error message only
		t.Errorf("%d bytes allocated for a corrupt count", n)
	}
}

func FuzzDecodeBinary(f *testing.F) {
	f.Add(AppendBinary(nil, &Event{}))
	f.Add(AppendBinary(nil, sysmonProcessCreate()))
	f.Add(AppendBinary(nil, &Event{Time: time.Unix(-1, 5).UTC(), Fields: []Field{
		{"l", List(List(Float(math.Inf(-1))), Null(), Bool(false))},
		{"u", Uint(math.MaxUint64)},
	}}))
	f.Add([]byte{1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var e Event
		if err := DecodeBinary(&e, data); err != nil {
			return
		}
		// What decodes must survive re-encoding unchanged. Comparing the
		// encodings rather than the events copes with NaN.
		first := AppendBinary(nil, &e)
		var again Event
		if err := DecodeBinary(&again, first); err != nil {
			t.Fatalf("re-encoded event does not decode: %v", err)
		}
		if second := AppendBinary(nil, &again); !bytes.Equal(first, second) {
			t.Fatalf("encoding not stable:\n% x\n% x", first, second)
		}
	})
}

func BenchmarkAppendBinary(b *testing.B) {
	e := sysmonProcessCreate()
	buf := AppendBinary(nil, e)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendBinary(buf[:0], e)
	}
}

func BenchmarkDecodeBinary(b *testing.B) {
	data := AppendBinary(nil, sysmonProcessCreate())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var e Event
	for b.Loop() {
		if err := DecodeBinary(&e, data); err != nil {
			b.Fatal(err)
		}
	}
}
