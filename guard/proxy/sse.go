package proxy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/guard"
)

// sseEvent is one server-sent event as the upstream sent it.
type sseEvent struct {
	raw     []byte   // the event's bytes, blank line included
	other   [][]byte // lines that are not data (event:, id:, comments), in order
	data    []byte   // data lines joined with newlines
	hasData bool
}

// encode writes the event again with new data, keeping its other lines.
func (ev sseEvent) encode(data []byte) []byte {
	var b bytes.Buffer
	for _, l := range ev.other {
		b.Write(l)
		b.WriteByte('\n')
	}
	b.WriteString("data: ")
	b.Write(data)
	b.WriteString("\n\n")
	return b.Bytes()
}

var errEventTooLarge = errors.New("server-sent event larger than the limit")

// readEvent reads the next event. An event cut off by the end of the
// stream is still returned; io.EOF means there are no more.
func readEvent(br *bufio.Reader, limit int) (sseEvent, error) {
	var ev sseEvent
	for {
		line, err := readLine(br, limit-len(ev.raw))
		ev.raw = append(ev.raw, line...)
		text := bytes.TrimRight(line, "\r\n")
		switch {
		case len(text) == 0 && err == nil:
			if len(bytes.TrimSpace(ev.raw)) == 0 {
				ev.raw = ev.raw[:0] // blank lines between events
				continue
			}
			return ev, nil
		case bytes.HasPrefix(text, []byte("data:")):
			if ev.hasData {
				ev.data = append(ev.data, '\n')
			}
			ev.data = append(ev.data, bytes.TrimPrefix(text[len("data:"):], []byte(" "))...)
			ev.hasData = true
		case len(text) > 0:
			ev.other = append(ev.other, text)
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(bytes.TrimSpace(ev.raw)) > 0 {
				// The stream ended without the blank line: the event is
				// still whole, and the raw copy gets its terminator.
				ev.raw = append(ev.raw, "\n\n"...)
				return ev, nil
			}
			return ev, err
		}
	}
}

// readLine reads one line (with its newline) of at most limit bytes, as a
// fresh slice.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > limit {
			return nil, errEventTooLarge
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, err
	}
}

// streamer rewrites the events of one streamed answer.
type streamer interface {
	// event returns what to send for ev, and whether to cut the stream
	// after sending it.
	event(ev sseEvent) (out []byte, cut bool)
	// end is called when upstream ends the stream; it sends what is held.
	end() (out []byte, cut bool)
}

// maxStreams bounds the texts scanned at once in one answer (choices times
// fields and tool calls), so an upstream cannot grow the proxy's memory by
// inventing indexes.
const maxStreams = 256

var errTooManyStreams = errors.New("too many parallel texts in one streamed answer")

// relayStream passes a streamed answer through the guard event by event,
// flushing after each so the client sees text as soon as it is safe.
func (p *Proxy) relayStream(w http.ResponseWriter, r *http.Request, resp *http.Response, x *exchange) {
	x.rec.Stream = true
	copyHeaders(w.Header(), resp.Header)
	w.Header().Del("Content-Length")
	w.WriteHeader(resp.StatusCode)
	rc := http.NewResponseController(w)
	_ = rc.Flush()

	var s streamer
	if x.ep == responses {
		s = &responsesStreamer{p: p, x: x, streams: map[string]*guard.Stream{}, lastDelta: map[string]map[string]any{}}
	} else {
		s = &choiceStreamer{p: p, x: x, text: x.ep == completions, choices: map[int]*choiceState{}}
	}
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	first := true
	for {
		t := time.Now()
		ev, err := readEvent(br, maxEventBytes)
		if first {
			x.upstream += time.Since(t) // time to the first event
			first = false
		}
		var out []byte
		var cut bool
		t = time.Now()
		if err != nil {
			if !errors.Is(err, io.EOF) && r.Context().Err() == nil {
				x.upstreamError("bad_stream", err)
			}
			out, cut = s.end()
		} else {
			out, cut = s.event(ev)
		}
		x.timeGuard(t)
		if len(out) > 0 {
			if _, werr := w.Write(out); werr != nil {
				break // the client went away
			}
			_ = rc.Flush()
		}
		if cut {
			// Returning closes the upstream body, which stops generation.
			x.rec.Cut = true
			break
		}
		if err != nil {
			break
		}
	}
	x.finish(r.Context(), resp.StatusCode)
}

