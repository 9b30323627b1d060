package assist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/spotlight"
)

// Summary is a case summary. Next steps carry the ids of the evidence
// they rest on; ids the model made up are kept apart and the step is
// marked, so the UI can show the claim as unsupported.
type Summary struct {
	WhatHappened string `json:"what_happened"`
	WhyItMatters string `json:"why_it_matters"`
	NextSteps    []Step `json:"next_steps"`
	// Source is SourceModel or SourceOffline.
	Source string `json:"source"`
	Model  string `json:"model,omitempty"`
	// Note says why a summary is offline, or what was wrong with the
	// model's answer.
	Note string `json:"note,omitempty"`
	// InvalidCitations are ids the text cites that the evidence does not
	// hold.
	InvalidCitations []string `json:"invalid_citations,omitempty"`
	// Spotlight says what evidence went to the model and what the guard
	// held back (suspected injection in the logs).
	Spotlight spotlight.Report `json:"spotlight"`
	Usage     copilot.Usage    `json:"usage"`
}

// Step is one recommended next step.
type Step struct {
	Text string `json:"text"`
	// Citations are the ids ("alert:12", "event:345") it cites that the
	// evidence holds.
	Citations []string `json:"citations"`
	// Invalid are the ids it cites that the evidence does not hold.
	Invalid []string `json:"invalid,omitempty"`
	// Unsupported marks a step that cites an id the evidence does not
	// hold, or nothing at all.
	Unsupported bool `json:"unsupported,omitempty"`
}

// modelSummary is the JSON shape the model must answer in.
type modelSummary struct {
	WhatHappened string `json:"what_happened"`
	WhyItMatters string `json:"why_it_matters"`
	NextSteps    []struct {
		Text      string   `json:"text"`
		Citations []string `json:"citations"`
	} `json:"next_steps"`
}

const summaryFormat = `Answer with one JSON object and nothing else, in this shape:
{"what_happened": "...", "why_it_matters": "...", "next_steps": [{"text": "...", "citations": ["alert:12", "event:345"]}]}
what_happened tells the story of the case in a few sentences; why_it_matters says what is at stake and how sure the evidence is; next_steps are two to five concrete steps for the analyst. Every step cites the ids of the records it rests on, exactly as they appear in square brackets in the evidence ("case:3", "alert:12", "event:345"). Cite only ids shown in the evidence.`

// Summarize summarizes a case from its evidence. Without a usable model
// (none, an error, the budget spent, two answers that are not the JSON
// asked for, or an answer the guard withholds) it returns the offline
// summary with a note.
func (a *Assistant) Summarize(ctx context.Context, ev copilot.Evidence) (Summary, error) {
	ss := a.cfg.Spotlight.Begin()
	evidence := ss.Render(spotlight.EvidenceRecords(ev)...)
	if ev.Truncated {
		evidence += "(The case has more alerts and events than shown.)\n"
	}
	msgs := []copilot.Message{
		{Role: copilot.RoleSystem, Content: assistantRole + "\n\n" + ss.SystemPrompt() + "\n\n" + summaryFormat},
		{Role: copilot.RoleUser, Content: "Summarize this case.\n\nEvidence:\n" + evidence},
	}
	var usage copilot.Usage
	var note string
	for attempt := 0; attempt < 2; attempt++ {
		resp, err := a.complete(ctx, a.request(FeatureSummary, msgs))
		addUsage(&usage, resp.Usage)
		if err != nil {
			n, ok := fallbackNote(ctx, err)
			if !ok {
				return Summary{}, err
			}
			return a.offlineSummary(ctx, ev, n, ss.Report(), usage)
		}
		s, perr := parseSummary(resp.Message.Content)
		if perr == nil {
			if blocked := a.checkSummaryOutput(&s); blocked {
				return a.offlineSummary(ctx, ev, "the guard withheld the model's answer (it tried to put data in a link); answered offline", ss.Report(), usage)
			}
			checkCitations(&s, spotlight.EvidenceIDs(ev))
			s.Source, s.Model, s.Usage, s.Spotlight = SourceModel, resp.Model, usage, ss.Report()
			return s, nil
		}
		note = perr.Error()
		msgs = append(msgs, resp.Message, copilot.Message{Role: copilot.RoleUser,
			Content: "That answer was not usable: " + perr.Error() + ". Answer again with only the JSON object in the shape asked for."})
	}
	return a.offlineSummary(ctx, ev, "the model's answer was not valid JSON ("+note+"); answered offline", ss.Report(), usage)
}

