package proxy

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/guard"
)

// splitEvery cuts s into pieces of n bytes, as a model streams tokens.
func splitEvery(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

func TestChatStreamLeakCut(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Guard = guard.New(blockSecretsPolicy(t), testScanners()...) })
	intro := strings.Repeat("Here is what you asked for. ", 12)
	h.up.setAnswer(splitEvery(intro+"The key is "+secret+" and more text after it.", 3)...)
	a := h.do("POST", "/v1/chat/completions", aliceKey, chatBody(true, "user", "what is the key?"))
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	text, finish, done := chatStreamText(t, a.body)
	if finish != "content_filter" || !done {
		t.Errorf("finish %q done %v, want content_filter and [DONE]\n%s", finish, done, a.body)
	}
	if strings.Contains(a.body, "sk-test") || strings.Contains(text, "after it") {
		t.Errorf("client received part of the secret or text after the cut: %q", text)
	}
	if !strings.HasPrefix(intro, text) || len(text) == 0 {
		t.Errorf("text before the cut %q is not a prefix of the intro", text)
	}
	rec := h.auditLines(1)[0]
	if !rec.Cut || rec.Action != guard.Block || rec.ResponseAction != guard.Block {
		t.Errorf("audit %+v", rec)
	}
}

func TestChatStreamRedacts(t *testing.T) {
	h := newHarness(t, nil)
	h.up.setAnswer(splitEvery("Your key: "+secret+". Keep it safe.", 1)...)
	a := h.do("POST", "/v1/chat/completions", aliceKey, chatBody(true, "user", "hi"))
	text, finish, done := chatStreamText(t, a.body)
	if text != "Your key: [REDACTED:api_key]. Keep it safe." || finish != "stop" || !done {
		t.Errorf("text %q finish %q done %v", text, finish, done)
	}
	if strings.Contains(a.body, "AbCdEf") {
		t.Error("part of the secret reached the client")
	}
}

