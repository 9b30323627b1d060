package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/ingest/syslog"
	"github.com/bulwarkhq/bulwark/ingest/tail"
	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/notify"
	"github.com/bulwarkhq/bulwark/pipeline"
	"github.com/bulwarkhq/bulwark/rules"
	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/sigma"
	"github.com/bulwarkhq/bulwark/store"
)

// Server is one running Bulwark server.
type Server struct {
	cfg  Config
	log  *slog.Logger
	st   store.Store
	pipe *pipeline.Pipeline
	auth *auth.Authenticator
	reg  *prometheus.Registry

	reloadMu sync.Mutex // one rule reload at a time
	triageMu sync.Mutex // one triage run at a time
	huntsMu  sync.Mutex // one saved-hunt change at a time
	notify   []notify.Notifier
	rules    atomic.Pointer[RuleStatus]

	handler http.Handler
	guard   http.Handler // the LLM guard proxy under /guard/
	// taxii serves TAXII 2.1 at /taxii2/ and /taxii/ from taxiiStore.
	taxii      http.Handler
	taxiiStore taxii.Store
	cop        *copilotParts
	ot         *otMonitor                // nil unless ot.interfaces or ot.watch are set
	cluster    *clusterParts             // the scale-out roles' parts (roles.go); nil for all
	ruleIdx    atomic.Pointer[ruleIndex] // the copilot's view of the running rules
	decoding   chan struct{}             // slots for ingest requests being decoded and detected
	ready      atomic.Bool
	addr       atomic.Pointer[string]
	// now is the clock exposure ages are counted by; tests replace it.
	now func() time.Time
}

// RuleStatus describes the rule set detection runs.
type RuleStatus struct {
	Loaded   time.Time      `json:"loaded"`
	Rules    int            `json:"rules"`
	Failed   int            `json:"failed"`
	Sources  []rules.Source `json:"sources"`
	Failures []RuleFailure  `json:"failures,omitempty"`
}

// RuleFailure is a rule that did not load, and why.
type RuleFailure struct {
	Path  string `json:"path"`
	Title string `json:"title,omitempty"`
	Error string `json:"error"`
}

