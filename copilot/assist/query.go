package assist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/search"
)

// Query is a search query proposed for a question. It has been parsed but
// not run: the UI shows it to the analyst, who runs it (or edits it).
type Query struct {
	Question string `json:"question"`
	// Query is the query as written; Canonical is search's canonical form
	// of it, relative times resolved.
	Query     string `json:"query"`
	Canonical string `json:"canonical"`
	// Explanation is the model's one-line account of the query.
	Explanation string `json:"explanation,omitempty"`
	// Source is SourceModel, or "grammar" for the built-in translation.
	Source string `json:"source"`
	Model  string `json:"model,omitempty"`
	// Repaired says the model's first query did not parse and the one
	// shown is its second attempt, after seeing the parser's error.
	Repaired bool          `json:"repaired,omitempty"`
	Note     string        `json:"note,omitempty"`
	Usage    copilot.Usage `json:"usage"`
}

// SourceGrammar is the Source of a query from the grammar fallback.
const SourceGrammar = "grammar"

// querySyntax teaches the model the search language: the gist of
// docs/search.md.
const querySyntax = `Translate the analyst's question into one query in Bulwark's event search language.

Syntax:
- field:value matches a field, ignoring case: EventID:4625, TargetUserName:admin. Quote values with spaces: User:"NT AUTHORITY\SYSTEM".
- Wildcards * and ? apply to the whole value: Image:*\powershell.exe, CommandLine:*mimikatz*. field:* means the field is present.
- Comparisons and ranges: DestinationPort:>1024, LogonType:[2 TO 10], AccessMask:>=0x100.
- Regular expressions (RE2): CommandLine:/(?i)\s-enc\s/.
- Groups: EventID:(4624 OR 4625).
- A bare word or "a phrase" searches every field's value: mimikatz.
- AND, OR, NOT in capitals (or -term to exclude); terms next to each other are ANDed; parentheses group.
- time:>now-24h, time:[2024-01-01 TO 2024-01-07], time:2024-03-01 (relative: now-15m, now-7d).
- host:dc01 is the event's host name, exact and case-sensitive.
Field names are the logs' own: for Windows EventID, Channel, Image, CommandLine, ParentImage, ParentCommandLine, TargetUserName, SubjectUserName, LogonType, IpAddress, TargetFilename, TargetObject, ServiceName, QueryName, DestinationIp, DestinationPort; JSON logs use dotted names (winlog.event_data.Image); syslog hostname, app_name, message.

Examples:
failed logons for admin accounts -> EventID:4625 AND TargetUserName:admin*
PowerShell with an encoded command in the last day -> time:>now-24h Image:*\powershell.exe CommandLine:/(?i)\s-e(nc(odedcommand)?)?\s/
Word starting a shell -> ParentImage:*\winword.exe Image:(*\cmd.exe OR *\powershell.exe)
RDP logons -> EventID:(4624 OR 4625) LogonType:10

Answer with one JSON object and nothing else: {"query": "...", "explanation": "one short sentence"}`

// ToQuery translates a question into a search query and checks that it
// parses: a query that does not is sent back once with the parser's error.
// When the model cannot help, the caller's grammar translates the
// question instead. The query is returned, never run.
func (a *Assistant) ToQuery(ctx context.Context, question string) (Query, error) {
	question = strings.TrimSpace(question)
	if question == "" {
		return Query{}, errors.New("assist: query: empty question")
	}
	msgs := []copilot.Message{
		{Role: copilot.RoleSystem, Content: querySyntax},
		{Role: copilot.RoleUser, Content: question},
	}
	var usage copilot.Usage
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		resp, err := a.complete(ctx, a.request(FeatureQuery, msgs))
		addUsage(&usage, resp.Usage)
		if err != nil {
			note, ok := fallbackNote(ctx, err)
			if !ok {
				return Query{}, err
			}
			return a.grammarQuery(question, note, usage)
		}
		text, explanation := readQueryAnswer(resp.Message.Content)
		canonical, perr := validQuery(text)
		if perr == nil {
			return Query{Question: question, Query: text, Canonical: canonical, Explanation: explanation,
				Source: SourceModel, Model: resp.Model, Repaired: attempt > 0, Usage: usage}, nil
		}
		lastErr = perr
		msgs = append(msgs, resp.Message, copilot.Message{Role: copilot.RoleUser,
			Content: fmt.Sprintf("The query %q is not valid: %v. Answer again with a corrected query, as the JSON object asked for.", text, perr)})
	}
	return a.grammarQuery(question, fmt.Sprintf("the model's query did not parse (%v); translated by the built-in grammar", lastErr), usage)
}

func (a *Assistant) grammarQuery(question, note string, usage copilot.Usage) (Query, error) {
	if a.cfg.Grammar == nil {
		return Query{}, errors.New("assist: query: " + note + " (no grammar configured)")
	}
	text, err := a.cfg.Grammar(question)
	if err != nil {
		return Query{}, fmt.Errorf("assist: query: %s; grammar: %w", note, err)
	}
	canonical, err := validQuery(text)
	if err != nil {
		return Query{}, fmt.Errorf("assist: query: grammar gave %q: %w", text, err)
	}
	return Query{Question: question, Query: text, Canonical: canonical, Source: SourceGrammar, Note: note, Usage: usage}, nil
}

// validQuery parses a query, refusing the empty one: it matches every
// event, which is never what a question asked for.
func validQuery(q string) (canonical string, err error) {
	if strings.TrimSpace(q) == "" {
		return "", errors.New("the query is empty")
	}
	parsed, err := search.Parse(q)
	if err != nil {
		return "", err
	}
	return parsed.String(), nil
}

// readQueryAnswer takes the query from the model's answer: the JSON asked
// for, or failing that the text itself without a code fence.
func readQueryAnswer(text string) (query, explanation string) {
	if obj, ok := jsonObject(text); ok {
		var m struct {
			Query       string `json:"query"`
			Explanation string `json:"explanation"`
		}
		if json.Unmarshal([]byte(obj), &m) == nil && m.Query != "" {
			return strings.TrimSpace(m.Query), strings.TrimSpace(m.Explanation)
		}
	}
	text = strings.TrimSpace(text)
	if rest, ok := strings.CutPrefix(text, "```"); ok {
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
			rest = rest[nl+1:]
		}
		text = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "```"))
	}
	return strings.Trim(text, "`"), ""
}