// choiceStreamer rewrites chat completion chunks (choices[].delta) and
// legacy completion chunks (choices[].text), one guard.Stream per choice
// and field.
type choiceStreamer struct {
	p        *Proxy
	x        *exchange
	text     bool // legacy completions: choices carry text, not delta
	choices  map[int]*choiceState
	order    []int          // choice indexes as first seen
	template map[string]any // id, model and the like, for chunks the proxy writes
	nstreams int
}

type choiceState struct {
	streams  map[string]*guard.Stream
	keys     []string // "content", "refusal", "text" or "tool:N", as first seen
	finished bool
}

// keyText is what a flush released for one field.
type keyText struct{ key, text string }

func (c *choiceStreamer) state(idx int) *choiceState {
	st := c.choices[idx]
	if st == nil {
		st = &choiceState{streams: map[string]*guard.Stream{}}
		c.choices[idx] = st
		c.order = append(c.order, idx)
	}
	return st
}

// write passes text of one field through its stream.
func (c *choiceStreamer) write(idx int, key, text string) (string, bool, error) {
	st := c.state(idx)
	s := st.streams[key]
	if s == nil {
		if c.nstreams++; c.nstreams > maxStreams {
			return "", true, errTooManyStreams
		}
		s = c.p.cfg.Guard.NewStream(c.x.rec.App)
		st.streams[key] = s
		st.keys = append(st.keys, key)
	}
	emit, v := s.Write(text)
	c.x.found("response", v)
	return emit, v.Action == guard.Block, nil
}

// flush ends the streams of one choice.
func (c *choiceStreamer) flush(idx int) ([]keyText, bool) {
	st := c.state(idx)
	var rests []keyText
	for _, k := range st.keys {
		emit, v := st.streams[k].Flush()
		c.x.found("response", v)
		if v.Action == guard.Block {
			return nil, true
		}
		if emit != "" {
			rests = append(rests, keyText{k, emit})
		}
	}
	st.finished = true
	return rests, false
}

func (c *choiceStreamer) event(ev sseEvent) ([]byte, bool) {
	if !ev.hasData {
		return ev.raw, false
	}
	if string(ev.data) == "[DONE]" {
		out, cut := c.end()
		if cut {
			return out, true
		}
		return append(out, ev.raw...), false
	}
	doc, err := decodeObject(ev.data)
	if err != nil {
		// Text that cannot be scanned is not passed on.
		c.x.upstreamError("bad_stream", err)
		return nil, false
	}
	choices, _ := doc["choices"].([]any)
	if len(choices) == 0 {
		return ev.raw, false // usage, errors: no model text
	}
	c.remember(doc)
	for i, ch := range choices {
		choice, ok := ch.(map[string]any)
		if !ok {
			continue
		}
		idx := intOf(choice["index"], i)
		if cut, err := c.choice(idx, choice); cut || err != nil {
			if err != nil {
				c.x.upstreamError("bad_stream", err)
			}
			return c.cutOutput(), true
		}
	}
	data, err := encodeObject(doc)
	if err != nil {
		return nil, false
	}
	return ev.encode(data), false
}

// choice rewrites the text fields of one choice of a chunk.
func (c *choiceStreamer) choice(idx int, choice map[string]any) (bool, error) {
	pass := func(obj map[string]any, field, key string) (bool, error) {
		s, ok := obj[field].(string)
		if !ok || s == "" {
			return false, nil
		}
		emit, cut, err := c.write(idx, key, s)
		obj[field] = emit
		return cut, err
	}
	if c.text {
		if cut, err := pass(choice, "text", "text"); cut || err != nil {
			return cut, err
		}
	} else if delta, ok := choice["delta"].(map[string]any); ok {
		for _, f := range []string{"content", "refusal"} {
			if cut, err := pass(delta, f, f); cut || err != nil {
				return cut, err
			}
		}
		calls, _ := delta["tool_calls"].([]any)
		for j, tc := range calls {
			call, _ := tc.(map[string]any)
			fn, ok := call["function"].(map[string]any)
			if !ok {
				continue
			}
			if cut, err := pass(fn, "arguments", toolKey(intOf(call["index"], j))); cut || err != nil {
				return cut, err
			}
		}
	}
	if fr, _ := choice["finish_reason"].(string); fr != "" {
		rests, cut := c.flush(idx)
		if cut {
			return true, nil
		}
		for _, r := range rests {
			c.appendRest(choice, r)
		}
	}
	return false, nil
}

