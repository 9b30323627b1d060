package provider

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/llmtest"
)

// newTestProvider points a provider at srv; edit adjusts the config.
func newTestProvider(t *testing.T, srv *llmtest.Server, edit func(*Config)) *Provider {
	t.Helper()
	cfg := Config{BaseURL: srv.URL, Model: "test-model", APIKey: "sk-test"}
	if edit != nil {
		edit(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ask(feature, text string) copilot.Request {
	return copilot.Request{Feature: feature, Messages: []copilot.Message{{Role: copilot.RoleUser, Content: text}}}
}

// wireBody decodes the raw body of a recorded request.
func wireBody(t *testing.T, req llmtest.ChatRequest) map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatal(err)
	}
	return body
}

func TestCompletePlain(t *testing.T) {
	srv := llmtest.New(t, func(req llmtest.ChatRequest) llmtest.Reply {
		return llmtest.Reply{Text: "Hello, " + req.LastMessage().Content, Usage: &llmtest.Usage{PromptTokens: 11, CompletionTokens: 3}}
	})
	p := newTestProvider(t, srv, nil)
	temp := 0.2
	req := ask("summary", "analyst")
	req.MaxTokens, req.Temperature = 300, &temp
	resp, err := p.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := copilot.Response{
		Message:      copilot.Message{Role: copilot.RoleAssistant, Content: "Hello, analyst"},
		FinishReason: "stop",
		Usage:        copilot.Usage{PromptTokens: 11, CompletionTokens: 3},
		Model:        "test-model",
	}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("got %+v\nwant %+v", resp, want)
	}
	got := srv.Requests()[0]
	if got.Model != "test-model" || got.Stream || got.MaxTokens == nil || *got.MaxTokens != 300 || got.Temperature == nil || *got.Temperature != 0.2 {
		t.Errorf("wire request %s", got.Body)
	}
	if auth := got.Header.Get("Authorization"); auth != "Bearer sk-test" {
		t.Errorf("Authorization %q", auth)
	}
	if _, ok := wireBody(t, got)["tools"]; ok {
		t.Errorf("tools sent without tools: %s", got.Body)
	}
}

