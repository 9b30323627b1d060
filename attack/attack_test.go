package attack

import (
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
)

func TestEnterpriseBundle(t *testing.T) {
	kb, err := LoadFile(testdata.Path(t, "stix", "enterprise-attack-18.1.stix21.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if kb.Matrix != "Enterprise ATT&CK" || len(kb.Tactics()) != 14 {
		t.Fatalf("matrix %q with %d tactics, want Enterprise ATT&CK with 14", kb.Matrix, len(kb.Tactics()))
	}
	if first, last := kb.Tactics()[0], kb.Tactics()[13]; first.Short != "reconnaissance" || last.Short != "impact" {
		t.Errorf("matrix runs from %s to %s, want reconnaissance to impact", first.Short, last.Short)
	}
	// attack_counts.txt: 835 attack-pattern objects; revoked ones may share
	// an id with their replacement.
	if n := kb.Techniques(); n < 700 || n > 835 {
		t.Errorf("%d techniques", n)
	}
	ps, ok := kb.Technique("t1059.001")
	if !ok || ps.Name != "PowerShell" || !strings.Contains(strings.Join(ps.Tactics, ","), "execution") {
		t.Errorf("T1059.001: %+v", ps)
	}
	if t2, ok := kb.Technique("T1059.999"); !ok || t2.ID != "T1059" {
		t.Errorf("unknown sub-technique should fall back to T1059: %+v", t2)
	}
	techs, tactics := kb.FromTags([]string{"attack.execution", "attack.t1059.001", "attack.credential_access", "cve.2021-44228"})
	if len(techs) != 1 || strings.Join(tactics, ",") != "execution,credential-access" {
		t.Errorf("FromTags: %v %v", techs, tactics)
	}
	if kb.TacticIndex("impact") <= kb.TacticIndex("initial-access") {
		t.Error("impact comes after initial access")
	}
}

func TestLoadErrors(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"objects": 5}`, `{"type":"bundle"}`, `{"objects":[{"type":"attack-pattern"}]}`, `{"objects":[`} {
		if _, err := Load(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(`{"objects":[{"type":"attack-pattern","name":"X","external_references":[{"source_name":"mitre-attack","external_id":"T1"}],"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"execution"}]}]}`)
	f.Add(`{"objects":[{"type":"x-mitre-matrix","tactic_refs":["a"]},{"type":"x-mitre-tactic","id":"a","x_mitre_shortname":"s"}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		kb, err := Load(strings.NewReader(in))
		if err == nil {
			kb.FromTags([]string{"attack.t1", "attack.s"})
		}
	})
}

func TestICSBundle(t *testing.T) {
	kb, err := LoadFile(testdata.Path(t, "stix", "ics-attack-18.1.stix21.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(kb.Tactics()) != 12 || kb.Techniques() < 80 {
		t.Errorf("%s: %d tactics, %d techniques; want 12 and about 95", kb.Matrix, len(kb.Tactics()), kb.Techniques())
	}
}
