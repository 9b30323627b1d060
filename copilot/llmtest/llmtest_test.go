package llmtest

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestCompletionWireFormat(t *testing.T) {
	srv := New(t, func(req ChatRequest) Reply {
		return Reply{Text: "hi " + req.LastMessage().Content, Usage: &Usage{PromptTokens: 5, CompletionTokens: 2}}
	})
	resp := post(t, srv.URL, `{"model":"m","messages":[{"role":"system","content":[{"type":"text","text":"sys"}]},{"role":"user","content":"bob"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got["object"] != "chat.completion" || got["model"] != "m" {
		t.Errorf("body %v", got)
	}
	choice := got["choices"].([]any)[0].(map[string]any)
	msg := choice["message"].(map[string]any)
	if msg["content"] != "hi bob" || msg["role"] != "assistant" || choice["finish_reason"] != "stop" {
		t.Errorf("choice %v", choice)
	}
	usage := got["usage"].(map[string]any)
	if usage["total_tokens"] != float64(7) {
		t.Errorf("usage %v", usage)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || !reqs[0].Messages[0].ContentIsParts || reqs[0].Messages[0].Content != "sys" {
		t.Errorf("recorded %+v", reqs)
	}
}

func TestToolCallAnswerHasNullContent(t *testing.T) {
	srv := New(t, func(ChatRequest) Reply {
		return Reply{ToolCalls: []ToolCall{Call("call_1", "lookup", `{"q":"x"}`)}}
	})
	resp := post(t, srv.URL, `{"model":"m","messages":[{"role":"user","content":"q"}]}`)
	var got struct {
		Choices []struct {
			Message struct {
				Content   *string    `json:"content"`
				ToolCalls []ToolCall `json:"tool_calls"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	c := got.Choices[0]
	if c.Message.Content != nil || c.FinishReason != "tool_calls" || len(c.Message.ToolCalls) != 1 || c.Message.ToolCalls[0].Function.Name != "lookup" {
		t.Errorf("got %+v", c)
	}
}

func TestStreamWireFormat(t *testing.T) {
	srv := New(t, func(ChatRequest) Reply {
		return Reply{Text: "a b", ToolCalls: []ToolCall{Call("call_1", "f", `{"k":1}`)}, Usage: &Usage{PromptTokens: 3, CompletionTokens: 4}}
	})
	resp := post(t, srv.URL, `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"q"}]}`)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	var lines []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if sc.Text() != "" {
			lines = append(lines, sc.Text())
		}
	}
	if lines[len(lines)-1] != "data: [DONE]" {
		t.Fatalf("last line %q", lines[len(lines)-1])
	}
	var text, args strings.Builder
	var finish string
	var total float64
	for _, line := range lines[:len(lines)-1] {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("line %q", line)
		}
		var chunk struct {
			Object  string `json:"object"`
			Choices []struct {
				Delta struct {
					Content   *string         `json:"content"`
					ToolCalls []toolCallDelta `json:"tool_calls"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *Usage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			t.Fatal(err)
		}
		if chunk.Object != "chat.completion.chunk" {
			t.Errorf("object %q", chunk.Object)
		}
		if chunk.Usage != nil {
			total = float64(chunk.Usage.TotalTokens)
			if len(chunk.Choices) != 0 {
				t.Errorf("usage chunk has choices")
			}
		}
		for _, c := range chunk.Choices {
			if c.Delta.Content != nil {
				text.WriteString(*c.Delta.Content)
			}
			for _, tc := range c.Delta.ToolCalls {
				args.WriteString(tc.Function.Arguments)
			}
			if c.FinishReason != nil {
				finish = *c.FinishReason
			}
		}
	}
	if text.String() != "a b" || args.String() != `{"k":1}` || finish != "tool_calls" || total != 7 {
		t.Errorf("text %q args %q finish %q total %v", text.String(), args.String(), finish, total)
	}
}

func TestErrorReply(t *testing.T) {
	srv := New(t, Sequence(Reply{Status: 429, ErrorMessage: "slow down", Header: http.Header{"Retry-After": {"1"}}}, Reply{Text: "ok"}))
	resp := post(t, srv.URL, `{"model":"m","messages":[{"role":"user","content":"q"}]}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
	}
	var body errorBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Error.Message != "slow down" {
		t.Fatalf("body %+v %v", body, err)
	}
	if resp := post(t, srv.URL, `{"model":"m","messages":[{"role":"user","content":"q"}]}`); resp.StatusCode != 200 {
		t.Fatalf("second status %d", resp.StatusCode)
	}
	if resp := post(t, srv.URL, `{"messages":[]}`); resp.StatusCode != 400 {
		t.Fatalf("no model: status %d", resp.StatusCode)
	}
	if srv.RequestCount() != 3 {
		t.Errorf("requests %d", srv.RequestCount())
	}
}

func TestSplitJoinsBack(t *testing.T) {
	for _, s := range []string{"", "a", "ab", `{"query":"powershell"}`} {
		for n := range 5 {
			if got := strings.Join(split(s, n), ""); got != s {
				t.Errorf("split(%q, %d) joins to %q", s, n, got)
			}
		}
	}
}
