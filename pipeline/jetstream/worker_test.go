package jetstream_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/demo"
	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/pipeline/jetstream"
	"github.com/bulwarkhq/bulwark/pipeline/jetstream/applied"
	"github.com/bulwarkhq/bulwark/rules"
)

// builtinEngine compiles the built-in rules.
func builtinEngine(t testing.TB) *detect.Engine {
	t.Helper()
	rs, _, err := rules.Selection{}.Load()
	if err != nil {
		t.Fatal(err)
	}
	return detect.New(rs, detect.Options{})
}

// lostAcks commits like its store but reports failure for the first
// fails calls: the worker's view of a crash between commit and ack.
type lostAcks struct {
	applied.Store
	fails atomic.Int32
}

func (s *lostAcks) ApplyBatches(ctx context.Context, b []applied.Batch) (int, error) {
	n, err := s.Store.ApplyBatches(ctx, b)
	if err == nil && s.fails.Add(-1) >= 0 {
		return 0, errors.New("injected: committed, acknowledgement lost")
	}
	return n, err
}

// demoEvents returns rounds of the demo intrusion.
func demoEvents(rounds int) []event.Event {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	var evs []event.Event
	for r := range rounds {
		evs = append(evs, demo.Scenario(start.Add(time.Duration(r)*(demo.Duration+5*time.Minute)))...)
	}
	return evs
}

// appendAll publishes evs, perMsg events a message, each acknowledged.
func appendAll(ctx context.Context, t *testing.T, pub *jetstream.Publisher, evs []event.Event, perMsg int) {
	t.Helper()
	for i := 0; i < len(evs); i += perMsg {
		if _, err := pub.AppendEvents(ctx, evs[i:min(i+perMsg, len(evs))]); err != nil {
			t.Fatal(err)
		}
	}
}

// runWorker runs w in the background; the stop it returns cancels the run
// and waits for it to return.
func runWorker(ctx context.Context, t *testing.T, w *jetstream.Worker) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := w.Run(ctx); err != nil {
			t.Error(err)
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

// TestWorkerRedeliveryStoresOnce runs a worker in-process whose commits
// succeed but are reported as failed, so that every message it applies
// comes back: events and alerts must still be stored exactly once.
func TestWorkerRedeliveryStoresOnce(t *testing.T) {
	pgURL, natsURL := clusterEnv(t)
	_, st := freshCluster(t, pgURL, natsURL)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := jetstream.Config{URL: natsURL}
	pub, err := jetstream.NewPublisher(ctx, cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	evs := demoEvents(3)
	appendAll(ctx, t, pub, evs, 100)
	flaky := &lostAcks{Store: st}
	flaky.fails.Store(3)
	w, err := jetstream.NewWorker(ctx, cfg, flaky, builtinEngine(t), jetstream.WorkerOptions{Concurrency: 1, Fetch: 2, NoCorrelator: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	stop := runWorker(ctx, t, w)
	waitStable(t, "events", time.Minute, 500*time.Millisecond, func() (int64, error) { return st.CountEvents(ctx) }, int64(len(evs)))
	stop()
	s := w.Stats()
	if s.Duplicates == 0 {
		t.Errorf("no message was found applied already: %+v", s)
	}
	alerts, err := st.CountAlerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The demo raises per-event alerts on every round alike.
	if alerts == 0 || alerts%3 != 0 {
		t.Errorf("%d alerts for three identical rounds", alerts)
	}
	t.Logf("%+v; %d events, %d alerts stored", s, len(evs), alerts)
}

// TestWorkerCorrelates runs a worker in-process with two correlator
// partitions and two fetch loops (under -race, the concurrent paths), and
// checks that the demo's alerts are stored once each.
func TestWorkerCorrelates(t *testing.T) {
	pgURL, natsURL := clusterEnv(t)
	_, st := freshCluster(t, pgURL, natsURL)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := jetstream.Config{URL: natsURL}
	pub, err := jetstream.NewPublisher(ctx, cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 3
	evs := demoEvents(rounds)
	appendAll(ctx, t, pub, evs, 50)
	last, err := streamLastSeq(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	w, err := jetstream.NewWorker(ctx, cfg, st, builtinEngine(t), jetstream.WorkerOptions{Concurrency: 2, Correlators: 2, LeaseTTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	stop := runWorker(ctx, t, w)
	waitStable(t, "events", time.Minute, 0, func() (int64, error) { return st.CountEvents(ctx) }, int64(len(evs)))
	waitStable(t, "correlator position", time.Minute, 0, func() (int64, error) {
		s := w.Stats()
		if len(s.Partitions) < 2 {
			return 0, nil
		}
		return int64(min(s.CorrelatedThrough, last)), nil
	}, int64(last))
	waitStable(t, "alerts", time.Minute, 2*time.Second, func() (int64, error) { return st.CountAlerts(ctx) }, -1)
	stop()
	set := alertsOf(t, st)
	corr := 0
	for k, n := range set {
		if strings.Contains(k, `"correlation":`) {
			corr += n
		}
	}
	// Each round of the demo raises two correlations (the single node
	// agrees: TestClusterMatchesSingleNode) and 35 per-event alerts.
	if corr != 2*rounds || set.total()-corr != 35*rounds {
		t.Errorf("%d correlations and %d per-event alerts, want %d and %d", corr, set.total()-corr, 2*rounds, 35*rounds)
	}
	t.Logf("%+v; %d alerts, %d correlations", w.Stats(), set.total(), corr)
}
