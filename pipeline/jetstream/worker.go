package jetstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/intel/match"
	"github.com/bulwarkhq/bulwark/pipeline/jetstream/applied"
	"github.com/bulwarkhq/bulwark/sigma"
	"github.com/bulwarkhq/bulwark/store"
)

// WorkerOptions tune a detection worker. Zero values take the defaults.
type WorkerOptions struct {
	// Name identifies the worker in the correlator lease and in logs
	// (default the NATS client's name and a random suffix).
	Name string
	// MinLevel drops alerts below this level (default low).
	MinLevel sigma.Level
	// Fetch is how many messages one fetch takes and one transaction
	// commits (default 32).
	Fetch int
	// Concurrency is how many fetch loops run (default GOMAXPROCS): while
	// one waits for the database, another detects.
	Concurrency int
	// AckWait is how long a fetched message may stay unacknowledged before
	// JetStream delivers it again (default 15s; a slower commit only means
	// another worker may apply the message too, which its key makes a no-op).
	AckWait time.Duration
	// LeaseTTL is how long a correlator's lease outlives its last renewal
	// (default 10s): the longest correlation alerts wait after the holder
	// dies.
	LeaseTTL time.Duration
	// Correlators is how many partitions the correlation rules are split
	// into, each run by one worker at a time (default 1). Every worker
	// must be given the same number.
	Correlators int
	// NoCorrelator keeps this worker from ever running correlation rules.
	NoCorrelator bool
	Logger       *slog.Logger
}

