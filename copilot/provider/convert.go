package provider

import (
	"encoding/json"
	"fmt"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/shared"

	"github.com/bulwarkhq/bulwark/copilot"
)

// maxToolCalls bounds the tool calls of one answer; a streamed tool call
// index beyond it is a broken or hostile server, not a plan.
const maxToolCalls = 128

// chatParams maps a copilot request to the SDK's chat completion params.
func chatParams(model string, req copilot.Request) (openai.ChatCompletionNewParams, error) {
	params := openai.ChatCompletionNewParams{Model: shared.ChatModel(model)}
	for i, m := range req.Messages {
		msg, err := messageParam(m)
		if err != nil {
			return params, fmt.Errorf("message %d: %w", i, err)
		}
		params.Messages = append(params.Messages, msg)
	}
	for _, t := range req.Tools {
		tool, err := toolParam(t)
		if err != nil {
			return params, fmt.Errorf("tool %q: %w", t.Name, err)
		}
		params.Tools = append(params.Tools, tool)
	}
	if req.MaxTokens > 0 {
		// max_tokens rather than max_completion_tokens: Ollama, vLLM and
		// llama.cpp servers all honour it, and OpenAI's chat models do too.
		params.MaxTokens = param.NewOpt(int64(req.MaxTokens))
	}
	if req.Temperature != nil {
		params.Temperature = param.NewOpt(*req.Temperature)
	}
	return params, nil
}

func messageParam(m copilot.Message) (openai.ChatCompletionMessageParamUnion, error) {
	switch m.Role {
	case copilot.RoleSystem:
		return openai.SystemMessage(m.Content), nil
	case copilot.RoleUser:
		return openai.UserMessage(m.Content), nil
	case copilot.RoleAssistant:
		var assistant openai.ChatCompletionAssistantMessageParam
		// Content is optional next to tool calls; an empty string would be
		// sent as "" where OpenAI's own clients send nothing.
		if m.Content != "" || len(m.ToolCalls) == 0 {
			assistant.Content.OfString = param.NewOpt(m.Content)
		}
		for _, c := range m.ToolCalls {
			assistant.ToolCalls = append(assistant.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
				OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
					ID: c.ID,
					Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{
						Name:      c.Name,
						Arguments: c.Arguments,
					},
				},
			})
		}
		return openai.ChatCompletionMessageParamUnion{OfAssistant: &assistant}, nil
	case copilot.RoleTool:
		if m.ToolCallID == "" {
			return openai.ChatCompletionMessageParamUnion{}, fmt.Errorf("tool message without tool_call_id")
		}
		return openai.ToolMessage(m.Content, m.ToolCallID), nil
	default:
		return openai.ChatCompletionMessageParamUnion{}, fmt.Errorf("unknown role %q", m.Role)
	}
}

func toolParam(t copilot.ToolSpec) (openai.ChatCompletionToolUnionParam, error) {
	def := shared.FunctionDefinitionParam{Name: t.Name}
	if t.Description != "" {
		def.Description = param.NewOpt(t.Description)
	}
	if len(t.Parameters) > 0 {
		var schema shared.FunctionParameters
		if err := json.Unmarshal(t.Parameters, &schema); err != nil {
			return openai.ChatCompletionToolUnionParam{}, fmt.Errorf("parameters are not a JSON object: %w", err)
		}
		def.Parameters = schema
	}
	return openai.ChatCompletionFunctionTool(def), nil
}

