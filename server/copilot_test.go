package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/copilot/agent"
	"github.com/bulwarkhq/bulwark/copilot/llmtest"
	"github.com/bulwarkhq/bulwark/demo"
	"github.com/bulwarkhq/bulwark/store"
)

// noLLMEnv makes sure the test's environment names no model.
func noLLMEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"BULWARK_LLM_BASE_URL", "BULWARK_LLM_MODEL", "BULWARK_LLM_API_KEY", "BULWARK_LLM_DAILY_TOKENS"} {
		t.Setenv(k, "")
	}
}

// demoCase ingests the demo intrusion through the pipeline, triages it and
// returns the highest-ranked case.
func demoCase(t *testing.T, s *Server) store.Case {
	t.Helper()
	ctx := context.Background()
	if err := s.pipe.Submit(ctx, demo.Scenario(time.Now().Add(-demo.Duration)), true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for s.pipe.Lag() > 0 || s.pipe.QueueDepth() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("detection did not catch up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.TriageNow(ctx); err != nil {
		t.Fatal(err)
	}
	cs, err := s.st.ListCases(ctx, store.CaseFilter{Limit: 1})
	if err != nil || len(cs) == 0 {
		t.Fatalf("no case from the demo: %v", err)
	}
	return cs[0]
}

// apiClient calls the API with a token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (c apiClient) do(method, path string, body any, out any) int {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	if resp.StatusCode >= 300 {
		c.t.Logf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode
}

func casePath(id int64, rest string) string {
	return "/api/v1/cases/" + strconv.FormatInt(id, 10) + rest
}

// auditActions returns the copilot's audit entries, oldest first.
func copilotAudit(t *testing.T, s *Server) []store.AuditEntry {
	t.Helper()
	all, err := s.st.ListAudit(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditEntry
	for i := len(all) - 1; i >= 0; i-- {
		if strings.HasPrefix(all[i].Action, "copilot.") {
			out = append(out, all[i])
		}
	}
	return out
}

// TestCopilotOffline runs every copilot route with no model: the demo case
// gets an offline summary with next steps that cite its alerts, questions
// are translated by the grammar, and the agent's route answers offline.
func TestCopilotOffline(t *testing.T) {
	noLLMEnv(t)
	s, base := newTestServer(t)
	c := demoCase(t, s)
	viewer := apiClient{t, base, tokenFor(t, s, store.RoleViewer)}
	analyst := apiClient{t, base, tokenFor(t, s, store.RoleAnalyst)}

	var sum summaryView
	if code := viewer.do("GET", casePath(c.ID, "/summary"), nil, &sum); code != http.StatusOK {
		t.Fatalf("summary: %d", code)
	}
	if sum.Source != "offline" || !strings.Contains(sum.Note, "no model") || len(sum.WhatHappened) == 0 || len(sum.NextSteps) == 0 {
		t.Fatalf("offline summary: %+v", sum)
	}
	cited := false
	for _, st := range sum.NextSteps {
		for _, ref := range st.Citations {
			cited = cited || strings.HasPrefix(ref, "alert:")
		}
	}
	if !cited {
		t.Errorf("no next step cites an alert: %+v", sum.NextSteps)
	}

	for _, tc := range []struct {
		question string
		status   int
		want     string
	}{
		{"failed logons for bob since yesterday", http.StatusOK, "EventID:4625"},
		{"what ran on ws-reception01 in the last day", http.StatusOK, "host:ws-reception01"},
		{"write me a poem about logs", http.StatusUnprocessableEntity, ""},
		{"", http.StatusBadRequest, ""},
		{strings.Repeat("x", maxQuestion+1), http.StatusBadRequest, ""},
	} {
		var q queryView
		code := viewer.do("POST", "/api/v1/copilot/query", map[string]string{"question": tc.question}, &q)
		if code != tc.status {
			t.Errorf("query %.30q: %d, want %d", tc.question, code, tc.status)
			continue
		}
		if code == http.StatusOK && (q.Source != "grammar" || !strings.Contains(q.Query.Query, tc.want) || q.Explanation == "" || !strings.HasPrefix(q.Search, "/search?q=")) {
			t.Errorf("query %q: %+v", tc.question, q)
		}
	}

	var ans struct{ Text, Source, Note string }
	if code := viewer.do("POST", "/api/v1/copilot/ask", map[string]any{"question": "what ran on ws-reception01 in the last day"}, &ans); code != http.StatusOK {
		t.Fatalf("ask: %d", code)
	}
	if ans.Source != "offline" || !strings.Contains(ans.Text, "event:") || !strings.Contains(ans.Text, "host:ws-reception01") {
		t.Errorf("offline ask: %+v", ans)
	}
	if code := viewer.do("POST", "/api/v1/copilot/ask", map[string]any{"question": "summary", "case_id": c.ID}, &ans); code != http.StatusOK || !strings.Contains(ans.Text, "## Next steps") {
		t.Errorf("offline ask about the case: %d %+v", code, ans)
	}

	var inv investigation
	if code := analyst.do("POST", casePath(c.ID, "/investigate"), map[string]string{"question": "who is patient zero?"}, &inv); code != http.StatusOK {
		t.Fatalf("investigate: %d", code)
	}
	if inv.Source != "offline" || !strings.Contains(inv.Note, "no model") || !strings.Contains(inv.Answer, "What happened") {
		t.Errorf("offline investigation: %+v", inv)
	}
	if code := viewer.do("POST", casePath(c.ID, "/investigate"), map[string]string{"question": "x"}, nil); code != http.StatusForbidden {
		t.Errorf("investigate as a viewer: %d, want 403", code)
	}

	var u usageView
	if code := viewer.do("GET", "/api/v1/copilot/usage", nil, &u); code != http.StatusOK || u.Provider != "offline" || u.Configured || u.Ledger.Remaining != -1 {
		t.Errorf("usage: %d %+v", code, u)
	}

	// Every call is audited, with its feature and case, never its question.
	var features []string
	for _, e := range copilotAudit(t, s) {
		features = append(features, e.Action)
		if strings.Contains(e.Detail, "bob") || strings.Contains(e.Detail, "patient") || strings.Contains(e.Target, "patient") {
			t.Errorf("the audit log holds the question: %+v", e)
		}
	}
	got := strings.Join(features, " ")
	for _, want := range []string{"copilot.summary", "copilot.query", "copilot.ask", "copilot.investigate"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit lacks %s: %s", want, got)
		}
	}
}

