// Package jetstream runs Bulwark's pipeline across machines: ingest nodes
// publish event batches to a NATS JetStream stream, and detection workers
// share that stream through one durable pull consumer, storing events and
// alerts in the shared PostgreSQL store (DESIGN.md, Scale-out: the work is
// shared by JetStream and the state by PostgreSQL; nothing home-made).
//
// # Nothing acknowledged is lost
//
// Publisher is the store an ingest node's pipeline writes to: a batch the
// pipeline group-commits is published as one or more messages (each under
// 768 KiB, NATS's default limit being 1 MiB), and AppendEvents returns,
// so the sender is acknowledged, only once JetStream has acknowledged every
// message: the stream is stored on disk (file storage) before anything is
// acknowledged, as the single node's SQLite is. Each message carries a
// random Nats-Msg-Id, so a publish retried after a lost acknowledgement is
// stored once (JetStream's duplicate window).
//
// # Exactly once
//
// A worker acknowledges a message only after its events and alerts are
// committed, and it commits them with the message's id in one transaction
// (applied.Store.ApplyBatches). A message redelivered after a crash between
// the commit and the acknowledgement finds its id stored: it is skipped
// whole and acknowledged, so no event and no alert is stored twice, and
// none is lost, since an unacknowledged message is delivered again.
//
// # Correlation
//
// Per-event rules run on every worker, each on the messages it fetched.
// Correlation rules need all the events of a group in one place, in order,
// so they run in correlator partitions (WorkerOptions.Correlators, default
// one): each correlation, with those chained on it, belongs to one
// partition (by a hash of its id), and each partition runs in one worker
// at a time, the holder of its lease in a JetStream key-value bucket (kept
// alive while it runs, taken over by another worker when it expires). A
// partition reads the whole stream in order with an ordered consumer,
// matches only the rules its correlations consume, and commits its alerts,
// each under a key derived from its content, together with a stream
// position: the newest message before which no event can still be in an
// open window (event time older than stream time minus twice the sum of
// the rules' timespans). A worker that takes a partition over replays from
// that position, rebuilding exactly the windows that were open; the alerts
// it raises again are recognised by their keys.
//
// Partitions split the correlation rules, not one rule's groups: a single
// correlation runs on one core, and every partition decodes every event.
// Splitting one rule by its group-by values would need the detector to
// hand out correlation inputs instead of feeding its own windows.
// docs/deploy/sizing.md says what that bounds.
package jetstream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
)

// Names of what the package creates in JetStream, unless Config says
// otherwise.
const (
	DefaultStream     = "BULWARK_EVENTS"
	DefaultSubject    = "bulwark.events"
	DefaultConsumer   = "bulwark-detect"
	DefaultLeases     = "bulwark_leases"
	maxMessageBytes   = 768 << 10
	defaultMaxAge     = 7 * 24 * time.Hour
	defaultDuplicates = 2 * time.Minute
)

// Config says where the stream is and how it is kept.
type Config struct {
	// URL of the NATS server(s), comma-separated (nats://127.0.0.1:4222).
	URL string
	// Stream, Subject, Consumer and Leases name the stream, its subject,
	// the workers' durable consumer and the lease bucket (defaults above).
	Stream, Subject, Consumer, Leases string
	// MaxAge is how long the stream keeps messages (default 7 days): the
	// time a stopped detection tier may take to come back without losing
	// events, and the longest a correlator can replay.
	MaxAge time.Duration
	// Replicas of the stream on a JetStream cluster (default 1).
	Replicas int
}

func (c *Config) defaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Stream, DefaultStream)
	def(&c.Subject, DefaultSubject)
	def(&c.Consumer, DefaultConsumer)
	def(&c.Leases, DefaultLeases)
	if c.MaxAge <= 0 {
		c.MaxAge = defaultMaxAge
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
}

// conn is a connection with the stream made sure of.
type conn struct {
	cfg    Config
	nc     *nats.Conn
	js     natsjs.JetStream
	stream natsjs.Stream
}

// dial connects to NATS and creates (or updates) the stream.
func dial(ctx context.Context, cfg Config, name string) (*conn, error) {
	cfg.defaults()
	if cfg.URL == "" {
		return nil, errors.New("jetstream: no NATS URL")
	}
	nc, err := nats.Connect(cfg.URL, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	if err != nil {
		return nil, fmt.Errorf("jetstream: connect %s: %w", cfg.URL, err)
	}
	js, err := natsjs.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	stream, err := ensureStream(ctx, js, cfg, natsjs.StreamConfig{
		Name:        cfg.Stream,
		Subjects:    []string{cfg.Subject},
		Storage:     natsjs.FileStorage,
		Retention:   natsjs.LimitsPolicy,
		MaxAge:      cfg.MaxAge,
		Duplicates:  defaultDuplicates,
		Replicas:    cfg.Replicas,
		Discard:     natsjs.DiscardOld,
		Description: "Bulwark event batches (pipeline/jetstream)",
	})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: stream %s: %w", cfg.Stream, err)
	}
	return &conn{cfg: cfg, nc: nc, js: js, stream: stream}, nil
}

// ensureStream returns the stream, creating it with want when missing. An
// existing stream is left as it is: a node started with other settings
// (say, one replica where the operator made three) must not reconfigure
// the stream every node shares.
func ensureStream(ctx context.Context, js natsjs.JetStream, cfg Config, want natsjs.StreamConfig) (natsjs.Stream, error) {
	s, err := js.Stream(ctx, cfg.Stream)
	if errors.Is(err, natsjs.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, want)
		if errors.Is(err, natsjs.ErrStreamNameAlreadyInUse) { // another node created it meanwhile
			s, err = js.Stream(ctx, cfg.Stream)
		}
	}
	return s, err
}

func (c *conn) close() {
	if c != nil && c.nc != nil {
		_ = c.nc.Drain()
	}
}
