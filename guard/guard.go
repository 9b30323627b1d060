// Package guard protects a team's own LLM applications. It splits a request
// or response into segments (system prompt, user turns, tool results,
// retrieved documents, model output), runs scanners over each and turns what
// they find into one Verdict through a Policy: allow, flag, redact or block.
//
// Scanners are small and independent: the prompt classifier (injection,
// jailbreak, offensive-cyber misuse) lives in guard/model, the pattern
// scanners (secrets, personal data, hidden Unicode, obfuscation, output
// exfiltration) in guard/pattern. The proxy in guard/proxy and the copilot
// reuse the same Guard.
package guard

import (
	"cmp"
	"slices"
	"strings"
)

// Role says where a segment came from; it decides which scanners apply and
// how far its text is trusted.
type Role string

// Roles of segments. Tool results and retrieved documents carry indirect
// injection; output is what the model wrote.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
	RoleDocument  Role = "document"
	RoleOutput    Role = "output"
)

// Segment is one piece of text to scan.
type Segment struct {
	Role  Role   `json:"role"`
	Where string `json:"where,omitempty"` // where in the request, e.g. "messages[2].content"
	Text  string `json:"-"`
}

// Category groups findings; a Policy has one rule per category.
type Category string

// Categories of findings.
const (
	Injection    Category = "injection"
	Jailbreak    Category = "jailbreak"
	Misuse       Category = "misuse"
	Secret       Category = "secret"
	PII          Category = "pii"
	HiddenText   Category = "hidden_text"
	Obfuscation  Category = "obfuscation"
	Exfiltration Category = "exfiltration"
)

// Categories lists every category in a fixed order.
var Categories = []Category{Injection, Jailbreak, Misuse, Secret, PII, HiddenText, Obfuscation, Exfiltration}

// ModelCategories are the categories the prompt classifier scores; a
// Verdict always carries a score for each.
var ModelCategories = []Category{Injection, Jailbreak, Misuse}

// Finding is one thing a scanner found in one segment.
type Finding struct {
	Scanner  string   `json:"scanner"`
	Category Category `json:"category"`
	Kind     string   `json:"kind"`  // e.g. "aws_access_key", "email", "tag_characters"
	Score    float64  `json:"score"` // confidence in [0, 1]
	Segment  int      `json:"segment"`
	// Start and End are the byte span of the finding in the segment's text;
	// both zero when the finding is about the whole segment.
	Start int `json:"start"`
	End   int `json:"end"`
	// Match is the matched text, kept for allow-lists and redaction. It is
	// never serialised: findings end up in logs and audit records.
	Match  string `json:"-"`
	Detail string `json:"detail,omitempty"` // words for a person; never the secret itself
	Action Action `json:"action,omitempty"` // what the policy decided for this finding
}

// Spanned reports whether the finding covers part of the text rather than
// the whole segment.
func (f Finding) Spanned() bool { return f.End > f.Start }

// Scanner finds problems in one segment. Implementations must be safe for
// concurrent use, must not panic on any input, and should take time linear
// in the length of the text.
type Scanner interface {
	Name() string
	Scan(seg Segment) []Finding
}

// Action is what the policy does about a finding. Actions are ordered:
// the verdict takes the strongest of its findings.
type Action string

// Actions, weakest first.
const (
	Allow  Action = "allow"
	Flag   Action = "flag"
	Redact Action = "redact"
	Block  Action = "block"
)

func (a Action) rank() int {
	switch a {
	case Flag:
		return 1
	case Redact:
		return 2
	case Block:
		return 3
	}
	return 0
}

// Stronger reports whether a outranks b.
func (a Action) Stronger(b Action) bool { return a.rank() > b.rank() }

// Verdict is the outcome of checking a set of segments.
type Verdict struct {
	Action   Action               `json:"action"`
	Flagged  bool                 `json:"flagged"`
	Scores   map[Category]float64 `json:"scores"`
	Findings []Finding            `json:"findings"`
	// Segments holds the segments with redactions applied, in input order;
	// it equals the input when nothing was redacted.
	Segments []Segment `json:"-"`
}

// Guard runs scanners under a policy.
type Guard struct {
	scanners []Scanner
	policy   *Policy
}

// New returns a Guard running scanners under policy (nil: DefaultPolicy).
func New(policy *Policy, scanners ...Scanner) *Guard {
	if policy == nil {
		policy = DefaultPolicy()
	}
	return &Guard{scanners: scanners, policy: policy}
}

// Policy returns the guard's policy.
func (g *Guard) Policy() *Policy { return g.policy }

// Check scans segments on behalf of app (an application or API key name; ""
// for the defaults) and returns the verdict.
func (g *Guard) Check(app string, segs []Segment) Verdict {
	v := Verdict{Action: Allow, Scores: make(map[Category]float64, len(ModelCategories)), Segments: segs}
	for _, c := range ModelCategories {
		v.Scores[c] = 0
	}
	rules := g.policy.rulesFor(app)
	redacted := false
	for i, seg := range segs {
		for _, s := range g.scanners {
			found := s.Scan(seg)
			for _, f := range found {
				f.Segment = i
				if f.Score > v.Scores[f.Category] {
					if _, scored := v.Scores[f.Category]; scored {
						v.Scores[f.Category] = f.Score
					}
				}
				r := rules[f.Category]
				if !r.applies(seg.Role) || f.Score < r.Threshold || r.allowed(f.Match) {
					continue
				}
				f.Action = r.Action
				if f.Action == Redact && !f.Spanned() {
					f.Action = Block // a whole-segment finding cannot be cut out
				}
				if f.Action == Allow {
					continue
				}
				if v.Findings == nil {
					v.Findings = make([]Finding, 0, len(found))
				}
				v.Findings = append(v.Findings, f)
				if f.Action.Stronger(v.Action) {
					v.Action = f.Action
				}
				redacted = redacted || f.Action == Redact
			}
		}
	}
	v.Flagged = v.Action != Allow
	if redacted {
		v.Segments = make([]Segment, len(segs))
		for i, seg := range segs {
			seg.Text = redactSpans(seg.Text, v.Findings, func(f Finding) bool { return f.Segment == i && f.Action == Redact })
			v.Segments[i] = seg
		}
	}
	return v
}

// CheckText checks a single user-role text.
func (g *Guard) CheckText(app, text string) Verdict {
	return g.Check(app, []Segment{{Role: RoleUser, Text: text}})
}

// RedactText replaces each finding's span in text with a marker naming its
// kind. Overlapping spans merge; findings without a span are ignored.
func RedactText(text string, fs []Finding) string {
	return redactSpans(text, fs, func(Finding) bool { return true })
}

// redactSpans is RedactText of the findings keep accepts.
func redactSpans(text string, fs []Finding, keep func(Finding) bool) string {
	type span struct {
		start, end int
		kind       string
	}
	var spans []span
	for _, f := range fs {
		if keep(f) && f.Spanned() && f.Start >= 0 && f.End <= len(text) {
			if spans == nil {
				spans = make([]span, 0, len(fs))
			}
			spans = append(spans, span{f.Start, f.End, f.Kind})
		}
	}
	if len(spans) == 0 {
		return text
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var b strings.Builder
	b.Grow(len(text) + 32*len(spans))
	at := 0
	for _, s := range spans {
		if s.end <= at {
			continue
		}
		if s.start > at {
			b.WriteString(text[at:s.start])
		}
		b.WriteString("[REDACTED:" + s.kind + "]")
		at = s.end
	}
	b.WriteString(text[at:])
	return b.String()
}
