package server

// Roles of a scale-out deployment (issue 10; pipeline/jetstream,
// docs/deploy). One binary, four roles:
//
//   all     the single node: ingest, detection, API, in one process over
//           SQLite in the data directory (or PostgreSQL); no NATS.
//   ingest  accepts events (HEC, OTLP, uploads, syslog, tailed files) and
//           publishes them to the JetStream stream; acknowledges a sender
//           once JetStream has stored its events. Runs no rules.
//   detect  a detection worker: shares the stream's durable consumer with
//           the other workers, stores events and alerts in PostgreSQL;
//           one of the workers also runs the correlation rules. Serves
//           only /healthz, /readyz, /metrics and /api/v1/worker.
//   api     the UI and API over the shared PostgreSQL store, with the
//           triage, retention, feed and supply loops; events it receives
//           go to the stream, as on an ingest node.
//
// The roles other than all need a PostgreSQL store (cluster.postgres) and
// a NATS server with JetStream (cluster.nats).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/intel/match"
	"github.com/bulwarkhq/bulwark/pipeline"
	"github.com/bulwarkhq/bulwark/pipeline/jetstream"
	"github.com/bulwarkhq/bulwark/pipeline/jetstream/applied"
	"github.com/bulwarkhq/bulwark/sigma"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/postgres"
	"github.com/bulwarkhq/bulwark/store/sqlite"
)

// The roles a server can run.
const (
	RoleAll    = "all"
	RoleIngest = "ingest"
	RoleDetect = "detect"
	RoleAPI    = "api"
)

// ClusterConfig places the server in a scale-out deployment.
type ClusterConfig struct {
	// Role is all (default), ingest, detect or api.
	Role string `yaml:"role"`
	// NATS is the NATS server URL(s), comma-separated, for every role but
	// all (nats://10.0.0.5:4222).
	NATS string `yaml:"nats"`
	// Postgres is the PostgreSQL connection string the store is kept in
	// (postgres://bulwark@db:5432/bulwark); empty: SQLite in data_dir,
	// which only the role all can use.
	Postgres string `yaml:"postgres"`
	// Workers are the detection loops of a detect node (default: one per
	// core).
	Workers int `yaml:"workers"`
	// Correlators is how many partitions the correlation rules are split
	// into across the detect nodes, each run by one node at a time
	// (default 1). Give every detect node the same number.
	Correlators int `yaml:"correlators"`
	// StreamReplicas is how many copies of the stream a JetStream cluster
	// keeps (default 1; 3 on three NATS servers).
	StreamReplicas int `yaml:"stream_replicas"`
}

// applyClusterEnv reads BULWARK_ROLE, BULWARK_NATS and BULWARK_POSTGRES.
func (c *Config) applyClusterEnv(getenv func(string) string) {
	for name, dst := range map[string]*string{"ROLE": &c.Cluster.Role, "NATS": &c.Cluster.NATS, "POSTGRES": &c.Cluster.Postgres} {
		if v := getenv(envPrefix + name); v != "" {
			*dst = v
		}
	}
}

// validateCluster checks the cluster section.
func (c *Config) validateCluster() error {
	switch c.Cluster.Role {
	case "", RoleAll:
		return nil
	case RoleIngest, RoleDetect, RoleAPI:
	default:
		return fmt.Errorf("role %q: use all, ingest, detect or api", c.Cluster.Role)
	}
	var errs []error
	if c.Cluster.Role == RoleDetect && (c.Syslog.UDP != "" || c.Syslog.TCP != "" || c.Syslog.TLS != "" || len(c.Tail) > 0 || c.OT.enabled()) {
		errs = append(errs, errors.New("role detect receives no events itself: syslog, tail and ot belong on an ingest or api node"))
	}
	if c.Cluster.NATS == "" {
		errs = append(errs, fmt.Errorf("role %s needs a NATS server (cluster.nats, --nats)", c.Cluster.Role))
	}
	if c.Cluster.Postgres == "" {
		errs = append(errs, fmt.Errorf("role %s needs the shared PostgreSQL store (cluster.postgres, --postgres)", c.Cluster.Role))
	}
	return errors.Join(errs...)
}

// role is the configured role, all when unset.
func (s *Server) role() string {
	if s.cfg.Cluster.Role == "" {
		return RoleAll
	}
	return s.cfg.Cluster.Role
}

// clusterParts are what the roles other than all add to a server.
type clusterParts struct {
	publisher *jetstream.Publisher // ingest and api: the pipeline's store
	worker    *jetstream.Worker    // detect
}

// openStore opens the configured store.
func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.Cluster.Postgres != "" {
		// The data directory still holds what is local to a node (the
		// TAXII server's store, the OT baseline).
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		return postgres.Open(ctx, cfg.Cluster.Postgres, postgres.Options{})
	}
	return sqlite.Open(ctx, cfg.DataDir, sqlite.Options{})
}

