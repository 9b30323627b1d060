package jetstream

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

func sampleEvents() []event.Event {
	var evs []event.Event
	for i, msg := range []string{"one", "two", "three"} {
		var e event.Event
		e.Time = time.Date(2026, 1, 2, 3, 4, i, 0, time.UTC)
		e.Set("message", event.String(msg))
		e.Set("Computer", event.String("host-a"))
		evs = append(evs, e)
	}
	return evs
}

func TestBatchRoundTrip(t *testing.T) {
	evs := sampleEvents()
	got, err := decodeBatch(encodeBatch(nil, evs))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(evs) {
		t.Fatalf("%d events, want %d", len(got), len(evs))
	}
	for i := range evs {
		if !reflect.DeepEqual(event.AppendBinary(nil, &got[i]), event.AppendBinary(nil, &evs[i])) {
			t.Errorf("event %d differs after the round trip", i)
		}
	}
}

func TestDecodeBatchRejects(t *testing.T) {
	good := encodeBatch(nil, sampleEvents())
	for name, data := range map[string][]byte{
		"empty":     nil,
		"version":   append([]byte{9}, good[1:]...),
		"truncated": good[:len(good)-3],
		"trailing":  append(append([]byte(nil), good...), 0),
		"count":     {codecVersion, 0xff, 0xff, 0xff, 0x7f},
	} {
		if _, err := decodeBatch(data); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add(encodeBatch(nil, sampleEvents()))
	f.Add(encodeBatch(nil, nil))
	f.Add([]byte{codecVersion, 2, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := decodeBatch(data)
		if err != nil {
			return
		}
		// What decodes encodes back to an equal body.
		again, err := decodeBatch(encodeBatch(nil, evs))
		if err != nil || len(again) != len(evs) {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
	})
}

// TestEncodeUpTo checks that a batch larger than a message is split into
// messages under the limit that hold every event once, in order.
func TestEncodeUpTo(t *testing.T) {
	big := make([]event.Event, 1000)
	for i := range big {
		big[i].Time = time.Date(2026, 1, 2, 3, 4, 5, i, time.UTC)
		big[i].Set("message", event.String(string(make([]byte, 2000))+fmt.Sprint(i)))
	}
	const limit = 100 << 10
	var got []event.Event
	for rest := big; len(rest) > 0; {
		body, n := encodeUpTo(rest, limit)
		if n == 0 || (len(body) > limit && n > 1) {
			t.Fatalf("%d events in %d bytes (limit %d)", n, len(body), limit)
		}
		evs, err := decodeBatch(body)
		if err != nil || len(evs) != n {
			t.Fatalf("chunk of %d decodes to %d: %v", n, len(evs), err)
		}
		got = append(got, evs...)
		rest = rest[n:]
	}
	if len(got) != len(big) {
		t.Fatalf("%d events after splitting, want %d", len(got), len(big))
	}
	for i := range got {
		if got[i].Time != big[i].Time {
			t.Fatalf("event %d out of order", i)
		}
	}
}
