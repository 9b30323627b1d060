package sigma

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/testdata"
)

const (
	chSysmon   = "Microsoft-Windows-Sysmon/Operational"
	chSecurity = "Security"
)

// winRule is a rule for a Windows log source with one selection.
func winRule(logsource, selection string) string {
	return "title: win\nid: w1\nlogsource: " + logsource + "\ndetection:\n    sel:\n" + indent(selection, "        ") + "    condition: sel\n"
}

func TestResolveProcessCreation(t *testing.T) {
	bs, mapped := DefaultMapping().Resolve(Logsource{Product: "windows", Category: "process_creation"})
	if !mapped || len(bs) != 2 {
		t.Fatalf("process_creation: mapped %v, %d branches %+v; want 2", mapped, len(bs), bs)
	}
	var sysmon, security *Branch
	for i := range bs {
		switch {
		case slices.Equal(bs[i].Channels, []string{chSysmon}):
			sysmon = &bs[i]
		case slices.Equal(bs[i].Channels, []string{chSecurity}):
			security = &bs[i]
		}
	}
	if sysmon == nil || !slices.Equal(sysmon.EventIDs, []string{"1"}) || len(sysmon.FieldMap) != 0 {
		t.Errorf("Sysmon branch: %+v", sysmon)
	}
	if security == nil || !slices.Equal(security.EventIDs, []string{"4688"}) ||
		!slices.Equal(security.FieldMap["Image"], []string{"NewProcessName"}) ||
		!slices.Equal(security.FieldMap["ParentImage"], []string{"ParentProcessName"}) {
		t.Errorf("Security branch: %+v", security)
	}

	rs := mustCompile(t, winRule("{product: windows, category: process_creation}", "Image|endswith: '\\cmd.exe'\nParentImage|endswith: '\\winword.exe'"))
	if len(rs.Compiled) != 2 {
		t.Fatalf("%d compiled branches, want 2", len(rs.Compiled))
	}
	for _, tc := range []struct {
		name string
		e    *event.Event
		want bool
	}{
		{"sysmon 1", evtx("Channel", chSysmon, "EventID", 1, "Image", `C:\Windows\System32\cmd.exe`, "ParentImage", `C:\Office\WINWORD.EXE`), true},
		{"security 4688 with renamed fields", evtx("Channel", chSecurity, "EventID", 4688, "NewProcessName", `C:\Windows\System32\cmd.exe`, "ParentProcessName", `C:\Office\WINWORD.EXE`), true},
		{"channel compared case-insensitively", evtx("Channel", "security", "EventID", 4688, "NewProcessName", `x\cmd.exe`, "ParentProcessName", `x\winword.exe`), true},
		{"security 4688 with Sysmon's field names", evtx("Channel", chSecurity, "EventID", 4688, "Image", `x\cmd.exe`, "ParentImage", `x\winword.exe`), false},
		{"sysmon with Security's field names", evtx("Channel", chSysmon, "EventID", 1, "NewProcessName", `x\cmd.exe`, "ParentProcessName", `x\winword.exe`), false},
		{"sysmon 3", evtx("Channel", chSysmon, "EventID", 3, "Image", `x\cmd.exe`, "ParentImage", `x\winword.exe`), false},
		{"security 4689", evtx("Channel", chSecurity, "EventID", 4689, "NewProcessName", `x\cmd.exe`, "ParentProcessName", `x\winword.exe`), false},
		{"other channel", evtx("Channel", "Application", "EventID", 1, "Image", `x\cmd.exe`, "ParentImage", `x\winword.exe`), false},
		{"no channel", ev("EventID", 1, "Image", `x\cmd.exe`, "ParentImage", `x\winword.exe`), false},
	} {
		if got := matchAny(rs, tc.e); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, c := range rs.Compiled {
		if len(c.Channels) != 1 || len(c.EventIDs) != 1 {
			t.Errorf("index keys of %v: channels %v ids %v", c.Branch.Entries, c.Channels, c.EventIDs)
		}
	}
}

func TestResolveServices(t *testing.T) {
	m := DefaultMapping()
	for _, tc := range []struct {
		service  string
		channels []string
	}{
		{"security", []string{"Security"}},
		{"system", []string{"System"}},
		{"sysmon", []string{chSysmon}},
		{"powershell", []string{"Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational"}},
		{"powershell-classic", []string{"Windows PowerShell"}},
		{"windefend", []string{"Microsoft-Windows-Windows Defender/Operational"}},
		{"SECURITY", []string{"Security"}}, // log source values are case-insensitive
	} {
		bs, mapped := m.Resolve(Logsource{Product: "windows", Service: tc.service})
		if !mapped || len(bs) != 1 || !slices.Equal(bs[0].Channels, tc.channels) || len(bs[0].EventIDs) != 0 {
			t.Errorf("service %s: mapped %v %+v, want channels %v", tc.service, mapped, bs, tc.channels)
		}
	}
	rs := mustCompile(t, winRule("{product: windows, service: security}", "EventID: 4624\nLogonType: 10"))
	if !matchAny(rs, evtx("Channel", "Security", "EventID", 4624, "LogonType", 10)) {
		t.Error("security 4624 not matched")
	}
	if matchAny(rs, evtx("Channel", "System", "EventID", 4624, "LogonType", 10)) {
		t.Error("System channel matched a Security rule")
	}
	// The engine indexes such a rule under its channel and the event id
	// the detection requires.
	if ids, ok := rs.Compiled[0].RequiredValues("EventID"); !ok || !slices.Equal(ids, []string{"4624"}) {
		t.Errorf("RequiredValues(EventID) = %v, %v", ids, ok)
	}

	// A Windows service the mapping does not know still needs a Windows
	// event (one with a Channel), through the product-only entry.
	bs, mapped := m.Resolve(Logsource{Product: "windows", Service: "nosuch"})
	if !mapped || len(bs) != 1 || len(bs[0].Channels) != 0 || !slices.Equal(bs[0].Requires, []string{"Channel"}) {
		t.Errorf("unknown Windows service: mapped %v %+v", mapped, bs)
	}
	rs = mustCompile(t, winRule("{product: windows, service: nosuch}", "F: x"))
	if !matchAny(rs, evtx("Channel", "Whatever", "F", "x")) || matchAny(rs, ev("F", "x")) {
		t.Error("unknown Windows service: want a match only on events with a Channel")
	}
}

func TestResolveRegistry(t *testing.T) {
	m := DefaultMapping()
	bs, _ := m.Resolve(Logsource{Product: "windows", Category: "registry_add"})
	if len(bs) != 1 || !slices.Equal(bs[0].EventIDs, []string{"12"}) ||
		len(bs[0].Conditions) != 1 || bs[0].Conditions[0].Field != "EventType" || !slices.Equal(bs[0].Conditions[0].Values, []string{"CreateKey"}) {
		t.Errorf("registry_add: %+v", bs)
	}
	// registry_event's three event ids differ only in id: one branch.
	bs, _ = m.Resolve(Logsource{Product: "windows", Category: "registry_event"})
	if len(bs) != 1 || !slices.Equal(bs[0].EventIDs, []string{"12", "13", "14"}) {
		t.Errorf("registry_event: %+v", bs)
	}
	rs := mustCompile(t, winRule("{product: windows, category: registry_add}", "TargetObject|contains: '\\Run'"))
	key := `HKLM\Software\Microsoft\Windows\CurrentVersion\Run`
	for _, tc := range []struct {
		e    *event.Event
		want bool
	}{
		{evtx("Channel", chSysmon, "EventID", 12, "EventType", "CreateKey", "TargetObject", key), true},
		{evtx("Channel", chSysmon, "EventID", 12, "EventType", "createkey", "TargetObject", key), true},
		{evtx("Channel", chSysmon, "EventID", 12, "EventType", "DeleteKey", "TargetObject", key), false},
		{evtx("Channel", chSysmon, "EventID", 12, "TargetObject", key), false},
		{evtx("Channel", chSysmon, "EventID", 13, "EventType", "CreateKey", "TargetObject", key), false},
	} {
		if got := matchAny(rs, tc.e); got != tc.want {
			t.Errorf("%v: got %v, want %v", tc.e.Fields, got, tc.want)
		}
	}
	rs = mustCompile(t, winRule("{product: windows, category: registry_delete}", "TargetObject|contains: '\\Run'"))
	if !matchAny(rs, evtx("Channel", chSysmon, "EventID", 12, "EventType", "DeleteValue", "TargetObject", key)) ||
		matchAny(rs, evtx("Channel", chSysmon, "EventID", 12, "EventType", "CreateKey", "TargetObject", key)) {
		t.Error("registry_delete: want DeleteValue, not CreateKey")
	}
}

func TestResolveOtherProducts(t *testing.T) {
	m := DefaultMapping()
	// A category entry for a product also serves rules that name none.
	bs, mapped := m.Resolve(Logsource{Category: "antivirus"})
	if !mapped || len(bs) != 1 || !slices.Equal(bs[0].Channels, []string{"Microsoft-Windows-Windows Defender/Operational"}) {
		t.Errorf("antivirus: %v %+v", mapped, bs)
	}
	// Several entries of one category: one branch each, with their own
	// formats and field names.
	bs, _ = m.Resolve(Logsource{Category: "dns"})
	if len(bs) != 2 {
		t.Fatalf("dns: %+v", bs)
	}
	rs := mustCompile(t, winRule("{category: dns}", "query|endswith: '.evil.com'"))
	eve := ev("event_type", "dns", "dns.rrname", "x.EVIL.com")
	eve.Source.Format = "eve"
	if !matchAny(rs, eve) {
		t.Error("dns rule: EVE event with dns.rrname not matched")
	}
	zeek := ev("_path", "dns", "query", "x.evil.com")
	zeek.Source.Format = "zeek"
	if !matchAny(rs, zeek) {
		t.Error("dns rule: Zeek event not matched")
	}
	zeek.Fields[0].Value = event.String("http")
	if matchAny(rs, zeek) {
		t.Error("dns rule: Zeek http log matched")
	}
	// Linux services are told apart by program name, in syslog only.
	rs = mustCompile(t, winRule("{product: linux, service: sshd}", "msg|contains: 'Failed password'"))
	sys := ev("app_name", "sshd", "msg", "Failed password for root")
	sys.Source.Format = "syslog"
	if !matchAny(rs, sys) {
		t.Error("sshd rule: syslog event not matched")
	}
	if matchAny(rs, ev("app_name", "sshd", "msg", "Failed password for root")) {
		t.Error("sshd rule: jsonl event matched")
	}
	// A product-only entry constrains its rules to its formats.
	bs, mapped = m.Resolve(Logsource{Product: "macos", Category: "process_creation"})
	if !mapped || len(bs) != 1 || !slices.Equal(bs[0].Formats, []string{"jsonl"}) || len(bs[0].Channels) != 0 {
		t.Errorf("macos process_creation: %v %+v", mapped, bs)
	}
}

// TestUnmappedLogsource checks the documented constraint on log sources
// the mapping does not cover: they run on the unmapped formats (never on
// Windows event logs), are reported, and still match there.
func TestUnmappedLogsource(t *testing.T) {
	m := DefaultMapping()
	bs, mapped := m.Resolve(Logsource{Product: "nosuch", Category: "nothing"})
	if mapped || len(bs) != 1 || !slices.Equal(bs[0].Formats, m.UnmappedFormats) || len(bs[0].Channels) != 0 {
		t.Errorf("unmapped: mapped %v %+v", mapped, bs)
	}
	rs := mustCompile(t, winRule("{product: nosuch, category: nothing}", "F: x"))
	if !rs.Status[0].Unmapped || !strings.Contains(strings.Join(rs.Status[0].Notes, "\n"), "not in the mapping") {
		t.Errorf("unmapped rule status: %+v", rs.Status[0])
	}
	if !matchAny(rs, ev("F", "x")) {
		t.Error("unmapped rule: jsonl event not matched")
	}
	if matchAny(rs, evtx("Channel", "Security", "F", "x")) {
		t.Error("unmapped rule matched a Windows event")
	}
	// No log source at all: the same constraint, without a note.
	rs = mustCompile(t, ruleDoc("sel:\n    F: x\ncondition: sel\n"))
	if !rs.Status[0].Unmapped || len(rs.Status[0].Notes) != 0 {
		t.Errorf("rule without log source: %+v", rs.Status[0])
	}
	// A mapping without unmapped_formats leaves such rules unconstrained.
	rs = compileYAML(t, winRule("{product: nosuch}", "F: x"), Options{Mapping: &Mapping{}})
	if !matchAny(rs, evtx("F", "x")) {
		t.Error("empty mapping: rule constrained")
	}
}

func TestParseMappingErrors(t *testing.T) {
	for _, data := range []string{
		"logsources: [a, b]\n",
		"logsources:\n  x: [1]\n",
		"title: [\n",
	} {
		if _, err := ParseMapping("m.yml", []byte(data)); err == nil {
			t.Errorf("%q: no error", data)
		}
	}
	// Global field mappings apply to every entry; an entry's own win.
	m, err := ParseMapping("m.yml", []byte(`
fieldmappings: {Image: image_path, User: user.name}
logsources:
  a: {category: process_creation, product: windows, fieldmappings: {User: account}}
placeholders:
  admins: [root, "adm_*"]
`))
	if err != nil {
		t.Fatal(err)
	}
	e := m.Entries[0]
	if !slices.Equal(e.FieldMappings["Image"], []string{"image_path"}) || !slices.Equal(e.FieldMappings["User"], []string{"account"}) {
		t.Errorf("field mappings: %v", e.FieldMappings)
	}
	if !slices.Equal(m.Placeholders["admins"], []string{"root", "adm_*"}) {
		t.Errorf("placeholders: %v", m.Placeholders)
	}
	rs := compileYAML(t, winRule("{product: windows, category: process_creation}", "Image: x\nUser|expand: '%admins%'"), Options{Mapping: m})
	if !matchAny(rs, ev("image_path", "X", "account", "adm_1")) {
		t.Error("custom mapping: renamed fields and placeholders not applied")
	}
}

// TestThorMapping reads SigmaHQ's thor.yml (the layout the default mapping
// follows) and checks that, for every Windows category it lists, it
// resolves to the same constraints as the default mapping: the same events
// pass. The default mapping may accept more (file_delete adds Sysmon's
// event 26).
func TestThorMapping(t *testing.T) {
	path := testdata.Path(t, "sigma", "thor.yml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	thor, err := ParseMapping(path, data)
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultMapping()
	cats := map[string]bool{}
	for _, e := range thor.Entries {
		if e.Category != "" && e.Product == "windows" {
			cats[e.Category] = true
		}
	}
	if len(cats) < 30 {
		t.Fatalf("thor.yml has only %d Windows categories", len(cats))
	}
	extra := map[string]bool{"file_delete": true}
	for cat := range cats {
		ls := Logsource{Product: "windows", Category: cat}
		tb, tmapped := thor.Resolve(ls)
		db, dmapped := def.Resolve(ls)
		if !tmapped || !dmapped {
			t.Errorf("%s: mapped by thor %v, by default %v", cat, tmapped, dmapped)
			continue
		}
		// The events to try: every channel, event id and condition value
		// either mapping mentions.
		var chans, ids []string
		conds := map[string][]string{}
		for _, b := range append(slices.Clone(tb), db...) {
			chans = append(chans, b.Channels...)
			ids = append(ids, b.EventIDs...)
			for _, c := range b.Conditions {
				conds[c.Field] = append(conds[c.Field], c.Values...)
			}
		}
		hits := 0
		for _, e := range probeEvents(chans, ids, conds) {
			tm, dm := branchesMatch(tb, e), branchesMatch(db, e)
			if tm && !dm || dm && !tm && !extra[cat] {
				t.Errorf("%s: %v: thor %v, default %v", cat, e.Fields, tm, dm)
			}
			if tm {
				hits++
			}
		}
		if hits == 0 {
			t.Errorf("%s: no probe event passes thor's constraints", cat)
		}
		// Field mappings: the same renames.
		if tf, df := fieldMaps(tb), fieldMaps(db); tf != df {
			t.Errorf("%s: field mappings differ: thor %s, default %s", cat, tf, df)
		}
	}
}

func probeEvents(chans, ids []string, conds map[string][]string) []*event.Event {
	chans = dedup(append(chans, "Other"))
	ids = dedup(append(ids, "999"))
	fields := make([]string, 0, len(conds))
	for f := range conds {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var out []*event.Event
	for _, ch := range chans {
		for _, id := range ids {
			base := evtx("Channel", ch, "EventID", id)
			out = append(out, base)
			for _, f := range fields {
				for _, v := range dedup(append(conds[f], "other")) {
					e := base.Clone()
					e.Add(f, event.String(v))
					out = append(out, e)
				}
			}
		}
	}
	return out
}

func branchesMatch(bs []Branch, e *event.Event) bool {
	s := NewScratch()
	s.Reset(e)
	for i := range bs {
		if compileBranch(&bs[i]).eval(s) {
			return true
		}
	}
	return false
}

func fieldMaps(bs []Branch) string {
	var out []string
	for _, b := range bs {
		var kv []string
		for k, v := range b.FieldMap {
			kv = append(kv, fmt.Sprintf("%s=%v", k, v))
		}
		sort.Strings(kv)
		out = append(out, strings.Join(kv, ","))
	}
	sort.Strings(out)
	return strings.Join(dedup(out), ";")
}

func dedup(ss []string) []string {
	ss = slices.Clone(ss)
	sort.Strings(ss)
	return slices.Compact(ss)
}