// rolePipeline returns the store and engine the ingest pipeline runs over
// for the server's role: the store itself for all; for the others, the
// JetStream publisher and an engine without rules, since detection is the
// workers'. A detect node also gets its worker here.
func (s *Server) rolePipeline(ctx context.Context, st store.Store, engine *detect.Engine, minLevel sigma.Level) (pipeline.Store, *detect.Engine, error) {
	if s.role() == RoleAll {
		return st, engine, nil
	}
	cfg := jetstream.Config{URL: s.cfg.Cluster.NATS, Replicas: s.cfg.Cluster.StreamReplicas}
	s.cluster = &clusterParts{}
	if s.role() == RoleDetect {
		ast, ok := st.(applied.Store)
		if !ok {
			return nil, nil, fmt.Errorf("role detect: the store does not support scale-out detection (use PostgreSQL)")
		}
		w, err := jetstream.NewWorker(ctx, cfg, ast, engine, jetstream.WorkerOptions{
			MinLevel: minLevel, Concurrency: s.cfg.Cluster.Workers, Correlators: s.cfg.Cluster.Correlators, Logger: s.log,
		})
		if err != nil {
			return nil, nil, err
		}
		s.cluster.worker = w
		s.reg.MustRegister(workerCollector{w})
		return st, noRules(), nil
	}
	p, err := jetstream.NewPublisher(ctx, cfg, st)
	if err != nil {
		return nil, nil, err
	}
	s.cluster.publisher = p
	return p, noRules(), nil
}

// noRules is the engine of a pipeline that only forwards events.
func noRules() *detect.Engine { return detect.New(&sigma.RuleSet{}, detect.Options{}) }

// setEngine hands reloaded rules to whatever runs them in this role.
func (s *Server) setEngine(e *detect.Engine) {
	switch s.role() {
	case RoleAll:
		s.pipe.SetEngine(e)
	case RoleDetect:
		s.cluster.worker.SetEngine(e)
	}
}

// setIntel hands threat-intel indicators to whatever matches them in this
// role: the pipeline on a single node, the worker on a detect node.
// (intel.go still calls s.pipe.SetIntel directly; switching those two
// calls to setIntel is what makes detect nodes match indicators.)
func (s *Server) setIntel(d *match.Detector) {
	s.pipe.SetIntel(d)
	if s.cluster != nil && s.cluster.worker != nil {
		s.cluster.worker.SetIntel(d)
	}
}

// closeCluster releases the NATS connections.
func (s *Server) closeCluster() {
	if s.cluster == nil {
		return
	}
	if s.cluster.worker != nil {
		s.cluster.worker.Close()
	}
	if s.cluster.publisher != nil {
		s.cluster.publisher.Close() // closes the store too, which Run does anyway
	}
}

// runsBackground reports whether the role runs triage, retention, feeds
// and supply scans: one place (the api nodes, or the single node) does,
// not every ingest node.
func (s *Server) runsBackground() bool { return s.role() == RoleAll || s.role() == RoleAPI }

// runDetect is Run for a detect node: the worker, and a small HTTP server
// for probes, metrics and the worker's counters.
func (s *Server) runDetect(ctx context.Context, ready func(addr string)) error {
	defer s.closeCluster()
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Listen, err)
	}
	addr := ln.Addr().String()
	s.addr.Store(&addr)
	w := s.cluster.worker
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) { rw.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(rw http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(rw, "not ready", http.StatusServiceUnavailable)
			return
		}
		rw.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /api/v1/worker", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(w.Stats())
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	runErr := make(chan error, 1)
	go func() { runErr <- w.Run(ctx) }()
	s.ready.Store(true)
	s.log.Info("detect worker serving", "addr", addr, "nats", redactURL(s.cfg.Cluster.NATS))
	if ready != nil {
		ready(addr)
	}
	err = <-runErr
	s.ready.Store(false)
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(shutCtx)
	s.log.Info("stopped")
	return err
}

// redactURL drops credentials from a URL list for logs.
func redactURL(u string) string {
	parts := strings.Split(u, ",")
	for i, p := range parts {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			if scheme := strings.Index(p, "://"); scheme >= 0 && scheme < at {
				parts[i] = p[:scheme+3] + "***" + p[at:]
			}
		}
	}
	return strings.Join(parts, ",")
}

// workerCollector exports a worker's counters.
type workerCollector struct{ w *jetstream.Worker }

var workerDescs = map[string]*prometheus.Desc{
	"messages":   prometheus.NewDesc("bulwark_worker_messages_total", "Stream messages applied by this worker.", nil, nil),
	"duplicates": prometheus.NewDesc("bulwark_worker_duplicate_messages_total", "Redelivered messages found already applied.", nil, nil),
	"events":     prometheus.NewDesc("bulwark_worker_events_total", "Events stored by this worker.", nil, nil),
	"alerts":     prometheus.NewDesc("bulwark_worker_alerts_total", "Per-event alerts stored by this worker.", nil, nil),
	"corr":       prometheus.NewDesc("bulwark_worker_correlation_alerts_total", "Correlation alerts committed by this worker's correlator.", nil, nil),
	"holding":    prometheus.NewDesc("bulwark_worker_correlating", "1 while this worker holds the correlator lease.", nil, nil),
}

func (c workerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range workerDescs {
		ch <- d
	}
}

func (c workerCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.w.Stats()
	counter := func(name string, v int64) {
		ch <- prometheus.MustNewConstMetric(workerDescs[name], prometheus.CounterValue, float64(v))
	}
	counter("messages", st.Messages)
	counter("duplicates", st.Duplicates)
	counter("events", st.Events)
	counter("alerts", st.Alerts)
	counter("corr", st.CorrAlerts)
	holding := 0.0
	if st.Correlating {
		holding = 1
	}
	ch <- prometheus.MustNewConstMetric(workerDescs["holding"], prometheus.GaugeValue, holding)
}
