package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// ChatRequest is a POST /v1/chat/completions request as the server received
// it, decoded from OpenAI's wire format.
type ChatRequest struct {
	Model               string          `json:"model"`
	Messages            []Message       `json:"messages"`
	Tools               []Tool          `json:"tools,omitempty"`
	ToolChoice          json.RawMessage `json:"tool_choice,omitempty"`
	Stream              bool            `json:"stream,omitempty"`
	StreamOptions       *StreamOptions  `json:"stream_options,omitempty"`
	MaxTokens           *int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int            `json:"max_completion_tokens,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`

	// Header holds the request's HTTP headers (Authorization, ...).
	Header http.Header `json:"-"`
	// Body is the request body exactly as sent, for assertions on the wire
	// shape that the decoded fields above would hide.
	Body json.RawMessage `json:"-"`
}

// IncludeUsage reports whether the client asked for a final usage chunk
// (stream_options.include_usage).
func (r ChatRequest) IncludeUsage() bool {
	return r.StreamOptions != nil && r.StreamOptions.IncludeUsage
}

// LastMessage is the request's last message, or a zero Message.
func (r ChatRequest) LastMessage() Message {
	if len(r.Messages) == 0 {
		return Message{}
	}
	return r.Messages[len(r.Messages)-1]
}

// StreamOptions are the request's stream_options.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// Message is one message of a request, or the message of a non-streamed
// answer.
type Message struct {
	Role string `json:"role"`
	// Content is the message text. A request may send content as a string,
	// as null, or as an array of text parts; the parts are joined here and
	// ContentIsParts records that form.
	Content        string     `json:"content"`
	ContentIsParts bool       `json:"-"`
	ContentIsNull  bool       `json:"-"`
	Name           string     `json:"name,omitempty"`
	ToolCalls      []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID     string     `json:"tool_call_id,omitempty"`
}

// UnmarshalJSON accepts the three forms OpenAI allows for content.
func (m *Message) UnmarshalJSON(data []byte) error {
	var wire struct {
		Role       string          `json:"role"`
		Content    json.RawMessage `json:"content"`
		Name       string          `json:"name"`
		ToolCalls  []ToolCall      `json:"tool_calls"`
		ToolCallID string          `json:"tool_call_id"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return err
	}
	*m = Message{Role: wire.Role, Name: wire.Name, ToolCalls: wire.ToolCalls, ToolCallID: wire.ToolCallID}
	content := strings.TrimSpace(string(wire.Content))
	switch {
	case content == "" || content == "null":
		m.ContentIsNull = content == "null"
	case strings.HasPrefix(content, "["):
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(wire.Content, &parts); err != nil {
			return fmt.Errorf("content parts: %w", err)
		}
		var text strings.Builder
		for _, p := range parts {
			text.WriteString(p.Text)
		}
		m.Content, m.ContentIsParts = text.String(), true
	default:
		if err := json.Unmarshal(wire.Content, &m.Content); err != nil {
			return fmt.Errorf("content: %w", err)
		}
	}
	return nil
}

// ToolCall is a function call in OpenAI's wire format: in an assistant
// message of a request, or in an answer.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"` // "function"
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function a ToolCall calls and its JSON arguments.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Call builds a function ToolCall for a Reply.
func Call(id, name, arguments string) ToolCall {
	return ToolCall{ID: id, Type: "function", Function: FunctionCall{Name: name, Arguments: arguments}}
}

// Tool is a tool offered in a request.
type Tool struct {
	Type     string       `json:"type"` // "function"
	Function FunctionTool `json:"function"`
}

// FunctionTool describes a function tool.
type FunctionTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// Usage counts tokens as OpenAI reports them.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// The answer bodies below follow OpenAI's chat completion and chat
// completion chunk objects field by field, nulls included, so that clients
// are tested against what the real API sends.

type completionBody struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"` // "chat.completion"
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	SystemFingerprint string             `json:"system_fingerprint"`
	Choices           []completionChoice `json:"choices"`
	Usage             *Usage             `json:"usage,omitempty"`
}

type completionChoice struct {
	Index        int             `json:"index"`
	Message      answerMessage   `json:"message"`
	Logprobs     json.RawMessage `json:"logprobs"` // always null
	FinishReason string          `json:"finish_reason"`
}

type answerMessage struct {
	Role      string     `json:"role"`
	Content   *string    `json:"content"` // null when the answer is only tool calls
	Refusal   *string    `json:"refusal"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
}

type chunkBody struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"` // "chat.completion.chunk"
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	SystemFingerprint string        `json:"system_fingerprint"`
	Choices           []chunkChoice `json:"choices"`
	// Usage is null on every chunk but the last when the client asked for
	// usage, and absent when it did not.
	Usage json.RawMessage `json:"usage,omitempty"`
}

type chunkChoice struct {
	Index        int             `json:"index"`
	Delta        chunkDelta      `json:"delta"`
	Logprobs     json.RawMessage `json:"logprobs"` // always null
	FinishReason *string         `json:"finish_reason"`
}

type chunkDelta struct {
	Role      string          `json:"role,omitempty"`
	Content   *string         `json:"content,omitempty"`
	ToolCalls []toolCallDelta `json:"tool_calls,omitempty"`
}

// toolCallDelta is a piece of a streamed tool call: the first piece of each
// call carries its id, type and name, the later ones only arguments.
type toolCallDelta struct {
	Index    int               `json:"index"`
	ID       string            `json:"id,omitempty"`
	Type     string            `json:"type,omitempty"`
	Function functionCallDelta `json:"function"`
}

type functionCallDelta struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

type errorBody struct {
	Error apiError `json:"error"`
}

type apiError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}
