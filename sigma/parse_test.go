package sigma

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseDocumentErrors(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		line int
		want string
	}{
		{"- a\n- b\n", 1, "must be a YAML map"},
		{"title: x\n", 1, "no 'detection', 'correlation' or 'filter'"},
		{"detection:\n    sel: {F: x}\n    condition: sel\n", 1, "missing title"},
		{"title: [a]\ndetection: {}\n", 1, "title must be a string"},
		{"title: x\nlevel: severe\ndetection: {sel: {F: x}, condition: sel}\n", 2, "unknown level"},
		{"title: x\nlogsource: windows\ndetection: {sel: {F: x}, condition: sel}\n", 2, "logsource must be a map"},
		{"title: x\ntags: {a: b}\ndetection: {sel: {F: x}, condition: sel}\n", 2, "tags must be a string or a list"},
		{"title: x\ndetection: [a]\n", 2, "detection must be a map"},
		{"title: x\ndetection:\n    sel: {F: x}\n", 3, "detection has no condition"},
		{"title: x\ndetection:\n    sel: {F: x}\n    sel: {F: y}\n    condition: sel\n", 4, `"sel" defined twice`},
		{"title: x\ndetection:\n    sel: []\n    condition: sel\n", 3, `search "sel" is empty`},
		{"title: x\ndetection:\n    sel: {}\n    condition: sel\n", 3, "empty map"},
		{"title: x\ndetection:\n    sel:\n        F: []\n    condition: sel\n", 4, "empty list of values"},
		{"title: x\ndetection:\n    sel:\n        F: {a: b}\n    condition: sel\n", 4, "value must be a scalar or a list"},
		{"title: x\ndetection:\n    sel:\n        F: [[a]]\n    condition: sel\n", 4, "values must be scalars"},
		{"title: x\ndetection:\n    sel:\n        - [a]\n    condition: sel\n", 4, "a list may hold maps"},
		{"title: x\ndetection:\n    sel:\n        '|all': [a]\n        '|contains': [b]\n    condition: sel\n", 5, "only one field-less"},
		{"title: x\naction: global\ndetection: {sel: {F: x}, condition: sel}\n", 2, "'action'"},
		{"title: x\ndetection:\n  sel: {F: x}\n condition: sel\n", 3, "invalid YAML"},
		{"title: x\ndetection:\n\tsel: {F: x}\n", 3, "invalid YAML"},
	} {
		docs := Parse("p.yml", []byte(tc.doc))
		if len(docs) != 1 || docs[0].Err == nil {
			t.Errorf("%q: %+v, want one error", tc.doc, docs)
			continue
		}
		err := docs[0].Err
		if !strings.Contains(err.Msg, tc.want) || err.Line != tc.line || err.Path != "p.yml" {
			t.Errorf("%q: error %v (line %d), want line %d %q", tc.doc, err, err.Line, tc.line, tc.want)
		}
	}
	big := make([]byte, maxDocumentSize+1)
	if docs := Parse("big.yml", big); len(docs) != 1 || docs[0].Err == nil || !strings.Contains(docs[0].Err.Msg, "limit") {
		t.Errorf("oversized file: %+v", docs)
	}
}

// TestParseKeepsGoing checks that one broken document does not hide the
// others of its file, and that broken documents keep their metadata.
func TestParseKeepsGoing(t *testing.T) {
	docs := Parse("multi.yml", []byte(`title: first
id: id-1
detection:
    sel: {F: x}
---
title: second
detection:
    sel: {F: x}
    condition: sel
---
---
title: third
detection:
    sel: {F: y}
    condition: sel
`))
	if len(docs) != 3 || docs[0].Err == nil || docs[1].Rule == nil || docs[2].Rule == nil {
		t.Fatalf("documents: %+v", docs)
	}
	if docs[0].Meta.Title != "first" || docs[0].Meta.ID != "id-1" {
		t.Errorf("broken document's metadata: %+v", docs[0].Meta)
	}
	if docs[2].Rule.Line != 12 || docs[2].Rule.Path != "multi.yml" {
		t.Errorf("third rule located at %s:%d", docs[2].Rule.Path, docs[2].Rule.Line)
	}
	rs := Compile(docs, Options{})
	if rs.Loaded() != 2 || len(rs.Failed()) != 1 || rs.Failed()[0].Title != "first" || rs.Failed()[0].Line == 0 {
		t.Errorf("loaded %d, failed %+v", rs.Loaded(), rs.Failed())
	}
}

