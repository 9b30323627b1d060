// Package ingest receives events from the outside world (Splunk HEC, OTLP,
// syslog, uploads, tailed files) and hands them to a Sink, which stores them
// durably before anything is acknowledged.
//
// Each protocol lives in a sub-package and speaks that protocol's own
// conventions, so existing shippers work unchanged. They share one rule for
// back-pressure: when the Sink is full, HTTP endpoints answer 503 with
// Retry-After and stream listeners stop reading, rather than buffering
// without bound.
package ingest

import (
	"context"
	"errors"

	"github.com/bulwarkhq/bulwark/event"
)

// ErrBusy is returned by Sink.Submit when its queue is full and the caller
// asked not to wait. HTTP endpoints turn it into 503 with Retry-After.
var ErrBusy = errors.New("server busy: ingest queue is full")

// RetryAfterSeconds is what busy HTTP endpoints put in Retry-After.
const RetryAfterSeconds = 1

// Sink takes batches of events.
type Sink interface {
	// Submit stores evs durably and returns nil only once they are on disk.
	// With wait false it returns ErrBusy at once when the queue is full;
	// with wait true it waits for room (or for ctx). Submit takes ownership
	// of evs: callers must not modify the slice or the events after the
	// call, because detection reads them after they are stored.
	Submit(ctx context.Context, evs []event.Event, wait bool) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, evs []event.Event, wait bool) error

// Submit calls f.
func (f SinkFunc) Submit(ctx context.Context, evs []event.Event, wait bool) error {
	return f(ctx, evs, wait)
}

// Limits bound what one HTTP ingest request may cost (HEC, OTLP). Zero
// fields mean the defaults.
type Limits struct {
	// MaxBodyBytes bounds the body as sent, compressed or not. Shippers
	// send up to 1 MiB (Vector, the OpenTelemetry Collector) or a few MiB
	// (Fluent Bit) per request.
	MaxBodyBytes int64
	// MaxDecodedBytes bounds the body after gzip decoding, against
	// compression bombs.
	MaxDecodedBytes int64
	// MaxValues bounds the values (messages, fields) a request may turn
	// into: a body of many tiny values costs much more memory as events
	// than as bytes. The default admits some 8000 Windows events of 60
	// fields and bounds decoding to some 200 MiB.
	MaxValues int
}

// Defaults of Limits.
const (
	DefaultMaxBodyBytes    = 8 << 20
	DefaultMaxDecodedBytes = 32 << 20
	DefaultMaxValues       = 1 << 20
)

// WithDefaults fills the zero fields.
func (l Limits) WithDefaults() Limits {
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxDecodedBytes <= 0 {
		l.MaxDecodedBytes = DefaultMaxDecodedBytes
	}
	if l.MaxValues <= 0 {
		l.MaxValues = DefaultMaxValues
	}
	return l
}
