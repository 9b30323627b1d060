package proxy

import (
	"encoding/json"
	"strings"

	"github.com/bulwarkhq/bulwark/guard"
)

// textEvents are the Responses API event families that stream model text:
// "<family>.delta" events carry pieces in "delta", and "<family>.done"
// repeats the whole text in the named field. Audio deltas are not text.
var textEvents = map[string]string{
	"response.output_text":             "text",
	"response.refusal":                 "refusal",
	"response.function_call_arguments": "arguments",
	"response.custom_tool_call_input":  "input",
	"response.mcp_call_arguments":      "arguments",
	"response.reasoning_text":          "text",
	"response.reasoning_summary_text":  "text",
}

// responsesStreamer rewrites Responses API events. Deltas go through one
// guard.Stream per output text; events that repeat whole texts (.done,
// output items, content parts, the final response) are checked whole and
// redacted the same way, so no copy of a secret slips out at the end.
type responsesStreamer struct {
	p         *Proxy
	x         *exchange
	streams   map[string]*guard.Stream
	keys      []string                  // stream keys as first seen
	lastDelta map[string]map[string]any // per stream, the last delta event: the template for one the proxy adds
	response  map[string]any            // the response object as last announced, for the cut event
	// shift renumbers upstream sequence numbers after each event the proxy
	// inserted, so clients still see them strictly increasing.
	shift   int64
	lastSeq int64
}

// streamKey names one streamed text: its family and where it sits.
func streamKey(family string, doc map[string]any) string {
	var b strings.Builder
	b.WriteString(family)
	for _, f := range []string{"item_id", "output_index", "content_index", "summary_index"} {
		b.WriteByte('|')
		switch v := doc[f].(type) {
		case string:
			b.WriteString(v)
		case json.Number:
			b.WriteString(v.String())
		}
	}
	return b.String()
}

func (s *responsesStreamer) event(ev sseEvent) ([]byte, bool) {
	if !ev.hasData {
		return ev.raw, false
	}
	doc, err := decodeObject(ev.data)
	if err != nil {
		s.x.upstreamError("bad_stream", err)
		return nil, false
	}
	typ, _ := doc["type"].(string)
	modified := false
	var out []byte

	family, part, _ := cutLast(typ, ".")
	switch field, streamed := textEvents[family]; {
	case streamed && part == "delta":
		text, _ := doc["delta"].(string)
		key := streamKey(family, doc)
		st := s.streams[key]
		if st == nil {
			if len(s.streams) >= maxStreams {
				s.x.upstreamError("bad_stream", errTooManyStreams)
				return s.cutOutput(), true
			}
			st = s.p.cfg.Guard.NewStream(s.x.rec.App)
			s.streams[key] = st
			s.keys = append(s.keys, key)
		}
		emit, v := st.Write(text)
		s.x.found("response", v)
		if v.Action == guard.Block {
			return s.cutOutput(), true
		}
		doc["delta"] = emit
		s.lastDelta[key] = doc
		modified = true
	case streamed && part == "done":
		key := streamKey(family, doc)
		if st := s.streams[key]; st != nil {
			rest, cut := s.release(key, st)
			if cut {
				return s.cutOutput(), true
			}
			out = rest
		}
		c := &collector{}
		c.add(guard.RoleOutput, typ, doc, field)
		cut, changed := s.recheck(c)
		if cut {
			return s.cutOutput(), true
		}
		modified = modified || changed
	default:
		c := &collector{}
		if resp, ok := doc["response"].(map[string]any); ok {
			s.response = resp
			collectResponse(c, "response.", resp)
		}
		if item, ok := doc["item"].(map[string]any); ok {
			collectResponseItem(c, "item", item)
		}
		if p, ok := doc["part"].(map[string]any); ok {
			c.content(guard.RoleOutput, typ, map[string]any{"part": []any{p}}, "part")
		}
		cut, changed := s.recheck(c)
		if cut {
			return s.cutOutput(), true
		}
		modified = modified || changed
	}
	modified = s.renumber(doc) || modified
	if !modified {
		return append(out, ev.raw...), false
	}
	data, err := encodeObject(doc)
	if err != nil {
		return out, false
	}
	return append(out, ev.encode(data)...), false
}

// renumber shifts the event's sequence number past the events the proxy
// inserted before it, and reports whether it changed. It runs after any
// insertion the event caused, which took the numbers in between.
func (s *responsesStreamer) renumber(doc map[string]any) bool {
	n, ok := doc["sequence_number"].(json.Number)
	if !ok {
		return false
	}
	seq, err := n.Int64()
	if err != nil {
		return false
	}
	s.lastSeq = seq + s.shift
	if s.shift == 0 {
		return false
	}
	doc["sequence_number"] = s.lastSeq
	return true
}

// release flushes one stream. What it still held goes out as one more
// delta event, numbered before the event that made the proxy flush.
func (s *responsesStreamer) release(key string, st *guard.Stream) ([]byte, bool) {
	emit, v := st.Flush()
	s.x.found("response", v)
	delete(s.streams, key)
	if v.Action == guard.Block {
		return nil, true
	}
	tmpl := s.lastDelta[key]
	delete(s.lastDelta, key)
	if emit == "" || tmpl == nil {
		return nil, false
	}
	ev := map[string]any{}
	for k, v := range tmpl {
		ev[k] = v
	}
	ev["delta"] = emit
	s.lastSeq++
	ev["sequence_number"] = s.lastSeq
	s.shift++
	typ, _ := ev["type"].(string)
	data, err := encodeObject(ev)
	if err != nil {
		return nil, false
	}
	return sseEvent{other: [][]byte{[]byte("event: " + typ)}}.encode(data), false
}

// recheck scans texts an event repeats whole and writes redactions back.
// Their findings were counted as the deltas streamed; only a block found
// now (a match longer than the stream's window) is recorded again.
func (s *responsesStreamer) recheck(c *collector) (cut, changed bool) {
	v, changed := s.p.checkOutput(s.x.rec.App, c)
	if v.Action == guard.Block {
		s.x.found("response", v)
		return true, false
	}
	return false, changed
}

// end releases every stream still open when upstream stops.
func (s *responsesStreamer) end() ([]byte, bool) {
	var out []byte
	for _, key := range s.keys {
		st := s.streams[key]
		if st == nil {
			continue
		}
		rest, cut := s.release(key, st)
		if cut {
			return s.cutOutput(), true
		}
		out = append(out, rest...)
	}
	return out, false
}

// cutOutput ends a blocked stream with response.incomplete and the reason
// content_filter, as the Responses API reports its own filter.
func (s *responsesStreamer) cutOutput() []byte {
	resp := map[string]any{"object": "response"}
	for k, v := range s.response {
		resp[k] = v
	}
	resp["status"] = "incomplete"
	resp["incomplete_details"] = map[string]any{"reason": "content_filter"}
	resp["output"] = []any{}
	s.lastSeq++
	data, _ := encodeObject(map[string]any{"type": "response.incomplete", "sequence_number": s.lastSeq, "response": resp})
	return sseEvent{other: [][]byte{[]byte("event: response.incomplete")}}.encode(data)
}

// cutLast splits s at the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
