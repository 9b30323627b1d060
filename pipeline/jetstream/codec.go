package jetstream

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bulwarkhq/bulwark/event"
)

// codecVersion starts every message body, so that a later encoding can be
// told apart.
const codecVersion = 1

// maxBatchEvents bounds the events one message may claim to hold, against
// a corrupt or hostile count.
const maxBatchEvents = 1 << 20

// encodeBatch appends evs to dst as one message body: the version, the
// count, then each event's length and binary encoding (event.AppendBinary).
func encodeBatch(dst []byte, evs []event.Event) []byte {
	dst = append(dst, codecVersion)
	dst = binary.AppendUvarint(dst, uint64(len(evs)))
	var enc []byte
	for i := range evs {
		enc = event.AppendBinary(enc[:0], &evs[i])
		dst = binary.AppendUvarint(dst, uint64(len(enc)))
		dst = append(dst, enc...)
	}
	return dst
}

// decodeBatch decodes a message body. Errors name the byte offset.
func decodeBatch(data []byte) ([]event.Event, error) {
	if len(data) == 0 {
		return nil, errors.New("jetstream: empty message")
	}
	if data[0] != codecVersion {
		return nil, fmt.Errorf("jetstream: message version %d at offset 0, want %d", data[0], codecVersion)
	}
	off := 1
	n, k := binary.Uvarint(data[off:])
	if k <= 0 {
		return nil, fmt.Errorf("jetstream: bad event count at offset %d", off)
	}
	off += k
	// Each event takes at least two bytes, so the count cannot exceed what
	// the body could hold.
	if n > maxBatchEvents || n > uint64(len(data)-off)/2+1 {
		return nil, fmt.Errorf("jetstream: event count %d at offset 1 exceeds the message", n)
	}
	evs := make([]event.Event, n)
	for i := range evs {
		size, k := binary.Uvarint(data[off:])
		if k <= 0 {
			return nil, fmt.Errorf("jetstream: bad length of event %d at offset %d", i, off)
		}
		off += k
		if size > uint64(len(data)-off) {
			return nil, fmt.Errorf("jetstream: event %d at offset %d: length %d exceeds the message", i, off, size)
		}
		if err := event.DecodeBinary(&evs[i], data[off:off+int(size)]); err != nil {
			return nil, fmt.Errorf("jetstream: event %d at offset %d: %w", i, off, err)
		}
		off += int(size)
	}
	if off != len(data) {
		return nil, fmt.Errorf("jetstream: %d bytes after the last event at offset %d", len(data)-off, off)
	}
	return evs, nil
}
