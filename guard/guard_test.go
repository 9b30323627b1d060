package guard

import (
	"strings"
	"testing"
)

// stubScanner reports every occurrence of a word as a finding.
type stubScanner struct {
	word     string
	category Category
	score    float64
}

func (s stubScanner) Name() string { return "stub-" + s.word }

func (s stubScanner) Scan(seg Segment) []Finding {
	var fs []Finding
	for at := 0; ; {
		i := strings.Index(seg.Text[at:], s.word)
		if i < 0 {
			return fs
		}
		start := at + i
		fs = append(fs, Finding{Scanner: s.Name(), Category: s.category, Kind: s.word, Score: s.score,
			Start: start, End: start + len(s.word), Match: s.word})
		at = start + len(s.word)
	}
}

// wholeScanner scores the whole segment.
type wholeScanner struct {
	category Category
	score    float64
}

func (s wholeScanner) Name() string { return "whole" }
func (s wholeScanner) Scan(Segment) []Finding {
	return []Finding{{Scanner: "whole", Category: s.category, Kind: string(s.category), Score: s.score}}
}

func TestCheck(t *testing.T) {
	secret := stubScanner{word: "hunter2", category: Secret, score: 0.9}
	tests := []struct {
		name     string
		scanners []Scanner
		segs     []Segment
		action   Action
		text     string // first segment after redaction
	}{
		{"clean", []Scanner{secret}, []Segment{{Role: RoleUser, Text: "hello"}}, Allow, "hello"},
		{"redact", []Scanner{secret}, []Segment{{Role: RoleUser, Text: "pw hunter2 and hunter2."}}, Redact,
			"pw [REDACTED:hunter2] and [REDACTED:hunter2]."},
		{"below threshold", []Scanner{wholeScanner{Injection, 0.2}}, []Segment{{Role: RoleUser, Text: "x"}}, Allow, "x"},
		{"block", []Scanner{secret, wholeScanner{Injection, 0.95}}, []Segment{{Role: RoleUser, Text: "hunter2"}}, Block, "[REDACTED:hunter2]"},
		{"system prompt not scanned for injection", []Scanner{wholeScanner{Injection, 0.99}},
			[]Segment{{Role: RoleSystem, Text: "ignore"}}, Allow, "ignore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := New(nil, tt.scanners...).Check("", tt.segs)
			if v.Action != tt.action {
				t.Errorf("action %s, want %s (findings %+v)", v.Action, tt.action, v.Findings)
			}
			if got := v.Segments[0].Text; got != tt.text {
				t.Errorf("text %q, want %q", got, tt.text)
			}
			if v.Flagged != (tt.action != Allow) {
				t.Errorf("flagged %v with action %s", v.Flagged, v.Action)
			}
		})
	}
}

func TestScoresAlwaysPresent(t *testing.T) {
	v := New(nil).CheckText("", "hi")
	for _, c := range ModelCategories {
		if _, ok := v.Scores[c]; !ok {
			t.Errorf("no score for %s", c)
		}
	}
}

func TestPolicyOverrides(t *testing.T) {
	p, err := ParsePolicy(strings.NewReader(`
default:
  secret: {action: flag}
apps:
  helpdesk:
    secret: {allow: ["hunter2"]}
    injection: {threshold: 0.99}
`))
	if err != nil {
		t.Fatal(err)
	}
	g := New(p, stubScanner{word: "hunter2", category: Secret, score: 0.9}, wholeScanner{Injection, 0.95})
	if v := g.Check("", []Segment{{Role: RoleUser, Text: "hunter2"}}); v.Action != Block || v.Findings[0].Action != Flag {
		t.Errorf("default app: %s %+v", v.Action, v.Findings)
	}
	if v := g.Check("helpdesk", []Segment{{Role: RoleUser, Text: "hunter2"}}); v.Action != Allow {
		t.Errorf("helpdesk: %s %+v", v.Action, v.Findings)
	}
	for _, bad := range []string{
		"default: {nope: {action: block}}",
		"default: {secret: {action: shout}}",
		"default: {secret: {threshold: 2}}",
		"apps: {x: {pii: {allow: ['re:(']}}}",
		"defaults: {}",
	} {
		if _, err := ParsePolicy(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestRedactOverlap(t *testing.T) {
	got := RedactText("abcdefgh", []Finding{{Kind: "a", Start: 1, End: 4}, {Kind: "b", Start: 3, End: 6}, {Kind: "c", Start: 0, End: 0}})
	if want := "a[REDACTED:a][REDACTED:b]gh"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"", "default: {secret: {action: flag}}", "apps: {a: {pii: {allow: ['*.x.com', 're:^a+$']}}}", "default: {injection: {threshold: 0.7, roles: [user]}}", "- x", "{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePolicy(strings.NewReader(s))
		if err != nil {
			return
		}
		// A policy that parses must run.
		New(p, stubScanner{word: "x", category: Secret, score: 1}).Check("a", []Segment{{Role: RoleUser, Text: "x y x"}})
	})
}
