package demo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strconv"

	"github.com/bulwarkhq/bulwark/event"
)

// NDJSON writes evs as JSON lines, one flat object per event whose keys are
// the event's field names in order ("Channel", "EventID", "Image", ...).
// The jsonl reader reads them back under the same names, with Event.Time
// from TimeCreated_SystemTime and Source.Record the line number, so a server
// can replay the scenario through its real ingest path (an NDJSON upload, or
// HEC) and get the alerts Scenario's events get directly.
//
// Values keep their JSON type where JSON has one: decimal integers and
// floats are numbers, booleans and null are themselves, lists are arrays.
// Hexadecimal integers ("0x1fffff") are strings, as JSON has no hex
// numbers; rules compare values as text, so they match the same.
func NDJSON(w io.Writer, evs []event.Event) error {
	bw := bufio.NewWriter(w)
	var line bytes.Buffer
	for i := range evs {
		line.Reset()
		line.WriteByte('{')
		for k, f := range evs[i].Fields {
			if k > 0 {
				line.WriteByte(',')
			}
			writeString(&line, f.Name)
			line.WriteByte(':')
			writeValue(&line, f.Value)
		}
		line.WriteString("}\n")
		if _, err := bw.Write(line.Bytes()); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func writeValue(buf *bytes.Buffer, v event.Value) {
	switch v.Kind {
	case event.KindNull:
		buf.WriteString("null")
	case event.KindBool:
		buf.WriteString(strconv.FormatBool(v.Str == "true"))
	case event.KindInt, event.KindFloat:
		if json.Valid([]byte(v.Str)) {
			buf.WriteString(v.Str)
		} else {
			writeString(buf, v.Str) // 0x-prefixed hex
		}
	case event.KindList:
		buf.WriteByte('[')
		for i, e := range v.List {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeValue(buf, e)
		}
		buf.WriteByte(']')
	default:
		writeString(buf, v.Str)
	}
}

// writeString writes s as a JSON string. HTML characters stay as they are:
// command lines are full of '>' and '&', and people read these files.
func writeString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	buf.Truncate(buf.Len() - 1) // Encode ends with a newline
}
