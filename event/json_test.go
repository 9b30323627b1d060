package event

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// jsonCases are the events whose rendering testdata/json.golden holds.
func jsonCases() []struct {
	name string
	e    *Event
} {
	return []struct {
		name string
		e    *Event
	}{
		{"sysmon process create", sysmonProcessCreate()},
		{"empty", &Event{Source: Source{Offset: -1}}},
		{"numbers", &Event{
			Time:   time.Date(2024, 3, 1, 13, 30, 45, 0, time.FixedZone("CET", 3600)),
			Source: Source{Path: "in.jsonl", Format: "jsonl", Record: 7, Offset: 1024},
			Fields: []Field{
				{"int", Int(-4688)},
				{"zero", Int(0)},
				{"hex", Hex(0x1f)},
				{"leading zero keeps its text", Value{Kind: KindInt, Str: "007", Num: 7}},
				{"plus sign keeps its text", Value{Kind: KindInt, Str: "+5", Num: 5}},
				{"float", Float(1.5)},
				{"float exponent", Value{Kind: KindFloat, Str: "1e-7", Num: 1e-7}},
				{"float bad text", Value{Kind: KindFloat, Str: "1.", Num: 1}},
				{"nan", Value{Kind: KindFloat, Str: "NaN", Num: math.NaN()}},
				{"infinity", Value{Kind: KindFloat, Str: "+Inf", Num: math.Inf(1)}},
				{"number-looking string", String("42")},
			},
		}},
		{"kinds and names", &Event{
			Time: time.Unix(1700000000, 123456789),
			Fields: []Field{
				{"null", Null()},
				{"true", Bool(true)},
				{"false", Bool(false)},
				{"list", List(String("a"), Int(2), Hex(3), Null(), List(Bool(true)))},
				{"empty list", List()},
				{"dup", String("first")},
				{"dup", String("second is dropped")},
				{"", String("empty name")},
			},
		}},
		{"escapes", &Event{
			Time:   time.Unix(0, 1),
			Source: Source{Path: `C:\Logs\"quoted".evtx`, Format: "evtx"},
			Fields: []Field{
				{`"name"`, String(`say "hi"\`)},
				{"control", String("tab\there\nnew\rline\x00nul\x1f\x7f")},
				{"invalid utf-8", String("a\xffb\xc3")},
				{"separators", String("line\u2028para\u2029")},
				{"html is left alone", String("<script>&</script>")},
				{"unicode", String("Ünïcödé 名前 😀")},
			},
		}},
	}
}

func TestMarshalJSONGolden(t *testing.T) {
	var got bytes.Buffer
	for _, tt := range jsonCases() {
		out, err := tt.e.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !json.Valid(out) {
			t.Errorf("%s: invalid JSON: %s", tt.name, out)
		}
		if appended := tt.e.AppendJSON([]byte("x")); !bytes.Equal(appended[1:], out) {
			t.Errorf("%s: AppendJSON differs from MarshalJSON", tt.name)
		}
		got.WriteString("-- " + tt.name + " --\n")
		got.Write(out)
		got.WriteString("\n")
	}
	golden := filepath.Join("testdata", "json.golden")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("rendering differs from %s (run with -update if intended):\n%s", golden, got.Bytes())
	}
}

// The fields object keeps event order; encoding/json through the Marshaler
// interface must accept the output as is.
func TestMarshalJSONOrder(t *testing.T) {
	e := sysmonProcessCreate()
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Fields json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(doc.Fields))
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	for i := 0; dec.More(); i++ {
		name, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		if name != e.Fields[i].Name {
			t.Fatalf("field %d is %q, want %q", i, name, e.Fields[i].Name)
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIsJSONNumber(t *testing.T) {
	tests := []struct {
		s             string
		number, isInt bool
	}{
		{"0", true, true},
		{"-0", true, true},
		{"4688", true, true},
		{"-12", true, true},
		{"1.5", true, false},
		{"-0.25e+10", true, false},
		{"1E5", true, false},
		{"", false, false},
		{"-", false, false},
		{"007", false, false},
		{"+5", false, false},
		{"0x1f", false, false},
		{"1.", false, false},
		{".5", false, false},
		{"1e", false, false},
		{"1e+", false, false},
		{"NaN", false, false},
		{"1 ", false, false},
	}
	for _, tt := range tests {
		if got := isJSONNumber(tt.s); got != tt.number {
			t.Errorf("isJSONNumber(%q) = %v, want %v", tt.s, got, tt.number)
		}
		if got := isJSONInteger(tt.s); got != tt.isInt {
			t.Errorf("isJSONInteger(%q) = %v, want %v", tt.s, got, tt.isInt)
		}
		if got := json.Valid([]byte(tt.s)); got != tt.number && tt.s != "1 " { // json.Valid allows trailing space
			t.Errorf("json.Valid(%q) = %v disagrees", tt.s, got)
		}
	}
}

// Our string escaping must decode to what encoding/json's would.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "a\"b\\c", "\x00\x1f\x7f", "a\xffb", "\u2028\u2029", "名前😀", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q renders as invalid JSON %s: %v", s, out, err)
		}
		ref, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var want string
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%q renders as %s, decoding to %q; encoding/json gives %q", s, out, got, want)
		}
	})
}

func BenchmarkAppendJSON(b *testing.B) {
	e := sysmonProcessCreate()
	buf := e.AppendJSON(nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = e.AppendJSON(buf[:0])
	}
}