func toolKey(i int) string { return "tool:" + strconv.Itoa(i) }

// appendRest adds text released by a flush to a choice.
func (c *choiceStreamer) appendRest(choice map[string]any, r keyText) {
	if c.text {
		s, _ := choice["text"].(string)
		choice["text"] = s + r.text
		return
	}
	delta, ok := choice["delta"].(map[string]any)
	if !ok {
		delta = map[string]any{}
		choice["delta"] = delta
	}
	if r.key == "content" || r.key == "refusal" {
		s, _ := delta[r.key].(string)
		delta[r.key] = s + r.text
		return
	}
	calls, _ := delta["tool_calls"].([]any)
	for j, tc := range calls {
		call, _ := tc.(map[string]any)
		if fn, ok := call["function"].(map[string]any); ok && toolKey(intOf(call["index"], j)) == r.key {
			s, _ := fn["arguments"].(string)
			fn["arguments"] = s + r.text
			return
		}
	}
	idx, _ := strconv.Atoi(strings.TrimPrefix(r.key, "tool:"))
	delta["tool_calls"] = append(calls, map[string]any{"index": idx, "function": map[string]any{"arguments": r.text}})
}

// remember keeps the fields every chunk repeats, to write chunks of our own.
func (c *choiceStreamer) remember(doc map[string]any) {
	if c.template != nil {
		return
	}
	c.template = map[string]any{}
	for _, k := range []string{"id", "object", "created", "model", "system_fingerprint", "service_tier"} {
		if v, ok := doc[k]; ok {
			c.template[k] = v
		}
	}
}

func (c *choiceStreamer) chunk(choices []any) []byte {
	doc := map[string]any{}
	for k, v := range c.template {
		doc[k] = v
	}
	if _, ok := doc["object"]; !ok {
		doc["object"] = "chat.completion.chunk"
		if c.text {
			doc["object"] = "text_completion"
		}
	}
	doc["choices"] = choices
	data, _ := encodeObject(doc)
	return sseEvent{}.encode(data)
}

// end releases what every unfinished choice still holds, in one chunk.
func (c *choiceStreamer) end() ([]byte, bool) {
	var choices []any
	for _, idx := range c.order {
		if c.choices[idx].finished {
			continue
		}
		rests, cut := c.flush(idx)
		if cut {
			return c.cutOutput(), true
		}
		if len(rests) == 0 {
			continue
		}
		choice := map[string]any{"index": idx, "finish_reason": nil}
		for _, r := range rests {
			c.appendRest(choice, r)
		}
		choices = append(choices, choice)
	}
	if len(choices) == 0 {
		return nil, false
	}
	return c.chunk(choices), false
}

// cutOutput ends a blocked stream the way a provider's own content filter
// does: a last chunk with finish_reason content_filter, then [DONE].
func (c *choiceStreamer) cutOutput() []byte {
	var choices []any
	for _, idx := range c.order {
		if !c.choices[idx].finished {
			choices = append(choices, c.filtered(idx))
		}
	}
	if len(choices) == 0 {
		choices = append(choices, c.filtered(0))
	}
	return append(c.chunk(choices), "data: [DONE]\n\n"...)
}

func (c *choiceStreamer) filtered(idx int) map[string]any {
	if c.text {
		return map[string]any{"index": idx, "text": "", "finish_reason": "content_filter"}
	}
	return map[string]any{"index": idx, "delta": map[string]any{}, "finish_reason": "content_filter"}
}

// intOf reads a small JSON integer (an index), or returns def.
func intOf(v any, def int) int {
	n, ok := v.(json.Number)
	if !ok {
		return def
	}
	i, err := n.Int64()
	if err != nil || i < 0 || i > 1<<20 {
		return def
	}
	return int(i)
}
