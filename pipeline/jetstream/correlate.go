package jetstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
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

// openLeases returns the lease bucket, creating it when missing.
func (w *Worker) openLeases(ctx context.Context) (natsjs.KeyValue, error) {
	kv, err := w.c.js.KeyValue(ctx, w.c.cfg.Leases)
	if errors.Is(err, natsjs.ErrBucketNotFound) {
		kv, err = w.c.js.CreateKeyValue(ctx, natsjs.KeyValueConfig{
			Bucket: w.c.cfg.Leases, TTL: w.opts.LeaseTTL, History: 1, Storage: natsjs.FileStorage,
			Replicas:    w.c.cfg.Replicas,
			Description: "Bulwark leases (pipeline/jetstream): who runs each correlator partition",
		})
		if errors.Is(err, natsjs.ErrBucketExists) {
			kv, err = w.c.js.KeyValue(ctx, w.c.cfg.Leases)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("jetstream: lease bucket %s: %w", w.c.cfg.Leases, err)
	}
	return kv, nil
}

// partitionName names a correlator partition's lease and stream position.
// The count is part of it: after a change of Correlators, partitions start
// afresh (replaying the stream; their alerts' keys keep them from being
// stored twice).
func partitionName(part, parts int) string {
	return fmt.Sprintf("correlator-%d-of-%d", part, parts)
}

// correlateLoop takes the lease of one correlator partition whenever it
// is free and runs the partition while it holds it.
func (w *Worker) correlateLoop(ctx context.Context, kv natsjs.KeyValue, part int) {
	ttl := w.opts.LeaseTTL
	name := partitionName(part, w.opts.Correlators)
	for ctx.Err() == nil {
		// Ask at a random moment, and later still when this worker holds
		// partitions already, so that the partitions spread over the
		// workers.
		sleep(ctx, ttl/4+rand.N(ttl/4))
		if h := w.holding(); h > 0 {
			sleep(ctx, ttl/2*time.Duration(h))
		}
		rev, err := kv.Create(ctx, name, []byte(w.opts.Name))
		if err != nil {
			if !errors.Is(err, natsjs.ErrKeyExists) && ctx.Err() == nil {
				w.log.Warn("correlator lease: cannot ask", "partition", name, "err", err)
			}
			continue
		}
		w.log.Info("took a correlator lease", "partition", name, "worker", w.opts.Name)
		w.setHeld(part, true)
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
				r, err := kv.Update(hold, name, []byte(w.opts.Name), held.Load())
				if err != nil {
					if hold.Err() == nil {
						w.log.Error("correlator lease lost; stopping the partition", "partition", name, "err", err)
					}
					lost()
					return
				}
				held.Store(r)
			}
		}()
		err = w.correlate(hold, part)
		lost()
		<-renewed
		w.setHeld(part, false)
		// Hand the lease on at once rather than after its TTL.
		_ = kv.Delete(context.WithoutCancel(ctx), name, natsjs.LastRevision(held.Load()))
		if err != nil && ctx.Err() == nil {
			w.log.Error("correlator partition stopped", "partition", name, "err", err)
		}
	}
}

// setHeld records whether this worker holds a partition.
func (w *Worker) setHeld(part int, on bool) {
	w.corrMu.Lock()
	defer w.corrMu.Unlock()
	if on {
		w.through[part] = 0
	} else {
		delete(w.through, part)
	}
}

// ran records the stream sequence a partition has run through.
func (w *Worker) ran(part int, seq uint64) {
	w.corrMu.Lock()
	defer w.corrMu.Unlock()
	if _, ok := w.through[part]; ok {
		w.through[part] = seq
	}
}

// holding returns how many partitions this worker holds.
func (w *Worker) holding() int {
	w.corrMu.Lock()
	defer w.corrMu.Unlock()
	return len(w.through)
}

// pendingMsg is a message the correlator has read whose events may still
// be in an open window.
type pendingMsg struct {
	seq    uint64
	newest time.Time
}