// TestCopilotAskStream reads an answer as server-sent events.
func TestCopilotAskStream(t *testing.T) {
	noLLMEnv(t)
	llm := llmtest.New(t, func(llmtest.ChatRequest) llmtest.Reply {
		return llmtest.Reply{Chunks: []string{"Look at ", "alert:1 ", "first."}}
	})
	s, base := newTestServerWith(t, func(c *Config) {
		c.Copilot = CopilotConfig{BaseURL: llm.URL, Model: "test-model", MaxRetries: -1}
	})
	tok := tokenFor(t, s, store.RoleViewer)
	req, _ := http.NewRequest("POST", base+"/api/v1/copilot/ask", strings.NewReader(`{"question":"where do I start?"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("%d %s", resp.StatusCode, ct)
	}
	var events []string
	var text strings.Builder
	var done struct{ Text, Source string }
	sc := bufio.NewScanner(resp.Body)
	name := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
			events = append(events, name)
		case strings.HasPrefix(line, "data: ") && name == "delta":
			var d struct{ Text string }
			json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &d)
			text.WriteString(d.Text)
		case strings.HasPrefix(line, "data: ") && name == "done":
			json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &done)
		}
	}
	if len(events) < 2 || events[len(events)-1] != "done" || text.String() != "Look at alert:1 first." || done.Text != text.String() || done.Source != "model" {
		t.Errorf("events %v, text %q, done %+v", events, text.String(), done)
	}
}

// copilotScript is a model for the server's copilot features: it tells
// them apart by their prompts. The agent searches, reads an alert, tries a
// tool it does not have, proposes an action and answers.
func copilotScript(alertID int64, summary string) llmtest.Script {
	id := strconv.FormatInt(alertID, 10)
	return func(req llmtest.ChatRequest) llmtest.Reply {
		system := ""
		if len(req.Messages) > 0 {
			system = req.Messages[0].Content
		}
		switch {
		case len(req.Tools) > 0:
			tools := 0
			for _, m := range req.Messages {
				if m.Role == "tool" {
					tools++
				}
			}
			switch tools {
			case 0:
				return llmtest.Reply{ToolCalls: []llmtest.ToolCall{llmtest.Call("c1", agent.ToolSearchEvents, `{"query":"EventID:4625","limit":5}`)}}
			case 1:
				return llmtest.Reply{ToolCalls: []llmtest.ToolCall{llmtest.Call("c2", agent.ToolGetAlert, `{"id":`+id+`}`)}}
			case 2:
				return llmtest.Reply{ToolCalls: []llmtest.ToolCall{
					llmtest.Call("c3", "close_case", `{"id":1}`),
					llmtest.Call("c4", agent.ToolProposeAction, `{"action":"isolate host","target":"ws-reception01","reason":"credentials were dumped <b>here</b>"}`),
				}}
			default:
				return llmtest.Reply{Text: "The intruder dumped credentials on ws-reception01 (alert:" + id + "). <script>alert(1)</script>"}
			}
		case strings.Contains(system, "Translate the analyst's question"):
			return llmtest.Reply{Text: `{"query": "EventID:4625 TargetUserName:bob", "explanation": "Failed logons of bob."}`}
		case strings.Contains(req.LastMessage().Content, "Summarize this case"):
			return llmtest.Reply{Text: summary}
		}
		return llmtest.Reply{Text: "ok"}
	}
}

func modelSummary(alertID int64, what string) string {
	id := strconv.FormatInt(alertID, 10)
	b, _ := json.Marshal(map[string]any{
		"what_happened":  what,
		"why_it_matters": "Credentials of a domain account are exposed (alert:" + id + ").",
		"next_steps": []map[string]any{
			{"text": "Isolate ws-reception01.", "citations": []string{"alert:" + id}},
			{"text": "Check alert:999999.", "citations": []string{"alert:999999"}},
		},
	})
	return string(b)
}

// TestCopilotWithModel runs the features against a scripted model: a
// summary with checked citations, a translated query, and an
// investigation whose transcript shows every tool call, whose refused tool
// changes nothing, and whose proposal becomes a comment and an audit entry
// without any change to the case.
func TestCopilotWithModel(t *testing.T) {
	noLLMEnv(t)
	var alertID int64
	var summary string
	llm := llmtest.New(t, func(req llmtest.ChatRequest) llmtest.Reply { return copilotScript(alertID, summary)(req) })
	s, base := newTestServerWith(t, func(c *Config) {
		c.Copilot = CopilotConfig{BaseURL: llm.URL, Model: "test-model", MaxRetries: -1, DailyTokens: 10_000_000}
	})
	c := demoCase(t, s)
	alertID = c.AlertIDs[0]
	summary = modelSummary(alertID, "A phishing document started a script on ws-reception01 (alert:"+strconv.FormatInt(alertID, 10)+").")
	viewer := apiClient{t, base, tokenFor(t, s, store.RoleViewer)}
	analyst := apiClient{t, base, tokenFor(t, s, store.RoleAnalyst)}

	var sum summaryView
	if code := viewer.do("GET", casePath(c.ID, "/summary"), nil, &sum); code != http.StatusOK {
		t.Fatalf("summary: %d", code)
	}
	ref := "alert:" + strconv.FormatInt(alertID, 10)
	if sum.Source != "model" || sum.Model != "test-model" || len(sum.WhatHappened) != 1 || len(sum.WhatHappened[0].Citations) != 1 ||
		sum.WhatHappened[0].Citations[0] != ref || len(sum.NextSteps) != 2 || sum.NextSteps[0].Unsupported || !sum.NextSteps[1].Unsupported ||
		sum.Usage.PromptTokens == 0 {
		t.Errorf("model summary: %+v", sum)
	}
	before := llm.RequestCount()
	if viewer.do("GET", casePath(c.ID, "/summary"), nil, &sum); !sum.Cached || llm.RequestCount() != before {
		t.Errorf("the second summary of the same case called the model again (cached %v)", sum.Cached)
	}

	var q queryView
	if code := viewer.do("POST", "/api/v1/copilot/query", map[string]string{"question": "did bob fail to log on anywhere?"}, &q); code != http.StatusOK ||
		q.Source != "model" || q.Query.Query != "EventID:4625 TargetUserName:bob" || q.Explanation != "Failed logons of bob." {
		t.Errorf("query: %d %+v", code, q)
	}

	caseBefore, _ := s.st.GetCase(context.Background(), c.ID)
	var inv investigation
	if code := analyst.do("POST", casePath(c.ID, "/investigate"), map[string]string{"question": "How far did the intruder get?"}, &inv); code != http.StatusOK {
		t.Fatalf("investigate: %d", code)
	}
	steps := inv.Transcript.Steps
	if inv.Source != "model" || len(steps) != 4 || steps[0].Tool != agent.ToolSearchEvents || steps[1].Tool != agent.ToolGetAlert ||
		!steps[2].Refused || steps[2].Tool != "close_case" || steps[3].Tool != agent.ToolProposeAction || !strings.Contains(inv.Answer, "dumped credentials") {
		t.Fatalf("investigation: %+v", inv)
	}
	if len(inv.Proposals) != 1 || inv.Proposals[0].Action != "isolate host" {
		t.Errorf("proposals: %+v", inv.Proposals)
	}
	caseAfter, _ := s.st.GetCase(context.Background(), c.ID)
	if caseAfter.Status != caseBefore.Status || caseAfter.Verdict != caseBefore.Verdict || !caseAfter.Updated.Equal(caseBefore.Updated) {
		t.Errorf("the investigation changed the case: %+v -> %+v", caseBefore, caseAfter)
	}
	comments, _ := s.st.ListCaseComments(context.Background(), c.ID)
	if len(comments) != 1 || comments[0].Author != "copilot" || !strings.Contains(comments[0].Text, "isolate host on ws-reception01") ||
		!strings.Contains(comments[0].Text, "nothing has been done") || !strings.Contains(comments[0].Text, "token:t-analyst") {
		t.Errorf("comments: %+v", comments)
	}
	var proposed bool
	for _, e := range copilotAudit(t, s) {
		if e.Action == "copilot.propose" && e.Target == "case "+strconv.FormatInt(c.ID, 10) && strings.Contains(e.Detail, "isolate host") {
			proposed = true
		}
		if strings.Contains(e.Detail, "intruder get") {
			t.Errorf("the audit log holds the question: %+v", e)
		}
	}
	if !proposed {
		t.Errorf("no audit entry for the proposal: %+v", copilotAudit(t, s))
	}

	var u usageView
	viewer.do("GET", "/api/v1/copilot/usage", nil, &u)
	if u.Provider != "openai-compatible:test-model" || !u.Configured || u.Ledger.Today["agent"].Calls != 4 || u.Ledger.Today["summary"].Calls != 1 ||
		u.Ledger.DailyBudget != 10_000_000 || u.Ledger.Remaining <= 0 {
		t.Errorf("usage: %+v", u)
	}
	// The ledger is kept in the store's settings.
	if v, ok, err := s.st.GetSetting(context.Background(), ledgerSetting); err != nil || !ok || !strings.Contains(v, `"agent"`) {
		t.Errorf("stored ledger: %q %v %v", v, ok, err)
	}
}

// TestCopilotFallbacks: a spent budget and a failing model both give
// offline answers with a note saying why.
func TestCopilotFallbacks(t *testing.T) {
	noLLMEnv(t)
	t.Run("budget", func(t *testing.T) {
		llm := llmtest.New(t, llmtest.Text(`{"query": "EventID:4625", "explanation": "Failed logons."}`))
		s, base := newTestServerWith(t, func(c *Config) {
			c.Copilot = CopilotConfig{BaseURL: llm.URL, Model: "m", MaxRetries: -1, DailyTokens: 1}
		})
		c := demoCase(t, s)
		viewer := apiClient{t, base, tokenFor(t, s, store.RoleViewer)}
		var q queryView
		if viewer.do("POST", "/api/v1/copilot/query", map[string]string{"question": "failed logons"}, &q); q.Source != "model" {
			t.Fatalf("first call: %+v", q)
		}
		var sum summaryView
		if code := viewer.do("GET", casePath(c.ID, "/summary"), nil, &sum); code != http.StatusOK || sum.Source != "offline" ||
			!strings.Contains(sum.Note, "budget") || len(sum.NextSteps) == 0 {
			t.Errorf("summary after the budget is spent: %d %+v", code, sum)
		}
		if viewer.do("POST", "/api/v1/copilot/query", map[string]string{"question": "failed logons for amy"}, &q); q.Source != "grammar" || !strings.Contains(q.Note, "budget") {
			t.Errorf("query after the budget is spent: %+v", q)
		}
		var u usageView
		viewer.do("GET", "/api/v1/copilot/usage", nil, &u)
		if u.Ledger.Remaining != 0 || u.Ledger.Today["summary"].RefusedCalls != 1 {
			t.Errorf("usage: %+v", u.Ledger)
		}
	})
	t.Run("provider error", func(t *testing.T) {
		llm := llmtest.New(t, func(llmtest.ChatRequest) llmtest.Reply { return llmtest.Reply{Status: 500, ErrorMessage: "boom"} })
		s, base := newTestServerWith(t, func(c *Config) {
			c.Copilot = CopilotConfig{BaseURL: llm.URL, Model: "m", MaxRetries: -1}
		})
		c := demoCase(t, s)
		viewer := apiClient{t, base, tokenFor(t, s, store.RoleViewer)}
		analyst := apiClient{t, base, tokenFor(t, s, store.RoleAnalyst)}
		var sum summaryView
		if code := viewer.do("GET", casePath(c.ID, "/summary"), nil, &sum); code != http.StatusOK || sum.Source != "offline" || !strings.Contains(sum.Note, "unavailable") {
			t.Errorf("summary: %d %+v", code, sum)
		}
		var inv investigation
		if code := analyst.do("POST", casePath(c.ID, "/investigate"), map[string]string{"question": "what now?"}, &inv); code != http.StatusOK ||
			inv.Source != "offline" || !strings.Contains(inv.Note, "model failed") || inv.Answer == "" {
			t.Errorf("investigation: %d %+v", code, inv)
		}
	})
}

// TestCopilotRuleIndexReload checks that the copilot's rule lookup follows
// a rule reload.
func TestCopilotRuleIndexReload(t *testing.T) {
	noLLMEnv(t)
	s, _ := newTestServer(t)
	before := s.ruleIdx.Load()
	rs := s.pipe.Engine().RuleSet()
	id := rs.Rules[0].ID
	if _, ok := s.ruleInfo(id); !ok {
		t.Fatalf("rule %s unknown to the copilot", id)
	}
	if _, err := s.ReloadRules(); err != nil {
		t.Fatal(err)
	}
	if s.ruleIdx.Load() == before {
		t.Error("the rule index was not rebuilt on reload")
	}
}

// TestCopilotConfig checks the section's validation and its fallback to
// the BULWARK_LLM_* environment.
func TestCopilotConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg CopilotConfig
		ok  bool
	}{
		{CopilotConfig{}, true},
		{CopilotConfig{BaseURL: "http://127.0.0.1:11434/v1", Model: "llama3.1", DailyTokens: 1000, MaxRetries: -1}, true},
		{CopilotConfig{BaseURL: "http://127.0.0.1:11434/v1"}, false},
		{CopilotConfig{Model: "gpt-4o-mini"}, false},
		{CopilotConfig{BaseURL: "ftp://x/v1", Model: "m"}, false},
		{CopilotConfig{DailyTokens: -1}, false},
		{CopilotConfig{MaxRetries: -2}, false},
	} {
		c := Config{Copilot: tc.cfg}
		c.Defaults()
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v, want ok=%v", tc.cfg, err, tc.ok)
		}
	}

	noLLMEnv(t)
	if _, err := (CopilotConfig{}).providerConfig(); err == nil {
		t.Error("no section and no environment: a provider config")
	}
	t.Setenv("BULWARK_LLM_BASE_URL", "http://127.0.0.1:11434/v1")
	t.Setenv("BULWARK_LLM_MODEL", "llama3.1")
	t.Setenv("BULWARK_LLM_DAILY_TOKENS", "500")
	pc, err := (CopilotConfig{}).providerConfig()
	if err != nil || pc.Model != "llama3.1" || pc.DailyTokenBudget != 500 {
		t.Errorf("from the environment: %+v %v", pc, err)
	}
	// The section wins over the environment, and its budget applies to a
	// model from the environment.
	pc, _ = (CopilotConfig{BaseURL: "https://api.openai.com/v1", Model: "gpt-4o-mini", APIKeyEnv: "OPENAI_API_KEY"}).providerConfig()
	if pc.Model != "gpt-4o-mini" || pc.APIKeyEnv != "OPENAI_API_KEY" || pc.DailyTokenBudget != 0 {
		t.Errorf("from the section: %+v", pc)
	}
	if pc, _ = (CopilotConfig{DailyTokens: 7}).providerConfig(); pc.Model != "llama3.1" || pc.DailyTokenBudget != 7 {
		t.Errorf("budget over the environment's model: %+v", pc)
	}
}
