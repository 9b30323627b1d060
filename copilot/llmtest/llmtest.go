// Package llmtest is a local OpenAI-compatible chat completions server for
// tests across the repository: a test scripts each answer from the request
// it got (text, tool calls, HTTP errors, delays, usage, streamed chunks),
// points a provider at Server.URL and asserts on the requests the server
// recorded. It speaks OpenAI's wire format, streamed (SSE) and not, so code
// tested against it works against OpenAI, Ollama, vLLM and llama.cpp.
//
// It is an ordinary package, not a _test file, so that every package's
// tests can import it; nothing outside tests should.
package llmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// maxRequestBytes bounds a request body; a larger one is answered 413.
const maxRequestBytes = 16 << 20

// Script decides the answer to each request. It may be called from several
// goroutines at once when a test sends concurrent requests.
type Script func(req ChatRequest) Reply

// Reply is what the server answers one request with.
type Reply struct {
	// Text is the answer's content.
	Text string
	// ToolCalls are the calls the answer asks for (see Call).
	ToolCalls []ToolCall
	// FinishReason defaults to "tool_calls" when there are tool calls and
	// to "stop" otherwise.
	FinishReason string
	// Model is the model the answer names; the request's model by default.
	Model string

	// Usage is reported as given; nil reports an estimate of a quarter
	// token per byte of prompt and answer. NoUsage leaves usage out: the
	// "usage" field of a completion, and the final usage chunk of a stream
	// even when the client asked for it.
	Usage   *Usage
	NoUsage bool

	// Status, when neither 0 nor 200, answers with that HTTP status and an
	// OpenAI error body: {"error": {"message", "type", "param", "code"}}.
	Status       int
	ErrorMessage string // default: the status text
	ErrorType    string // default: derived from the status
	ErrorCode    string // null when empty
	// Header is added to the answer's headers (Retry-After, ...).
	Header http.Header

	// Delay waits before answering; it ends early when the client goes away.
	Delay time.Duration

	// Chunks is the streamed text, one delta per element; by default Text
	// is split after each space. ChunkDelay waits before each chunk.
	Chunks     []string
	ChunkDelay time.Duration
	// ArgumentPieces splits each streamed tool call's arguments into that
	// many deltas after the first one that names the call (default 3).
	ArgumentPieces int
	// CutStream ends a stream before the finish reason and [DONE], as a
	// dropped connection would.
	CutStream bool
}

// Text answers every request with text.
func Text(text string) Script {
	return func(ChatRequest) Reply { return Reply{Text: text} }
}

// Sequence answers the n-th request with the n-th reply and every request
// after the last with the last reply: "500 twice, then 200".
func Sequence(replies ...Reply) Script {
	var mu sync.Mutex
	next := 0
	return func(ChatRequest) Reply {
		mu.Lock()
		defer mu.Unlock()
		if len(replies) == 0 {
			return Reply{}
		}
		r := replies[min(next, len(replies)-1)]
		next++
		return r
	}
}

// Server is a running test server.
type Server struct {
	// URL is the API's base URL, ending in /v1.
	URL string

	tb     testing.TB
	script Script
	http   *httptest.Server

	mu       sync.Mutex
	requests []ChatRequest
}

// New starts a server that answers with script and stops it when the test
// ends. A nil script answers "ok" to everything.
func New(tb testing.TB, script Script) *Server {
	tb.Helper()
	if script == nil {
		script = Text("ok")
	}
	s := &Server{tb: tb, script: script}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chatCompletions)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, Reply{ErrorMessage: "Unknown request URL: " + r.Method + " " + r.URL.Path})
	})
	s.http = httptest.NewServer(mux)
	s.URL = s.http.URL + "/v1"
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server; New arranges it at the end of the test.
func (s *Server) Close() {
	// Clients left holding a stream open would make Close wait forever.
	s.http.CloseClientConnections()
	s.http.Close()
}

// Requests returns every chat completion request received so far, in order
// of arrival, those answered with errors included.
func (s *Server) Requests() []ChatRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ChatRequest, len(s.requests))
	copy(out, s.requests)
	return out
}

// RequestCount is len(Requests()).
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, Reply{ErrorMessage: err.Error()})
		return
	}
	var req ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, Reply{ErrorMessage: "We could not parse the JSON body of your request: " + err.Error()})
		return
	}
	req.Header = r.Header.Clone()
	req.Body = json.RawMessage(bytes.Clone(body))
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	switch {
	case req.Model == "":
		writeError(w, http.StatusBadRequest, Reply{ErrorMessage: "you must provide a model parameter", ErrorCode: "missing_required_parameter"})
		return
	case len(req.Messages) == 0:
		writeError(w, http.StatusBadRequest, Reply{ErrorMessage: "[] is too short - 'messages'", ErrorCode: "empty_array"})
		return
	}

	reply := s.script(req)
	if !sleep(r.Context(), reply.Delay) {
		return
	}
	for k, vs := range reply.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if reply.Status != 0 && reply.Status != http.StatusOK {
		writeError(w, reply.Status, reply)
		return
	}
	if reply.Model == "" {
		reply.Model = req.Model
	}
	if req.Stream {
		s.stream(w, r, req, reply)
		return
	}
	writeJSON(w, http.StatusOK, completion(req, reply))
}