func (o *WorkerOptions) defaults() {
	if o.Name == "" {
		o.Name = "worker-" + newMsgID()[:8]
	}
	if o.MinLevel == 0 {
		o.MinLevel = sigma.LevelLow
	}
	if o.Fetch <= 0 {
		o.Fetch = 32
	}
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
	if o.AckWait <= 0 {
		o.AckWait = 15 * time.Second
	}
	if o.Correlators <= 0 {
		o.Correlators = 1
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Stats count what a worker has done since it started.
type Stats struct {
	Messages   int64 `json:"messages"`   // messages applied
	Duplicates int64 `json:"duplicates"` // messages found applied already (redeliveries)
	Events     int64 `json:"events"`     // events stored
	Alerts     int64 `json:"alerts"`     // per-event alerts stored
	Rejected   int64 `json:"rejected"`   // undecodable messages, terminated
	// Correlating is set while this worker holds a correlator lease;
	// Partitions are the ones it holds.
	Correlating bool  `json:"correlating"`
	Partitions  []int `json:"partitions,omitempty"`
	Correlated  int64 `json:"correlated"` // messages the correlator read
	CorrAlerts  int64 `json:"correlation_alerts"`
	// CorrelatedThrough is the stream sequence of the last message every
	// partition this worker holds has run over (0 when it holds none).
	CorrelatedThrough uint64 `json:"correlated_through"`
}

// Worker is one detection worker: it shares the stream's durable consumer
// with every other worker and stores events and alerts in st.
type Worker struct {
	st     applied.Store
	c      *conn
	opts   WorkerOptions
	log    *slog.Logger
	engine atomic.Pointer[detect.Engine]
	intel  atomic.Pointer[match.Detector]

	messages, duplicates, events, alerts, rejected atomic.Int64
	correlated, corrAlerts                         atomic.Int64

	corrMu  sync.Mutex
	through map[int]uint64 // partitions held: the sequence each ran through
}

// NewWorker connects to NATS, creates the stream when missing, and
// returns a worker running engine. Call Run.
func NewWorker(ctx context.Context, cfg Config, st applied.Store, engine *detect.Engine, opts WorkerOptions) (*Worker, error) {
	opts.defaults()
	c, err := dial(ctx, cfg, "bulwark-detect "+opts.Name)
	if err != nil {
		return nil, err
	}
	w := &Worker{st: st, c: c, opts: opts, log: opts.Logger, through: map[int]uint64{}}
	w.engine.Store(engine)
	return w, nil
}

// SetEngine replaces the rules. Fetches from then on use them; the
// correlator picks them up when it next takes the lease.
func (w *Worker) SetEngine(e *detect.Engine) { w.engine.Store(e) }

// SetIntel replaces the threat-intel indicators (nil: none).
func (w *Worker) SetIntel(d *match.Detector) { w.intel.Store(d) }

// Stats returns the worker's counters.
func (w *Worker) Stats() Stats {
	s := Stats{
		Messages: w.messages.Load(), Duplicates: w.duplicates.Load(), Events: w.events.Load(),
		Alerts: w.alerts.Load(), Rejected: w.rejected.Load(),
		Correlated: w.correlated.Load(), CorrAlerts: w.corrAlerts.Load(),
	}
	w.corrMu.Lock()
	defer w.corrMu.Unlock()
	for p, seq := range w.through {
		s.Partitions = append(s.Partitions, p)
		if !s.Correlating || seq < s.CorrelatedThrough {
			s.CorrelatedThrough = seq
		}
		s.Correlating = true
	}
	slices.Sort(s.Partitions)
	return s
}

// Close closes the NATS connection (not the store).
func (w *Worker) Close() { w.c.close() }

// Run consumes until ctx is done, then finishes the messages in hand and
// returns. The correlator runs alongside, when this worker holds the
// lease.
func (w *Worker) Run(ctx context.Context) error {
	cons, err := w.c.stream.CreateOrUpdateConsumer(ctx, natsjs.ConsumerConfig{
		Durable:       w.c.cfg.Consumer,
		Description:   "Bulwark detection workers (pipeline/jetstream)",
		AckPolicy:     natsjs.AckExplicitPolicy,
		AckWait:       w.opts.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 4096,
		DeliverPolicy: natsjs.DeliverAllPolicy,
		FilterSubject: w.c.cfg.Subject,
	})
	if err != nil {
		return fmt.Errorf("jetstream: consumer %s: %w", w.c.cfg.Consumer, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, w.opts.Concurrency+1)
	if !w.opts.NoCorrelator {
		kv, err := w.openLeases(ctx)
		if err != nil {
			return err
		}
		for part := range w.opts.Correlators {
			wg.Go(func() { w.correlateLoop(ctx, kv, part) })
		}
	}
	wg.Go(func() { w.forgetLoop(ctx) })
	for range w.opts.Concurrency {
		wg.Go(func() {
			if err := w.fetchLoop(ctx, cons); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// forgetLoop drops, hourly, the keys older than anything the stream can
// still deliver or a correlator replay: the stream's MaxAge and a day.
// Every worker does it; the deletes are idempotent.
func (w *Worker) forgetLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := w.st.ForgetBatchesBefore(ctx, time.Now().Add(-w.c.cfg.MaxAge-24*time.Hour)); err != nil && ctx.Err() == nil {
			w.log.Warn("forgetting old message keys failed", "err", err)
		}
	}
}

// fetchLoop fetches, detects, commits and acknowledges until ctx is done.
func (w *Worker) fetchLoop(ctx context.Context, cons natsjs.Consumer) error {
	var d *loopDetector
	msgs := make([]natsjs.Msg, 0, w.opts.Fetch)
	for ctx.Err() == nil {
		var err error
		if msgs, err = w.fetchSome(cons, msgs[:0]); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			w.log.Warn("fetch failed; retrying", "err", err)
			sleep(ctx, time.Second)
			continue
		}
		if len(msgs) == 0 {
			continue
		}
		if e := w.engine.Load(); d == nil || d.engine != e {
			d = newLoopDetector(e, w.opts.MinLevel)
		}
		w.apply(ctx, d, msgs)
	}
	return nil
}

// fetchSome returns the messages waiting, up to opts.Fetch, without
// waiting for a full batch: when none waits it waits (up to a second) for
// one, then takes what came with it. A fetch that waited for a full batch
// would hold messages back from the other workers and add its wait to
// every alert's latency when the stream is quiet.
func (w *Worker) fetchSome(cons natsjs.Consumer, msgs []natsjs.Msg) ([]natsjs.Msg, error) {
	collect := func(b natsjs.MessageBatch, err error) error {
		if err != nil {
			return err
		}
		for m := range b.Messages() {
			msgs = append(msgs, m)
		}
		if err := b.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, natsjs.ErrNoMessages) {
			return err
		}
		return nil
	}
	if err := collect(cons.FetchNoWait(w.opts.Fetch)); err != nil || len(msgs) > 0 {
		return msgs, err
	}
	if err := collect(cons.Fetch(1, natsjs.FetchMaxWait(time.Second))); err != nil || len(msgs) == 0 {
		return msgs, err
	}
	err := collect(cons.FetchNoWait(w.opts.Fetch - 1))
	return msgs, err
}

// apply detects and commits one fetch's messages, then acknowledges them.
// It finishes even after ctx is done: the messages are in hand.
func (w *Worker) apply(ctx context.Context, d *loopDetector, msgs []natsjs.Msg) {
	ctx = context.WithoutCancel(ctx)
	batches := make([]applied.Batch, 0, len(msgs))
	keep := msgs[:0:0]
	events := 0
	intel := w.intel.Load()
	for _, m := range msgs {
		evs, err := decodeBatch(m.Data())
		if err != nil {
			meta, _ := m.Metadata()
			var seq uint64
			if meta != nil {
				seq = meta.Sequence.Stream
			}
			w.log.Error("dropping a message that does not decode", "stream_seq", seq, "err", err)
			w.rejected.Add(1)
			_ = m.Term() // never deliver it again
			continue
		}
		key := m.Headers().Get(natsjs.MsgIDHeader)
		if key == "" {
			meta, err := m.Metadata()
			if err != nil {
				w.log.Error("message without id or metadata; delivering it again", "err", err)
				_ = m.NakWithDelay(time.Second)
				continue
			}
			key = fmt.Sprintf("%s/%d", meta.Stream, meta.Sequence.Stream)
		}
		batches = append(batches, applied.Batch{Key: key, Events: evs, Alerts: d.detect(evs, intel)})
		keep = append(keep, m)
		events += len(evs)
	}
	if len(batches) == 0 {
		return
	}
	var n int
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if n, err = w.st.ApplyBatches(ctx, batches); err == nil {
			break
		}
		w.log.Error("storing a fetch failed; retrying", "messages", len(batches), "err", err, "attempt", attempt+1)
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
	if err != nil {
		for _, m := range keep {
			_ = m.NakWithDelay(2 * time.Second)
		}
		return
	}
	// Acknowledge only now that the events and alerts are committed. An
	// acknowledgement lost on the way is a redelivery, which the keys
	// turn into a no-op.
	for _, m := range keep {
		if err := m.Ack(); err != nil {
			w.log.Warn("acknowledgement not sent; the message will come again and be skipped", "err", err)
		}
	}
	w.messages.Add(int64(n))
	w.duplicates.Add(int64(len(batches) - n))
	if n == len(batches) {
		w.events.Add(int64(events))
		for _, b := range batches {
			w.alerts.Add(int64(len(b.Alerts)))
		}
	}
}

// loopDetector runs the per-event rules for one fetch loop. Correlation
// rules are left to the correlator: their input rules raise nothing here,
// as on a single node.
type loopDetector struct {
	engine  *detect.Engine
	d       *detect.Detector
	idx     int64
	out     []store.StoredAlert
	intel   *match.Worker
	intelOf *match.Detector
}

func newLoopDetector(e *detect.Engine, minLevel sigma.Level) *loopDetector {
	ld := &loopDetector{engine: e}
	ld.d = e.NewDetector(nil, minLevel, func(a *alert.Alert) error {
		ld.out = append(ld.out, store.StoredAlert{EventID: ld.idx, Alert: *a})
		return nil
	})
	return ld
}

// detect returns the alerts of evs, EventID the 1-based index in evs.
func (ld *loopDetector) detect(evs []event.Event, intel *match.Detector) []store.StoredAlert {
	ld.out = nil
	if intel != nil && ld.intelOf != intel {
		ld.intel, ld.intelOf = intel.NewWorker(), intel
	}
	emitIntel := func(a *alert.Alert) {
		ld.out = append(ld.out, store.StoredAlert{EventID: ld.idx, Alert: *a})
	}
	for i := range evs {
		ld.idx = int64(i) + 1
		_ = ld.d.Process(&evs[i]) // emit never fails
		if intel != nil {
			ld.intel.Process(&evs[i], emitIntel)
		}
		if a, ok := alert.Embedded(&evs[i]); ok {
			emitIntel(a)
		}
	}
	return ld.out
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
