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

func TestTechniqueText(t *testing.T) {
	kb, err := LoadFile(testdata.Path(t, "stix", "enterprise-attack-18.1.stix21.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	lsass, ok := kb.Technique("T1003.001")
	if !ok {
		t.Fatal("no T1003.001")
	}
	if !strings.HasPrefix(lsass.Description, "Adversaries may attempt to access credential material stored in the process memory") ||
		strings.Contains(lsass.Description, "Citation") || strings.Contains(lsass.Description, "](") {
		t.Errorf("description: %q", lsass.Description)
	}
	// The first paragraph ends before the procdump example.
	if strings.Contains(lsass.Description, "procdump") || !strings.Contains(lsass.Description, "Use Alternate Authentication Material") {
		t.Errorf("description is not the first paragraph as plain text: %q", lsass.Description)
	}
	ids := map[string]Mitigation{}
	for _, m := range lsass.Mitigations {
		ids[m.ID] = m
		if m.Name == "" || strings.Contains(m.Description, "Citation") || len(m.Description) > maxMitigationText {
			t.Errorf("mitigation %+v", m)
		}
	}
	if m, ok := ids["M1043"]; !ok || m.Name != "Credential Access Protection" || m.Description == "" {
		t.Errorf("M1043 missing or empty in %+v", lsass.Mitigations)
	}
	if len(lsass.Mitigations) < 5 {
		t.Errorf("%d mitigations, want the 7 of ATT&CK 18.1", len(lsass.Mitigations))
	}
	// ATT&CK 18 moved detection into detection strategies and analytics.
	if !strings.Contains(lsass.Detection, "lsass") || !strings.Contains(lsass.Detection, "Sysmon") {
		t.Errorf("detection: %q", lsass.Detection)
	}
	// A copy: changing it leaves the knowledge base alone.
	lsass.Mitigations[0].Name = "changed"
	if again, _ := kb.Technique("T1003.001"); again.Mitigations[0].Name == "changed" {
		t.Error("Technique returns the knowledge base's own slices")
	}
	withMitigations := 0
	for _, tech := range kb.List() {
		if tech.Description == "" {
			t.Errorf("%s has no description", tech.ID)
		}
		if len(tech.Mitigations) > 0 {
			withMitigations++
		}
	}
	if withMitigations < 300 {
		t.Errorf("only %d techniques have mitigations", withMitigations)
	}
}

func TestPlainText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Use [Lateral Movement](https://attack.mitre.org/tactics/TA0008).(Citation: X Y)", "Use Lateral Movement."},
		{"Run <code>procdump -ma lsass.exe</code> and `x`", "Run procdump -ma lsass.exe and x"},
		{"a\n\n  b", "a b"},
	} {
		if got := plainText(tc.in, 100); got != tc.want {
			t.Errorf("plainText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := sentences("One e.g. this. Two. Three.", 2, 100); got != "One e.g. this. Two." {
		t.Errorf("sentences: %q", got)
	}
	if got := truncate("aaaa bbbb cccc", 10); got != "aaaa…" {
		t.Errorf("truncate: %q", got)
	}
	if got := truncate("ééééé", 4); got != "…" && len(got) > 4 {
		t.Errorf("truncate cut a rune: %q", got)
	}
}
