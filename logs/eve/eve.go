// Package eve reads Suricata's EVE JSON output (eve.json): one JSON object
// per line with event_type, timestamp, src_ip, dest_ip and a section per
// event type (alert, dns, http, flow, ...). Objects are flattened like the
// jsonl reader's (logs/internal/jsonflat): "alert.signature_id",
// "dns.answers.rrname" (a list, one element per answer). Event.Time comes
// from "timestamp"; Source.Record is the line number and Raw the line.
package eve

import (
	"bytes"
	"context"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/internal/jsonflat"
)

// Name is the format's name.
const Name = "eve"

// Reader reads EVE JSON.
type Reader struct{}

// New returns a Reader.
func New() *Reader { return &Reader{} }

// Name returns "eve".
func (*Reader) Name() string { return Name }

var timeFields = jsonflat.NewTimeFields("timestamp")

// Sniff reports whether the first record is an object with Suricata's
// "event_type" and "timestamp".
func (*Reader) Sniff(head []byte) bool {
	e, truncated := jsonflat.First(head)
	if e == nil {
		// A first line longer than the head: Suricata writes "timestamp"
		// first and "event_type" soon after.
		h := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
		return truncated && bytes.HasPrefix(h, []byte(`{"timestamp":"`)) &&
			bytes.Contains(h[:min(len(h), 512)], []byte(`"event_type":"`))
	}
	et, ok := e.Get("event_type")
	if !ok || et.Kind != event.KindString {
		return false
	}
	_, ok = e.Get("timestamp")
	return ok
}

// Read reads EVE records, one per line (or pretty-printed, as jq leaves
// them: the shape is chosen as the jsonl reader chooses it).
func (*Reader) Read(ctx context.Context, in logs.Input, emit func(*event.Event) error) error {
	return jsonflat.Read(ctx, in, jsonflat.Options{Format: Name, Time: timeFields}, emit)
}
