package rules

import (
	"testing"

	"github.com/bulwarkhq/bulwark/sigma"
)

// TestBuiltinRulesLoad requires every built-in rule to compile cleanly, with
// ATT&CK tags, an id, and a level.
func TestBuiltinRulesLoad(t *testing.T) {
	docs := Builtin()
	if len(docs) < 25 {
		t.Fatalf("only %d built-in rules", len(docs))
	}
	rs := sigma.Compile(docs, sigma.Options{})
	for _, s := range rs.Status {
		if s.Err != nil {
			t.Errorf("%s: %v", s.Path, s.Err)
		}
		for _, n := range s.Notes {
			t.Errorf("%s: %s", s.Path, n)
		}
	}
	ids := map[string]bool{}
	for _, d := range docs {
		m := d.Meta
		if m.ID == "" || ids[m.ID] {
			t.Errorf("%s: missing or duplicate id", m.Title)
		}
		ids[m.ID] = true
		if len(m.Techniques()) == 0 {
			t.Errorf("%s: no ATT&CK technique tag", m.Title)
		}
		if m.Level == sigma.LevelUnknown {
			t.Errorf("%s: no level", m.Title)
		}
		if m.Author == "" || m.Description == "" {
			t.Errorf("%s: missing author or description", m.Title)
		}
	}
	if len(rs.Correlations) < 3 {
		t.Errorf("%d correlations; want the three built-in ones", len(rs.Correlations))
	}
}
