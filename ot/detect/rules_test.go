package detect

import (
	"regexp"
	"testing"

	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/dnp3"
	"github.com/bulwarkhq/bulwark/ot/modbus"
)

// TestRulesCatalogue: rule ids are unique and stable in form, and every
// rule names an ATT&CK for ICS technique.
func TestRulesCatalogue(t *testing.T) {
	idForm := regexp.MustCompile(`^ot\.(modbus|dnp3|net)\.[a-z-]+$`)
	seen := map[string]bool{}
	for _, r := range Rules() {
		if !idForm.MatchString(r.ID) || seen[r.ID] {
			t.Errorf("rule id %q malformed or repeated", r.ID)
		}
		seen[r.ID] = true
		if len(r.Attack) == 0 || r.Title == "" || r.Description == "" {
			t.Errorf("%s: incomplete %+v", r.ID, r)
		}
		for _, a := range r.Attack {
			if !regexp.MustCompile(`^T0[89]\d\d$`).MatchString(a) {
				t.Errorf("%s: %q is not an ATT&CK for ICS technique", r.ID, a)
			}
		}
		switch r.Level {
		case LevelLow, LevelMedium, LevelHigh, LevelCritical:
		default:
			t.Errorf("%s: level %q", r.ID, r.Level)
		}
	}
	if len(seen) < 30 {
		t.Errorf("only %d rules", len(seen))
	}
}

// TestLabels: alerts, inventories and reviews name codes as the decoders
// do, after the number an operator filters on, and never say a number
// twice.
func TestLabels(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{funcLabel(ot.ProtoModbus, modbus.FuncWriteSingleCoil), "5 Write Single Coil"},
		{funcLabel(ot.ProtoModbus, 99), "Function 99"},
		{funcLabel(ot.ProtoModbus, 65), "User-Defined Function 65"},
		{funcLabel(ot.ProtoDNP3, dnp3.FuncColdRestart), "13 COLD_RESTART"},
		{funcLabel(ot.ProtoDNP3, 99), "99 UNKNOWN"},
		{FuncName(0, 3), "unknown"},
		{diagLabel(modbus.DiagForceListenOnlyMode), "0x4 Force Listen Only Mode"},
		{diagLabel(modbus.DiagClearOverrunCounter), "0x14 Clear Overrun Counter and Flag"},
		{excMatch(&ot.Message{Proto: ot.ProtoModbus, Exception: modbus.ExceptionIllegalFunction}).Value, "1 Illegal Function"},
		{excMatch(&ot.Message{Proto: ot.ProtoDNP3, IIN: dnp3.IINDeviceRestart | dnp3.IINNoFuncCodeSupport}).Value, "0x8001 device restart, function code not supported"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
