// Package pipeline is the server's path from ingest to alerts: it takes
// batches of events from every ingest endpoint, writes them to the store
// (acknowledging each batch only once it is on disk), and runs the
// detection engine over the stored events.
//
// The store is the one durable log. Writes are group-committed: while one
// transaction is being synced, the batches that arrive wait in a bounded
// queue and go into the next transaction together, so a busy server pays
// one fsync for many requests. When the queue is full, Submit refuses (or
// waits, for stream listeners that can push back on their peers), so
// memory stays bounded at any input rate.
//
// Detection follows the event ids. Stored events are handed to the
// detector in memory when it keeps up; when it falls behind, or after a
// restart, it reads the events it has not seen from the store. Alerts are
// committed together with the id detection has reached, so a crash neither
// loses nor repeats alerts of single events. (Correlation windows live in
// memory and start empty after a restart or a rule reload.)
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
	// DetectQueue bounds the written events that wait for detection in
	// memory (default 16384); beyond it detection reads them back from the
	// store, so a detector that falls behind costs reads, not memory.
	DetectQueue int
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
	if o.DetectQueue <= 0 {
		o.DetectQueue = 16384
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
	engine atomic.Pointer[detect.Engine]

	mu      sync.Mutex
	queue   []*batch      // accepted, not yet written
	pending int           // events in queue
	room    chan struct{} // closed when the queue shrinks, then replaced
	work    chan struct{} // wakes the writer (capacity 1)
	closed  bool

	written        chan written // to the detector
	writtenPending atomic.Int64 // events in written

	detectedThrough atomic.Int64
	lastID          atomic.Int64
	started         chan struct{} // closed once Run has read the store's position
}

type batch struct {
	evs      []event.Event
	accepted time.Time
	done     chan error
}

// written is a run of stored events with consecutive ids from first.
type written struct {
	first int64
	evs   []event.Event
}

var _ ingest.Sink = (*Pipeline)(nil)

// New returns a pipeline over st running engine.
func New(st Store, engine *detect.Engine, opts Options) *Pipeline {
	opts.defaults()
	p := &Pipeline{
		st: st, opts: opts, log: opts.Logger, m: opts.Metrics,
		room:    make(chan struct{}),
		work:    make(chan struct{}, 1),
		written: make(chan written, 256),
		started: make(chan struct{}),
	}
	p.engine.Store(engine)
	return p
}

// Engine returns the engine detection runs now.
func (p *Pipeline) Engine() *detect.Engine { return p.engine.Load() }

// SetEngine replaces the detection engine. The detector switches between
// two batches; no event is run through both or neither.
func (p *Pipeline) SetEngine(e *detect.Engine) { p.engine.Store(e) }

// Submit implements ingest.Sink.
func (p *Pipeline) Submit(ctx context.Context, evs []event.Event, wait bool) error {
	if len(evs) == 0 {
		return nil
	}
	b := &batch{evs: evs, accepted: time.Now(), done: make(chan error, 1)}
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return ErrClosed
		}
		// An oversized batch is let in when the queue is empty, so that it
		// cannot be refused forever.
		if p.pending+len(evs) <= p.opts.QueueEvents || p.pending == 0 {
			p.queue = append(p.queue, b)
			p.pending += len(evs)
			p.m.queueDepth.Set(float64(p.pending))
			p.mu.Unlock()
			break
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

// Run writes and detects until ctx is done, then drains what was
// accepted and returns. Call it once.
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
	close(p.started)
	if last > through {
		p.log.Info("detection resumes behind the event log", "detected_through", through, "last_event", last)
	}

	detectErr := make(chan error, 1)
	go func() { detectErr <- p.detectLoop(through) }()

	werr := p.writeLoop(ctx)
	close(p.written)
	derr := <-detectErr
	return errors.Join(werr, derr)
}

// writeLoop group-commits queued batches until ctx is done and the queue
// is empty.
func (p *Pipeline) writeLoop(ctx context.Context) error {
	var evs []event.Event
	for {
		p.mu.Lock()
		if ctx.Err() != nil && !p.closed {
			p.closed = true
		}
		if len(p.queue) == 0 {
			closed := p.closed
			p.mu.Unlock()
			if closed {
				return nil
			}
			select {
			case <-p.work:
			case <-ctx.Done():
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
			p.lastID.Store(first + int64(len(evs)) - 1)
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

		if err == nil {
			// Hand the events to detection without waiting: if it is
			// behind it reads them back from the store.
			p.handOver(first, evs)
		}
	}
}

// handOver passes written events to detection in memory when there is
// room, and otherwise leaves detection to read them back from the store.
func (p *Pipeline) handOver(first int64, evs []event.Event) {
	n := int64(len(evs))
	if p.writtenPending.Load()+n > int64(p.opts.DetectQueue) {
		p.m.detectSpills.Inc()
		return
	}
	w := written{first: first, evs: append([]event.Event(nil), evs...)}
	select {
	case p.written <- w:
		p.writtenPending.Add(n)
	default:
		p.m.detectSpills.Inc()
	}
}

// Started is closed once Run has read where the event log and detection
// stand; Lag is meaningful from then on.
func (p *Pipeline) Started() <-chan struct{} { return p.started }

// Lag returns how many stored events detection has not yet processed.
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

// minLevel is the lowest level alerts are kept at.
func (p *Pipeline) minLevel() sigma.Level { return p.opts.MinLevel }

// levelName keeps the metric label set small and fixed.
func levelName(a *alert.Alert) string {
	switch a.Rule.Level {
	case "informational", "low", "medium", "high", "critical":
		return a.Rule.Level
	}
	return "unknown"
}
