package jetstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
)

// Publisher is the store an ingest node's pipeline writes to: events go to
// the JetStream stream instead of the database, and AppendEvents returns
// once JetStream has stored them. Everything else (reads, alerts, users)
// is the shared store's; AddAlerts drops what it is given, since detection
// runs on the workers (the ingest pipeline runs no rules).
type Publisher struct {
	store.Store
	c       *conn
	ids     atomic.Int64 // the pipeline's own numbering of published events
	timeout time.Duration
}

// NewPublisher connects to NATS and returns a Publisher over st (which
// answers every read). Close closes both.
func NewPublisher(ctx context.Context, cfg Config, st store.Store) (*Publisher, error) {
	c, err := dial(ctx, cfg, "bulwark-ingest")
	if err != nil {
		return nil, err
	}
	return &Publisher{Store: st, c: c, timeout: 30 * time.Second}, nil
}

// Close closes the NATS connection and the store.
func (p *Publisher) Close() error {
	p.c.close()
	return p.Store.Close()
}

// AppendEvents publishes evs and returns once every message is stored by
// JetStream. The ids it returns only number the pipeline's writes.
func (p *Publisher) AppendEvents(ctx context.Context, evs []event.Event) (int64, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	type pending struct {
		msg *nats.Msg
		id  string
		fut natsjs.PubAckFuture
	}
	var msgs []pending
	for start := 0; start < len(evs); {
		body, n := encodeUpTo(evs[start:], maxMessageBytes)
		id := newMsgID()
		m := &nats.Msg{Subject: p.c.cfg.Subject, Data: body, Header: nats.Header{}}
		msgs = append(msgs, pending{msg: m, id: id})
		start += n
	}
	// Publish all, then wait for every acknowledgement; a message whose
	// acknowledgement is lost is published again under the same id, which
	// JetStream stores once.
	for attempt := 0; ; attempt++ {
		for i := range msgs {
			if msgs[i].msg == nil {
				continue
			}
			fut, err := p.c.js.PublishMsgAsync(msgs[i].msg, natsjs.WithMsgID(msgs[i].id), natsjs.WithExpectStream(p.c.cfg.Stream))
			if err != nil {
				return 0, fmt.Errorf("jetstream: publish: %w", err)
			}
			msgs[i].fut = fut
		}
		failed := 0
		var lastErr error
		for i := range msgs {
			if msgs[i].msg == nil {
				continue
			}
			select {
			case <-msgs[i].fut.Ok():
				msgs[i].msg = nil
			case err := <-msgs[i].fut.Err():
				failed++
				lastErr = err
			case <-ctx.Done():
				return 0, fmt.Errorf("jetstream: publish: no acknowledgement: %w", ctx.Err())
			}
		}
		if failed == 0 {
			break
		}
		if attempt == 4 {
			return 0, fmt.Errorf("jetstream: publish: %d messages not stored: %w", failed, lastErr)
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	last := p.ids.Add(int64(len(evs)))
	return last - int64(len(evs)) + 1, nil
}

// encodeUpTo encodes the longest prefix of evs (at least one event) that
// fits in limit bytes and returns it with its length.
func encodeUpTo(evs []event.Event, limit int) ([]byte, int) {
	body := encodeBatch(nil, evs)
	if len(body) <= limit || len(evs) == 1 {
		return body, len(evs)
	}
	// Halve until it fits: batches are usually far under the limit, and
	// the cost of the rare split is a few re-encodings.
	n := len(evs) / 2
	for n > 1 {
		body = encodeBatch(nil, evs[:n])
		if len(body) <= limit {
			return body, n
		}
		n /= 2
	}
	return encodeBatch(nil, evs[:1]), 1
}

func newMsgID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// LastEventID is the pipeline's numbering: an ingest node catches nothing
// up, the workers do.
func (p *Publisher) LastEventID(context.Context) (int64, error) { return p.ids.Load(), nil }

// DetectedThrough matches LastEventID: nothing to catch up.
func (p *Publisher) DetectedThrough(context.Context) (int64, error) { return p.ids.Load(), nil }

// AddAlerts drops alerts: an ingest node runs no rules.
func (p *Publisher) AddAlerts(context.Context, []store.StoredAlert, int64) error { return nil }
