package jetstream_test

// The multi-process test of issue 10: one ingest node and two detection
// workers on loopback, sharing PostgreSQL and a NATS JetStream server,
// must store the same alerts as a single node given the same input, each
// exactly once, and still do when a worker is killed mid-stream.
//
// It needs BULWARK_TEST_POSTGRES (a database the test may create schemas
// in) and BULWARK_TEST_NATS (a NATS server with JetStream, which the test
// may wipe the Bulwark stream of); .ci/run starts both.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/bulwarkhq/bulwark/demo"
	"github.com/bulwarkhq/bulwark/internal/testbin"
	"github.com/bulwarkhq/bulwark/pipeline/jetstream"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/postgres"
	"github.com/bulwarkhq/bulwark/store/sqlite"
)

// clusterEnv returns the PostgreSQL and NATS URLs, or skips.
func clusterEnv(t *testing.T) (pg, nc string) {
	t.Helper()
	pg, nc = os.Getenv("BULWARK_TEST_POSTGRES"), os.Getenv("BULWARK_TEST_NATS")
	if pg == "" || nc == "" {
		t.Skip("BULWARK_TEST_POSTGRES and BULWARK_TEST_NATS not set: the multi-process test needs PostgreSQL and a NATS server with JetStream (.ci/run starts both)")
	}
	if testing.Short() {
		t.Skip("multi-process test builds and runs the binary; skipped with -short")
	}
	return pg, nc
}

// binary builds bulwark once per test run.
func binary(t *testing.T) string { return testbin.Build(t) }

func TestMain(m *testing.M) { testbin.Main(m) }

// node is one running bulwark process.
type node struct {
	*testbin.Server
	t    *testing.T
	name string
}

// start runs bulwark serve with args and waits until it listens.
func start(t *testing.T, name string, args ...string) *node {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve", "--listen", "127.0.0.1:0", "--log-level", logLevel()}, args...)...)
	n := &node{testbin.Start(t, name, cmd), t, name}
	t.Cleanup(n.Stop)
	return n
}

// workerStats is GET /api/v1/worker of a detect node.
func (n *node) workerStats() jetstream.Stats {
	var st jetstream.Stats
	resp, err := http.Get(n.Base + "/api/v1/worker")
	if err != nil {
		return st
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&st)
	return st
}

