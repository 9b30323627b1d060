package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/logs"
)

// BenchmarkServeIngest measures the whole server: real attack events from
// the 312 shared EVTX files sent over Splunk HEC by concurrent senders,
// stored durably (acknowledged after fsync), and run through all of
// SigmaHQ's Windows rules. One op is one pass over the 14,646 events; the
// clock stops when detection has caught up with the last of them.
//
//	BULWARK_TESTDATA=../shared/data go test ./cmd/bulwark -run '^$' -bench ServeIngest -benchtime 20x
//
// It reports events/s (stored and detected), the p99 time from sending a
// batch of 500 to its acknowledgement, and the server's peak RSS.
func BenchmarkServeIngest(b *testing.B) {
	ruleDir := testdata.Path(b, "sigma", "rules", "windows")
	bodies, events := hecBodies(b, testdata.Path(b, "evtx"), 500)
	dir := b.TempDir()
	// BULWARK_BENCH_ARGS adds server flags, e.g. --cpuprofile FILE.
	args := append([]string{"--no-builtin", "-r", ruleDir}, strings.Fields(os.Getenv("BULWARK_BENCH_ARGS"))...)
	srv := startServer(b, dir, args...)
	admin := srv.admin()
	token := admin.newToken("bench", "ingest").token
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	const senders = 8
	var mu sync.Mutex
	var latencies []time.Duration
	sent := int64(0)
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		work := make(chan []byte, len(bodies))
		for _, body := range bodies {
			work <- body
		}
		close(work)
		var wg sync.WaitGroup
		for range senders {
			wg.Go(func() {
				for body := range work {
					for {
						t0 := time.Now()
						req, _ := http.NewRequest("POST", srv.Base+"/services/collector/event", bytes.NewReader(body))
						req.Header.Set("Authorization", "Splunk "+token)
						resp, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode == http.StatusServiceUnavailable {
							time.Sleep(50 * time.Millisecond)
							continue
						}
						if resp.StatusCode != http.StatusOK {
							b.Errorf("HEC: %s", resp.Status)
							return
						}
						mu.Lock()
						latencies = append(latencies, time.Since(t0))
						mu.Unlock()
						break
					}
				}
			})
		}
		wg.Wait()
		sent += int64(events)
	}
	admin.waitIngested(sent, 10*time.Minute)
	elapsed := time.Since(start)
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	// The senders share the machine with the server: what they use is
	// what the server could not.
	b.ReportMetric(100*cpu.Seconds()/elapsed.Seconds(), "sender-cpu-%")

	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	p99 := latencies[len(latencies)*99/100]
	b.ReportMetric(float64(sent)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ack-ms")
	if os.Getenv("BULWARK_E2E_WRAP") == "" {
		b.ReportMetric(float64(srv.PeakRSS())/1024, "peak-RSS-MiB")
	}
	var st stats
	admin.do("GET", "/api/v1/stats", nil, &st)
	b.ReportMetric(float64(st.Alerts)/float64(b.N), "alerts/op")
	if testing.Verbose() {
		resp, err := admin.raw("GET", "/metrics", nil, "")
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, line := range strings.Split(string(data), "\n") {
				if strings.HasPrefix(line, "bulwark_") && (strings.Contains(line, "_sum") || strings.Contains(line, "_count") || strings.Contains(line, "_total")) {
					b.Log(line)
				}
			}
		}
	}
	if os.Getenv("BULWARK_E2E_WRAP") != "" {
		srv.Stop()
		for _, line := range strings.Split(srv.Log(), "\n") {
			if strings.Contains(line, "Maximum resident") || strings.Contains(line, "Elapsed (wall") || strings.Contains(line, "Percent of CPU") {
				b.Log(strings.TrimSpace(line))
			}
		}
	}
}

// hecBodies renders every event of the EVTX files under dir as HEC
// envelopes, per bodies of n events.
func hecBodies(b *testing.B, dir string, n int) ([][]byte, int) {
	b.Helper()
	files, err := logs.Files([]string{dir}, nil)
	if err != nil {
		b.Fatal(err)
	}
	var bodies [][]byte
	var cur bytes.Buffer
	count, inBody := 0, 0
	for _, fi := range files {
		if filepath.Ext(fi.Path) != ".evtx" {
			continue
		}
		for _, e := range readEVTX(b, fi.Path) {
			data, err := e.MarshalJSON()
			if err != nil {
				b.Fatal(err)
			}
			var doc struct {
				Fields json.RawMessage `json:"fields"`
			}
			json.Unmarshal(data, &doc)
			cur.WriteString(`{"sourcetype":"_json","time":`)
			cur.WriteString(jsonTime(e.Time))
			cur.WriteString(`,"event":`)
			cur.Write(doc.Fields)
			cur.WriteString("}\n")
			count++
			if inBody++; inBody == n {
				bodies = append(bodies, bytes.Clone(cur.Bytes()))
				cur.Reset()
				inBody = 0
			}
		}
	}
	if cur.Len() > 0 {
		bodies = append(bodies, bytes.Clone(cur.Bytes()))
	}
	return bodies, count
}

func jsonTime(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	data, _ := json.Marshal(float64(t.UnixMicro()) / 1e6)
	return string(data)
}
