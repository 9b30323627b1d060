package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bulwarkhq/bulwark/internal/gctune"
	"github.com/bulwarkhq/bulwark/server"
)

// serveOptions are the flags of serve and demo.
type serveOptions struct {
	configFile string
	cfg        server.Config // flags write here; applied over file and env when set
	rules      ruleFlags
	demo       bool
	replay     bool
	cpuProf    string
}

func newServeCmd(e *env) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server: live ingest, continuous detection, API",
		Long: `Serve stores every event it receives, runs the Sigma rules over the live
stream, and answers the HTTP API.

Ingest (send with the tools you already run):
  Splunk HEC     POST /services/collector/event, /services/collector/raw
                 (Authorization: Splunk <token>): Fluent Bit, Vector, OTel Collector
  OTLP/HTTP      POST /v1/logs (protobuf or JSON)
  upload         POST /api/v1/ingest?format=evtx&name=FILE (any format detect reads)
  syslog         --syslog-udp, --syslog-tcp, --syslog-tls (RFC 5424 and 3164)
  files          --tail '/var/log/*.log' (offsets survive restarts and rotation)
  OT             --ot-interface eth1 (Modbus/TCP and DNP3 live), --ot-watch DIR
                 (capture files dropped there); alerts go into cases (see bulwark ot)

An event is acknowledged only once it is on disk. When the ingest queue is
full, HTTP senders get 503 with Retry-After and syslog over TCP is read more
slowly, so memory stays bounded.

On first start an admin user is created and its password printed once.
The server listens on 127.0.0.1 unless given TLS (--tls-cert, --tls-key) or
--insecure. SIGHUP (or POST /api/v1/rules/reload) reloads the rules; a broken
rule set never replaces a working one. Settings come from --config FILE
(YAML), then BULWARK_* environment variables, then flags.

Scale-out (docs/deploy): --role ingest publishes events to a NATS JetStream
stream (--nats), --role detect workers share it and store events and alerts
in PostgreSQL (--postgres), --role api serves the UI and API from there; the
default role, all, is the single node.`,
		Example: `  # Start on 127.0.0.1:8080 with data in ./bulwark-data
  bulwark serve

  # Receive syslog and follow local files too
  bulwark serve --syslog-udp 127.0.0.1:5514 --syslog-tcp 127.0.0.1:5514 --tail '/var/log/auth.log*'

  # Listen on the network with TLS, keep events 90 days
  bulwark serve --listen 0.0.0.0:8443 --tls-cert server.crt --tls-key server.key --retention 90d

  # Watch a plant's Modbus/TCP and DNP3 traffic on a mirror port
  sudo bulwark serve --ot-interface eth1

  # Send an event over HEC once running (token from POST /api/v1/tokens)
  curl -H "Authorization: Splunk $TOKEN" -d '{"event":{"message":"hello"}}' \
    http://127.0.0.1:8080/services/collector/event`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), e, cmd.Flags(), &o)
		},
	}
	o.register(cmd)
	cmd.Flags().BoolVar(&o.demo, "demo", false, "replay the built-in simulated intrusion on first start (what 'bulwark demo' does)")
	return cmd
}

func (o *serveOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	c := &o.cfg
	f.StringVarP(&o.configFile, "config", "c", "", "YAML configuration file")
	f.StringVar(&c.Listen, "listen", "", "HTTP address (default 127.0.0.1:8080)")
	f.StringVar(&c.DataDir, "data", "", "data directory (default ./bulwark-data)")
	f.StringVar(&c.TLSCert, "tls-cert", "", "TLS certificate (PEM) for HTTPS and syslog over TLS")
	f.StringVar(&c.TLSKey, "tls-key", "", "TLS private key (PEM)")
	f.BoolVar(&c.Insecure, "insecure", false, "allow plain HTTP and syslog on a non-loopback address")
	f.Var(&c.Retention, "retention", "how long to keep events, e.g. 30d (default 30d); alerts and cases stay until deleted")
	f.StringVar(&c.Syslog.UDP, "syslog-udp", "", "syslog over UDP address, e.g. 127.0.0.1:5514")
	f.StringVar(&c.Syslog.TCP, "syslog-tcp", "", "syslog over TCP address (octet counting or newline framing)")
	f.StringVar(&c.Syslog.TLS, "syslog-tls", "", "syslog over TLS address (RFC 5425), needs --tls-cert/--tls-key")
	f.StringArrayVar(&c.Tail, "tail", nil, "file or glob to follow (repeatable)")
	f.StringVar(&c.TailFormat, "tail-format", "", "format of tailed files (default: detected)")
	f.StringVar(&c.Rules.MinLevel, "min-level", "", "drop alerts below this level (default low)")
	f.IntVar(&c.Limits.QueueEvents, "queue-events", 0, "events accepted but not yet written before senders are told to retry (default 32768)")
	f.StringVar(&c.Log.Level, "log-level", "", "debug, info, warn or error (default info)")
	f.StringVar(&c.Log.Format, "log-format", "", "text or json (default text)")
	f.StringArrayVar(&c.OT.Interfaces, "ot-interface", nil, "watch Modbus/TCP and DNP3 live on this interface (repeatable; needs root or CAP_NET_RAW)")
	f.StringArrayVar(&c.OT.Watch, "ot-watch", nil, "read pcap/pcapng files dropped in this folder for Modbus/TCP and DNP3 (repeatable)")
	f.StringVar(&c.Cluster.Role, "role", "", "all (default), or one role of a scale-out deployment: ingest, detect or api")
	f.StringVar(&c.Cluster.NATS, "nats", "", "NATS server URL for the roles ingest, detect and api (nats://127.0.0.1:4222)")
	f.StringVar(&c.Cluster.Postgres, "postgres", "", "PostgreSQL connection string to keep the store in (postgres://user@host/db) instead of SQLite in --data")
	f.IntVar(&c.Cluster.Workers, "workers", 0, "detection loops of a detect node (default: one per core)")
	f.IntVar(&c.Cluster.Correlators, "correlators", 0, "partitions the correlation rules are split into across detect nodes (default 1; the same on every node)")
	f.IntVar(&c.Cluster.StreamReplicas, "stream-replicas", 0, "copies of the event stream a JetStream cluster keeps (default 1)")
	f.StringVar(&o.cpuProf, "cpuprofile", "", "write a Go CPU profile of the run to this file (for performance reports)")
	_ = f.MarkHidden("cpuprofile")
	o.rules.register(cmd)
	_ = cmd.MarkFlagFilename("config", "yml", "yaml")
	_ = cmd.MarkFlagFilename("tls-cert", "pem", "crt")
	_ = cmd.MarkFlagFilename("tls-key", "pem", "key")
	_ = cmd.MarkFlagDirname("data")
	_ = cmd.MarkFlagDirname("ot-watch")
}