func TestStreamDeltasInOrderWithUsage(t *testing.T) {
	srv := llmtest.New(t, func(llmtest.ChatRequest) llmtest.Reply {
		return llmtest.Reply{Chunks: []string{"Lateral ", "movement ", "from ", "WS01."}, Usage: &llmtest.Usage{PromptTokens: 20, CompletionTokens: 6}}
	})
	p := newTestProvider(t, srv, nil)
	var deltas []string
	resp, err := p.Stream(context.Background(), ask("ask", "what happened?"), func(d string) error {
		deltas = append(deltas, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Lateral ", "movement ", "from ", "WS01."}; !reflect.DeepEqual(deltas, want) {
		t.Errorf("deltas %q, want %q", deltas, want)
	}
	if resp.Message.Content != "Lateral movement from WS01." || resp.FinishReason != "stop" || resp.Usage != (copilot.Usage{PromptTokens: 20, CompletionTokens: 6}) {
		t.Errorf("response %+v", resp)
	}
	got := srv.Requests()[0]
	if !got.Stream || !got.IncludeUsage() {
		t.Errorf("stream request without stream or include_usage: %s", got.Body)
	}
	if u := p.Usage().Today["ask"]; u.Total() != 26 || u.EstimatedTokens != 0 {
		t.Errorf("ledger %+v", u)
	}
}

func TestUsageEstimatedWhenServerSendsNone(t *testing.T) {
	text := strings.Repeat("abcd", 10) // 40 bytes: 10 tokens
	srv := llmtest.New(t, func(llmtest.ChatRequest) llmtest.Reply {
		return llmtest.Reply{Text: text, NoUsage: true}
	})
	p := newTestProvider(t, srv, func(c *Config) { c.CacheEntries = NoCache })
	prompt := strings.Repeat("q", 80) // 20 tokens
	for _, streamed := range []bool{false, true} {
		var resp copilot.Response
		var err error
		if streamed {
			resp, err = p.Stream(context.Background(), ask("ask", prompt), nil)
		} else {
			resp, err = p.Complete(context.Background(), ask("ask", prompt))
		}
		if err != nil {
			t.Fatal(err)
		}
		if want := (copilot.Usage{PromptTokens: 20, CompletionTokens: 10}); resp.Usage != want {
			t.Errorf("streamed=%v: usage %+v, want %+v", streamed, resp.Usage, want)
		}
	}
	if u := p.Usage().Today["ask"]; u.EstimatedTokens != 60 || u.Total() != 60 {
		t.Errorf("ledger %+v, want 60 estimated tokens", u)
	}
}

func TestToolCalls(t *testing.T) {
	calls := []llmtest.ToolCall{
		llmtest.Call("call_a", "search_events", `{"query":"process.name:psexec.exe","limit":20}`),
		llmtest.Call("call_b", "get_alert", `{"id":"al-42"}`),
	}
	want := []copilot.ToolCall{
		{ID: "call_a", Name: "search_events", Arguments: `{"query":"process.name:psexec.exe","limit":20}`},
		{ID: "call_b", Name: "get_alert", Arguments: `{"id":"al-42"}`},
	}
	for _, tc := range []struct {
		name     string
		streamed bool
		pieces   int
	}{
		{"complete", false, 0},
		{"streamed in 3 pieces", true, 3},
		{"streamed a byte at a time", true, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := llmtest.New(t, func(llmtest.ChatRequest) llmtest.Reply {
				return llmtest.Reply{ToolCalls: calls, ArgumentPieces: tc.pieces}
			})
			p := newTestProvider(t, srv, nil)
			req := ask("agent", "who ran psexec?")
			req.Tools = []copilot.ToolSpec{{Name: "search_events", Description: "Search events", Parameters: json.RawMessage(`{"type":"object"}`)}}
			var resp copilot.Response
			var err error
			if tc.streamed {
				resp, err = p.Stream(context.Background(), req, func(d string) error {
					t.Errorf("text delta %q in a tool-call answer", d)
					return nil
				})
			} else {
				resp, err = p.Complete(context.Background(), req)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(resp.Message.ToolCalls, want) {
				t.Errorf("tool calls %+v\nwant %+v", resp.Message.ToolCalls, want)
			}
			if resp.FinishReason != "tool_calls" || resp.Message.Content != "" || resp.Message.Role != copilot.RoleAssistant {
				t.Errorf("response %+v", resp)
			}
		})
	}
}

func TestMultiTurnWireShape(t *testing.T) {
	srv := llmtest.New(t, llmtest.Text("PsExec ran from WS01 [event:e1]."))
	p := newTestProvider(t, srv, nil)
	req := copilot.Request{
		Feature: "agent",
		Messages: []copilot.Message{
			{Role: copilot.RoleSystem, Content: "You investigate."},
			{Role: copilot.RoleUser, Content: "Who ran psexec?"},
			{Role: copilot.RoleAssistant, ToolCalls: []copilot.ToolCall{{ID: "call_1", Name: "search_events", Arguments: `{"query":"psexec"}`}}},
			{Role: copilot.RoleTool, ToolCallID: "call_1", Content: `[{"id":"e1","host":"WS01"}]`},
		},
		Tools: []copilot.ToolSpec{{
			Name:        "search_events",
			Description: "Search the event store.",
			Parameters:  json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}`),
		}},
	}
	if _, err := p.Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	body := wireBody(t, srv.Requests()[0])
	wantMessages := `[
		{"role":"system","content":"You investigate."},
		{"role":"user","content":"Who ran psexec?"},
		{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"search_events","arguments":"{\"query\":\"psexec\"}"}}]},
		{"role":"tool","tool_call_id":"call_1","content":"[{\"id\":\"e1\",\"host\":\"WS01\"}]"}
	]`
	wantTools := `[{"type":"function","function":{
		"name":"search_events","description":"Search the event store.",
		"parameters":{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}}}]`
	for field, want := range map[string]string{"messages": wantMessages, "tools": wantTools} {
		var wantValue any
		if err := json.Unmarshal([]byte(want), &wantValue); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(body[field], wantValue) {
			got, _ := json.Marshal(body[field])
			t.Errorf("%s on the wire:\n%s\nwant\n%s", field, got, want)
		}
	}
}

func TestBadRequestsFailBeforeSending(t *testing.T) {
	srv := llmtest.New(t, nil)
	p := newTestProvider(t, srv, nil)
	for name, req := range map[string]copilot.Request{
		"no messages":         {Feature: "ask"},
		"unknown role":        {Messages: []copilot.Message{{Role: "narrator", Content: "x"}}},
		"tool without id":     {Messages: []copilot.Message{{Role: copilot.RoleTool, Content: "x"}}},
		"schema not a object": {Messages: []copilot.Message{{Role: copilot.RoleUser, Content: "x"}}, Tools: []copilot.ToolSpec{{Name: "t", Parameters: json.RawMessage(`[1]`)}}},
	} {
		if _, err := p.Complete(context.Background(), req); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := srv.RequestCount(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		reply    llmtest.Reply
		streamed bool
	}{
		{"slow answer", llmtest.Reply{Text: "late", Delay: 3 * time.Second}, false},
		{"slow stream start", llmtest.Reply{Text: "late", Delay: 3 * time.Second}, true},
		{"stalled mid-stream", llmtest.Reply{Chunks: []string{"a", "b", "c"}, ChunkDelay: 150 * time.Millisecond}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.New(t, func(llmtest.ChatRequest) llmtest.Reply { return tc.reply })
			p := newTestProvider(t, srv, func(c *Config) { c.Timeout = 300 * time.Millisecond })
			start := time.Now()
			var err error
			if tc.streamed {
				_, err = p.Stream(context.Background(), ask("ask", "q"), nil)
			} else {
				_, err = p.Complete(context.Background(), ask("ask", "q"))
			}
			if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, copilot.ErrProvider) {
				t.Fatalf("err = %v, want DeadlineExceeded and ErrProvider", err)
			}
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("took %v with a 300ms timeout", elapsed)
			}
			if u := p.Usage().Today["ask"]; u.FailedCalls != 1 || u.Calls != 0 {
				t.Errorf("ledger %+v", u)
			}
		})
	}
}

func TestCallerContextCancelled(t *testing.T) {
	srv := llmtest.New(t, func(llmtest.ChatRequest) llmtest.Reply { return llmtest.Reply{Delay: 3 * time.Second} })
	p := newTestProvider(t, srv, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := p.Complete(ctx, ask("ask", "q"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		replies      []llmtest.Reply
		wantRequests int
		minElapsed   time.Duration
	}{
		{
			name:         "500 twice then 200",
			replies:      []llmtest.Reply{{Status: 500}, {Status: 500}, {Text: "ok"}},
			wantRequests: 3,
		},
		{
			name:         "429 with Retry-After",
			replies:      []llmtest.Reply{{Status: 429, ErrorMessage: "Rate limit reached", Header: http.Header{"Retry-After": {"1"}}}, {Text: "ok"}},
			wantRequests: 2,
			minElapsed:   time.Second,
		},
		{
			name:         "408 then 409 then 200",
			replies:      []llmtest.Reply{{Status: 408}, {Status: 409}, {Text: "ok"}},
			wantRequests: 3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := llmtest.New(t, llmtest.Sequence(tc.replies...))
			p := newTestProvider(t, srv, nil)
			start := time.Now()
			resp, err := p.Complete(context.Background(), ask("ask", "q"))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Message.Content != "ok" {
				t.Errorf("content %q", resp.Message.Content)
			}
			if n := srv.RequestCount(); n != tc.wantRequests {
				t.Errorf("%d requests, want %d", n, tc.wantRequests)
			}
			if elapsed := time.Since(start); elapsed < tc.minElapsed {
				t.Errorf("answered after %v, before Retry-After's %v", elapsed, tc.minElapsed)
			}
		})
	}
}

func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	srv := llmtest.New(t, func(llmtest.ChatRequest) llmtest.Reply {
		return llmtest.Reply{Status: 503, ErrorMessage: "The server is overloaded", Header: http.Header{"Retry-After-Ms": {"10"}}}
	})
	p := newTestProvider(t, srv, func(c *Config) { c.MaxRetries = 1 })
	_, err := p.Stream(context.Background(), ask("ask", "q"), nil)
	if !errors.Is(err, copilot.ErrProvider) || !strings.Contains(err.Error(), "HTTP 503") || !strings.Contains(err.Error(), "The server is overloaded") {
		t.Fatalf("err = %v", err)
	}
	if n := srv.RequestCount(); n != 2 {
		t.Errorf("%d requests, want 2 (one retry)", n)
	}
}

func TestNoRetriesWhenDisabled(t *testing.T) {
	srv := llmtest.New(t, func(llmtest.ChatRequest) llmtest.Reply { return llmtest.Reply{Status: 500} })
	p := newTestProvider(t, srv, func(c *Config) { c.MaxRetries = NoRetries })
	if _, err := p.Complete(context.Background(), ask("ask", "q")); !errors.Is(err, copilot.ErrProvider) {
		t.Fatalf("err = %v", err)
	}
	if n := srv.RequestCount(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	for _, tc := range []struct {
		status   int
		message  string
		code     string
		wantText []string
	}{
		{400, "Invalid 'messages[1].tool_call_id'", "", []string{"HTTP 400 Bad Request", "Invalid 'messages[1].tool_call_id'"}},
		{401, "Incorrect API key provided: sk-test.", "invalid_api_key", []string{"HTTP 401 Unauthorized", "Incorrect API key provided", "code invalid_api_key"}},
		{403, "Project does not have access to model", "model_not_found", []string{"HTTP 403", "does not have access"}},
		{404, "The model `nope` does not exist", "model_not_found", []string{"HTTP 404", "does not exist"}},
		{422, "Unprocessable", "", []string{"HTTP 422"}},
	} {
		for _, streamed := range []bool{false, true} {
			srv := llmtest.New(t, func(llmtest.ChatRequest) llmtest.Reply {
				return llmtest.Reply{Status: tc.status, ErrorMessage: tc.message, ErrorCode: tc.code}
			})
			p := newTestProvider(t, srv, nil)
			var err error
			if streamed {
				_, err = p.Stream(context.Background(), ask("ask", "q"), nil)
			} else {
				_, err = p.Complete(context.Background(), ask("ask", "q"))
			}
			if !errors.Is(err, copilot.ErrProvider) {
				t.Fatalf("%d streamed=%v: err = %v, want ErrProvider", tc.status, streamed, err)
			}
			for _, want := range tc.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%d streamed=%v: %q does not say %q", tc.status, streamed, err, want)
				}
			}
			if n := srv.RequestCount(); n != 1 {
				t.Errorf("%d streamed=%v: %d requests, want 1", tc.status, streamed, n)
			}
		}
	}
}

func TestStreamCutShortIsAnError(t *testing.T) {
	srv := llmtest.New(t, func(llmtest.ChatRequest) llmtest.Reply {
		return llmtest.Reply{Text: "half an answer", CutStream: true}
	})
	p := newTestProvider(t, srv, func(c *Config) { c.MaxRetries = NoRetries })
	if _, err := p.Stream(context.Background(), ask("ask", "q"), nil); !errors.Is(err, copilot.ErrProvider) {
		t.Fatalf("err = %v, want ErrProvider", err)
	}
}

func TestStreamStopsOnCallbackError(t *testing.T) {
	srv := llmtest.New(t, llmtest.Text("one two three four"))
	p := newTestProvider(t, srv, nil)
	stop := errors.New("analyst closed the panel")
	deltas := 0
	_, err := p.Stream(context.Background(), ask("ask", "q"), func(string) error {
		deltas++
		if deltas == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || errors.Is(err, copilot.ErrProvider) {
		t.Fatalf("err = %v, want the callback's error alone", err)
	}
	if deltas != 2 {
		t.Errorf("%d deltas after the callback failed", deltas)
	}
}

func TestEnvironmentKeyNotSentToOtherServers(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-must-not-leak")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
	srv := llmtest.New(t, nil)
	p := newTestProvider(t, srv, func(c *Config) { c.APIKey = "" })
	if _, err := p.Complete(context.Background(), ask("ask", "q")); err != nil {
		t.Fatal(err)
	}
	if auth := srv.Requests()[0].Header.Get("Authorization"); auth != "" {
		t.Errorf("Authorization %q sent though the config has no key", auth)
	}
}

func TestAPIKeyEnv(t *testing.T) {
	t.Setenv("TEST_LLM_KEY", "sk-from-env")
	srv := llmtest.New(t, nil)
	p := newTestProvider(t, srv, func(c *Config) { c.APIKey, c.APIKeyEnv = "", "TEST_LLM_KEY" })
	if _, err := p.Complete(context.Background(), ask("ask", "q")); err != nil {
		t.Fatal(err)
	}
	if auth := srv.Requests()[0].Header.Get("Authorization"); auth != "Bearer sk-from-env" {
		t.Errorf("Authorization %q", auth)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg        Config
		noProvider bool
	}{
		{Config{Model: "m"}, true},
		{Config{BaseURL: "http://127.0.0.1:11434/v1"}, true},
		{Config{BaseURL: "ftp://example/v1", Model: "m"}, false},
		{Config{BaseURL: "127.0.0.1:11434", Model: "m"}, false},
	} {
		_, err := New(tc.cfg)
		if err == nil || errors.Is(err, copilot.ErrNoProvider) != tc.noProvider {
			t.Errorf("New(%+v) = %v", tc.cfg, err)
		}
	}
}

func TestName(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{BaseURL: "https://api.openai.com/v1", Model: "gpt-4o-mini"}, "openai:gpt-4o-mini"},
		{Config{BaseURL: "http://127.0.0.1:11434/v1", Model: "llama3.1"}, "ollama:llama3.1"},
		{Config{BaseURL: "http://vllm.internal:8000/v1", Model: "qwen"}, "openai-compatible:qwen"},
		{Config{BaseURL: "http://127.0.0.1:8080/v1", Model: "phi", Name: "llamacpp"}, "llamacpp:phi"},
	} {
		p, err := New(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Name(); got != tc.want {
			t.Errorf("Name() = %q, want %q", got, tc.want)
		}
	}
}

func TestLimitedBody(t *testing.T) {
	b := &limitedBody{rc: nopCloser{strings.NewReader("0123456789")}, left: 4}
	buf := make([]byte, 16)
	n, err := b.Read(buf)
	if n != 4 || err != nil {
		t.Fatalf("first read %d, %v", n, err)
	}
	if _, err := b.Read(buf); err == nil {
		t.Fatal("read past the limit succeeded")
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func TestConnectionErrorIsAProviderError(t *testing.T) {
	srv := llmtest.New(t, nil)
	url := srv.URL
	srv.Close() // nothing listens there any more
	p, err := New(Config{BaseURL: url, Model: "m", MaxRetries: NoRetries})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Complete(context.Background(), ask("ask", "q"))
	if !errors.Is(err, copilot.ErrProvider) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrProvider", err)
	}
}
