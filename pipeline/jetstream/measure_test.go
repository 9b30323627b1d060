package jetstream_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/pipeline/jetstream"
	"github.com/bulwarkhq/bulwark/pipeline/jetstream/applied"
)

// TestMeasureThroughput measures, on this machine, what docs/deploy/
// sizing.md's capacity model is built from: the ingest node's publish
// rate, PostgreSQL's rate for the workers' transactions, and the rate at
// which one and two detect processes drain a full stream. It is a
// measurement, not a check (timings on a shared two-core machine are
// noise): it runs only with BULWARK_MEASURE=1 and logs its numbers.
//
//	BULWARK_MEASURE=1 go test -run MeasureThroughput -v ./pipeline/jetstream
func TestMeasureThroughput(t *testing.T) {
	if os.Getenv("BULWARK_MEASURE") == "" {
		t.Skip("BULWARK_MEASURE not set: throughput measurement")
	}
	pgURL, natsURL := clusterEnv(t)
	binary(t) // built before anything is timed
	rounds := 1000
	if v, err := strconv.Atoi(os.Getenv("BULWARK_MEASURE_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	evs := demoEvents(rounds)
	const perMsg = 500
	ctx := context.Background()

	// PostgreSQL alone: the workers' transactions (32 messages of 500
	// events), without detection.
	{
		_, st := freshSchema(t, pgURL)
		var batches []applied.Batch
		for i := 0; i < len(evs); i += perMsg {
			batches = append(batches, applied.Batch{Key: fmt.Sprint("m", i), Events: evs[i:min(i+perMsg, len(evs))]})
		}
		start := time.Now()
		for i := 0; i < len(batches); i += 32 {
			if _, err := st.ApplyBatches(ctx, batches[i:min(i+32, len(batches))]); err != nil {
				t.Fatal(err)
			}
		}
		el := time.Since(start)
		t.Logf("PostgreSQL ApplyBatches (one connection, no detection): %d events in %v = %.0f events/s", len(evs), el.Round(time.Millisecond), float64(len(evs))/el.Seconds())
	}

	for _, workers := range measureWorkers() {
		dsn, st := freshCluster(t, pgURL, natsURL)
		pub, err := jetstream.NewPublisher(ctx, jetstream.Config{URL: natsURL}, st)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for i := 0; i < len(evs); i += perMsg {
			if _, err := pub.AppendEvents(ctx, evs[i:min(i+perMsg, len(evs))]); err != nil {
				t.Fatal(err)
			}
		}
		el := time.Since(start)
		t.Logf("publish (one ingest client, %d events per batch, acknowledged): %d events in %v = %.0f events/s", perMsg, len(evs), el.Round(time.Millisecond), float64(len(evs))/el.Seconds())

		var nodes []*node
		start = time.Now()
		for i := range workers {
			nodes = append(nodes, start1(t, fmt.Sprintf("worker-%d", i+1), dsn, natsURL))
		}
		// Timed from the first stored event to the last, so that start-up
		// (rules, connections) is left out.
		var first time.Time
		var atFirst int64
		waitStable(t, "drained events", 10*time.Minute, 0, func() (int64, error) {
			n, err := st.CountEvents(ctx)
			if n > 0 && first.IsZero() {
				first, atFirst = time.Now(), n
			}
			return n, err
		}, int64(len(evs)))
		el = time.Since(first)
		t.Logf("%d detect process(es) drained %d events in %v = %.0f events/s (%v from start)", workers, len(evs)-int(atFirst), el.Round(time.Millisecond), float64(int64(len(evs))-atFirst)/el.Seconds(), time.Since(start).Round(time.Millisecond))
		for _, n := range nodes {
			ws, cpu := n.workerStats(), n.cpuSeconds()
			t.Logf("  %s: %+v; %.1f CPU seconds = %.0f events per CPU second (correlator included when it ran here)", n.name, ws, cpu, float64(ws.Events)/cpu)
			if testing.Verbose() && logLevel() != "warn" {
				t.Logf("%s log:\n%s", n.name, n.logText())
			}
			n.stop()
		}
	}
}

func start1(t *testing.T, name, dsn, natsURL string) *node {
	return start(t, name, "--role", "detect", "--data", t.TempDir(), "--nats", natsURL, "--postgres", dsn)
}

// measureWorkers is how many detect processes each measured run starts:
// BULWARK_MEASURE_WORKERS (e.g. "1,2,1"), or one then two.
func measureWorkers() []int {
	var out []int
	for _, f := range strings.Split(os.Getenv("BULWARK_MEASURE_WORKERS"), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		out = []int{1, 2}
	}
	return out
}

// cpuSeconds is the CPU time (user and system) the process has used, from
// /proc (Linux); 0 elsewhere.
func (n *node) cpuSeconds() float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
}