func TestChatStreamToolArgumentsRedacted(t *testing.T) {
	h := newHarness(t, nil)
	h.up.setAnswer()
	h.up.mu.Lock()
	h.up.toolArgs = splitEvery(`{"token":"`+secret+`"}`, 4)
	h.up.mu.Unlock()
	a := h.do("POST", "/v1/chat/completions", aliceKey, chatBody(true, "user", "hi"))
	var args strings.Builder
	for _, d := range sseData(t, a.body) {
		if d == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct {
				Delta struct {
					ToolCalls []struct {
						Function struct {
							Arguments string `json:"arguments"`
						} `json:"function"`
					} `json:"tool_calls"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(d), &c); err != nil {
			t.Fatal(err)
		}
		for _, ch := range c.Choices {
			for _, tc := range ch.Delta.ToolCalls {
				args.WriteString(tc.Function.Arguments)
			}
		}
	}
	if args.String() != `{"token":"[REDACTED:api_key]"}` {
		t.Errorf("tool arguments %q", args.String())
	}
}

func TestCompletionsStream(t *testing.T) {
	h := newHarness(t, nil)
	h.up.setAnswer(splitEvery("plain text with "+secret, 5)...)
	a := h.do("POST", "/v1/completions", aliceKey, `{"model":"m","prompt":"x","stream":true}`)
	text, finish, done := chatStreamText(t, a.body)
	if text != "plain text with [REDACTED:api_key]" || finish != "stop" || !done {
		t.Errorf("text %q finish %q done %v\n%s", text, finish, done, a.body)
	}
}

// responsesEvents decodes a streamed Responses API answer.
func responsesEvents(t *testing.T, body string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, d := range sseData(t, body) {
		var ev map[string]any
		if err := json.Unmarshal([]byte(d), &ev); err != nil {
			t.Fatalf("event %q: %v", d, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func TestResponsesStream(t *testing.T) {
	tests := []struct {
		name   string
		policy func(testing.TB) *guard.Policy
		answer string
		text   string // joined deltas
		last   string // type of the last event
	}{
		{"pass through", nil, "A plain answer.", "A plain answer.", "response.completed"},
		{"secret redacted", nil, "The key is " + secret + ", done.", "The key is [REDACTED:api_key], done.", "response.completed"},
		{"secret cut", blockSecretsPolicy, strings.Repeat("intro ", 60) + "key " + secret + " rest", "", "response.incomplete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				if tt.policy != nil {
					c.Guard = guard.New(tt.policy(t), testScanners()...)
				}
			})
			h.up.setAnswer(splitEvery(tt.answer, 2)...)
			a := h.do("POST", "/v1/responses", aliceKey, `{"model":"m","input":"hi","stream":true}`)
			if a.status != 200 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			if strings.Contains(a.body, "AbCdEf") {
				t.Fatalf("secret reached the client:\n%s", a.body)
			}
			evs := responsesEvents(t, a.body)
			var deltas strings.Builder
			seq := -1.0
			for _, ev := range evs {
				if ev["type"] == "response.output_text.delta" {
					deltas.WriteString(ev["delta"].(string))
				}
				n, _ := ev["sequence_number"].(float64)
				if n <= seq {
					t.Errorf("sequence number %v after %v", n, seq)
				}
				seq = n
				if ev["type"] == "response.output_text.done" && ev["text"] != tt.text && tt.text != "" {
					t.Errorf("done text %q, want %q", ev["text"], tt.text)
				}
			}
			last := evs[len(evs)-1]
			if last["type"] != tt.last {
				t.Fatalf("last event %v, want %s", last["type"], tt.last)
			}
			if tt.text != "" && deltas.String() != tt.text {
				t.Errorf("deltas %q, want %q", deltas.String(), tt.text)
			}
			if tt.last == "response.incomplete" {
				resp := last["response"].(map[string]any)
				if resp["id"] != "resp_1" || resp["incomplete_details"].(map[string]any)["reason"] != "content_filter" {
					t.Errorf("incomplete response %v", resp)
				}
				if !strings.HasPrefix(tt.answer, deltas.String()) {
					t.Errorf("deltas before the cut %q", deltas.String())
				}
			}
			if tt.last == "response.completed" {
				out := last["response"].(map[string]any)["output"].([]any)[0].(map[string]any)
				if got := out["content"].([]any)[0].(map[string]any)["text"]; got != tt.text {
					t.Errorf("completed text %q, want %q", got, tt.text)
				}
			}
		})
	}
}

func TestReadEvent(t *testing.T) {
	in := ": keep-alive\n\nevent: a\r\ndata: {\"x\":1}\r\n\r\ndata: line1\ndata: line2\n\n\n\ndata: [DONE]"
	br := bufio.NewReader(strings.NewReader(in))
	want := []struct {
		data    string
		hasData bool
		other   int
	}{{"", false, 1}, {`{"x":1}`, true, 1}, {"line1\nline2", true, 0}, {"[DONE]", true, 0}}
	for i, w := range want {
		ev, err := readEvent(br, 1<<10)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if string(ev.data) != w.data || ev.hasData != w.hasData || len(ev.other) != w.other {
			t.Errorf("event %d: data %q has %v other %d", i, ev.data, ev.hasData, len(ev.other))
		}
	}
	if _, err := readEvent(br, 1<<10); err == nil {
		t.Error("no end after the last event")
	}
	if _, err := readEvent(bufio.NewReaderSize(strings.NewReader("data: "+strings.Repeat("x", 100)+"\n\n"), 16), 50); err != errEventTooLarge {
		t.Errorf("oversized event: %v", err)
	}
}

// FuzzStreamEvents runs any upstream stream through the event reader and
// both rewriters: a hostile or broken upstream must not panic the proxy.
func FuzzStreamEvents(f *testing.F) {
	seeds := []string{
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"sk-test-AbCdEf0123456789\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n",
		"data: {\"choices\":[{\"index\":3,\"delta\":{\"tool_calls\":[{\"index\":2,\"function\":{\"arguments\":\"x\"}}]},\"finish_reason\":\"stop\"}]}\n\n",
		"data: {\"choices\":[{\"index\":0,\"text\":\"evil.example\",\"finish_reason\":null}]}\n\n",
		"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"m\",\"output_index\":0,\"content_index\":0,\"delta\":\"hi\",\"sequence_number\":4}\n\n" +
			"event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\",\"item_id\":\"m\",\"output_index\":0,\"content_index\":0,\"text\":\"hi\",\"sequence_number\":5}\n\n",
		"data: {\"type\":\"response.completed\",\"response\":{\"output\":[{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"x\"}]}]}}\n\n",
		": ping\n\ndata: {\"choices\":null}\n\ndata: not json\n\n", "data", "\n\n\n", "data: {\"choices\":[1,{\"index\":-1}]}",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	g := guard.New(nil, testScanners()...)
	p, err := New(Config{Upstream: "http://127.0.0.1:1/v1", Guard: g})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		for _, ep := range []endpoint{chatCompletions, completions, responses} {
			x := &exchange{p: p, ep: ep}
			var s streamer
			if ep == responses {
				s = &responsesStreamer{p: p, x: x, streams: map[string]*guard.Stream{}, lastDelta: map[string]map[string]any{}}
			} else {
				s = &choiceStreamer{p: p, x: x, text: ep == completions, choices: map[int]*choiceState{}}
			}
			br := bufio.NewReader(strings.NewReader(string(stream)))
			for {
				ev, err := readEvent(br, 1<<16)
				if err != nil {
					s.end()
					break
				}
				if _, cut := s.event(ev); cut {
					break
				}
			}
		}
	})
}
