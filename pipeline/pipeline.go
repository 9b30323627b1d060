// Package pipeline is the server's path from ingest to alerts: it takes
// batches of events from every ingest endpoint, runs the detection engine
// over them, writes them to the store (acknowledging each batch only once
// it is on disk), and stores their alerts.
//
// Detection runs in the goroutine that submits a batch, before the batch
// is queued: the ingest endpoints decode and detect in parallel, one
// request per core, and only the store writes are serial. The store is the
// one durable log. Event writes are group-committed: while one transaction
// is being synced, the batches that arrive wait in a bounded queue and go
// into the next transaction together, so a busy server pays one sync for
// many requests. When the queue is full, Submit refuses (or waits, for
// stream listeners that can push back on their peers), so memory stays
// bounded at any input rate.
//
// Alerts are committed after their events, together with the id detection
// has reached. A crash between the two loses no alert: the next start
// detects the stored events past that id again, from the store, before it
// accepts anything new. (Correlation windows live in memory and start
// empty after a restart or a rule reload.)
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/ingest"
	"github.com/bulwarkhq/bulwark/intel/match"
	"github.com/bulwarkhq/bulwark/sigma"
	"github.com/bulwarkhq/bulwark/store"
)

// Store is what the pipeline needs of the store.
type Store interface {
	store.Events
	store.Alerts
}

// Options tune the pipeline. Zero values take the defaults.
type Options struct {
	// QueueEvents bounds the events accepted but not yet written
	// (default 32768). It is the memory bound of ingest.
	QueueEvents int
	// MaxWrite bounds the events written in one transaction (default 8192).
	MaxWrite int
	// MinLevel drops alerts below this level (default low).
	MinLevel sigma.Level
	Logger   *slog.Logger
	Metrics  *Metrics
}

