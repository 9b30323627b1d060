package event

import "testing"

func TestValues(t *testing.T) {
	tests := []struct {
		v    Value
		kind Kind
		str  string
		num  float64
	}{
		{Null(), KindNull, "", 0},
		{String("cmd.exe"), KindString, "cmd.exe", 0},
		{Int(-4688), KindInt, "-4688", -4688},
		{Uint(18446744073709551615), KindInt, "18446744073709551615", 1.8446744073709552e19},
		{Hex(0x8000000000000000), KindInt, "0x8000000000000000", 9.223372036854775808e18},
		{Hex(0), KindInt, "0x0", 0},
		{Float(1.5), KindFloat, "1.5", 1.5},
		{Bool(true), KindBool, "true", 1},
		{Bool(false), KindBool, "false", 0},
		{List(String("a"), Int(2)), KindList, "a 2", 0},
		{List(), KindList, "", 0},
	}
	for _, tt := range tests {
		if tt.v.Kind != tt.kind || tt.v.Str != tt.str || tt.v.Num != tt.num {
			t.Errorf("got %v %q %v, want %v %q %v", tt.v.Kind, tt.v.Str, tt.v.Num, tt.kind, tt.str, tt.num)
		}
	}
}

func TestEventFields(t *testing.T) {
	var e Event
	e.Add("Image", String(`C:\a.exe`))
	e.Set("EventID", Int(1))
	e.Set("Image", String(`C:\b.exe`))
	if v, ok := e.Get("Image"); !ok || v.Str != `C:\b.exe` || len(e.Fields) != 2 {
		t.Fatalf("Set did not replace: %+v", e.Fields)
	}
	if e.GetString("Missing") != "" {
		t.Error("missing field has text")
	}
	e.Add("Data", List(String("x"), String("y")))
	e.Raw = []byte("raw")
	c := e.Clone()
	e.Fields[2].Value.List[0] = String("changed")
	e.Raw[0] = 'R'
	if c.Fields[2].Value.List[0].Str != "x" || string(c.Raw) != "raw" {
		t.Error("Clone shares memory with the original")
	}
	capBefore := cap(e.Fields)
	e.Reset()
	if len(e.Fields) != 0 || cap(e.Fields) != capBefore || e.Raw != nil {
		t.Errorf("Reset: %+v", e)
	}
}
