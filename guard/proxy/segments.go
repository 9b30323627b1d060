package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/bulwarkhq/bulwark/guard"
)

// endpoint is an API the proxy scans.
type endpoint int

const (
	chatCompletions endpoint = iota
	responses
	completions
	embeddings
	models
)

// String names the endpoint in metrics and audit records.
func (e endpoint) String() string {
	switch e {
	case chatCompletions:
		return "chat.completions"
	case responses:
		return "responses"
	case completions:
		return "completions"
	case embeddings:
		return "embeddings"
	case models:
		return "models"
	}
	return "unknown"
}

// textRef points at one string inside a decoded JSON document (a field of
// an object, or an item of a list), so a redacted text can be written back
// in place and every other field kept.
type textRef struct {
	obj  map[string]any
	key  string
	list []any
	idx  int
}

func (r textRef) set(s string) {
	if r.obj != nil {
		r.obj[r.key] = s
		return
	}
	r.list[r.idx] = s
}

// collector gathers the text fields of a document as segments, each with
// the place it came from.
type collector struct {
	segs []guard.Segment
	refs []textRef
}

func (c *collector) add(role guard.Role, where string, obj map[string]any, key string) {
	s, ok := obj[key].(string)
	if !ok || s == "" {
		return
	}
	at := key
	if where != "" {
		at = where + "." + key
	}
	c.segs = append(c.segs, guard.Segment{Role: role, Where: at, Text: s})
	c.refs = append(c.refs, textRef{obj: obj, key: key})
}

// content adds a content field that is either a string or a list of parts.
// Text parts are scanned; images, audio and files are not text and are left
// alone.
func (c *collector) content(role guard.Role, where string, obj map[string]any, key string) {
	switch v := obj[key].(type) {
	case string:
		c.add(role, where, obj, key)
	case []any:
		for i, p := range v {
			part, ok := p.(map[string]any)
			if !ok {
				continue
			}
			at := where + "." + key + "[" + strconv.Itoa(i) + "]"
			switch part["type"] {
			case "text", "input_text", "output_text", "summary_text", "reasoning_text", nil:
				c.add(role, at, part, "text")
			case "refusal":
				c.add(role, at, part, "refusal")
			}
		}
	}
}

// apply writes back the texts of segs that differ from the collected ones
// and reports whether any did.
func (c *collector) apply(segs []guard.Segment) bool {
	changed := false
	for i := range c.refs {
		if i < len(segs) && segs[i].Text != c.segs[i].Text {
			c.refs[i].set(segs[i].Text)
			changed = true
		}
	}
	return changed
}

// roleOf maps a message role to a segment role. Unknown roles count as the
// user's: the least trusted place a request text can come from.
func roleOf(role any) guard.Role {
	switch role {
	case "system", "developer":
		return guard.RoleSystem
	case "assistant":
		return guard.RoleAssistant
	case "tool", "function":
		return guard.RoleTool
	}
	return guard.RoleUser
}

// request is a decoded request body and the texts to scan in it.
type request struct {
	body   map[string]any
	model  string
	stream bool
	collector
}

// decodeObject decodes one JSON object, keeping numbers as written.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("body is not a JSON object")
	}
	return obj, nil
}

// encodeObject encodes a document the way it came, without escaping HTML
// characters that were never escaped.
func encodeObject(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// parseRequest decodes a request body for ep and collects its texts by role.
func parseRequest(ep endpoint, raw []byte) (*request, error) {
	body, err := decodeObject(raw)
	if err != nil {
		return nil, fmt.Errorf("the request body is not valid JSON: %v", err)
	}
	r := &request{body: body}
	r.model, _ = body["model"].(string)
	r.stream, _ = body["stream"].(bool)
	switch ep {
	case chatCompletions:
		r.chatMessages(body)
	case responses:
		r.responsesInput(body)
	case completions:
		r.add(guard.RoleUser, "", body, "prompt")
		r.stringList(guard.RoleUser, "prompt", body["prompt"])
		r.add(guard.RoleUser, "", body, "suffix")
	case embeddings:
		// Texts sent for embedding are documents on their way into a
		// retrieval index: injection there is indirect injection later.
		r.add(guard.RoleDocument, "", body, "input")
		r.stringList(guard.RoleDocument, "input", body["input"])
	}
	return r, nil
}

// stringList collects the strings of a list (prompt or input given as a
// list); token arrays are not text and are skipped.
func (r *request) stringList(role guard.Role, where string, v any) {
	list, ok := v.([]any)
	if !ok {
		return
	}
	for i, item := range list {
		if s, ok := item.(string); ok && s != "" {
			r.segs = append(r.segs, guard.Segment{Role: role, Where: where + "[" + strconv.Itoa(i) + "]", Text: s})
			r.refs = append(r.refs, textRef{list: list, idx: i})
		}
	}
}

func (r *request) chatMessages(body map[string]any) {
	msgs, _ := body["messages"].([]any)
	for i, m := range msgs {
		msg, ok := m.(map[string]any)
		if !ok {
			continue
		}
		where := "messages[" + strconv.Itoa(i) + "]"
		role := roleOf(msg["role"])
		r.content(role, where, msg, "content")
		if role == guard.RoleAssistant {
			r.add(role, where, msg, "refusal")
			r.toolCalls(where, msg)
		}
	}
}

// toolCalls collects the arguments of an assistant's tool calls: they are
// what the model chose to send a tool, and may carry data out.
func (r *request) toolCalls(where string, msg map[string]any) {
	calls, _ := msg["tool_calls"].([]any)
	for j, c := range calls {
		call, ok := c.(map[string]any)
		if !ok {
			continue
		}
		if fn, ok := call["function"].(map[string]any); ok {
			r.add(guard.RoleAssistant, where+".tool_calls["+strconv.Itoa(j)+"].function", fn, "arguments")
		}
	}
	if fn, ok := msg["function_call"].(map[string]any); ok {
		r.add(guard.RoleAssistant, where+".function_call", fn, "arguments")
	}
}

func (r *request) responsesInput(body map[string]any) {
	r.add(guard.RoleSystem, "", body, "instructions")
	if _, ok := body["input"].(string); ok {
		r.add(guard.RoleUser, "", body, "input")
		return
	}
	items, _ := body["input"].([]any)
	for i, it := range items {
		item, ok := it.(map[string]any)
		if !ok {
			continue
		}
		where := "input[" + strconv.Itoa(i) + "]"
		switch item["type"] {
		case "message", nil:
			r.content(roleOf(item["role"]), where, item, "content")
		case "function_call", "mcp_call":
			r.add(guard.RoleAssistant, where, item, "arguments")
			r.add(guard.RoleTool, where, item, "output") // an MCP call carries its result
		case "custom_tool_call":
			r.add(guard.RoleAssistant, where, item, "input")
		case "function_call_output", "custom_tool_call_output", "local_shell_call_output", "shell_call_output":
			r.content(guard.RoleTool, where, item, "output")
		}
	}
}

// rewrite applies redacted segments and encodes the body again. Only the
// text fields change value; the order of keys may differ from the client's.
func (r *request) rewrite(segs []guard.Segment) ([]byte, error) {
	if !r.apply(segs) {
		return nil, errors.New("nothing to rewrite")
	}
	return encodeObject(r.body)
}
