package pipeline

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the pipeline's Prometheus metrics. Register them with
// Collectors.
type Metrics struct {
	events        prometheus.Counter
	busy          prometheus.Counter
	writeErrors   prometheus.Counter
	queueDepth    prometheus.Gauge
	writeSeconds  prometheus.Histogram
	ackSeconds    prometheus.Histogram
	detected      prometheus.Counter
	detectSeconds prometheus.Histogram
	alerts        *prometheus.CounterVec
}

// NewMetrics returns unregistered metrics.
func NewMetrics() *Metrics {
	latency := prometheus.ExponentialBuckets(0.0005, 2, 16) // 0.5ms .. 16s
	return &Metrics{
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bulwark_ingest_events_total", Help: "Events stored."}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bulwark_ingest_busy_total", Help: "Batches refused because the ingest queue was full."}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bulwark_ingest_write_errors_total", Help: "Store writes that failed."}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bulwark_ingest_queue_events", Help: "Events accepted and waiting to be written."}),
		writeSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bulwark_ingest_write_seconds", Help: "Time to write one group of batches to the store, sync included.", Buckets: latency}),
		ackSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bulwark_ingest_ack_seconds", Help: "Time from accepting a batch to it being durable.", Buckets: latency}),
		detected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bulwark_detect_events_total", Help: "Events run through detection."}),
		detectSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bulwark_detect_batch_seconds", Help: "Time to evaluate every rule on one batch of events.", Buckets: latency}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_alerts_total", Help: "Alerts raised, by level."}, []string{"level"}),
	}
}

// Collectors returns the metrics for registration.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.events, m.busy, m.writeErrors, m.queueDepth, m.writeSeconds,
		m.ackSeconds, m.detected, m.detectSeconds, m.alerts}
}
