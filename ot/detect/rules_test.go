package detect

import (
	"regexp"
	"testing"
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
