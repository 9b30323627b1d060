package sigma

import (
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/event"
)

// Two process-creation rules and a Security rule; each fires on "x" in
// CommandLine (or in TargetUserName for the Security one).
const filterRules = `title: rule one
id: 11111111-1111-1111-1111-111111111111
name: rule_one
logsource: {product: windows, category: process_creation}
detection:
    sel:
        CommandLine|contains: x
    condition: sel
---
title: rule two
id: 22222222-2222-2222-2222-222222222222
name: rule_two
logsource: {product: windows, category: process_creation}
detection:
    sel:
        CommandLine|contains: x
    condition: 1 of them
---
title: rule three
id: 33333333-3333-3333-3333-333333333333
logsource: {product: windows, service: security}
detection:
    sel:
        TargetUserName|contains: x
    condition: sel
`

func filterDoc(logsource, rules, body string) string {
	return "---\ntitle: a filter\nlogsource: " + logsource + "\nfilter:\n    rules: " + rules + "\n" + indent(body, "    ")
}

const notAdmin = "adm:\n    User|startswith: adm_\ncondition: not adm\n"

// firing returns the titles of the rules that match e.
func firing(rs *RuleSet, e *event.Event) string {
	s := NewScratch()
	s.Reset(e)
	seen := map[string]bool{}
	var out []string
	for _, c := range rs.Compiled {
		if c.Match(s) && !seen[c.Rule.Title] {
			seen[c.Rule.Title] = true
			out = append(out, c.Rule.Title)
		}
	}
	return strings.Join(out, ",")
}

var (
	procAdmin = evtx("Channel", chSysmon, "EventID", 1, "CommandLine", "x", "User", "adm_bob")
	procUser  = evtx("Channel", chSysmon, "EventID", 1, "CommandLine", "x", "User", "bob")
	secAdmin  = evtx("Channel", "Security", "EventID", 4624, "TargetUserName", "x", "User", "adm_bob")
)

func TestFilters(t *testing.T) {
	for _, tc := range []struct {
		name, filter        string
		admin, user, secAdm string // rules firing on procAdmin, procUser, secAdmin
	}{
		{"no filter", "",
			"rule one,rule two", "rule one,rule two", "rule three"},
		{"by id", filterDoc("{product: windows}", "[11111111-1111-1111-1111-111111111111]", notAdmin),
			"rule two", "rule one,rule two", "rule three"},
		{"by name", filterDoc("{product: windows}", "rule_two", notAdmin),
			"rule one", "rule one,rule two", "rule three"},
		{"by id and name", filterDoc("{product: windows}", "[rule_two, 11111111-1111-1111-1111-111111111111]", notAdmin),
			"", "rule one,rule two", "rule three"},
		{"any rule of the log source", filterDoc("{product: windows, category: process_creation}", "any", notAdmin),
			"", "rule one,rule two", "rule three"},
		{"all is any", filterDoc("{product: windows, category: process_creation}", "all", notAdmin),
			"", "rule one,rule two", "rule three"},
		{"an empty list is any", filterDoc("{product: windows}", "[]", notAdmin),
			"", "rule one,rule two", ""},
		{"a broader log source contains the rule's", filterDoc("{product: Windows}", "any", notAdmin),
			"", "rule one,rule two", ""},
		{"another category", filterDoc("{product: windows, category: image_load}", "any", notAdmin),
			"rule one,rule two", "rule one,rule two", "rule three"},
		{"another product", filterDoc("{product: linux}", "[rule_one]", notAdmin),
			"rule one,rule two", "rule one,rule two", "rule three"},
		{"a rule named but outside the log source", filterDoc("{product: windows, service: security}", "[rule_one]", notAdmin),
			"rule one,rule two", "rule one,rule two", "rule three"},
		{"an unknown rule", filterDoc("{product: windows}", "[nosuch]", notAdmin),
			"rule one,rule two", "rule one,rule two", "rule three"},
		// The filter's condition is ANDed to the rule's, whatever it says.
		{"a positive condition restricts", filterDoc("{product: windows}", "any", "adm:\n    User|startswith: adm_\ncondition: adm\n"),
			"rule one,rule two", "", "rule three"},
		{"two filters", filterDoc("{product: windows}", "[rule_one]", notAdmin) + filterDoc("{product: windows}", "[rule_one]", "b:\n    User: bob\ncondition: not b\n"),
			"rule two", "rule two", "rule three"},
	} {
		rs := mustCompile(t, filterRules+tc.filter)
		for _, x := range []struct {
			e    *event.Event
			want string
		}{{procAdmin, tc.admin}, {procUser, tc.user}, {secAdmin, tc.secAdm}} {
			if got := firing(rs, x.e); got != x.want {
				t.Errorf("%s: %v fires %q, want %q", tc.name, x.e.Fields, got, x.want)
			}
		}
	}
}

