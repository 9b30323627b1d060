package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/bulwarkhq/bulwark/guard"
)

// fakeUpstream imitates an OpenAI-compatible API: chat completions,
// responses and completions (streamed or not), embeddings and models. It
// answers with the pieces in answer, one streamed chunk per piece.
type fakeUpstream struct {
	*httptest.Server
	mu       sync.Mutex
	answer   []string
	toolArgs []string // streamed as tool-call arguments after the answer (chat only)
	status   int      // non-zero: answer every scanned endpoint with this status
	calls    int
	lastPath string
	lastBody []byte
	lastAuth string
}

func newFakeUpstream(t testing.TB) *fakeUpstream {
	f := &fakeUpstream{answer: []string{"Hello", " from", " upstream."}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeUpstream) setAnswer(pieces ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = pieces
}

func (f *fakeUpstream) seen() (calls int, path string, body []byte, auth string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.lastPath, f.lastBody, f.lastAuth
}

func (f *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.calls++
	f.lastPath, f.lastBody, f.lastAuth = r.URL.Path, body, r.Header.Get("Authorization")
	answer, toolArgs, status := f.answer, f.toolArgs, f.status
	f.mu.Unlock()

	var req struct {
		Model  string `json:"model"`
		Stream bool   `json:"stream"`
	}
	_ = json.Unmarshal(body, &req)
	if status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, `{"error":{"message":"upstream trouble","type":"server_error","param":null,"code":null}}`)
		return
	}
	full := strings.Join(answer, "")
	switch {
	case r.URL.Path == "/v1/models" && r.Method == http.MethodGet:
		writeJSON(w, map[string]any{"object": "list", "data": []any{map[string]any{"id": "gpt-test", "object": "model", "owned_by": "test"}}})
	case strings.HasPrefix(r.URL.Path, "/v1/models/") && r.Method == http.MethodGet:
		writeJSON(w, map[string]any{"id": strings.TrimPrefix(r.URL.Path, "/v1/models/"), "object": "model", "owned_by": "test"})
	case r.URL.Path == "/v1/chat/completions" && req.Stream:
		sse(w, func(send func(string, any)) {
			chunk := func(delta map[string]any, finish any) map[string]any {
				return map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": req.Model,
					"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
			}
			send("", chunk(map[string]any{"role": "assistant", "content": ""}, nil))
			for _, p := range answer {
				send("", chunk(map[string]any{"content": p}, nil))
			}
			for i, a := range toolArgs {
				call := map[string]any{"index": 0, "function": map[string]any{"arguments": a}}
				if i == 0 {
					call["id"], call["type"] = "call_1", "function"
					call["function"].(map[string]any)["name"] = "lookup"
				}
				send("", chunk(map[string]any{"tool_calls": []any{call}}, nil))
			}
			send("", chunk(map[string]any{}, "stop"))
			send("", "[DONE]")
		})
	case r.URL.Path == "/v1/chat/completions":
		writeJSON(w, map[string]any{"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": full}}},
			"usage": map[string]any{"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}})
	case r.URL.Path == "/v1/completions" && req.Stream:
		sse(w, func(send func(string, any)) {
			for _, p := range answer {
				send("", map[string]any{"id": "cmpl-1", "object": "text_completion", "model": req.Model,
					"choices": []any{map[string]any{"index": 0, "text": p, "finish_reason": nil}}})
			}
			send("", map[string]any{"id": "cmpl-1", "object": "text_completion", "model": req.Model,
				"choices": []any{map[string]any{"index": 0, "text": "", "finish_reason": "stop"}}})
			send("", "[DONE]")
		})
	case r.URL.Path == "/v1/completions":
		writeJSON(w, map[string]any{"id": "cmpl-1", "object": "text_completion", "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "text": full, "finish_reason": "stop"}}})
	case r.URL.Path == "/v1/responses" && req.Stream:
		sse(w, func(send func(string, any)) { streamResponse(send, req.Model, answer) })
	case r.URL.Path == "/v1/responses":
		writeJSON(w, responseObject(req.Model, "completed", full))
	case r.URL.Path == "/v1/embeddings":
		writeJSON(w, map[string]any{"object": "list", "model": req.Model,
			"data": []any{map[string]any{"object": "embedding", "index": 0, "embedding": []float64{0.1, -0.2}}}})
	default:
		http.NotFound(w, r)
	}
}

func responseObject(model, status, text string) map[string]any {
	var output []any
	if text != "" {
		output = []any{map[string]any{"id": "msg_1", "type": "message", "role": "assistant", "status": status,
			"content": []any{map[string]any{"type": "output_text", "text": text, "annotations": []any{}}}}}
	}
	return map[string]any{"id": "resp_1", "object": "response", "created_at": 1700000000, "model": model,
		"status": status, "output": output}
}

// streamResponse sends the events of a streamed Responses API answer.
func streamResponse(send func(string, any), model string, answer []string) {
	seq := 0
	ev := func(typ string, fields map[string]any) {
		fields["type"] = typ
		fields["sequence_number"] = seq
		seq++
		send(typ, fields)
	}
	full := strings.Join(answer, "")
	ev("response.created", map[string]any{"response": responseObject(model, "in_progress", "")})
	ev("response.output_item.added", map[string]any{"output_index": 0,
		"item": map[string]any{"id": "msg_1", "type": "message", "role": "assistant", "status": "in_progress", "content": []any{}}})
	ev("response.content_part.added", map[string]any{"item_id": "msg_1", "output_index": 0, "content_index": 0,
		"part": map[string]any{"type": "output_text", "text": "", "annotations": []any{}}})
	for _, p := range answer {
		ev("response.output_text.delta", map[string]any{"item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": p})
	}
	ev("response.output_text.done", map[string]any{"item_id": "msg_1", "output_index": 0, "content_index": 0, "text": full})
	ev("response.content_part.done", map[string]any{"item_id": "msg_1", "output_index": 0, "content_index": 0,
		"part": map[string]any{"type": "output_text", "text": full, "annotations": []any{}}})
	ev("response.output_item.done", map[string]any{"output_index": 0,
		"item": map[string]any{"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
			"content": []any{map[string]any{"type": "output_text", "text": full, "annotations": []any{}}}}})
	ev("response.completed", map[string]any{"response": responseObject(model, "completed", full)})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// sse streams events, flushing each: the data is a JSON value, or a raw
// string such as [DONE].
func sse(w http.ResponseWriter, body func(send func(event string, data any))) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl, _ := w.(http.Flusher)
	body(func(event string, data any) {
		var b bytes.Buffer
		if event != "" {
			fmt.Fprintf(&b, "event: %s\n", event)
		}
		if s, ok := data.(string); ok {
			fmt.Fprintf(&b, "data: %s\n\n", s)
		} else {
			j, _ := json.Marshal(data)
			fmt.Fprintf(&b, "data: %s\n\n", j)
		}
		_, _ = w.Write(b.Bytes())
		if fl != nil {
			fl.Flush()
		}
	})
}

// Stub scanners: the tests do not depend on the real pattern or model
// scanners, only on the guard's contract.
type wordScanner struct {
	word     string
	category guard.Category
	kind     string
}

func (s wordScanner) Name() string { return "stub-" + s.kind }

func (s wordScanner) Scan(seg guard.Segment) []guard.Finding {
	var fs []guard.Finding
	for at := 0; ; {
		i := strings.Index(seg.Text[at:], s.word)
		if i < 0 {
			return fs
		}
		start := at + i
		fs = append(fs, guard.Finding{Scanner: s.Name(), Category: s.category, Kind: s.kind, Score: 0.95,
			Start: start, End: start + len(s.word), Match: s.word, Detail: "stub " + s.kind})
		at = start + len(s.word)
	}
}

var testKeyRE = regexp.MustCompile(`sk-test-[A-Za-z0-9]{8,}`)

type secretScanner struct{}

func (secretScanner) Name() string { return "stub-secret" }

func (secretScanner) Scan(seg guard.Segment) []guard.Finding {
	var fs []guard.Finding
	for _, m := range testKeyRE.FindAllStringIndex(seg.Text, -1) {
		fs = append(fs, guard.Finding{Scanner: "stub-secret", Category: guard.Secret, Kind: "api_key", Score: 0.99,
			Start: m[0], End: m[1], Match: seg.Text[m[0]:m[1]]})
	}
	return fs
}

func testScanners() []guard.Scanner {
	return []guard.Scanner{
		wordScanner{word: "IGNORE-ALL", category: guard.Injection, kind: "override"},
		wordScanner{word: "evil.example", category: guard.Exfiltration, kind: "link"},
		wordScanner{word: "b64:", category: guard.Obfuscation, kind: "base64"},
		secretScanner{},
	}
}
