package proxy

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the proxy's Prometheus metrics.
type metrics struct {
	requests       *prometheus.CounterVec
	rejected       *prometheus.CounterVec
	findings       *prometheus.CounterVec
	guardSeconds   *prometheus.HistogramVec
	upstreamSecs   *prometheus.HistogramVec
	totalSeconds   *prometheus.HistogramVec
	upstreamErrors *prometheus.CounterVec
	auditErrors    prometheus.Counter
}

func newMetrics() *metrics {
	// The guard's own time is sub-millisecond; upstream time runs to minutes.
	guardBuckets := prometheus.ExponentialBuckets(0.00005, 2, 16) // 50µs .. 1.6s
	upstreamBuckets := prometheus.ExponentialBuckets(0.01, 2, 16) // 10ms .. 5.5min
	return &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_guard_proxy_requests_total", Help: "Requests the guard proxy handled, by endpoint and the strongest action taken (or error)."},
			[]string{"endpoint", "action"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_guard_proxy_rejected_total", Help: "Requests refused before scanning, by reason (unauthorized, rate_limited, too_large, bad_request, not_found)."},
			[]string{"reason"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_guard_proxy_findings_total", Help: "Findings acted on, by category, direction (request or response) and action."},
			[]string{"category", "direction", "action"}),
		guardSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bulwark_guard_proxy_guard_seconds", Help: "Time the proxy spent parsing, scanning and rewriting one request and its answer.", Buckets: guardBuckets},
			[]string{"endpoint"}),
		upstreamSecs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bulwark_guard_proxy_upstream_seconds", Help: "Time waiting on upstream: the whole answer when not streamed, the first byte when streamed.", Buckets: upstreamBuckets},
			[]string{"endpoint"}),
		totalSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bulwark_guard_proxy_request_seconds", Help: "Time from receiving a request to the end of the answer.", Buckets: upstreamBuckets},
			[]string{"endpoint"}),
		upstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_guard_proxy_upstream_errors_total", Help: "Upstream failures, by endpoint and reason (unreachable, status_5xx, too_large, bad_stream)."},
			[]string{"endpoint", "reason"}),
		auditErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bulwark_guard_proxy_audit_errors_total", Help: "Audit records that could not be written."}),
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.rejected, m.findings, m.guardSeconds, m.upstreamSecs,
		m.totalSeconds, m.upstreamErrors, m.auditErrors}
}

func seconds(d time.Duration) float64 { return d.Seconds() }