func (a *Assistant) offlineSummary(ctx context.Context, ev copilot.Evidence, note string, rep spotlight.Report, usage copilot.Usage) (Summary, error) {
	if a.cfg.Offline == nil {
		return Summary{}, errors.New("assist: summary: " + note + " (no offline summary configured)")
	}
	s, err := a.cfg.Offline(ctx, ev)
	if err != nil {
		return Summary{}, fmt.Errorf("assist: offline summary: %w", err)
	}
	s.Source, s.Note, s.Usage = SourceOffline, note, usage
	if rep.Sent > 0 || len(rep.Suspects) > 0 {
		s.Spotlight = rep // the suspects are worth showing even offline
	}
	return s, nil
}

// parseSummary reads the model's JSON, tolerating a code fence or words
// around the object.
func parseSummary(text string) (Summary, error) {
	obj, ok := jsonObject(text)
	if !ok {
		return Summary{}, errors.New("no JSON object found")
	}
	var m modelSummary
	dec := json.NewDecoder(strings.NewReader(obj))
	if err := dec.Decode(&m); err != nil {
		return Summary{}, fmt.Errorf("invalid JSON: %v", err)
	}
	if strings.TrimSpace(m.WhatHappened) == "" {
		return Summary{}, errors.New("what_happened is missing")
	}
	s := Summary{WhatHappened: strings.TrimSpace(m.WhatHappened), WhyItMatters: strings.TrimSpace(m.WhyItMatters), NextSteps: []Step{}}
	for _, st := range m.NextSteps {
		if strings.TrimSpace(st.Text) == "" {
			continue
		}
		s.NextSteps = append(s.NextSteps, Step{Text: strings.TrimSpace(st.Text), Citations: st.Citations})
	}
	return s, nil
}

// jsonObject returns the text from the first '{' to the last '}'.
func jsonObject(text string) (string, bool) {
	i, j := strings.IndexByte(text, '{'), strings.LastIndexByte(text, '}')
	if i < 0 || j < i {
		return "", false
	}
	return text[i : j+1], true
}

var citationRef = regexp.MustCompile(`(?i)\b(case|alert|event)\s*:\s*(\d+)\b`)

// normalizeCitation turns "[Alert: 12]" into "alert:12"; it returns "" for
// something that is not an id at all.
func normalizeCitation(c string) string {
	m := citationRef.FindStringSubmatch(c)
	if m == nil {
		return ""
	}
	return strings.ToLower(m[1]) + ":" + m[2]
}

// checkCitations keeps the citations the evidence holds, and marks steps
// and text that cite anything else.
func checkCitations(s *Summary, valid map[string]bool) {
	for i := range s.NextSteps {
		st := &s.NextSteps[i]
		var good, bad []string
		for _, c := range st.Citations {
			n := normalizeCitation(c)
			switch {
			case n != "" && valid[n]:
				if !slices.Contains(good, n) {
					good = append(good, n)
				}
			case strings.TrimSpace(c) != "":
				bad = append(bad, strings.TrimSpace(c))
			}
		}
		if good == nil {
			good = []string{}
		}
		st.Citations, st.Invalid = good, bad
		st.Unsupported = len(bad) > 0 || len(good) == 0
		for _, m := range citationRef.FindAllString(st.Text, -1) {
			if n := normalizeCitation(m); !valid[n] {
				st.Unsupported = true
				st.Invalid = appendOnce(st.Invalid, n)
			}
		}
	}
	for _, text := range []string{s.WhatHappened, s.WhyItMatters} {
		for _, m := range citationRef.FindAllString(text, -1) {
			if n := normalizeCitation(m); !valid[n] {
				s.InvalidCitations = appendOnce(s.InvalidCitations, n)
			}
		}
	}
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// checkSummaryOutput runs the guard over what the model wrote, applying
// redactions, and reports whether any part must be withheld.
func (a *Assistant) checkSummaryOutput(s *Summary) (blocked bool) {
	check := func(text *string) {
		out, b, _ := a.cfg.Spotlight.CheckOutput(*text)
		*text = out
		blocked = blocked || b
	}
	check(&s.WhatHappened)
	check(&s.WhyItMatters)
	for i := range s.NextSteps {
		check(&s.NextSteps[i].Text)
	}
	return blocked
}