// config merges file, environment and the flags that were set.
func (o *serveOptions) config(flags *pflag.FlagSet) (server.Config, error) {
	var cfg server.Config
	if o.configFile != "" {
		var err error
		if cfg, err = server.LoadConfigFile(o.configFile); err != nil {
			return cfg, usageError{err}
		}
	}
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return cfg, usageError{err}
	}
	f := &o.cfg
	set := func(name string, apply func()) {
		if flags.Changed(name) {
			apply()
		}
	}
	set("listen", func() { cfg.Listen = f.Listen })
	set("data", func() { cfg.DataDir = f.DataDir })
	set("tls-cert", func() { cfg.TLSCert = f.TLSCert })
	set("tls-key", func() { cfg.TLSKey = f.TLSKey })
	set("insecure", func() { cfg.Insecure = f.Insecure })
	set("retention", func() { cfg.Retention = f.Retention })
	set("syslog-udp", func() { cfg.Syslog.UDP = f.Syslog.UDP })
	set("syslog-tcp", func() { cfg.Syslog.TCP = f.Syslog.TCP })
	set("syslog-tls", func() { cfg.Syslog.TLS = f.Syslog.TLS })
	set("tail", func() { cfg.Tail = f.Tail })
	set("tail-format", func() { cfg.TailFormat = f.TailFormat })
	set("min-level", func() { cfg.Rules.MinLevel = f.Rules.MinLevel })
	set("queue-events", func() { cfg.Limits.QueueEvents = f.Limits.QueueEvents })
	set("ot-interface", func() { cfg.OT.Interfaces = f.OT.Interfaces })
	set("ot-watch", func() { cfg.OT.Watch = f.OT.Watch })
	set("role", func() { cfg.Cluster.Role = f.Cluster.Role })
	set("nats", func() { cfg.Cluster.NATS = f.Cluster.NATS })
	set("postgres", func() { cfg.Cluster.Postgres = f.Cluster.Postgres })
	set("workers", func() { cfg.Cluster.Workers = f.Cluster.Workers })
	set("correlators", func() { cfg.Cluster.Correlators = f.Cluster.Correlators })
	set("stream-replicas", func() { cfg.Cluster.StreamReplicas = f.Cluster.StreamReplicas })
	set("log-level", func() { cfg.Log.Level = f.Log.Level })
	set("log-format", func() { cfg.Log.Format = f.Log.Format })
	set("rules", func() { cfg.Rules.Dirs = o.rules.dirs })
	set("no-builtin", func() { cfg.Rules.NoBuiltin = o.rules.noBuiltin })
	set("mapping", func() { cfg.Rules.Mapping = o.rules.mapping })
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("log level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

func runServe(ctx context.Context, e *env, flags *pflag.FlagSet, o *serveOptions) error {
	cfg, err := o.config(flags)
	if err != nil {
		return err
	}
	log, err := newLogger(e.stderr, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopProfile, err := startCPUProfile(o.cpuProf)
	if err != nil {
		return err
	}
	defer stopProfile()

	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	gctune.Server(cfg.Limits.MemoryBytes)
	password, created, err := srv.Bootstrap(ctx)
	if err != nil {
		srv.Store().Close()
		return err
	}
	if created {
		printCredential(e.stderr, password)
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if _, err := srv.ReloadRules(); err != nil {
				log.Error("SIGHUP: rules not reloaded", "err", err)
			}
		}
	}()

	ready := func(addr string) {
		scheme := "http"
		if cfg.TLSCert != "" {
			scheme = "https"
		}
		fmt.Fprintf(e.stderr, "Bulwark is listening on %s://%s (data in %s). Stop with Ctrl-C.\n", scheme, addr, cfg.DataDir)
		if o.demo {
			go replayDemo(ctx, e, srv, scheme+"://"+addr, o.replay, log)
		}
	}
	return srv.Run(ctx, ready)
}

// printCredential shows the generated admin password once, where the
// person starting the server will see it.
func printCredential(w io.Writer, password string) {
	line := strings.Repeat("=", 66)
	fmt.Fprintf(w, "%s\nFirst start: created user 'admin' with password\n\n    %s\n\nIt is shown only this once; store it in your password manager.\n%s\n", line, password, line)
}
