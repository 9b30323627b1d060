// Package applied is the contract between the scale-out detection workers
// (pipeline/jetstream) and the stores they write to: what a store adds to
// store.Store so that a JetStream message redelivered after a crash never
// stores its events or alerts twice.
//
// It is a leaf package so that a store can implement it without importing
// the NATS client.
package applied

import (
	"context"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
)

// Batch is one JetStream message's events and the alerts detection raised
// on them. Alerts' EventID is the 1-based index of their event in Events
// (0 for none) until the batch is written.
type Batch struct {
	// Key identifies the message for good (its Nats-Msg-Id): the same
	// message delivered twice has the same key.
	Key    string
	Events []event.Event
	Alerts []store.StoredAlert
}

// KeyedAlert is an alert with the key that makes storing it idempotent:
// the same correlation raised again (after a correlator replays the
// stream) has the same key.
type KeyedAlert struct {
	Key   string
	Alert store.StoredAlert
}

// Store is what a store implements for the scale-out roles.
type Store interface {
	store.Store
	// ApplyBatches writes, in one transaction, the batches whose keys it
	// never applied before: their keys, events and alerts. The others are
	// skipped whole. It returns how many it applied.
	ApplyBatches(ctx context.Context, batches []Batch) (int, error)
	// CommitCorrelation stores the alerts whose keys it never stored
	// before and moves the named correlator's stream position to through
	// (never back), in one transaction.
	CommitCorrelation(ctx context.Context, name string, through uint64, alerts []KeyedAlert) error
	// CorrelationPosition returns the position the named correlator last
	// committed (0: none).
	CorrelationPosition(ctx context.Context, name string) (uint64, error)
	// ForgetBatchesBefore drops the batch and alert keys stored before t:
	// a message acknowledged that long ago is not delivered again, and no
	// correlator replays that far.
	ForgetBatchesBefore(ctx context.Context, t time.Time) error
}