// ingestToken logs in as the first-start admin and creates an ingest token.
func (n *node) ingestToken() string {
	n.t.Helper()
	password := n.Password()
	if password == "" {
		n.t.Fatalf("%s printed no admin password:\n%s", n.name, n.Log())
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	n.postJSON(c, "/api/v1/login", "", map[string]string{"user": "admin", "password": password}, &me)
	var tok struct {
		Secret string `json:"secret"`
	}
	n.postJSON(c, "/api/v1/tokens", me.CSRF, map[string]string{"name": "cluster-test", "role": "ingest"}, &tok)
	return tok.Secret
}

func (n *node) postJSON(c *http.Client, path, csrf string, body, out any) {
	n.t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", n.Base+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := c.Do(req)
	if err != nil {
		n.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		n.t.Fatalf("POST %s: %s: %s", path, resp.Status, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		n.t.Fatalf("POST %s: %v", path, err)
	}
}

// input is the fixed input of every run: rounds of the demo's simulated
// intrusion, each forty minutes after the one before, in HEC requests of
// chunk events.
type input struct {
	bodies [][]byte
	events int
}

func makeInput(t *testing.T, rounds, chunk int) input {
	t.Helper()
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	var in input
	for r := range rounds {
		evs := demo.Scenario(start.Add(time.Duration(r) * (demo.Duration + 5*time.Minute)))
		for len(evs) > 0 {
			part := evs[:min(chunk, len(evs))]
			evs = evs[len(part):]
			var b bytes.Buffer
			if err := demo.NDJSON(&b, part); err != nil {
				t.Fatal(err)
			}
			in.bodies = append(in.bodies, b.Bytes())
			in.events += len(part)
		}
	}
	return in
}

// send posts the input's requests one after the other (so that every run
// sees the events in the same order), retrying on 503; after is called
// with the number of requests sent so far.
func send(t *testing.T, n *node, token string, in input, after func(sent int)) {
	t.Helper()
	c := &http.Client{Timeout: time.Minute}
	for i, body := range in.bodies {
		for attempt := 0; ; attempt++ {
			req, _ := http.NewRequest("POST", n.Base+"/services/collector/raw?sourcetype=_json&source=cluster-test", bytes.NewReader(body))
			req.Header.Set("Authorization", "Splunk "+token)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("HEC request %d: %v", i, err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
			if resp.StatusCode != http.StatusServiceUnavailable || attempt > 100 {
				t.Fatalf("HEC request %d: %s: %s", i, resp.Status, msg)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if after != nil {
			after(i + 1)
		}
	}
}

// alertSet is every stored alert as canonical JSON (without the store's
// ids and times), with how many times it is stored.
type alertSet map[string]int

func alertsOf(t *testing.T, st store.Alerts) alertSet {
	t.Helper()
	list, err := st.ListAlerts(context.Background(), store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	set := alertSet{}
	for _, a := range list {
		doc, err := json.Marshal(a.Alert)
		if err != nil {
			t.Fatal(err)
		}
		set[string(doc)]++
	}
	return set
}

func (s alertSet) total() int {
	n := 0
	for _, c := range s {
		n += c
	}
	return n
}

// diff describes how got differs from want.
func (s alertSet) diff(want alertSet) string {
	var lines []string
	for k, w := range want {
		if g := s[k]; g != w {
			lines = append(lines, fmt.Sprintf("stored %d times, want %d: %.300s", g, w, k))
		}
	}
	for k, g := range s {
		if _, ok := want[k]; !ok {
			lines = append(lines, fmt.Sprintf("stored %d times, want 0: %.300s", g, k))
		}
	}
	sort.Strings(lines)
	if len(lines) > 20 {
		lines = append(lines[:20], fmt.Sprintf("... and %d more", len(lines)-20))
	}
	return strings.Join(lines, "\n")
}

// waitStable waits until count returns want and then does not change for
// settle (correlation alerts come from the correlator a moment later).
func waitStable(t *testing.T, what string, timeout, settle time.Duration, count func() (int64, error), want int64) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last int64 = -1
	since := time.Now()
	for {
		n, err := count()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != last {
			last, since = n, time.Now()
		}
		if (want < 0 || n == want) && time.Since(since) >= settle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d after %v, want %d", what, n, timeout, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// singleNode runs the input through one --role all server over SQLite and
// returns the alerts it stored.
func singleNode(t *testing.T, in input) alertSet {
	t.Helper()
	dir := t.TempDir()
	n := start(t, "single", "--data", dir)
	send(t, n, n.ingestToken(), in, nil)
	st, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	waitStable(t, "single node events", 2*time.Minute, 0, func() (int64, error) { return st.CountEvents(ctx) }, int64(in.events))
	waitStable(t, "single node alerts", 2*time.Minute, 3*time.Second, func() (int64, error) { return st.CountAlerts(ctx) }, -1)
	n.Stop()
	defer st.Close()
	return alertsOf(t, st)
}

// freshSchema gives a test its own PostgreSQL schema, dropped at the end,
// and returns a connection string using it and the store opened on it.
func freshSchema(t *testing.T, pgURL string) (string, *postgres.Store) {
	t.Helper()
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "jetstream_test_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgURL)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	st, err := postgres.Open(ctx, u.String(), postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return u.String(), st
}

// freshCluster gives a run its own PostgreSQL schema and an empty stream,
// and returns the connection string and the store for checking.
func freshCluster(t *testing.T, pgURL, natsURL string) (string, *postgres.Store) {
	t.Helper()
	ctx := context.Background()
	dsn, st := freshSchema(t, pgURL)
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, del := range []func() error{
		func() error { return js.DeleteStream(ctx, jetstream.DefaultStream) },
		func() error { return js.DeleteKeyValue(ctx, jetstream.DefaultLeases) },
	} {
		if err := del(); err != nil && !strings.Contains(err.Error(), "not found") {
			t.Fatal(err)
		}
	}
	return dsn, st
}

// pendingInStream is what the workers' consumer has not acknowledged yet.
func pendingInStream(natsURL string) (uint64, error) {
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, jetstream.DefaultStream, jetstream.DefaultConsumer)
	if err != nil {
		return 0, err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}

// streamLastSeq is the sequence of the stream's last message.
func streamLastSeq(natsURL string) (uint64, error) {
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, jetstream.DefaultStream)
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}

// cluster runs the input through one ingest node and two workers, the
// correlation rules split into correlators partitions; with kill, a worker
// running a correlator partition is killed (SIGKILL) a third of the way
// through and the other one takes over. It returns the alerts.
func cluster(t *testing.T, pgURL, natsURL string, in input, kill bool, correlators int) alertSet {
	t.Helper()
	dsn, st := freshCluster(t, pgURL, natsURL)
	common := []string{"--nats", natsURL, "--postgres", dsn, "--correlators", fmt.Sprint(correlators)}
	ingest := start(t, "ingest", append([]string{"--role", "ingest", "--data", t.TempDir()}, common...)...)
	token := ingest.ingestToken()
	workers := []*node{
		start(t, "worker-1", append([]string{"--role", "detect", "--data", t.TempDir()}, common...)...),
		start(t, "worker-2", append([]string{"--role", "detect", "--data", t.TempDir()}, common...)...),
	}
	killed := false
	send(t, ingest, token, in, func(sent int) {
		// Paced like a live stream, so that the kill finds the workers
		// busy with messages fetched, committed or not, acknowledged or not.
		time.Sleep(20 * time.Millisecond)
		if !kill || killed || sent < len(in.bodies)/3 {
			return
		}
		// Kill the correlator's worker: the harder case (windows move to
		// the other worker) on top of unacknowledged messages.
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			for i, w := range workers {
				if ws := w.workerStats(); ws.Correlating && ws.CorrelatedThrough > 0 {
					t.Logf("%s before the kill: %+v", w.name, ws)
					w.Kill()
					t.Logf("killed %s (the correlator) after %d of %d requests", w.name, sent, len(in.bodies))
					workers = slices.Delete(workers, i, i+1)
					killed = true
					return
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("no worker was running a correlator partition within 30s")
	})
	if kill && !killed {
		t.Fatal("no worker was killed")
	}
	ctx := context.Background()
	waitStable(t, "cluster events", 3*time.Minute, 0, func() (int64, error) { return st.CountEvents(ctx) }, int64(in.events))
	waitStable(t, "stream messages not acknowledged", time.Minute, 0, func() (int64, error) {
		n, err := pendingInStream(natsURL)
		return int64(n), err
	}, 0)
	// The correlator (the survivor, after a kill: once the dead holder's
	// lease has expired) must have run over the whole stream.
	last, err := streamLastSeq(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	waitStable(t, "stream position every correlator partition ran through", 2*time.Minute, 0, func() (int64, error) {
		held := map[int]bool{}
		through := uint64(0)
		for _, w := range workers {
			s := w.workerStats()
			for _, p := range s.Partitions {
				held[p] = true
			}
			if s.Correlating && (through == 0 || s.CorrelatedThrough < through) {
				through = s.CorrelatedThrough
			}
		}
		if len(held) < correlators {
			return 0, nil
		}
		return int64(min(through, last)), nil // partitions without rules are through everything
	}, int64(last))
	waitStable(t, "cluster alerts", 2*time.Minute, 4*time.Second, func() (int64, error) { return st.CountAlerts(ctx) }, -1)
	var dup int64
	for _, w := range workers {
		s := w.workerStats()
		t.Logf("%s: %+v", w.name, s)
		dup += s.Duplicates
	}
	if kill {
		t.Logf("redelivered messages found applied already (skipped): %d", dup)
	}
	return alertsOf(t, st)
}

func TestClusterMatchesSingleNode(t *testing.T) {
	pgURL, natsURL := clusterEnv(t)
	in := makeInput(t, 12, 50)
	want := singleNode(t, in)
	if want.total() == 0 {
		t.Fatal("the single node stored no alert: the input proves nothing")
	}
	corr := 0
	for k, c := range want {
		if strings.Contains(k, `"correlation":`) {
			corr += c
		}
	}
	t.Logf("input: %d events in %d requests; single node: %d alerts (%d correlations)", in.events, len(in.bodies), want.total(), corr)
	if corr == 0 {
		t.Fatal("the single node raised no correlation: the input does not test the correlator")
	}
	for _, tc := range []struct {
		kill        bool
		correlators int
	}{{false, 1}, {true, 1}, {true, 2}} {
		t.Run(fmt.Sprintf("kill=%v,correlators=%d", tc.kill, tc.correlators), func(t *testing.T) {
			got := cluster(t, pgURL, natsURL, in, tc.kill, tc.correlators)
			if d := got.diff(want); d != "" {
				t.Fatalf("cluster alerts (%d) differ from the single node's (%d):\n%s", got.total(), want.total(), d)
			}
			t.Logf("cluster stored the single node's %d alerts, each exactly once", got.total())
		})
	}
}

// logLevel is the nodes' log level: BULWARK_TEST_LOG_LEVEL, or warn.
func logLevel() string {
	if v := os.Getenv("BULWARK_TEST_LOG_LEVEL"); v != "" {
		return v
	}
	return "warn"
}
