package jetstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/pipeline/jetstream/applied"
	"github.com/bulwarkhq/bulwark/sigma"
	"github.com/bulwarkhq/bulwark/store"
)

// How the correlator paces itself.
const (
	corrFetch       = 256
	corrFetchWait   = 250 * time.Millisecond
	corrCommitEvery = 250 * time.Millisecond
	corrCommitMax   = 1000 // alerts that force a commit
)

// correlateLoop takes the correlator lease whenever it is free and runs
// the correlator while it holds it.
func (w *Worker) correlateLoop(ctx context.Context) error {
	ttl := w.opts.LeaseTTL
	kv, err := w.c.js.KeyValue(ctx, w.c.cfg.Leases)
	if errors.Is(err, natsjs.ErrBucketNotFound) {
		kv, err = w.c.js.CreateKeyValue(ctx, natsjs.KeyValueConfig{
			Bucket: w.c.cfg.Leases, TTL: ttl, History: 1, Storage: natsjs.FileStorage,
			Replicas:    w.c.cfg.Replicas,
			Description: "Bulwark leases (pipeline/jetstream): who runs the correlator",
		})
		if errors.Is(err, natsjs.ErrBucketExists) {
			kv, err = w.c.js.KeyValue(ctx, w.c.cfg.Leases)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("jetstream: lease bucket %s: %w", w.c.cfg.Leases, err)
	}
	for ctx.Err() == nil {
		rev, err := kv.Create(ctx, correlatorLease, []byte(w.opts.Name))
		if err != nil {
			if !errors.Is(err, natsjs.ErrKeyExists) && ctx.Err() == nil {
				w.log.Warn("correlator lease: cannot ask", "err", err)
			}
			sleep(ctx, ttl/4)
			continue
		}
		w.log.Info("took the correlator lease", "worker", w.opts.Name)
		w.correlating.Store(true)
		hold, lost := context.WithCancel(ctx)
		var held atomic.Uint64
		held.Store(rev)
		renewed := make(chan struct{})
		go func() {
			defer close(renewed)
			t := time.NewTicker(ttl / 4)
			defer t.Stop()
			for {
				select {
				case <-hold.Done():
					return
				case <-t.C:
				}
				r, err := kv.Update(hold, correlatorLease, []byte(w.opts.Name), held.Load())
				if err != nil {
					if hold.Err() == nil {
						w.log.Error("correlator lease lost; stopping the correlator", "err", err)
					}
					lost()
					return
				}
				held.Store(r)
			}
		}()
		err = w.correlate(hold)
		lost()
		<-renewed
		w.correlating.Store(false)
		w.correlatedThrough.Store(0)
		// Hand the lease on at once rather than after its TTL.
		_ = kv.Delete(context.WithoutCancel(ctx), correlatorLease, natsjs.LastRevision(held.Load()))
		if err != nil && ctx.Err() == nil {
			w.log.Error("correlator stopped", "err", err)
			sleep(ctx, ttl/4)
		}
	}
	return nil
}

// pendingMsg is a message the correlator has read whose events may still
// be in an open window.
type pendingMsg struct {
	seq    uint64
	newest time.Time
}

// correlate runs the correlation rules over the stream from the committed
// position on, until ctx is done.
func (w *Worker) correlate(ctx context.Context) error {
	engine := correlationEngine(w.engine.Load())
	corr := engine.NewCorrelations()
	if corr == nil {
		<-ctx.Done() // no correlation rules: hold the lease, do nothing
		return nil
	}
	horizon := replayHorizon(engine)
	floor, err := w.st.CorrelationPosition(ctx, correlatorName)
	if err != nil {
		return err
	}
	info, err := w.c.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("jetstream: stream info: %w", err)
	}
	start := floor + 1
	if first := info.State.FirstSeq; start < first {
		if floor > 0 {
			w.log.Warn("the stream no longer holds every message after the correlator's position; windows start from what it holds",
				"position", floor, "first_held", first)
		}
		start = first
	}
	cons, err := w.c.js.OrderedConsumer(ctx, w.c.cfg.Stream, natsjs.OrderedConsumerConfig{
		DeliverPolicy: natsjs.DeliverByStartSequencePolicy, OptStartSeq: max(start, 1),
	})
	if err != nil {
		return fmt.Errorf("jetstream: correlator consumer: %w", err)
	}
	w.log.Info("correlator running", "from_seq", start, "replay_horizon", horizon)

	var out []applied.KeyedAlert
	det := engine.NewDetector(corr, w.opts.MinLevel, func(a *alert.Alert) error {
		if a.Correlation != nil { // per-event alerts are the fetch loops'
			out = append(out, applied.KeyedAlert{Key: correlationKey(a), Alert: store.StoredAlert{Alert: *a}})
		}
		return nil
	})
	var clock streamClock
	var pending []pendingMsg
	committed, lastCommit := floor, time.Now()
	commit := func(ctx context.Context) error {
		if len(out) == 0 && floor == committed {
			return nil
		}
		if err := w.st.CommitCorrelation(ctx, correlatorName, floor, out); err != nil {
			return err
		}
		w.corrAlerts.Add(int64(len(out)))
		out, committed, lastCommit = out[:0], floor, time.Now()
		return nil
	}
	for {
		batch, err := cons.Fetch(corrFetch, natsjs.FetchMaxWait(corrFetchWait))
		if err != nil {
			if ctx.Err() != nil {
				return commit(context.WithoutCancel(ctx))
			}
			return fmt.Errorf("jetstream: correlator fetch: %w", err)
		}
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("jetstream: correlator: message metadata: %w", err)
			}
			p := pendingMsg{seq: meta.Sequence.Stream}
			evs, err := decodeBatch(m.Data())
			if err != nil {
				w.log.Warn("correlator skips a message that does not decode", "stream_seq", p.seq, "err", err)
			}
			for i := range evs {
				clock.observe(evs[i].Time)
				if evs[i].Time.After(p.newest) {
					p.newest = evs[i].Time
				}
				_ = det.Process(&evs[i])
			}
			pending = append(pending, p)
			w.correlated.Add(1)
			w.correlatedThrough.Store(p.seq)
		}
		if now, ok := clock.now(); ok {
			_ = det.Expire(now)
			// Messages whose newest event is past every window (and every
			// quiet period after a firing) need never be read again.
			cutoff := now.Add(-horizon)
			n := 0
			for n < len(pending) && pending[n].newest.Before(cutoff) {
				floor = pending[n].seq
				n++
			}
			pending = append(pending[:0], pending[n:]...)
		}
		if len(out) >= corrCommitMax || time.Since(lastCommit) >= corrCommitEvery || ctx.Err() != nil {
			if err := commit(context.WithoutCancel(ctx)); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// correlationEngine is e narrowed to the rules correlations consume: the
// correlator reads every event, and matching only those rules (usually a
// handful) instead of the whole set is what lets one core keep up with
// many workers. Per-event alerts are the workers' anyway.
func correlationEngine(e *detect.Engine) *detect.Engine {
	rs := e.RuleSet()
	if len(rs.Correlations) == 0 {
		return e
	}
	inputs := map[*sigma.Rule]bool{}
	for _, cc := range rs.Correlations {
		for _, in := range cc.Inputs {
			if in.Rule != nil {
				inputs[in.Rule] = true
			}
		}
	}
	sub := *rs
	sub.Rules, sub.Compiled = nil, nil
	for _, r := range rs.Rules {
		if inputs[r] {
			sub.Rules = append(sub.Rules, r)
		}
	}
	for _, c := range rs.Compiled {
		if inputs[c.Rule] {
			sub.Compiled = append(sub.Compiled, c)
		}
	}
	return detect.New(&sub, detect.Options{})
}

// replayHorizon is how far behind stream time an event may still matter
// to a correlation: twice the sum of every correlation's timespan covers
// each window, the quiet period after it fires, and chains of them.
func replayHorizon(e *detect.Engine) time.Duration {
	var sum time.Duration
	for _, cc := range e.RuleSet().Correlations {
		sum += cc.Timespan
	}
	return 2*sum + time.Second
}

// correlationKey identifies a correlation alert by what it says, so that
// the same correlation raised again by a correlator replaying the stream
// is stored once.
func correlationKey(a *alert.Alert) string {
	h := sha256.New()
	h.Write([]byte(a.Rule.ID))
	h.Write([]byte{0})
	h.Write([]byte(a.Rule.Path))
	h.Write([]byte{0})
	doc, _ := json.Marshal(a.Correlation) // maps marshal with sorted keys
	h.Write(doc)
	return "corr:" + hex.EncodeToString(h.Sum(nil)[:20])
}

// streamClock is stream time, as the single-node pipeline keeps it: the
// newest event time seen, running on with the wall clock while no newer
// event comes, so that windows close on event time when logs are replayed
// and still close when the stream falls silent.
type streamClock struct {
	newest time.Time
	seenAt time.Time
}

func (c *streamClock) observe(t time.Time) {
	if t.After(c.newest) {
		c.newest, c.seenAt = t, time.Now()
	}
}

func (c *streamClock) now() (time.Time, bool) {
	if c.newest.IsZero() {
		return time.Time{}, false
	}
	return c.newest.Add(time.Since(c.seenAt)), true
}
