package agent_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/agent"
	"github.com/bulwarkhq/bulwark/copilot/assist"
	"github.com/bulwarkhq/bulwark/copilot/llmtest"
	"github.com/bulwarkhq/bulwark/copilot/provider"
	"github.com/bulwarkhq/bulwark/copilot/spotlight"
	"github.com/bulwarkhq/bulwark/guard/standard"
)

// TestEndToEndOverHTTP runs the agent, a summary and a streamed question
// through the real OpenAI-compatible provider against the llmtest server:
// tool calls and their results cross the wire, evidence arrives
// datamarked, and when the daily budget is spent the summary falls back
// offline with a note.
func TestEndToEndOverHTTP(t *testing.T) {
	st := openStore(t)
	c := seedCase(t, st)
	alertID := strconv.FormatInt(c.AlertIDs[0], 10)
	srv := llmtest.New(t, llmtest.Sequence(
		// The agent: search, read the alert, look up the technique, answer.
		llmtest.Reply{ToolCalls: []llmtest.ToolCall{llmtest.Call("c1", agent.ToolSearchEvents, `{"query":"Image:*mimikatz*"}`)}},
		llmtest.Reply{ToolCalls: []llmtest.ToolCall{llmtest.Call("c2", agent.ToolGetAlert, `{"id":`+alertID+`}`)}},
		llmtest.Reply{ToolCalls: []llmtest.ToolCall{llmtest.Call("c3", agent.ToolAttackLookup, `{"id":"T1003.001"}`)}},
		llmtest.Reply{Text: "bob dumped credentials with mimikatz on ws01 (alert:" + alertID + ")."},
		// Ask, streamed in pieces.
		llmtest.Reply{Chunks: []string{"Mimikatz ", "read LSASS ", "memory."}},
		// The summary.
		llmtest.Reply{Text: `{"what_happened": "Mimikatz ran on ws01.", "why_it_matters": "Credentials are exposed.",
			"next_steps": [{"text": "Reset bob's password.", "citations": ["alert:` + alertID + `"]}]}`},
	))
	p, err := provider.New(provider.Config{BaseURL: srv.URL, Model: "test-model", MaxRetries: provider.NoRetries, CacheEntries: provider.NoCache})
	if err != nil {
		t.Fatal(err)
	}
	g, err := standard.New(standard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sp := spotlight.New(spotlight.Options{Guard: g, Marker: func() string { return "ˆM" }})
	ag, err := agent.New(agent.Config{Provider: p, Backend: agent.NewStoreBackend(writeFailingStore{Store: st, t: t}, testRules, testKB(t)), Spotlight: sp})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := ag.Investigate(ctx, agent.Task{Question: "What happened on ws01?"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Transcript.Steps) != 3 || !strings.Contains(res.Answer, "mimikatz on ws01") {
		t.Fatalf("result = %+v", res)
	}
	reqs := srv.Requests()
	if len(reqs) != 4 || len(reqs[0].Tools) != len(agent.DefaultTools)+1 {
		t.Fatalf("%d requests, first with %d tools", len(reqs), len(reqs[0].Tools))
	}
	var toolResults []string
	for _, m := range reqs[3].Messages {
		if m.Role == "tool" {
			toolResults = append(toolResults, m.Content)
		}
	}
	if len(toolResults) != 3 || !strings.Contains(toolResults[0], `ˆMC:\Tools\mimikatz.exeˆM`) || !strings.Contains(toolResults[2], "LSASS") {
		t.Errorf("tool results over the wire: %q", toolResults)
	}

	ev := evidenceFor(t, st, payloadCase{caseID: c.ID, alertID: c.AlertIDs[0], eventID: 1})
	offline := func(ctx context.Context, ev copilot.Evidence) (assist.Summary, error) {
		return assist.Summary{WhatHappened: "offline"}, nil
	}
	a := assist.New(assist.Config{Provider: p, Spotlight: sp, Offline: offline})
	var streamed []string
	ans, err := a.Ask(ctx, assist.AskRequest{Question: "What did mimikatz do?", Evidence: &ev}, func(d string) error {
		streamed = append(streamed, d)
		return nil
	})
	if err != nil || ans.Text != "Mimikatz read LSASS memory." || len(streamed) == 0 {
		t.Errorf("ask: %+v %v (deltas %q)", ans, err, streamed)
	}
	sum, err := a.Summarize(ctx, ev)
	if err != nil || sum.Source != assist.SourceModel || len(sum.NextSteps) != 1 || sum.NextSteps[0].Unsupported {
		t.Errorf("summary: %+v %v", sum, err)
	}

	// A provider whose budget is spent answers nothing; the summary comes
	// from the offline path and says why.
	spent, err := provider.New(provider.Config{BaseURL: srv.URL, Model: "test-model", MaxRetries: provider.NoRetries, CacheEntries: provider.NoCache, DailyTokenBudget: 1})
	if err != nil {
		t.Fatal(err)
	}
	a = assist.New(assist.Config{Provider: spent, Spotlight: sp, Offline: offline})
	var notes []string
	for range 2 { // the first call spends the budget, the second is refused
		s, err := a.Summarize(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		notes = append(notes, s.Source+": "+s.Note)
	}
	if !strings.HasPrefix(notes[1], "offline: ") || !strings.Contains(notes[1], "budget") {
		t.Errorf("after the budget is spent: %q", notes)
	}
}
