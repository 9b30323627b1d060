package pipeline

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/intel/match"
	"github.com/bulwarkhq/bulwark/store"
)

// catchUpChunk is how many stored events a start-up catch-up reads and
// commits at a time.
const catchUpChunk = 4096

// expireEvery is how often correlation windows are checked for closing.
const expireEvery = 250 * time.Millisecond

// maxCommit is how many alerts the committer gathers into one transaction.
const maxCommit = 4096

// ruleState is one engine with what running it needs: shared correlation
// windows and a pool of workers, each a detector with its own scratch.
type ruleState struct {
	engine  *detect.Engine
	corr    *detect.Correlations
	workers sync.Pool
}

func newRuleState(e *detect.Engine, p *Pipeline) *ruleState {
	rs := &ruleState{engine: e, corr: e.NewCorrelations()}
	rs.workers.New = func() any {
		w := &worker{p: p}
		w.d = e.NewDetector(rs.corr, p.opts.MinLevel, w.emit)
		return w
	}
	return rs
}

// worker runs detection for one goroutine at a time.
type worker struct {
	p      *Pipeline
	d      *detect.Detector
	id     int64 // the event being processed: 1-based index in its batch, or store id
	alerts []store.StoredAlert
	// intel matches threat-intel indicators; it is rebuilt when the
	// pipeline's indicator set changes.
	intel     *match.Worker
	intelOf   *match.Detector
	emitIntel func(*alert.Alert)
}

// matchIntel runs the indicators d (the pipeline's, loaded once per batch)
// over one event.
func (w *worker) matchIntel(d *match.Detector, ev *event.Event) {
	if d == nil {
		return
	}
	if w.intelOf != d {
		w.intel, w.intelOf = d.NewWorker(), d
	}
	if w.emitIntel == nil {
		w.emitIntel = func(a *alert.Alert) { _ = w.emit(a) }
	}
	w.intel.Process(ev, w.emitIntel)
}

// raiseEmbedded raises the alert an event of Bulwark's own sensors carries
// (alert.Embed): the OT monitor detects on its own and hands the pipeline
// the evidence, so that the alert is stored, triaged and, after a crash,
// raised again from the stored event like any other.
func (w *worker) raiseEmbedded(ev *event.Event) {
	if a, ok := alert.Embedded(ev); ok {
		_ = w.emit(a)
	}
}

func (w *worker) emit(a *alert.Alert) error {
	id := w.id
	if a.Correlation != nil {
		id = 0 // a correlation stands on several events
	}
	w.alerts = append(w.alerts, store.StoredAlert{EventID: id, Alert: *a})
	w.p.m.alerts.WithLabelValues(levelName(a)).Inc()
	return nil
}

// detect runs the current rules over a batch and returns its alerts, with
// EventID the 1-based index of the event in evs.
func (p *Pipeline) detect(evs []event.Event) []store.StoredAlert {
	rs := p.rules.Load()
	w := rs.workers.Get().(*worker)
	start := time.Now()
	var newest time.Time
	intel := p.intel.Load()
	for i := range evs {
		w.id = int64(i) + 1
		if evs[i].Time.After(newest) {
			newest = evs[i].Time
		}
		_ = w.d.Process(&evs[i]) // emit never fails
		w.matchIntel(intel, &evs[i])
		w.raiseEmbedded(&evs[i])
	}
	p.stream.observe(newest)
	p.m.detectSeconds.Observe(time.Since(start).Seconds())
	p.m.detected.Add(float64(len(evs)))
	alerts := w.alerts
	w.alerts = nil
	rs.workers.Put(w)
	return alerts
}

// catchUp detects the stored events after id from up to id to, reading
// them back from the store, and commits their alerts.
func (p *Pipeline) catchUp(ctx context.Context, from, to int64) error {
	rs := p.rules.Load()
	w := rs.workers.Get().(*worker)
	defer rs.workers.Put(w)
	intel := p.intel.Load()
	for from < to {
		reached := from
		err := p.st.ScanEvents(ctx, store.EventFilter{AfterID: from, Limit: catchUpChunk}, func(se *store.StoredEvent) error {
			if se.ID > to {
				return store.ErrStop
			}
			w.id = se.ID
			reached = se.ID
			p.stream.observe(se.Time)
			err := w.d.Process(&se.Event)
			w.matchIntel(intel, &se.Event)
			w.raiseEmbedded(&se.Event)
			return err
		})
		if err != nil {
			return fmt.Errorf("pipeline: detecting stored events after %d: %w", from, err)
		}
		if reached == from {
			reached = to // nothing left (retention removed the rest)
		}
		p.m.detected.Add(float64(reached - from))
		select {
		case p.commits <- commitReq{alerts: w.alerts, through: reached}:
		case <-ctx.Done():
			return ctx.Err()
		}
		w.alerts = nil
		from = reached
	}
	return nil
}

// commitReq is alerts to store and the event id detection has reached
// with them (0: not moved).
type commitReq struct {
	alerts  []store.StoredAlert
	through int64
}

// commitLoop stores alerts in the order they come, each time with the
// detection position, taking what has piled up in one transaction. It
// retries, since giving up stops detection for good; after that it only
// drains, and the next start detects again what was not committed.
func (p *Pipeline) commitLoop(through int64) {
	failed := false
	for req := range p.commits {
		if failed {
			continue
		}
		alerts := req.alerts
		through = max(through, req.through)
	more:
		for len(alerts) < maxCommit {
			select {
			case next, ok := <-p.commits:
				if !ok {
					break more
				}
				alerts = append(alerts, next.alerts...)
				through = max(through, next.through)
			default:
				break more
			}
		}
		var err error
		for attempt := 0; attempt < 5; attempt++ {
			if err = p.st.AddAlerts(context.Background(), alerts, through); err == nil {
				break
			}
			p.log.Error("storing alerts failed; retrying", "err", err, "attempt", attempt+1)
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
		}
		if err != nil {
			failed = true
			p.commitErr <- fmt.Errorf("pipeline: store alerts: %w", err)
			continue
		}
		p.detectedThrough.Store(through)
	}
}

// expireLoop closes correlation windows that stream time has passed.
func (p *Pipeline) expireLoop(ctx context.Context) {
	t := time.NewTicker(expireEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, ok := p.stream.now()
		if !ok {
			continue
		}
		rs := p.rules.Load()
		w := rs.workers.Get().(*worker)
		w.id = 0
		_ = w.d.Expire(now)
		if len(w.alerts) > 0 {
			select {
			case p.commits <- commitReq{alerts: w.alerts}:
			case <-ctx.Done():
			}
			w.alerts = nil
		}
		rs.workers.Put(w)
	}
}

// streamClock is stream time: the newest event time seen, running on with
// the wall clock while no newer events come, so that correlation windows
// close on event time when logs are replayed and still close when a
// source falls silent.
type streamClock struct {
	newest atomic.Int64 // unix nanoseconds, 0 when no event had a time
	seenAt atomic.Int64 // wall clock when newest was set
}

func (c *streamClock) observe(t time.Time) {
	if t.IsZero() {
		return
	}
	n := t.UnixNano()
	for {
		cur := c.newest.Load()
		if n <= cur {
			return
		}
		if c.newest.CompareAndSwap(cur, n) {
			c.seenAt.Store(time.Now().UnixNano())
			return
		}
	}
}

func (c *streamClock) now() (time.Time, bool) {
	n := c.newest.Load()
	if n == 0 {
		return time.Time{}, false
	}
	idle := time.Duration(time.Now().UnixNano() - c.seenAt.Load())
	return time.Unix(0, n).Add(idle), true
}