// New opens the store in cfg.DataDir, loads the rules and prepares the
// HTTP handler. Call Run to serve, or Close to release the store.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	minLevel, err := sigma.ParseLevel(cfg.Rules.MinLevel)
	if err != nil {
		return nil, fmt.Errorf("rules min_level: %w", err)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	disabled, err := disabledRules(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	engine, status, err := loadRules(cfg, disabled)
	if err != nil {
		st.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, st: st, reg: prometheus.NewRegistry(),
		decoding: make(chan struct{}, 2*runtime.GOMAXPROCS(0)), now: time.Now}
	s.rules.Store(status)
	metrics := pipeline.NewMetrics()
	pipeStore, pipeEngine, err := s.rolePipeline(ctx, st, engine, minLevel)
	if err != nil {
		st.Close()
		return nil, err
	}
	s.pipe = pipeline.New(pipeStore, pipeEngine, pipeline.Options{
		QueueEvents: cfg.Limits.QueueEvents, MinLevel: minLevel, Logger: log, Metrics: metrics,
	})
	s.auth = auth.New(st, st, auth.Options{Secure: cfg.TLSCert != ""})
	s.reg.MustRegister(metrics.Collectors()...)
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.reg.MustRegister(s.gauges()...)
	s.notify = s.notifiers()
	if s.taxii, s.taxiiStore, err = s.newTAXII(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if _, err := s.loadIntel(); err != nil {
		return nil, err
	}
	if s.guard, err = s.newGuardHandler(); err != nil {
		st.Close()
		return nil, err
	}
	if s.cfg.OT.enabled() {
		if s.ot, err = s.newOTMonitor(); err != nil {
			st.Close()
			return nil, err
		}
	}
	s.setRuleIndex(engine.RuleSet())
	if err := s.newCopilot(); err != nil {
		st.Close()
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// loadRules compiles the configured rules into an engine.
func loadRules(cfg Config, disabled map[string]bool) (*detect.Engine, *RuleStatus, error) {
	sel := rules.Selection{Dirs: cfg.Rules.Dirs, NoBuiltin: cfg.Rules.NoBuiltin, Mapping: cfg.Rules.Mapping, Disabled: disabled}
	rs, sources, err := sel.Load()
	if err != nil {
		return nil, nil, fmt.Errorf("rules: %w", err)
	}
	st := &RuleStatus{Loaded: time.Now().UTC(), Sources: sources}
	for _, r := range rs.Status {
		if r.Err == nil && (r.Kind == "rule" || r.Kind == "correlation") {
			st.Rules++
		}
		if r.Err != nil {
			st.Failed++
			if len(st.Failures) < 200 {
				st.Failures = append(st.Failures, RuleFailure{Path: r.Path, Title: r.Title, Error: r.Err.Error()})
			}
		}
	}
	engine := detect.New(rs, detect.Options{})
	if st.Rules == 0 {
		return nil, nil, fmt.Errorf("rules: none of the %d rules loaded", len(rs.Status))
	}
	return engine, st, nil
}

// ReloadRules loads the configured rules again and swaps them in. A rule
// set that fails to load leaves the running one in place.
func (s *Server) ReloadRules() (*RuleStatus, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	disabled, err := disabledRules(context.Background(), s.st)
	if err != nil {
		return nil, err
	}
	engine, status, err := loadRules(s.cfg, disabled)
	if err != nil {
		s.log.Error("rule reload failed; keeping the running rules", "err", err)
		return nil, err
	}
	s.setEngine(engine)
	if _, err := s.loadIntel(); err != nil {
		s.log.Error("intel reload failed; keeping the running indicators", "err", err)
	}
	s.rules.Store(status)
	s.setRuleIndex(engine.RuleSet())
	s.log.Info("rules reloaded", "rules", status.Rules, "failed", status.Failed)
	return status, nil
}

// Handler returns the HTTP handler (API, ingest, probes, metrics).
func (s *Server) Handler() http.Handler { return s.handler }

// Store returns the server's store.
func (s *Server) Store() store.Store { return s.st }

// Pipeline returns the server's ingest pipeline.
func (s *Server) Pipeline() *pipeline.Pipeline { return s.pipe }

// Addr returns the address the HTTP server listens on, once it does.
func (s *Server) Addr() string {
	if a := s.addr.Load(); a != nil {
		return *a
	}
	return ""
}

// Bootstrap creates the first admin when there is no user yet and returns
// its generated password, which is shown once and never stored in clear.
func (s *Server) Bootstrap(ctx context.Context) (password string, created bool, err error) {
	return auth.Bootstrap(ctx, s.st)
}

// Run serves until ctx is done, then shuts down gracefully: it stops
// accepting, lets requests in flight finish (their events are written),
// drains the ingest queue, and closes the store. ready, if not nil, is
// called with the HTTP address once every listener is bound.
func (s *Server) Run(ctx context.Context, ready func(addr string)) error {
	defer s.st.Close()
	defer s.closeCluster()
	if s.role() == RoleDetect {
		return s.runDetect(ctx, ready)
	}
	if c, ok := s.taxiiStore.(interface{ Close() error }); ok {
		defer c.Close()
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Listen, err)
	}
	var tlsConfig *tls.Config
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, tlsConfig)
	}
	addr := ln.Addr().String()
	s.addr.Store(&addr)

	// The pipeline outlives the listeners so that requests in flight at
	// shutdown still get their events written.
	pipeCtx, stopPipe := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPipe()
	pipeDone := make(chan error, 1)
	go func() { pipeDone <- s.pipe.Run(pipeCtx) }()
	select {
	case <-s.pipe.Started():
	case err := <-pipeDone:
		ln.Close()
		return err
	}

	var sl *syslog.Server
	if c := s.cfg.Syslog; c.UDP != "" || c.TCP != "" || c.TLS != "" {
		sl = syslog.New(s.pipe, syslog.Options{UDP: c.UDP, TCP: c.TCP, TLS: c.TLS, TLSConfig: tlsConfig, Logger: s.log})
		if err := sl.Start(ctx); err != nil {
			ln.Close()
			stopPipe()
			<-pipeDone
			return err
		}
	}
	var wg sync.WaitGroup
	tailCtx, stopTail := context.WithCancel(ctx)
	if len(s.cfg.Tail) > 0 {
		t := tail.New(s.pipe, s.st, tail.Options{Paths: s.cfg.Tail, Format: s.cfg.TailFormat, Logger: s.log})
		wg.Go(func() {
			if err := t.Run(tailCtx); err != nil && !errors.Is(err, context.Canceled) {
				s.log.Error("file tailing stopped", "err", err)
			}
		})
	}
	if s.runsBackground() { // not on ingest nodes (roles.go)
		wg.Go(func() { s.housekeeping(tailCtx) })
		wg.Go(func() { s.triageLoop(tailCtx) })
		for _, f := range s.cfg.Intel.Feeds {
			wg.Go(func() { s.feedLoop(tailCtx, f) })
		}
		if len(s.cfg.Supply.Paths) > 0 {
			wg.Go(func() { s.supplyLoop(tailCtx) })
		}
	}
	if s.ot != nil {
		wg.Go(func() { s.ot.run(tailCtx) })
	}

	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	s.ready.Store(true)
	attrs := []any{"addr", addr, "tls", tlsConfig != nil, "data", s.cfg.DataDir}
	if sl != nil {
		a := sl.Addrs()
		for name, a := range map[string]net.Addr{"syslog_udp": a.UDP, "syslog_tcp": a.TCP, "syslog_tls": a.TLS} {
			if a != nil {
				attrs = append(attrs, name, a.String())
			}
		}
	}
	s.log.Info("serving", attrs...)
	if ready != nil {
		ready(addr)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = fmt.Errorf("http: %w", err)
	case err := <-pipeDone:
		pipeDone <- err
		runErr = fmt.Errorf("pipeline stopped: %w", err)
	}
	s.ready.Store(false)
	s.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		s.log.Warn("http shutdown", "err", err)
	}
	if sl != nil {
		if err := sl.Shutdown(shutCtx); err != nil {
			s.log.Warn("syslog shutdown", "err", err)
		}
	}
	stopTail()
	wg.Wait()
	stopPipe()
	if err := <-pipeDone; err != nil && runErr == nil {
		runErr = err
	}
	s.log.Info("stopped")
	return runErr
}

// housekeeping applies event retention and expires sessions, hourly.
func (s *Server) housekeeping(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		cutoff := time.Now().Add(-time.Duration(s.cfg.Retention))
		if n, err := s.st.DeleteEventsBefore(ctx, cutoff); err != nil {
			s.log.Warn("retention", "err", err)
		} else if n > 0 {
			s.log.Info("retention removed old events", "events", n, "before", cutoff.UTC().Format(time.RFC3339))
		}
		if err := s.st.DeleteExpiredSessions(ctx, time.Now()); err != nil {
			s.log.Warn("session cleanup", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// gauges are metrics read when scraped.
func (s *Server) gauges() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bulwark_detect_lag_events", Help: "Stored events detection has not processed yet."},
			func() float64 { return float64(s.pipe.Lag()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bulwark_rules_loaded", Help: "Rules detection runs."},
			func() float64 { return float64(s.rules.Load().Rules) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "bulwark_rules_failed", Help: "Rules that failed to load."},
			func() float64 { return float64(s.rules.Load().Failed) }),
	}
}
