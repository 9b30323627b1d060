package proxy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/bulwarkhq/bulwark/guard"
)

// collectOutput gathers the model-written texts of an answer body for ep:
// message content, refusals and tool-call arguments.
func collectOutput(ep endpoint, body map[string]any) *collector {
	c := &collector{}
	switch ep {
	case chatCompletions:
		choices, _ := body["choices"].([]any)
		for i, ch := range choices {
			choice, _ := ch.(map[string]any)
			msg, ok := choice["message"].(map[string]any)
			if !ok {
				continue
			}
			where := "choices[" + strconv.Itoa(i) + "].message"
			c.content(guard.RoleOutput, where, msg, "content")
			c.add(guard.RoleOutput, where, msg, "refusal")
			outputToolCalls(c, where, msg)
		}
	case completions:
		choices, _ := body["choices"].([]any)
		for i, ch := range choices {
			if choice, ok := ch.(map[string]any); ok {
				c.add(guard.RoleOutput, "choices["+strconv.Itoa(i)+"]", choice, "text")
			}
		}
	case responses:
		collectResponse(c, "", body)
	}
	return c
}

func outputToolCalls(c *collector, where string, msg map[string]any) {
	calls, _ := msg["tool_calls"].([]any)
	for j, tc := range calls {
		call, _ := tc.(map[string]any)
		if fn, ok := call["function"].(map[string]any); ok {
			c.add(guard.RoleOutput, where+".tool_calls["+strconv.Itoa(j)+"].function", fn, "arguments")
		}
	}
	if fn, ok := msg["function_call"].(map[string]any); ok {
		c.add(guard.RoleOutput, where+".function_call", fn, "arguments")
	}
}

// collectResponse gathers the output items of a Responses API response
// object.
func collectResponse(c *collector, where string, resp map[string]any) {
	items, _ := resp["output"].([]any)
	for i, it := range items {
		if item, ok := it.(map[string]any); ok {
			collectResponseItem(c, where+"output["+strconv.Itoa(i)+"]", item)
		}
	}
}

// collectResponseItem gathers the model-written texts of one output item.
func collectResponseItem(c *collector, where string, item map[string]any) {
	switch item["type"] {
	case "message":
		c.content(guard.RoleOutput, where, item, "content")
	case "function_call", "mcp_call":
		c.add(guard.RoleOutput, where, item, "arguments")
	case "custom_tool_call":
		c.add(guard.RoleOutput, where, item, "input")
	case "reasoning":
		c.content(guard.RoleOutput, where, item, "summary")
		c.content(guard.RoleOutput, where, item, "content")
	}
}

// checkOutput scans collected answer texts and writes redactions back.
func (p *Proxy) checkOutput(app string, c *collector) (guard.Verdict, bool) {
	if len(c.segs) == 0 {
		return guard.Verdict{Action: guard.Allow}, false
	}
	v := p.cfg.Guard.Check(app, c.segs)
	if v.Action == guard.Block {
		return v, false
	}
	return v, c.apply(v.Segments)
}

// relayAnswer scans an answer that is not streamed and sends it on:
// unchanged, redacted, or replaced by an error.
func (p *Proxy) relayAnswer(w http.ResponseWriter, r *http.Request, resp *http.Response, x *exchange) {
	t := time.Now()
	body, err := io.ReadAll(io.LimitReader(resp.Body, p.cfg.MaxResponseBytes+1))
	x.upstream += time.Since(t)
	if err == nil && int64(len(body)) > p.cfg.MaxResponseBytes {
		err = errTooLarge
	}
	if err != nil {
		reason := "bad_stream"
		if errors.Is(err, errTooLarge) {
			reason = "too_large"
		}
		x.upstreamError(reason, err)
		writeError(w, http.StatusBadGateway, "server_error", "upstream_error", "The upstream answer could not be read in full.")
		x.finish(r.Context(), http.StatusBadGateway)
		return
	}

	t = time.Now()
	// Every successful answer of a scanned endpoint is JSON carrying model
	// output; one that cannot be read is not passed on unscanned. Upstream
	// errors are passed on as they are.
	if resp.StatusCode/100 == 2 && x.ep != embeddings {
		doc, derr := decodeObject(body)
		if derr != nil {
			x.timeGuard(t)
			x.upstreamError("bad_stream", fmt.Errorf("upstream answer is not a JSON object: %v", derr))
			writeError(w, http.StatusBadGateway, "server_error", "upstream_error", "The upstream answer could not be scanned.")
			x.finish(r.Context(), http.StatusBadGateway)
			return
		}
		c := collectOutput(x.ep, doc)
		v, changed := p.checkOutput(x.rec.App, c)
		x.found("response", v)
		if v.Action == guard.Block {
			x.timeGuard(t)
			w.Header().Set("X-Bulwark-Guard", "blocked")
			writeError(w, http.StatusBadRequest, "invalid_request_error", "content_blocked",
				"The model's answer was withheld by the guard: it contains "+describe(v.Findings, guard.Block)+".")
			x.finish(r.Context(), http.StatusBadRequest)
			return
		}
		if changed {
			if body, err = encodeObject(doc); err != nil {
				x.timeGuard(t)
				writeError(w, http.StatusInternalServerError, "server_error", "guard_error", "The guard could not rewrite the answer.")
				x.finish(r.Context(), http.StatusInternalServerError)
				return
			}
		}
		if mark := guardHeader(v.Action); mark != "" && v.Action.Stronger(x.rec.RequestAction) {
			w.Header().Set("X-Bulwark-Guard", mark)
		}
	}
	x.timeGuard(t)
	copyHeaders(w.Header(), resp.Header)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
	x.finish(r.Context(), resp.StatusCode)
}

var errTooLarge = errors.New("upstream answer larger than the limit")