func TestParseMeta(t *testing.T) {
	docs := Parse("m.yml", []byte(`title: Meta
id: 8f0d8e2c-0000-4000-8000-000000000000
name: meta_rule
status: test
description: d
author: me
license: DRL
references: https://example.com/a
date: 2024-01-02
modified: 2024/02/03
tags:
    - attack.execution
    - attack.t1059.001
    - ATTACK.G0016
    - car.2016-04-005
level: Info
falsepositives: none
fields: [CommandLine, User]
related:
    - id: 11111111-0000-4000-8000-000000000000
      type: derived
logsource:
    product: windows
    category: process_creation
    definition: 'Requirements: Sysmon'
detection:
    sel: {F: x}
    condition: sel
`))
	if len(docs) != 1 || docs[0].Rule == nil {
		t.Fatalf("%+v", docs)
	}
	m := docs[0].Rule.Meta
	if m.Level != LevelInformational || m.Ref() != m.ID || m.Name != "meta_rule" || m.Date != "2024-01-02" ||
		!slices.Equal(m.References, []string{"https://example.com/a"}) || !slices.Equal(m.Falsepositives, []string{"none"}) ||
		len(m.Related) != 1 || m.Related[0].Type != "derived" || m.Logsource.Definition == "" {
		t.Errorf("meta: %+v", m)
	}
	if got := m.Attack(); !slices.Equal(got, []string{"execution", "t1059.001", "g0016"}) {
		t.Errorf("Attack() = %v", got)
	}
	if got := m.Techniques(); !slices.Equal(got, []string{"T1059.001"}) {
		t.Errorf("Techniques() = %v", got)
	}
	if m.Logsource.String() != "product=windows category=process_creation" || (Logsource{}).String() != "any" {
		t.Errorf("logsource strings: %q", m.Logsource.String())
	}
	for in, want := range map[string]Level{"informational": LevelInformational, "LOW": LevelLow, " medium ": LevelMedium, "high": LevelHigh, "critical": LevelCritical, "": LevelUnknown} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", in, got, err)
		}
	}
	if b, _ := LevelHigh.MarshalText(); string(b) != "high" || Level(42).String() != "level(42)" {
		t.Errorf("level text: %s %s", b, Level(42))
	}
	for _, r := range []Meta{{Title: "t"}, {Title: "t", Name: "n"}} {
		if want := map[bool]string{true: "n", false: "t"}[r.Name != ""]; r.Ref() != want {
			t.Errorf("Ref() = %q, want %q", r.Ref(), want)
		}
	}
}

func TestLogsourceContains(t *testing.T) {
	win := Logsource{Product: "windows"}
	proc := Logsource{Product: "windows", Category: "process_creation"}
	for _, tc := range []struct {
		a, b Logsource
		want bool
	}{
		{Logsource{}, proc, true},
		{win, proc, true},
		{proc, win, false},
		{Logsource{Product: "WINDOWS"}, proc, true},
		{proc, proc, true},
		{Logsource{Product: "linux"}, proc, false},
		{Logsource{Service: "security"}, win, false},
	} {
		if got := tc.a.Contains(tc.b); got != tc.want {
			t.Errorf("%v contains %v: %v", tc.a, tc.b, got)
		}
	}
}

func TestParseFS(t *testing.T) {
	fsys := fstest.MapFS{
		"rules/a.yml":            {Data: []byte(ruleDoc("sel: {F: x}\ncondition: sel\n"))},
		"rules/sub/b.YAML":       {Data: []byte(ruleDoc("sel: {F: y}\ncondition: sel\n"))},
		"rules/readme.md":        {Data: []byte("# not a rule")},
		"rules/.hidden/c.yml":    {Data: []byte("not: [valid")},
		"rules/sub/broken.yml":   {Data: []byte("title: [\n")},
		"rules/sub/multiple.yml": {Data: []byte(ruleDoc("sel: {F: 1}\ncondition: sel\n") + "---\n" + ruleDoc("sel: {F: 2}\ncondition: sel\n"))},
	}
	docs, err := ParseFS(fsys, "rules")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, d := range docs {
		paths = append(paths, docPath(d))
	}
	want := []string{"rules/a.yml", "rules/sub/b.YAML", "rules/sub/broken.yml", "rules/sub/multiple.yml", "rules/sub/multiple.yml"}
	if !slices.Equal(paths, want) {
		t.Errorf("documents from %v, want %v", paths, want)
	}
	if _, err := ParseFS(fsys, "nosuch"); err == nil {
		t.Error("missing root: no error")
	}
	if !IsRuleFile("X.YML") || IsRuleFile("x.json") {
		t.Error("IsRuleFile")
	}
}

func TestDuplicateRuleID(t *testing.T) {
	rs := mustCompile(t, ruleDoc("sel: {F: 1}\ncondition: sel\n")+"---\n"+ruleDoc("sel: {F: 2}\ncondition: sel\n"))
	if len(rs.Status[1].Notes) == 0 || !strings.Contains(rs.Status[1].Notes[0], "also used by") {
		t.Errorf("duplicate id not noted: %+v", rs.Status)
	}
}

func TestEvidence(t *testing.T) {
	rs := mustCompile(t, ruleDoc("sel:\n    CommandLine|contains: 'x'\n    User|exists: false\nkw:\n    - 'needle'\nfilter:\n    F: 'no'\ncondition: sel and kw and not filter\n"))
	long := strings.Repeat("€", 500) + "x" // 1501 bytes
	e := ev("CommandLine", long, "Msg", "a needle here", "F", "yes")
	s := NewScratch()
	s.Reset(e)
	if !rs.Compiled[0].Match(s) {
		t.Fatal("no match")
	}
	got := rs.Compiled[0].Evidence(s)
	var keys []string
	for _, x := range got {
		keys = append(keys, x.Condition+" "+x.Field)
		if x.Field == "CommandLine" {
			if len(x.Value) > maxEvidenceValue+len("…") || !strings.HasSuffix(x.Value, "…") || !strings.HasPrefix(x.Value, "€€") {
				t.Errorf("long value not clipped on a character boundary: %d bytes", len(x.Value))
			}
		}
		if x.Field == "User" && x.Value != "(absent)" {
			t.Errorf("absent field evidence: %+v", x)
		}
	}
	slices.Sort(keys)
	if want := []string{"CommandLine|contains CommandLine", "User|exists User", "keywords Msg"}; !slices.Equal(keys, want) {
		t.Errorf("evidence %v, want %v (a 'not filter' is no evidence)", keys, want)
	}
}