func (o *Options) defaults() {
	if o.QueueEvents <= 0 {
		o.QueueEvents = 32768
	}
	if o.MaxWrite <= 0 {
		o.MaxWrite = 8192
	}
	if o.MinLevel == 0 {
		o.MinLevel = sigma.LevelLow
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
}

// ErrClosed is returned by Submit after the pipeline stopped.
var ErrClosed = errors.New("pipeline: shutting down")

// Pipeline implements ingest.Sink. Start it with Run.
type Pipeline struct {
	st     Store
	opts   Options
	log    *slog.Logger
	m      *Metrics
	rules  atomic.Pointer[ruleState]
	intel  atomic.Pointer[match.Detector] // threat-intel indicators; nil: none
	stream streamClock

	mu      sync.Mutex
	queue   []*batch      // detected, not yet written
	pending int           // events reserved or in queue
	room    chan struct{} // closed when the queue shrinks, then replaced
	work    chan struct{} // wakes the writer (capacity 1)
	closed  bool

	commits   chan commitReq // alerts to store, in event order
	commitErr chan error     // the committer's failure, if any

	detectedThrough atomic.Int64
	lastID          atomic.Int64
	started         chan struct{} // closed once Run has caught up and accepts writes
}

type batch struct {
	evs []event.Event
	// alerts raised on evs; EventID is the 1-based index in evs until the
	// events are written, 0 for correlations.
	alerts   []store.StoredAlert
	accepted time.Time
	done     chan error
}

var _ ingest.Sink = (*Pipeline)(nil)

// New returns a pipeline over st running engine.
func New(st Store, engine *detect.Engine, opts Options) *Pipeline {
	opts.defaults()
	p := &Pipeline{
		st: st, opts: opts, log: opts.Logger, m: opts.Metrics,
		room:      make(chan struct{}),
		work:      make(chan struct{}, 1),
		commits:   make(chan commitReq, 64),
		commitErr: make(chan error, 1),
		started:   make(chan struct{}),
	}
	p.SetEngine(engine)
	return p
}

// Engine returns the engine detection runs now.
func (p *Pipeline) Engine() *detect.Engine { return p.rules.Load().engine }

// SetEngine replaces the detection engine. Batches submitted from then on
// use it; each batch is run through exactly one engine.
func (p *Pipeline) SetEngine(e *detect.Engine) { p.rules.Store(newRuleState(e, p)) }

// SetIntel replaces the threat-intel indicators every event is matched
// against (nil: none). Batches submitted from then on use them.
func (p *Pipeline) SetIntel(d *match.Detector) { p.intel.Store(d) }

// Submit implements ingest.Sink.
func (p *Pipeline) Submit(ctx context.Context, evs []event.Event, wait bool) error {
	if len(evs) == 0 {
		return nil
	}
	if err := p.reserve(ctx, len(evs), wait); err != nil {
		return err
	}
	b := &batch{evs: evs, done: make(chan error, 1)}
	b.alerts = p.detect(evs)
	b.accepted = time.Now()
	p.mu.Lock()
	p.queue = append(p.queue, b)
	p.mu.Unlock()
	select {
	case p.work <- struct{}{}:
	default:
	}
	select {
	case err := <-b.done:
		return err
	case <-ctx.Done():
		// The events may still be written; the sender was not told so
		// and will resend, which is the safe side.
		return ctx.Err()
	}
}

// reserve takes room in the queue for n events, before detection spends
// CPU on them.
func (p *Pipeline) reserve(ctx context.Context, n int, wait bool) error {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return ErrClosed
		}
		// An oversized batch is let in when the queue is empty, so that it
		// cannot be refused forever.
		if p.pending+n <= p.opts.QueueEvents || p.pending == 0 {
			p.pending += n
			p.m.queueDepth.Set(float64(p.pending))
			p.mu.Unlock()
			return nil
		}
		room := p.room
		p.mu.Unlock()
		if !wait {
			p.m.busy.Inc()
			return ingest.ErrBusy
		}
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Run catches detection up with the stored events, then writes and stores
// alerts until ctx is done; then it drains what was accepted and returns.
// Call it once.
func (p *Pipeline) Run(ctx context.Context) error {
	through, err := p.st.DetectedThrough(ctx)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	last, err := p.st.LastEventID(ctx)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	p.detectedThrough.Store(through)
	p.lastID.Store(last)

	committed := make(chan struct{})
	go func() {
		defer close(committed)
		p.commitLoop(through)
	}()
	finish := func(err error) error {
		close(p.commits)
		<-committed
		select {
		case cerr := <-p.commitErr:
			err = errors.Join(err, cerr)
		default:
		}
		return err
	}
	if last > through {
		p.log.Info("detecting stored events that were not detected before the last stop", "from", through+1, "to", last)
		if err := p.catchUp(ctx, through, last); err != nil {
			return finish(err)
		}
	}
	close(p.started)

	expireCtx, stopExpire := context.WithCancel(ctx)
	expired := make(chan struct{})
	go func() {
		defer close(expired)
		p.expireLoop(expireCtx)
	}()
	err = p.writeLoop(ctx)
	stopExpire()
	<-expired
	return finish(err)
}

// writeLoop group-commits queued batches until ctx is done and nothing is
// reserved or queued.
func (p *Pipeline) writeLoop(ctx context.Context) error {
	var evs []event.Event
	for {
		p.mu.Lock()
		if ctx.Err() != nil && !p.closed {
			p.closed = true
		}
		if len(p.queue) == 0 {
			done := p.closed && p.pending == 0
			p.mu.Unlock()
			if done {
				return nil
			}
			select {
			case <-p.work:
			case <-ctx.Done():
				// Batches reserved before shutdown are still coming.
				if p.QueueDepth() > 0 {
					time.Sleep(time.Millisecond)
				}
			}
			continue
		}
		// Take batches up to MaxWrite events (at least one batch).
		n, events := 0, 0
		for n < len(p.queue) && (n == 0 || events+len(p.queue[n].evs) <= p.opts.MaxWrite) {
			events += len(p.queue[n].evs)
			n++
		}
		take := append([]*batch(nil), p.queue[:n]...)
		p.queue = append(p.queue[:0], p.queue[n:]...)
		p.mu.Unlock()

		evs = evs[:0]
		for _, b := range take {
			evs = append(evs, b.evs...)
		}
		start := time.Now()
		// The write must finish even when shutdown has begun: the batches
		// were accepted.
		first, err := p.st.AppendEvents(context.WithoutCancel(ctx), evs)
		now := time.Now()
		p.m.writeSeconds.Observe(now.Sub(start).Seconds())
		if err != nil {
			err = fmt.Errorf("pipeline: store events: %w", err)
			p.log.Error("writing events failed", "events", len(evs), "err", err)
			p.m.writeErrors.Inc()
		} else {
			p.m.events.Add(float64(len(evs)))
			last := first + int64(len(evs)) - 1
			p.lastID.Store(last)
			p.commits <- commitReq{alerts: numberAlerts(take, first), through: last}
		}
		for _, b := range take {
			p.m.ackSeconds.Observe(now.Sub(b.accepted).Seconds())
			b.done <- err
		}

		p.mu.Lock()
		p.pending -= events
		p.m.queueDepth.Set(float64(p.pending))
		close(p.room)
		p.room = make(chan struct{})
		p.mu.Unlock()
	}
}

// numberAlerts gives the alerts of batches written from id first the ids
// of their events.
func numberAlerts(take []*batch, first int64) []store.StoredAlert {
	var out []store.StoredAlert
	base := first
	for _, b := range take {
		for _, a := range b.alerts {
			if a.EventID > 0 {
				a.EventID = base + a.EventID - 1
			}
			out = append(out, a)
		}
		base += int64(len(b.evs))
	}
	return out
}

// Started is closed once Run has caught detection up with the stored
// events and accepts writes; Lag is meaningful from then on.
func (p *Pipeline) Started() <-chan struct{} { return p.started }

// Lag returns how many stored events have no committed detection yet.
func (p *Pipeline) Lag() int64 { return p.lastID.Load() - p.detectedThrough.Load() }

// Full reports whether the queue is full now, so that endpoints can refuse
// a request before spending CPU on decoding it only to be refused.
func (p *Pipeline) Full() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pending >= p.opts.QueueEvents
}

// QueueDepth returns the events accepted but not yet written.
func (p *Pipeline) QueueDepth() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pending
}

// levelName keeps the metric label set small and fixed.
func levelName(a *alert.Alert) string {
	switch a.Rule.Level {
	case "informational", "low", "medium", "high", "critical":
		return a.Rule.Level
	}
	return "unknown"
}
