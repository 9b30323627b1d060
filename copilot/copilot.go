// Package copilot is Bulwark's AI assistant for analysts: case summaries
// that cite their evidence, natural language to search queries, and a
// read-only investigation agent. It runs on any OpenAI-compatible model
// (copilot/provider) or on none (copilot/offline answers from structured
// data), and attacker-controlled text from logs reaches a model only
// spotlighted and scanned by the guard (copilot/spotlight).
//
// This file holds the types every part shares: the Provider interface and
// the messages and tool calls that cross it.
package copilot

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/bulwarkhq/bulwark/store"
)

// Role of a message in a conversation with a model.
type Role string

// Roles of messages.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Message is one turn of a conversation.
type Message struct {
	Role    Role   `json:"role"`
	Content string `json:"content,omitempty"`
	// ToolCalls are the calls an assistant turn asks for.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID ties a tool turn to the call it answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
}

// ToolCall is a model's request to run a tool.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"` // JSON object, as the model wrote it
}

// ToolSpec describes a tool to the model.
type ToolSpec struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"` // JSON Schema of the arguments object
}

// Request is one call to a model.
type Request struct {
	// Feature names what the call is for ("summary", "query", "agent",
	// "ask"): tokens are accounted per feature.
	Feature  string     `json:"feature"`
	Messages []Message  `json:"messages"`
	Tools    []ToolSpec `json:"tools,omitempty"`
	// MaxTokens bounds the answer; 0 leaves it to the provider.
	MaxTokens int `json:"max_tokens,omitempty"`
	// Temperature; nil leaves it to the provider.
	Temperature *float64 `json:"temperature,omitempty"`
}

// Usage counts the tokens of one call.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// Total is prompt plus completion tokens.
func (u Usage) Total() int { return u.PromptTokens + u.CompletionTokens }

// Response is a model's answer.
type Response struct {
	Message      Message `json:"message"` // role assistant: content, tool calls or both
	FinishReason string  `json:"finish_reason,omitempty"`
	Usage        Usage   `json:"usage"`
	Model        string  `json:"model,omitempty"`
	Cached       bool    `json:"cached,omitempty"` // answered from the response cache
}

// Provider is a language model. Implementations must be safe for
// concurrent use and must honour ctx's deadline.
type Provider interface {
	// Name identifies the provider and model for logs and the UI
	// ("openai:gpt-4o-mini", "ollama:llama3.1").
	Name() string
	// Complete returns the whole answer.
	Complete(ctx context.Context, req Request) (Response, error)
	// Stream calls onDelta with each piece of answer text as it arrives and
	// returns the whole answer at the end, tool calls included.
	Stream(ctx context.Context, req Request, onDelta func(text string) error) (Response, error)
}

// Errors providers return, to be tested with errors.Is.
var (
	// ErrBudget: the daily token budget is spent; no call was made.
	ErrBudget = errors.New("copilot: daily token budget exhausted")
	// ErrProvider: the provider failed (after retries); wrapped with the
	// provider's message.
	ErrProvider = errors.New("copilot: provider error")
	// ErrNoProvider: no model is configured; callers answer offline.
	ErrNoProvider = errors.New("copilot: no model configured")
)

// Evidence is what a case rests on, gathered from the store: the input of
// case summaries (offline and by a model) and of the agent's first turn.
// Alert and event ids are what answers cite.
type Evidence struct {
	Case   store.Case          `json:"case"`
	Alerts []store.StoredAlert `json:"alerts"`
	// Events are the events behind the alerts (each alert's event), by id.
	Events []store.StoredEvent `json:"events"`
	// Rules describe the rules that fired, by rule id.
	Rules map[string]RuleInfo `json:"rules"`
	// Techniques are the ATT&CK techniques of those rules, by id.
	Techniques map[string]TechniqueInfo `json:"techniques"`
	// Truncated says that the case had more alerts or events than were
	// gathered.
	Truncated bool `json:"truncated,omitempty"`
}

// RuleInfo is what the copilot knows of a rule.
type RuleInfo struct {
	ID             string   `json:"id"`
	Title          string   `json:"title"`
	Description    string   `json:"description,omitempty"`
	Level          string   `json:"level,omitempty"`
	Techniques     []string `json:"techniques,omitempty"` // T1003.001, ...
	FalsePositives []string `json:"falsepositives,omitempty"`
}

// TechniqueInfo is what the copilot knows of an ATT&CK technique.
type TechniqueInfo struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Tactics     []string `json:"tactics,omitempty"`
	Description string   `json:"description,omitempty"`
	Mitigations []string `json:"mitigations,omitempty"` // "M1043 Credential Access Protection: ..."
	Detection   string   `json:"detection,omitempty"`
}