// TestFilterNamespaces checks that a rule's "1 of them" does not see the
// searches of a filter, nor a filter's "them" the rule's.
func TestFilterNamespaces(t *testing.T) {
	rs := mustCompile(t, filterRules+filterDoc("{product: windows}", "[rule_two]", "other:\n    User: bob\ncondition: not 1 of them\n"))
	if got := firing(rs, procUser); got != "rule one" {
		t.Errorf("bob: %q", got)
	}
	if got := firing(rs, evtx("Channel", chSysmon, "EventID", 1, "CommandLine", "zzz", "User", "alice")); got != "" {
		t.Errorf("no x: %q (the filter's searches leaked into the rule's 'them')", got)
	}
}

// TestFilterFieldMapping checks that a filter is compiled for each branch
// with the branch's field names: Security's 4688 calls Image NewProcessName.
func TestFilterFieldMapping(t *testing.T) {
	rs := mustCompile(t, filterRules+filterDoc("{product: windows, category: process_creation}", "any", "legit:\n    Image|endswith: '\\legit.exe'\ncondition: not legit\n"))
	sec := evtx("Channel", "Security", "EventID", 4688, "CommandLine", "x", "NewProcessName", `C:\legit.exe`)
	if got := firing(rs, sec); got != "" {
		t.Errorf("4688 of the filtered image fires %q", got)
	}
	sec.Fields[3].Value = event.String(`C:\evil.exe`)
	if got := firing(rs, sec); got != "rule one,rule two" {
		t.Errorf("4688 of another image fires %q", got)
	}
}

func TestFilterErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"title: f\nlogsource: {product: windows}\nfilter:\n    sel: {User: x}\n    condition: not sel\n", "filter.rules is required"},
		{"title: f\nlogsource: {product: windows}\nfilter:\n    rules: any\n    sel: {User: x}\n", "no condition"},
		{"title: f\nlogsource: {product: windows}\nfilter: [x]\n", "filter must be a map"},
	} {
		docs := Parse("f.yml", []byte(tc.doc))
		if len(docs) != 1 || docs[0].Err == nil || !strings.Contains(docs[0].Err.Error(), tc.want) {
			t.Errorf("got %+v, want an error %q", docs, tc.want)
		}
	}
	// A filter that does not compile fails the rules it applies to, and
	// says which filter.
	rs := compileYAML(t, filterRules+filterDoc("{product: windows}", "[rule_one]", "sel:\n    User: x\ncondition: nosuch\n"), Options{})
	failed := rs.Failed()
	if len(failed) != 1 || failed[0].Title != "rule one" || !strings.Contains(failed[0].Error(), "filter a filter") || !strings.Contains(failed[0].Error(), `"nosuch"`) {
		t.Errorf("failed: %+v", failed)
	}
	if len(rs.Filters) != 1 || rs.Status[len(rs.Status)-1].Kind != "filter" {
		t.Errorf("filter status: %+v", rs.Status)
	}
}