// correlate runs one partition's correlation rules over the stream from
// its committed position on, until ctx is done.
func (w *Worker) correlate(ctx context.Context, part int) error {
	correlatorName := partitionName(part, w.opts.Correlators)
	engine := correlationEngine(w.engine.Load(), part, w.opts.Correlators)
	corr := engine.NewCorrelations()
	if corr != nil && w.opts.Correlators > 1 {
		// Correlations that stand alone are shared out by group: this
		// partition keeps the windows of its groups only.
		chain := chained(engine.RuleSet().Correlations)
		parts := w.opts.Correlators
		corr.Partition(func(cc *sigma.CompiledCorrelation, group string) bool {
			return chain[cc] || groupPartition(cc, group, parts) == part
		})
	}
	if corr == nil {
		// No correlation rules in this partition: hold the lease (so that
		// no other worker starts it) and do nothing, being trivially
		// through the whole stream.
		w.ran(part, math.MaxUint64)
		<-ctx.Done()
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
			w.ran(part, p.seq)
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

// correlationEngine is e narrowed to one partition's correlations and the
// rules they consume: every partition reads every event, and matching only
// those rules (usually a handful) instead of the whole set is what lets
// one core keep up with many workers. Per-event alerts are the workers'.
//
// A correlation that stands alone (neither fed by nor feeding another)
// runs in every partition, each keeping the windows of the groups its
// group-by key hashes to (groupPartition): one rule's windows spread over
// the partitions, and each window lives whole in one. Correlations
// chained on one another run whole in one partition (partitionOf), since
// a chained correlation's inputs carry the groups of another.
func correlationEngine(e *detect.Engine, part, parts int) *detect.Engine {
	rs := e.RuleSet()
	if len(rs.Correlations) == 0 {
		return e
	}
	chain := chained(rs.Correlations)
	inputs := map[*sigma.Rule]bool{}
	sub := *rs
	sub.Correlations = nil
	for _, cc := range rs.Correlations {
		if chain[cc] && partitionOf(rs.Correlations, cc, parts) != part {
			continue
		}
		sub.Correlations = append(sub.Correlations, cc)
		for _, in := range cc.Inputs {
			if in.Rule != nil {
				inputs[in.Rule] = true
			}
		}
	}
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

// chained lists the correlations fed by, or feeding, another correlation.
func chained(all []*sigma.CompiledCorrelation) map[*sigma.CompiledCorrelation]bool {
	out := map[*sigma.CompiledCorrelation]bool{}
	for _, c := range all {
		for _, in := range c.Inputs {
			if in.Corr != nil {
				out[c], out[in.Corr] = true, true
			}
		}
	}
	return out
}

// groupPartition places one group of a standalone correlation, by a hash
// of the correlation's id and the group's values.
func groupPartition(cc *sigma.CompiledCorrelation, group string, parts int) int {
	h := fnv.New32a()
	h.Write([]byte(correlationID(cc)))
	h.Write([]byte{0})
	h.Write([]byte(group))
	return int(h.Sum32() % uint32(parts))
}

func correlationID(c *sigma.CompiledCorrelation) string {
	if c.ID != "" {
		return c.ID
	}
	return c.Title + "\x00" + c.Path
}

// partitionOf places a correlation and every correlation chained with it
// (either way) in one partition, by a hash of the smallest id among them.
func partitionOf(all []*sigma.CompiledCorrelation, cc *sigma.CompiledCorrelation, parts int) int {
	if parts <= 1 {
		return 0
	}
	// The chain's members: follow inputs and consumers to a fixed point.
	group := map[*sigma.CompiledCorrelation]bool{cc: true}
	for grew := true; grew; {
		grew = false
		for _, c := range all {
			for _, in := range c.Inputs {
				if in.Corr == nil || group[c] == group[in.Corr] {
					continue
				}
				group[c], group[in.Corr], grew = true, true, true
			}
		}
	}
	key := ""
	for c := range group {
		if id := correlationID(c); key == "" || id < key {
			key = id
		}
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(parts))
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