// completion is the non-streamed answer body.
func completion(req ChatRequest, reply Reply) completionBody {
	msg := answerMessage{Role: "assistant", ToolCalls: reply.ToolCalls}
	if reply.Text != "" || len(reply.ToolCalls) == 0 {
		text := reply.Text
		msg.Content = &text
	}
	body := completionBody{
		ID:                "chatcmpl-llmtest",
		Object:            "chat.completion",
		Created:           time.Now().Unix(),
		Model:             reply.Model,
		SystemFingerprint: "fp_llmtest",
		Choices: []completionChoice{{
			Index:        0,
			Message:      msg,
			Logprobs:     json.RawMessage("null"),
			FinishReason: finishReason(reply),
		}},
	}
	if !reply.NoUsage {
		u := usage(req, reply)
		body.Usage = &u
	}
	return body
}

// stream writes the answer as server-sent events: a first chunk with the
// role, one chunk per text piece, the tool calls in pieces, a chunk with the
// finish reason, the usage chunk when asked for, and [DONE].
func (s *Server) stream(w http.ResponseWriter, r *http.Request, req ChatRequest, reply Reply) {
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)

	includeUsage := req.IncludeUsage()
	created := time.Now().Unix()
	send := func(choices []chunkChoice, usageJSON json.RawMessage) bool {
		if !sleep(r.Context(), reply.ChunkDelay) {
			return false
		}
		chunk := chunkBody{
			ID: "chatcmpl-llmtest", Object: "chat.completion.chunk", Created: created,
			Model: reply.Model, SystemFingerprint: "fp_llmtest", Choices: choices,
		}
		if includeUsage {
			chunk.Usage = json.RawMessage("null")
		}
		if usageJSON != nil {
			chunk.Usage = usageJSON
		}
		data, err := json.Marshal(chunk)
		if err != nil {
			s.tb.Errorf("llmtest: encoding chunk: %v", err)
			return false
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	delta := func(d chunkDelta) []chunkChoice {
		return []chunkChoice{{Index: 0, Delta: d, Logprobs: json.RawMessage("null")}}
	}

	empty := ""
	if !send(delta(chunkDelta{Role: "assistant", Content: &empty}), nil) {
		return
	}
	for _, piece := range textChunks(reply) {
		if !send(delta(chunkDelta{Content: &piece}), nil) {
			return
		}
	}
	for i, call := range reply.ToolCalls {
		first := toolCallDelta{Index: i, ID: call.ID, Type: "function", Function: functionCallDelta{Name: call.Function.Name}}
		if !send(delta(chunkDelta{ToolCalls: []toolCallDelta{first}}), nil) {
			return
		}
		for _, piece := range split(call.Function.Arguments, reply.ArgumentPieces) {
			more := toolCallDelta{Index: i, Function: functionCallDelta{Arguments: piece}}
			if !send(delta(chunkDelta{ToolCalls: []toolCallDelta{more}}), nil) {
				return
			}
		}
	}
	if reply.CutStream {
		return
	}
	finish := finishReason(reply)
	if !send([]chunkChoice{{Index: 0, Delta: chunkDelta{}, Logprobs: json.RawMessage("null"), FinishReason: &finish}}, nil) {
		return
	}
	if includeUsage && !reply.NoUsage {
		u, err := json.Marshal(usage(req, reply))
		if err != nil {
			s.tb.Errorf("llmtest: encoding usage: %v", err)
			return
		}
		if !send([]chunkChoice{}, u) {
			return
		}
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
}

// textChunks is the streamed text: Reply.Chunks, or Text split after each
// space so that the pieces join back to Text.
func textChunks(reply Reply) []string {
	if reply.Chunks != nil {
		return reply.Chunks
	}
	var out []string
	rest := reply.Text
	for rest != "" {
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			out = append(out, rest)
			break
		}
		out = append(out, rest[:i+1])
		rest = rest[i+1:]
	}
	return out
}

// split cuts s into n pieces of about equal length (3 when n is 0); the
// pieces join back to s. Cuts fall on byte boundaries, which may split a
// UTF-8 sequence, as a real stream may too.
func split(s string, n int) []string {
	if n <= 0 {
		n = 3
	}
	if s == "" {
		return nil
	}
	n = min(n, len(s))
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, s[i*len(s)/n:(i+1)*len(s)/n])
	}
	return out
}

func finishReason(reply Reply) string {
	switch {
	case reply.FinishReason != "":
		return reply.FinishReason
	case len(reply.ToolCalls) > 0:
		return "tool_calls"
	default:
		return "stop"
	}
}

// usage is Reply.Usage or the quarter-token-per-byte estimate.
func usage(req ChatRequest, reply Reply) Usage {
	if reply.Usage != nil {
		u := *reply.Usage
		if u.TotalTokens == 0 {
			u.TotalTokens = u.PromptTokens + u.CompletionTokens
		}
		return u
	}
	prompt := 0
	for _, m := range req.Messages {
		prompt += len(m.Content)
		for _, c := range m.ToolCalls {
			prompt += len(c.Function.Name) + len(c.Function.Arguments)
		}
	}
	completion := len(reply.Text)
	for _, c := range reply.ToolCalls {
		completion += len(c.Function.Name) + len(c.Function.Arguments)
	}
	u := Usage{PromptTokens: (prompt + 3) / 4, CompletionTokens: (completion + 3) / 4}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

// writeError answers with OpenAI's error body.
func writeError(w http.ResponseWriter, status int, reply Reply) {
	msg := reply.ErrorMessage
	if msg == "" {
		msg = http.StatusText(status)
	}
	typ := reply.ErrorType
	if typ == "" {
		typ = errorType(status)
	}
	body := errorBody{Error: apiError{Message: msg, Type: typ}}
	if reply.ErrorCode != "" {
		code := reply.ErrorCode
		body.Error.Code = &code
	}
	writeJSON(w, status, body)
}

// errorType is the error type OpenAI sends with a status.
func errorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "invalid_request_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_exceeded"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request_error"
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// sleep waits d or until ctx ends, and reports whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
