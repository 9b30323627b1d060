package jetstream_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
		start, pg0 := time.Now(), postgresCPU()
		for i := 0; i < len(batches); i += 32 {
			if _, err := st.ApplyBatches(ctx, batches[i:min(i+32, len(batches))]); err != nil {
				t.Fatal(err)
			}
		}
		el, pgCPU := time.Since(start), postgresCPU()-pg0
		t.Logf("PostgreSQL ApplyBatches (one connection, no detection): %d events in %v = %.0f events/s; PostgreSQL's processes used %.1f CPU seconds = %.0f events per PostgreSQL CPU second (an upper bound on its cost: other clients of the server count too)",
			len(evs), el.Round(time.Millisecond), float64(len(evs))/el.Seconds(), pgCPU, float64(len(evs))/pgCPU)
	}

	// The single node (role all, SQLite) on the same input, for comparison:
	// ingest, detection and storage in one process.
	{
		dir := t.TempDir()
		in := makeInput(t, rounds, perMsg)
		one := start(t, "single", "--data", dir)
		token := one.ingestToken()
		cpu0, start := one.cpuSeconds(), time.Now()
		send(t, one, token, in, nil)
		el, cpu := time.Since(start), one.cpuSeconds()-cpu0
		t.Logf("single node (role all, SQLite; HEC raw NDJSON, %d events a request, one sender): %d events stored and detected in %v = %.0f events/s; %.1f CPU seconds = %.0f events per CPU second",
			perMsg, in.events, el.Round(time.Millisecond), float64(in.events)/el.Seconds(), cpu, float64(in.events)/cpu)
		one.Stop()
	}

	// An ingest node over HTTP (HEC, 500 events a request): its CPU per
	// event, decoding and publishing.
	{
		dsn, _ := freshCluster(t, pgURL, natsURL)
		in := makeInput(t, rounds, perMsg)
		ing := start(t, "ingest", "--role", "ingest", "--data", t.TempDir(), "--nats", natsURL, "--postgres", dsn)
		token := ing.ingestToken()
		cpu0, nats0, start := ing.cpuSeconds(), natsCPU(), time.Now()
		send(t, ing, token, in, nil)
		el, cpu, natsUsed := time.Since(start), ing.cpuSeconds()-cpu0, natsCPU()-nats0
		t.Logf("ingest node (HEC raw NDJSON, %d events a request, one sender): %d events in %v = %.0f events/s; %.1f CPU seconds = %.0f events per ingest CPU second; nats-server %.1f CPU seconds = %.0f events per second of it",
			perMsg, in.events, el.Round(time.Millisecond), float64(in.events)/el.Seconds(), cpu, float64(in.events)/cpu, natsUsed, float64(in.events)/natsUsed)
		ing.Stop()
	}

	for _, workers := range measureWorkers() {
		dsn, st := freshCluster(t, pgURL, natsURL)
		pub, err := jetstream.NewPublisher(ctx, jetstream.Config{URL: natsURL}, st)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		appendAll(ctx, t, pub, evs, perMsg)
		el := time.Since(start)
		t.Logf("publish (one ingest client, %d events per batch, acknowledged): %d events in %v = %.0f events/s", perMsg, len(evs), el.Round(time.Millisecond), float64(len(evs))/el.Seconds())

		var nodes []*node
		start, pg0, nats0 := time.Now(), postgresCPU(), natsCPU()
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
		el, pgCPU, natsUsed := time.Since(first), postgresCPU()-pg0, natsCPU()-nats0
		t.Logf("%d detect process(es) drained %d events in %v = %.0f events/s (%v from start); PostgreSQL used %.1f CPU seconds (%.0f events per second of it), nats-server %.1f (%.0f events per second of it)", workers, len(evs)-int(atFirst), el.Round(time.Millisecond), float64(int64(len(evs))-atFirst)/el.Seconds(), time.Since(start).Round(time.Millisecond), pgCPU, float64(len(evs))/pgCPU, natsUsed, float64(len(evs))/natsUsed)
		for _, n := range nodes {
			ws, cpu := n.workerStats(), n.cpuSeconds()
			t.Logf("  %s: %+v; %.1f CPU seconds = %.0f events per CPU second (correlator included when it ran here)", n.name, ws, cpu, float64(ws.Events)/cpu)
			if testing.Verbose() && logLevel() != "warn" {
				t.Logf("%s log:\n%s", n.name, n.Log())
			}
			n.Stop()
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
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n.Cmd.Process.Pid))
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

// postgresCPU is the CPU time used so far by every process named postgres
// on this machine (Linux; 0 elsewhere).
func postgresCPU() float64 { return processCPU("postgres") }

// natsCPU is postgresCPU for nats-server.
func natsCPU() float64 { return processCPU("nats-server") }

// processCPU is the CPU time used so far by every process of that name.
func processCPU(name string) float64 {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	total := 0.0
	for _, f := range stats {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(data)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || s[open+1:end] != name {
			continue
		}
		fields := strings.Fields(s[end+1:])
		if len(fields) < 13 {
			continue
		}
		utime, _ := strconv.ParseFloat(fields[11], 64)
		stime, _ := strconv.ParseFloat(fields[12], 64)
		total += (utime + stime) / 100
	}
	return total
}
