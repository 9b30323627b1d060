package proxy

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/guard"
	"github.com/bulwarkhq/bulwark/guard/standard"
)

// BenchmarkProxyOverhead measures the latency the proxy adds to a
// non-streamed chat completion with a 4 KB prompt: each iteration calls a
// fixed local upstream once directly and once through the proxy, and
// reports the 50th and 99th percentile of the difference. "stub" runs stub
// scanners (the proxy's own cost), "standard" the guard that 'bulwark guard
// proxy' runs: the classifier and every pattern scanner.
func BenchmarkProxyOverhead(b *testing.B) {
	b.Run("stub", func(b *testing.B) { benchProxyOverhead(b, guard.New(nil, testScanners()...)) })
	b.Run("standard", func(b *testing.B) {
		g, err := standard.New(standard.Options{})
		if err != nil {
			b.Fatal(err)
		}
		benchProxyOverhead(b, g)
	})
}

func benchProxyOverhead(b *testing.B, g *guard.Guard) {
	answer := []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-test",` +
		`"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"A short fixed answer of a few words."}}],` +
		`"usage":{"prompt_tokens":900,"completion_tokens":9,"total_tokens":909}}`)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
	defer up.Close()
	p, err := New(Config{Upstream: up.URL + "/v1", Guard: g,
		Keys: []Key{{Name: "bench", SHA256: HashKey(aliceKey)}}})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()

	prompt := strings.Repeat("Summarise the quarterly report for the board, please. ", 80)[:4096]
	body, _ := json.Marshal(map[string]any{"model": "gpt-test", "messages": []any{
		map[string]any{"role": "system", "content": "You are a careful assistant."},
		map[string]any{"role": "user", "content": prompt}}})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	call := func(url string) time.Duration {
		req, _ := http.NewRequest("POST", url+"/v1/chat/completions", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+aliceKey)
		req.Header.Set("Content-Type", "application/json")
		t := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return time.Since(t)
	}
	call(up.URL) // warm the connections
	call(srv.URL)

	var direct, proxied []time.Duration
	for b.Loop() {
		direct = append(direct, call(up.URL))
		proxied = append(proxied, call(srv.URL))
	}
	pct := func(d []time.Duration, q float64) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[min(len(s)-1, int(q*float64(len(s))))])
	}
	b.ReportMetric(pct(direct, 0.5), "direct-p50-ns")
	b.ReportMetric(pct(proxied, 0.5), "proxied-p50-ns")
	b.ReportMetric(pct(proxied, 0.5)-pct(direct, 0.5), "added-p50-ns")
	b.ReportMetric(pct(proxied, 0.99)-pct(direct, 0.99), "added-p99-ns")
}
