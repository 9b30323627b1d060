package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
)

// catchUpChunk is how many events detection reads back from the store at
// a time when it is behind.
const catchUpChunk = 4096

// Detection commits its alerts and position when this many events were
// processed since the last commit, this many alerts wait, or this much
// time passed: each commit is a transaction with a sync, taken on the
// store's one write lock that ingest needs too.
const (
	commitEvents   = 8192
	commitAlerts   = 1024
	commitInterval = 200 * time.Millisecond
)

// detection is the state of the detect loop.
type detection struct {
	p         *Pipeline
	engine    *detect.Engine
	d         *detect.Detector
	through   int64 // every event id up to this one has been processed
	committed int64 // and up to this one committed with its alerts
	eventID   int64 // id of the event being processed
	alerts    []store.StoredAlert
	lastSync  time.Time
	commits   chan commitReq // to the committer
	commitErr chan error     // the committer's failure, if any

	// streamTime is the newest event time seen, and seenAt when that
	// was: correlation windows close on stream time, which runs on with
	// the wall clock while no events come.
	streamTime, seenAt time.Time
}

// detectLoop runs detection over written events until p.written closes.
// Events it has not reached by then are left for the next start, which
// resumes from the committed position: shutdown does not wait for a
// backlog.
func (p *Pipeline) detectLoop(through int64) (err error) {
	dt := &detection{p: p, through: through, committed: through, lastSync: time.Now(),
		commits: make(chan commitReq, 2), commitErr: make(chan error, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		dt.commitLoop()
	}()
	defer func() {
		close(dt.commits)
		<-done
		select {
		case cerr := <-dt.commitErr:
			err = errors.Join(err, cerr)
		default:
		}
	}()
	if err := dt.catchUp(p.lastID.Load()); err != nil {
		return err
	}
	// The ticker catches up on batches that were spilled when no batch
	// follows them to reveal the gap.
	tick := time.NewTicker(commitInterval)
	defer tick.Stop()
	for {
		select {
		case w, ok := <-p.written:
			if !ok {
				return dt.commit()
			}
			p.writtenPending.Add(-int64(len(w.evs)))
			if err := dt.written(w); err != nil {
				return err
			}
		case <-tick.C:
			if err := dt.catchUp(p.lastID.Load()); err != nil {
				return err
			}
			if err := dt.expire(); err != nil {
				return err
			}
			if dt.through > dt.committed || len(dt.alerts) > 0 {
				if err := dt.commit(); err != nil {
					return err
				}
			}
		}
	}
}

// written processes a batch handed over by the writer, first reading back
// any events before it that detection has not seen.
func (dt *detection) written(w written) error {
	end := w.first + int64(len(w.evs)) - 1
	if end <= dt.through {
		return nil // read back from the store already
	}
	if w.first > dt.through+1 {
		if err := dt.catchUp(w.first - 1); err != nil {
			return err
		}
	}
	return dt.run(dt.through+1, w.evs[dt.through+1-w.first:])
}

// run processes evs, whose ids start at first, and commits their alerts.
func (dt *detection) run(first int64, evs []event.Event) error {
	dt.useEngine()
	start := time.Now()
	for i := range evs {
		dt.eventID = first + int64(i)
		dt.observeTime(evs[i].Time)
		if err := dt.d.Process(&evs[i]); err != nil {
			return err
		}
	}
	dt.p.m.detectSeconds.Observe(time.Since(start).Seconds())
	dt.p.m.detected.Add(float64(len(evs)))
	return dt.advance(first + int64(len(evs)) - 1)
}

// catchUp processes stored events after dt.through up to id to.
func (dt *detection) catchUp(to int64) error {
	ctx := context.Background()
	for dt.through < to {
		dt.useEngine()
		from := dt.through
		start := time.Now()
		n := 0
		err := dt.p.st.ScanEvents(ctx, store.EventFilter{AfterID: from, Limit: catchUpChunk}, func(se *store.StoredEvent) error {
			if se.ID > to {
				return store.ErrStop
			}
			dt.eventID = se.ID
			dt.observeTime(se.Time)
			n++
			return dt.d.Process(&se.Event)
		})
		if err != nil {
			return fmt.Errorf("pipeline: detection catching up after event %d: %w", from, err)
		}
		if n == 0 {
			// Nothing stored after from (events removed by retention
			// before detection reached them): move on.
			return dt.advance(to)
		}
		dt.p.m.detectSeconds.Observe(time.Since(start).Seconds())
		dt.p.m.detected.Add(float64(n))
		if err := dt.advance(dt.eventID); err != nil {
			return err
		}
	}
	return nil
}

func (dt *detection) observeTime(t time.Time) {
	if t.After(dt.streamTime) {
		dt.streamTime, dt.seenAt = t, time.Now()
	}
}

// expire closes the correlation windows stream time has passed.
func (dt *detection) expire() error {
	if dt.d == nil || dt.streamTime.IsZero() {
		return nil
	}
	now := dt.streamTime.Add(time.Since(dt.seenAt))
	if err := dt.d.Expire(now); err != nil {
		return err
	}
	return nil
}

// useEngine starts a new detector when the engine was replaced.
func (dt *detection) useEngine() {
	e := dt.p.engine.Load()
	if e == dt.engine {
		return
	}
	dt.engine = e
	dt.d = e.NewDetector(e.NewCorrelations(), dt.p.minLevel(), dt.emit)
}

func (dt *detection) emit(a *alert.Alert) error {
	id := dt.eventID
	if a.Correlation != nil {
		id = 0 // a correlation stands on several events
	}
	dt.alerts = append(dt.alerts, store.StoredAlert{EventID: id, Alert: *a})
	dt.p.m.alerts.WithLabelValues(levelName(a)).Inc()
	return nil
}

// advance records that events up to id were processed, and commits when
// enough has accumulated.
func (dt *detection) advance(id int64) error {
	dt.through = id
	if id-dt.committed >= commitEvents || len(dt.alerts) >= commitAlerts || time.Since(dt.lastSync) >= commitInterval {
		return dt.commit()
	}
	return nil
}

// commitReq is a commit handed to the committer: alerts and the position
// they bring detection to.
type commitReq struct {
	alerts  []store.StoredAlert
	through int64
}

// commit hands the pending alerts and the detection position to the
// committer, which stores them in one transaction while detection goes on
// with the next events. It fails once the committer has failed.
func (dt *detection) commit() error {
	select {
	case err := <-dt.commitErr:
		dt.commitErr <- err
		return err
	default:
	}
	dt.commits <- commitReq{alerts: dt.alerts, through: dt.through}
	dt.alerts = nil
	dt.committed = dt.through
	dt.lastSync = time.Now()
	return nil
}

// commitLoop stores what commit hands over, in order. It retries, since
// giving up stops detection for good; after that it only drains.
func (dt *detection) commitLoop() {
	failed := false
	for req := range dt.commits {
		if failed {
			continue
		}
		var err error
		for attempt := 0; attempt < 5; attempt++ {
			if err = dt.p.st.AddAlerts(context.Background(), req.alerts, req.through); err == nil {
				break
			}
			dt.p.log.Error("storing alerts failed; retrying", "err", err, "attempt", attempt+1)
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
		}
		if err != nil {
			failed = true
			dt.commitErr <- fmt.Errorf("pipeline: store alerts: %w", err)
			continue
		}
		dt.p.detectedThrough.Store(req.through)
	}
}
