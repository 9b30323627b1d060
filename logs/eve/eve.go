// Package eve reads Suricata's EVE JSON output (eve.json): one JSON object
// per line with event_type, timestamp, src_ip, dest_ip and a section per
// event type (alert, dns, http, flow, ...). Objects are flattened like the
// jsonl reader's (logs/internal/jsonflat): "alert.signature_id",
// "dns.answers.rrname" (a list, one element per answer). Event.Time comes
// from "timestamp"; Source.Record is the line number and Raw the line.
package eve

import (
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
	e, _ := jsonflat.First(head)
	if e == nil {
		return false
	}
	et, ok := e.Get("event_type")
	if !ok || et.Kind != event.KindString {
		return false
	}
	_, ok = e.Get("timestamp")
	return ok
}

// Read reads EVE records, one per line.
func (*Reader) Read(ctx context.Context, in logs.Input, emit func(*event.Event) error) error {
	return jsonflat.Read(ctx, in, jsonflat.Options{Format: Name, Time: timeFields, LinesOnly: true}, emit)
}