// fromCompletion maps a non-streamed answer to a copilot response. The
// usage is the server's, or an estimate when it sent none.
func fromCompletion(c *openai.ChatCompletion) (copilot.Response, bool, error) {
	if len(c.Choices) == 0 {
		return copilot.Response{}, false, fmt.Errorf("answer has no choices")
	}
	choice := c.Choices[0]
	resp := copilot.Response{
		Message:      copilot.Message{Role: copilot.RoleAssistant, Content: choice.Message.Content},
		FinishReason: choice.FinishReason,
		Model:        c.Model,
	}
	if len(choice.Message.ToolCalls) > maxToolCalls {
		return copilot.Response{}, false, fmt.Errorf("answer has %d tool calls, more than %d", len(choice.Message.ToolCalls), maxToolCalls)
	}
	for _, tc := range choice.Message.ToolCalls {
		fn := tc.AsFunction()
		resp.Message.ToolCalls = append(resp.Message.ToolCalls, copilot.ToolCall{
			ID:        fn.ID,
			Name:      fn.Function.Name,
			Arguments: fn.Function.Arguments,
		})
	}
	if c.JSON.Usage.Valid() {
		resp.Usage = copilot.Usage{PromptTokens: int(c.Usage.PromptTokens), CompletionTokens: int(c.Usage.CompletionTokens)}
		return resp, false, nil
	}
	return resp, true, nil
}

// streamAccumulator builds the whole answer from a stream's chunks: text
// deltas appended, tool call pieces joined by index, usage from the final
// chunk.
type streamAccumulator struct {
	text         []byte
	toolCalls    []copilot.ToolCall
	finishReason string
	model        string
	usage        copilot.Usage
	gotUsage     bool
}

// add takes one chunk and returns its text delta.
func (a *streamAccumulator) add(chunk openai.ChatCompletionChunk) (string, error) {
	if chunk.Model != "" {
		a.model = chunk.Model
	}
	if chunk.JSON.Usage.Valid() {
		a.usage = copilot.Usage{PromptTokens: int(chunk.Usage.PromptTokens), CompletionTokens: int(chunk.Usage.CompletionTokens)}
		a.gotUsage = true
	}
	var delta string
	for _, choice := range chunk.Choices {
		if choice.Index != 0 {
			continue // we ask for one choice; others are not ours to merge
		}
		delta += choice.Delta.Content
		for _, tc := range choice.Delta.ToolCalls {
			if tc.Index < 0 || tc.Index >= maxToolCalls {
				return "", fmt.Errorf("tool call index %d out of range", tc.Index)
			}
			for int(tc.Index) >= len(a.toolCalls) {
				a.toolCalls = append(a.toolCalls, copilot.ToolCall{})
			}
			call := &a.toolCalls[tc.Index]
			if tc.ID != "" {
				call.ID = tc.ID
			}
			call.Name += tc.Function.Name
			call.Arguments += tc.Function.Arguments
		}
		if choice.FinishReason != "" {
			a.finishReason = choice.FinishReason
		}
	}
	a.text = append(a.text, delta...)
	return delta, nil
}

// response is the accumulated answer; the usage is estimated when the
// server sent none.
func (a *streamAccumulator) response() (copilot.Response, bool) {
	resp := copilot.Response{
		Message:      copilot.Message{Role: copilot.RoleAssistant, Content: string(a.text), ToolCalls: a.toolCalls},
		FinishReason: a.finishReason,
		Model:        a.model,
		Usage:        a.usage,
	}
	return resp, !a.gotUsage
}

// estimateUsage guesses token counts at four bytes a token, the rule of
// thumb for English text with OpenAI's tokenizers, for servers that report
// no usage; the ledger marks such counts as estimated.
func estimateUsage(req copilot.Request, answer copilot.Message) copilot.Usage {
	prompt := 0
	for _, m := range req.Messages {
		prompt += messageBytes(m)
	}
	for _, t := range req.Tools {
		prompt += len(t.Name) + len(t.Description) + len(t.Parameters)
	}
	return copilot.Usage{PromptTokens: prompt / 4, CompletionTokens: messageBytes(answer) / 4}
}

func messageBytes(m copilot.Message) int {
	n := len(m.Content)
	for _, c := range m.ToolCalls {
		n += len(c.Name) + len(c.Arguments)
	}
	return n
}
