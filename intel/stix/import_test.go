package stix

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/intel"
)

const importBundle = `{"type":"bundle","id":"bundle--1","objects":[
 {"type":"identity","spec_version":"2.1","id":"identity--b67d30ff-02ac-498a-92f9-32f845f448ff","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"ACME CERT"},
 {"type":"marking-definition","spec_version":"2.1","id":"marking-definition--0b5bd6ff-3bd3-4c34-9f1c-9e3a6f3e3a52","created":"2020-01-01T00:00:00.000Z","definition_type":"tlp","definition":{"tlp":"red"}},
 {"type":"attack-pattern","spec_version":"2.1","id":"attack-pattern--7385dfaf-6886-4229-9ecd-6fd678040830","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"Command and Scripting Interpreter","external_references":[{"source_name":"mitre-attack","external_id":"T1059"}]},
 {"type":"indicator","spec_version":"2.1","id":"indicator--a1","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","created_by_ref":"identity--b67d30ff-02ac-498a-92f9-32f845f448ff","pattern":"[ipv4-addr:value = '203.0.113.1']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z","confidence":0,"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"execution"}]},
 {"type":"indicator","spec_version":"2.1","id":"indicator--a1","created":"2020-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","created_by_ref":"identity--b67d30ff-02ac-498a-92f9-32f845f448ff","pattern":"[ipv4-addr:value = '203.0.113.2']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z","valid_until":"2022-01-01T00:00:00Z","confidence":80,"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb","marking-definition--0b5bd6ff-3bd3-4c34-9f1c-9e3a6f3e3a52"],"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"execution"}]},
 {"type":"relationship","spec_version":"2.1","id":"relationship--r1","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--a1","target_ref":"attack-pattern--7385dfaf-6886-4229-9ecd-6fd678040830"},
 {"type":"indicator","spec_version":"2.1","id":"indicator--revoked","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","revoked":true,"pattern":"[url:value = 'x']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"},
 {"type":"indicator","spec_version":"2.1","id":"indicator--tlp1","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","pattern":"alert tcp any any -> any any","pattern_type":"snort","valid_from":"2020-01-01T00:00:00Z","object_marking_refs":["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]},
 {"type":"indicator","spec_version":"2.1","id":"indicator--broken","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}
]}`

func TestIndicators(t *testing.T) {
	objs, err := ReadBundle(strings.NewReader(importBundle))
	if err != nil {
		t.Fatal(err)
	}
	inds, errs := Indicators(objs, ImportOptions{})
	if len(errs) != 1 {
		t.Fatalf("errs = %v", errs)
	}
	var ie *ImportError
	if !errors.As(errs[0], &ie) || ie.ID != "indicator--broken" || ie.Index != 8 {
		t.Errorf("err = %v", errs[0])
	}
	if len(inds) != 2 {
		t.Fatalf("got %d indicators: %+v", len(inds), inds)
	}
	a := inds[0]
	// The newer version wins; TLP is the stricter of green and the bundle's
	// red TLP 1.0 definition; the relationship adds the technique id.
	if a.Pattern != "[ipv4-addr:value = '203.0.113.2']" || a.Confidence != 80 || a.TLP != intel.TLPRed ||
		a.Source != "ACME CERT" || !slices.Equal(a.KillChain, []string{"execution", "T1059"}) || a.ValidUntil.Year() != 2022 {
		t.Errorf("a1 = %+v", a)
	}
	b := inds[1]
	if b.ID != "indicator--tlp1" || b.TLP != intel.TLPClear || b.PatternType != "snort" {
		t.Errorf("tlp1 = %+v", b)
	}
}

func TestMarkings(t *testing.T) {
	for _, lvl := range []intel.TLP{intel.TLPClear, intel.TLPGreen, intel.TLPAmber, intel.TLPAmberStrict, intel.TLPRed} {
		o, ok := NewTLPMarking(lvl)
		if !ok {
			t.Fatalf("%s: no marking", lvl)
		}
		if err := Validate(o); err != nil {
			t.Errorf("%s: %v", lvl, err)
		}
		// Resolve through the extension, not just the fixed id.
		o.ID = "marking-definition--0b5bd6ff-3bd3-4c34-9f1c-9e3a6f3e3a52"
		if got, ok := MarkingTLP(o); !ok || got != lvl {
			t.Errorf("MarkingTLP = %q, %v; want %q", got, ok, lvl)
		}
	}
	st := parseObj(t, validSamples[5])
	if s, ok := Statement(st); !ok || s != "Copyright The MITRE Corporation." {
		t.Errorf("Statement = %q, %v", s, ok)
	}
}

func TestCount(t *testing.T) {
	objs, _ := ReadBundle(strings.NewReader(importBundle))
	c := Count(objs)
	if c.Total != 9 || c.ByType["indicator"] != 5 || c.Revoked != 1 || c.SortedTypes()[0] != "indicator" {
		t.Errorf("counts = %+v", c)
	}
}
