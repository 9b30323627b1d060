package main

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadResult counts what a load phase saw.
type loadResult struct {
	offered, accepted, refused, refusedNoRetryAfter, failed atomic.Int64
}

// hecSender posts HEC batches of n events as fast as rate allows (batches
// per second; 0 means as fast as answers come, with wanted senders).
func hecSender(base, token string, n int, res *loadResult) func(sender, seq int) {
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	return func(sender, seq int) {
		req, _ := http.NewRequest("POST", base+"/services/collector/event", bytes.NewReader(hecBatch(sender, seq, n)))
		req.Header.Set("Authorization", "Splunk "+token)
		res.offered.Add(int64(n))
		resp, err := client.Do(req)
		if err != nil {
			res.failed.Add(int64(n))
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			res.accepted.Add(int64(n))
		case http.StatusServiceUnavailable:
			res.refused.Add(int64(n))
			if resp.Header.Get("Retry-After") == "" {
				res.refusedNoRetryAfter.Add(int64(n))
			}
		default:
			res.failed.Add(int64(n))
		}
	}
}

// TestOverload measures the rate the server sustains, then offers twice
// that, and checks that senders are told to retry (503 with Retry-After)
// while memory stays bounded.
func TestOverload(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir, "--queue-events", "8192")
	token := srv.admin().newToken("load", "ingest").token
	const batch = 500

	// Phase 1: closed loop, 8 senders, each waits for its answer.
	var sustained loadResult
	send := hecSender(srv.Base, token, batch, &sustained)
	start := time.Now()
	var wg sync.WaitGroup
	for s := range 8 {
		wg.Go(func() {
			for i := 0; time.Since(start) < 4*time.Second; i += batch {
				send(s, i)
			}
		})
	}
	wg.Wait()
	rate := float64(sustained.accepted.Load()) / time.Since(start).Seconds()
	t.Logf("sustained: %.0f events/s accepted (%d refused)", rate, sustained.refused.Load())
	if rate == 0 {
		t.Fatal("nothing accepted")
	}

	// Phase 2: open loop at twice that rate or more, as senders that do not
	// wait. The ticker asks for 2.5x because it falls short of its rate on
	// a busy machine; the log says what was offered.
	var over loadResult
	send = hecSender(srv.Base, token, batch, &over)
	interval := time.Duration(float64(time.Second) * batch / (2.5 * rate))
	tick := time.NewTicker(interval)
	defer tick.Stop()
	inflight := make(chan struct{}, 512)
	var peak int64
	start = time.Now()
	for i := 0; time.Since(start) < 6*time.Second; i++ {
		<-tick.C
		select {
		case inflight <- struct{}{}:
			wg.Go(func() {
				send(100+i%64, i*batch)
				<-inflight
			})
		default:
			over.offered.Add(batch) // the sender would have sent; count it as offered and dropped client-side
			over.failed.Add(batch)
		}
		if i%20 == 0 {
			peak = max(peak, srv.PeakRSS())
		}
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	peak = max(peak, srv.PeakRSS())
	t.Logf("offered %.0f events/s (%.1fx): accepted %d, refused with 503 %d, other %d; peak RSS %d MiB",
		float64(over.offered.Load())/elapsed, float64(over.offered.Load())/elapsed/rate,
		over.accepted.Load(), over.refused.Load(), over.failed.Load(), peak/1024)
	if over.refused.Load() == 0 {
		t.Errorf("no sender was refused at twice the sustainable rate")
	}
	if n := over.refusedNoRetryAfter.Load(); n > 0 {
		t.Errorf("%d refused events had no Retry-After", n)
	}
	if peak > 1<<20 {
		t.Errorf("peak RSS %d MiB, want under 1 GiB", peak/1024)
	}
}
