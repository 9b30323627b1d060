package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/copilot/llmtest"
	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// loginAs creates a user with role and returns a browser logged in as it,
// with the session's CSRF token.
func loginAs(t *testing.T, s *Server, base, name string, role store.Role) (*http.Client, string) {
	t.Helper()
	hash, _ := auth.HashPassword("correct horse battery")
	if err := s.st.CreateUser(context.Background(), store.User{Name: name, Role: role, PasswordHash: hash, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	if code, _ := postForm(t, c, base, "/login", url.Values{"user": {name}, "password": {"correct horse battery"}, "next": {"/"}}); code != http.StatusSeeOther {
		t.Fatalf("login %s: %d", name, code)
	}
	_, body := get(t, c, base+"/search")
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on the search page")
	}
	return c, m[1]
}

// TestCopilotCasePanel renders the case page's copilot panel offline: the
// three parts, citations linking to alert pages, the note, and the
// investigate form for analysts only.
func TestCopilotCasePanel(t *testing.T) {
	noLLMEnv(t)
	s, base := newTestServer(t)
	c := demoCase(t, s)
	page := base + "/cases/" + strconv.FormatInt(c.ID, 10)
	analyst, csrf := loginAs(t, s, base, "ann", store.RoleAnalyst)
	code, body := get(t, analyst, page)
	if code != http.StatusOK {
		t.Fatalf("case page: %d", code)
	}
	for _, want := range []string{`id="copilot"`, "What happened", "Why it matters", "Next steps", `class="cite" href="/alerts/`,
		"Offline summary", "no model configured", `action="/cases/` + strconv.FormatInt(c.ID, 10) + `/investigate"`} {
		if !strings.Contains(body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	if strings.Contains(body, "Summarize with") {
		t.Error("a model button without a model")
	}
	// A citation's page exists.
	if code, body := get(t, analyst, base+"/alerts/"+strconv.FormatInt(c.AlertIDs[0], 10)); code != http.StatusOK || !strings.Contains(body, "Alert ") {
		t.Errorf("alert page: %d", code)
	}
	viewer, _ := loginAs(t, s, base, "vic", store.RoleViewer)
	if _, body := get(t, viewer, page); strings.Contains(body, "/investigate\"") || !strings.Contains(body, "What happened") {
		t.Error("a viewer sees the investigate form, or no summary")
	}
	// The investigate form answers offline with the page of the result.
	code, body = postForm(t, analyst, base, "/cases/"+strconv.FormatInt(c.ID, 10)+"/investigate", url.Values{"csrf_token": {csrf}, "question": {"what now?"}})
	if code != http.StatusOK || !strings.Contains(body, "Tool calls") || !strings.Contains(body, "no model configured") {
		t.Errorf("investigate form: %d", code)
	}
	if code, _ := postForm(t, analyst, base, "/cases/"+strconv.FormatInt(c.ID, 10)+"/investigate", url.Values{"question": {"x"}}); code != http.StatusForbidden {
		t.Errorf("investigate without the CSRF token: %d, want 403", code)
	}
}

// TestCopilotSearchAsk: the search page's "Ask in words" form puts the
// translated query in the search box with its explanation, and runs
// nothing.
func TestCopilotSearchAsk(t *testing.T) {
	noLLMEnv(t)
	s, base := newTestServer(t)
	demoCase(t, s)
	viewer, csrf := loginAs(t, s, base, "vic", store.RoleViewer)
	if _, body := get(t, viewer, base+"/search"); !strings.Contains(body, `action="/search/ask"`) || !strings.Contains(body, "Ask in words") {
		t.Fatal("no ask form on the search page")
	}
	code, body := postForm(t, viewer, base, "/search/ask", url.Values{"csrf_token": {csrf}, "question": {"what ran on ws-reception01 in the last day"}})
	if code != http.StatusOK {
		t.Fatalf("ask: %d", code)
	}
	if !strings.Contains(body, `name="q" value="EventID:(1 OR 4688) host:ws-reception01* time:&gt;now-1d"`) && !strings.Contains(body, `name="q" value="EventID:(1 OR 4688) host:ws-reception01*`) {
		t.Errorf("the query is not in the search box:\n%s", body)
	}
	if !strings.Contains(body, "built-in grammar") || !strings.Contains(body, "press Search") || strings.Contains(body, `href="/events/`) {
		t.Error("the translation is not explained, or the search ran")
	}
	code, body = postForm(t, viewer, base, "/search/ask", url.Values{"csrf_token": {csrf}, "question": {"compose a sonnet"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "could not be turned into a query") {
		t.Errorf("unknown question: %d", code)
	}
}

// TestCopilotHostileAnswer: whatever a model writes is escaped, and no
// link leaves the server.
func TestCopilotHostileAnswer(t *testing.T) {
	noLLMEnv(t)
	var alertID int64
	var summary string
	llm := llmtest.New(t, func(req llmtest.ChatRequest) llmtest.Reply { return copilotScript(alertID, summary)(req) })
	s, base := newTestServerWith(t, func(c *Config) {
		c.Copilot = CopilotConfig{BaseURL: llm.URL, Model: "test-model", MaxRetries: -1}
	})
	c := demoCase(t, s)
	alertID = c.AlertIDs[0]
	summary = modelSummary(alertID, `<script>alert(1)</script><img src=x onerror=alert(2)> "quoted" & <a href="javascript:alert(3)">click</a> alert:`+strconv.FormatInt(alertID, 10))
	analyst, csrf := loginAs(t, s, base, "ann", store.RoleAnalyst)
	id := strconv.FormatInt(c.ID, 10)

	if _, body := get(t, analyst, base+"/cases/"+id); !strings.Contains(body, "Summarize with openai-compatible:test-model") || !strings.Contains(body, "at no token cost") {
		t.Error("the case page does not offer the model's summary")
	}
	code, body := postForm(t, analyst, base, "/cases/"+id+"/summary", url.Values{"csrf_token": {csrf}})
	if code != http.StatusOK || !strings.Contains(body, "Written by test-model") {
		t.Fatalf("model summary: %d\n%s", code, body)
	}
	for _, bad := range []string{"<script>alert", "<img src=x", `href="javascript:`, "onerror=alert(2)>"} {
		if strings.Contains(body, bad) {
			t.Errorf("the page holds %q unescaped", bad)
		}
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body, `<a href="/alerts/`+strconv.FormatInt(alertID, 10)+`">alert:`) {
		t.Error("the model's text is not shown escaped with its citation linked")
	}
	if !strings.Contains(body, "unsupported") {
		t.Error("the step citing a record the case lacks is not marked")
	}
	// Now kept: the case page shows the model's summary at no cost.
	if _, body := get(t, analyst, base+"/cases/"+id); !strings.Contains(body, "kept from an earlier request") {
		t.Error("the model's summary was not kept")
	}

	code, body = postForm(t, analyst, base, "/cases/"+id+"/investigate", url.Values{"csrf_token": {csrf}, "question": {"<i>how far</i>?"}})
	if code != http.StatusOK {
		t.Fatalf("investigate: %d", code)
	}
	for _, want := range []string{"search_events", "get_alert", "close_case", "refused: not on the allow-list", "propose_action",
		"isolate host", "credentials were dumped &lt;b&gt;here&lt;/b&gt;", "&lt;i&gt;how far&lt;/i&gt;", "Nothing has been done"} {
		if !strings.Contains(body, want) {
			t.Errorf("investigation page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>here") {
		t.Error("the investigation page holds model text unescaped")
	}
	// The proposal's comment is shown escaped on the case page.
	if _, body := get(t, analyst, base+"/cases/"+id); !strings.Contains(body, "<b>copilot</b>") || strings.Contains(body, "<b>here</b>") {
		t.Error("the copilot's comment is missing or unescaped")
	}
	// The admin page shows the tokens per feature.
	admin, _ := loginAs(t, s, base, "ada", store.RoleAdmin)
	if _, body := get(t, admin, base+"/admin"); !strings.Contains(body, "openai-compatible:test-model") || !strings.Contains(body, "<td>agent</td>") || !strings.Contains(body, "<td>summary</td>") {
		t.Error("the admin page lacks the copilot's usage")
	}
}

func TestTextSpans(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []span
	}{
		{"plain", []span{{Text: "plain"}}},
		{"run `a b` now", []span{{Text: "run "}, {Text: "a b", Code: true}, {Text: " now"}}},
		{"see alert:12 and Event: 3", []span{{Text: "see "}, {Text: "alert:12", Link: "/alerts/12"}, {Text: " and "}, {Text: "Event: 3", Link: "/events/3"}}},
		{"`alert:12` stays code", []span{{Text: "alert:12", Code: true}, {Text: " stays code"}}},
		{"[x](https://evil.example/?d=1) alert:0", []span{{Text: "[x](https://evil.example/?d=1) "}, {Text: "alert:0"}}},
		{"unclosed `tick", []span{{Text: "unclosed "}, {Text: "tick", Code: true}}},
	} {
		got := textSpans(tc.in)
		if len(got) != len(tc.want) {
			t.Errorf("%q: %+v, want %+v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: span %d %+v, want %+v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}
