package offline

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/copilot"
)

// Markdown renders the summary with citations as [alert 12] and
// [event 345].
func (s Summary) Markdown() string {
	var b strings.Builder
	title := fmt.Sprintf("Case %d", s.CaseID)
	if s.Title != "" {
		title += ": " + inline(s.Title, 200)
	}
	b.WriteString("# " + title + "\n")
	section := func(name string, claims []Claim) {
		if len(claims) == 0 {
			return
		}
		b.WriteString("\n## " + name + "\n\n")
		for _, c := range claims {
			b.WriteString("- " + c.Text)
			for _, ref := range c.Citations {
				kind, id, _ := strings.Cut(ref, ":")
				fmt.Fprintf(&b, " [%s %s]", kind, id)
			}
			b.WriteString("\n")
		}
	}
	section("What happened", s.WhatHappened)
	section("Why it matters", s.WhyItMatters)
	section("Next steps", s.NextSteps)
	if s.Truncated {
		b.WriteString("\n_Summary of part of the case: it holds more alerts or events than were read._\n")
	}
	return b.String()
}

// Explain describes an ATT&CK technique in Markdown from what the
// knowledge base holds.
func Explain(t copilot.TechniqueInfo) string {
	var b strings.Builder
	b.WriteString("# " + inline(techniqueLabel(t), 200) + "\n")
	if len(t.Tactics) > 0 {
		names := make([]string, len(t.Tactics))
		for i, tac := range t.Tactics {
			names[i] = tacticName(tac)
		}
		b.WriteString("\nTactics: " + strings.Join(names, ", ") + ".\n")
	}
	if t.Description != "" {
		b.WriteString("\n" + inline(t.Description, 2000) + "\n")
	} else {
		b.WriteString("\nThe ATT&CK knowledge base is not loaded, so only the id is known: import it with `bulwark attack import`.\n")
	}
	if t.Detection != "" {
		b.WriteString("\n## Detection\n\n" + inline(t.Detection, 2000) + "\n")
	}
	if len(t.Mitigations) > 0 {
		b.WriteString("\n## Mitigations\n\n")
		for _, m := range t.Mitigations {
			b.WriteString("- " + inline(m, 600) + "\n")
		}
	}
	if strings.HasPrefix(t.ID, "T") {
		b.WriteString("\nMore: https://attack.mitre.org/techniques/" + strings.ReplaceAll(t.ID, ".", "/") + "/\n")
	}
	return b.String()
}

// Rule describes a rule in Markdown: what it detects, how severe, which
// techniques, and when it fires on benign activity. techniques may be nil.
func Rule(r copilot.RuleInfo, techniques map[string]copilot.TechniqueInfo) string {
	var b strings.Builder
	b.WriteString("# " + inline(r.Title, 200) + "\n\n")
	if r.Level != "" {
		b.WriteString("Level: " + inline(r.Level, 40) + ".")
	}
	if r.ID != "" && r.ID != r.Title {
		b.WriteString(" Id: " + code(r.ID, 80) + ".")
	}
	b.WriteString("\n")
	if r.Description != "" {
		b.WriteString("\n" + inline(r.Description, 2000) + "\n")
	}
	if len(r.Techniques) > 0 {
		b.WriteString("\n## ATT&CK\n\n")
		for _, id := range r.Techniques {
			t, ok := techniques[id]
			if !ok {
				t = copilot.TechniqueInfo{ID: id}
			}
			line := "- " + inline(techniqueLabel(t), 200)
			if t.Description != "" {
				line += ": " + sentence(t.Description, 300)
			}
			b.WriteString(line + "\n")
		}
	}
	if len(r.FalsePositives) > 0 {
		b.WriteString("\n## Known false positives\n\n")
		for _, fp := range r.FalsePositives {
			b.WriteString("- " + inline(fp, 300) + "\n")
		}
	}
	return b.String()
}

// inline makes text from rules, the knowledge base or logs safe to put on
// one Markdown line: control characters and line breaks become spaces,
// and it is bounded to limit bytes.
func inline(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return truncate(strings.Join(strings.Fields(s), " "), limit)
}

// code quotes a value (a command line, a host, a query) as a Markdown
// code span, bounded to limit bytes. Values come from logs an intruder
// writes: a backtick could end the span, so backticks become quotes.
func code(s string, limit int) string {
	s = strings.ReplaceAll(inline(s, limit), "`", "'")
	if s == "" {
		return "``"
	}
	return "`" + s + "`"
}

// sentence returns the first sentence of s, or its first limit bytes.
func sentence(s string, limit int) string {
	s = inline(s, 4*limit)
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && s[i+1] == ' ' && i > 20 && !strings.HasSuffix(strings.ToLower(s[:i]), "e.g") && !strings.HasSuffix(strings.ToLower(s[:i]), "i.e") {
			s = s[:i+1]
			break
		}
	}
	s = truncate(s, limit)
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "…") {
		s += "."
	}
	return s
}

// truncate bounds s to limit bytes at a rune boundary, marking the cut.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := max(0, limit-len("…"))
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
