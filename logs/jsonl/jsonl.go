// Package jsonl reads JSON logs: one object per line (NDJSON), a top-level
// array of objects, or concatenated objects pretty-printed over many lines.
// Objects are flattened to dotted names (see logs/internal/jsonflat for the
// rules), and Windows events exported as JSON get the field names of
// docs/windows-fields.md as aliases, so that Sigma's Windows rules match
// them exactly as they match events read from .evtx files:
//
//   - Winlogbeat and Elastic Agent: winlog.event_data.Image → Image,
//     winlog.event_id → EventID, winlog.channel → Channel, ...;
//   - evtx_dump JSON ({"Event": {"System": ..., "EventData": ...}}):
//     Event.System.Provider.#attributes.Name → Provider_Name,
//     Event.EventData.Image → Image, and so on.
//
// Names with spaces (Microsoft Defender's "Threat Name") also get an alias
// without them ("ThreatName"), the form Sigma rules use.
//
// Event.Time comes from the first of the usual timestamp fields present
// (@timestamp, timestamp, time, ts, TimeCreated_SystemTime, eventTime,
// UtcTime, ...). Source.Record is the 1-based line number, or the object
// number when the input is an array or pretty-printed; Raw is the record's
// text.
package jsonl

import (
	"bytes"
	"context"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/internal/jsonflat"
)

// Name is the format's name.
const Name = "jsonl"

// Reader reads JSON logs.
type Reader struct{}

// New returns a Reader.
func New() *Reader { return &Reader{} }

// Name returns "jsonl".
func (*Reader) Name() string { return Name }

// timeFields are the fields tried for Event.Time, best first.
var timeFields = jsonflat.NewTimeFields(
	"@timestamp", "timestamp", "Timestamp", "time", "ts",
	"TimeCreated_SystemTime", "winlog.time_created",
	"eventTime", "EventTime", "UtcTime", "TimeGenerated",
	"event.created", "datetime", "date", "_time", "created_at", "published",
)

// Sniff reports whether head starts with a JSON object, alone, in an array,
// or cut short by the end of head.
func (*Reader) Sniff(head []byte) bool {
	e, truncated := jsonflat.First(head)
	if e != nil {
		return true
	}
	if !truncated {
		return false
	}
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(head) > 0 && (head[0] == '{' || head[0] == '[')
}

// Read reads JSON records from in.
func (*Reader) Read(ctx context.Context, in logs.Input, emit func(*event.Event) error) error {
	a := newAliaser()
	return jsonflat.Read(ctx, in, jsonflat.Options{
		Format: Name,
		Time:   timeFields,
		Fix:    a.fix,
	}, emit)
}
