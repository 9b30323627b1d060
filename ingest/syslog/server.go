// Package syslog is the syslog network listener: UDP (RFC 5426, one message
// per datagram), TCP (RFC 6587) and TLS (RFC 5425). Stream framing, octet
// counting or newline-terminated, is detected for every frame (see Framer),
// so rsyslog, syslog-ng, network devices and ad-hoc senders all work on the
// same port.
//
// Each message is parsed with the syslog file reader's line parser
// (logs/syslog), so a network event has the same fields as one read from
// /var/log, plus "peer", the sender's IP address. Event.Source.Path is the
// channel ("syslog/udp", "syslog/tcp", "syslog/tls"), Source.Record the
// message's number on its connection (on its listener for UDP) and
// Source.Offset the frame's byte offset in the stream (-1 for UDP). A
// message without a timestamp gets the time it was received.
//
// Messages are batched per connection and handed to the ingest Sink. Stream
// connections submit with wait=true: when the Sink's queue is full the
// connection stops reading, TCP flow control pushes back on the sender, and
// memory stays bounded by one batch and one frame per connection. UDP has no
// way to push back, so a batch the Sink refuses is dropped and counted (see
// Stats).
package syslog

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/ingest"
	lsyslog "github.com/bulwarkhq/bulwark/logs/syslog"
)

// The channels recorded in event.Source.Path.
const (
	PathUDP = "syslog/udp"
	PathTCP = "syslog/tcp"
	PathTLS = "syslog/tls"
)

// Defaults for Options' zero values.
const (
	DefaultMaxMessageBytes = 64 << 10
	DefaultBatchSize       = 512
	DefaultFlushInterval   = 100 * time.Millisecond
	DefaultIdleTimeout     = 10 * time.Minute
	DefaultMaxConnections  = 1024
)

const (
	// maxBatchBytes bounds the message bytes of one batch, so that a
	// connection of large messages holds about a megabyte, not BatchSize
	// times MaxMessageBytes.
	maxBatchBytes = 1 << 20
	// handshakeTimeout bounds a TLS handshake, so that connections that
	// never finish one cannot hold connection slots for IdleTimeout.
	handshakeTimeout = 10 * time.Second
	// logEvery spaces out repeated warnings (drops, bad frames, rejected
	// connections) that a busy or hostile peer could otherwise turn into a
	// flood of log lines. Stats counts every occurrence.
	logEvery = 10 * time.Second
)

// Options configure a Server. Zero values take the defaults.
type Options struct {
	// Listen addresses ("host:port"); "" leaves that listener off.
	UDP, TCP, TLS string
	// TLSConfig is required with TLS; it must hold a certificate (or a
	// GetCertificate callback). Set ClientAuth to require client
	// certificates, as RFC 5425 recommends.
	TLSConfig *tls.Config
	// MaxMessageBytes bounds one message (default 64 KiB). A larger
	// datagram or newline-framed message is skipped and counted; a larger
	// octet count closes the connection, as the stream cannot be resynced.
	MaxMessageBytes int
	// BatchSize is the most messages per Sink.Submit (default 512).
	BatchSize int
	// FlushInterval is the longest a received message waits for its batch
	// to fill before it is submitted anyway (default 100ms).
	FlushInterval time.Duration
	// IdleTimeout closes a stream connection that sent nothing for that
	// long (default 10 minutes); senders reconnect when they next log.
	IdleTimeout time.Duration
	// MaxConnections bounds the open TCP and TLS connections together
	// (default 1024); more are closed as soon as they are accepted.
	MaxConnections int
	// Location is the zone of RFC 3164 timestamps, which carry none; nil
	// means the server's local zone.
	Location *time.Location
	// Logger receives connection problems; nil discards them.
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Stats is a snapshot of a Server's counters, for metrics.
type Stats struct {
	Received    int64 // messages framed and parsed
	Submitted   int64 // messages the Sink accepted
	Dropped     int64 // messages lost: UDP batches the Sink refused, or any Submit that failed
	BadFrames   int64 // frames skipped or fatal: too large, truncated, oversized datagrams
	Connections int64 // stream connections open now
	Accepted    int64 // stream connections accepted since Start
	Rejected    int64 // stream connections closed at once for MaxConnections
}

// Addrs are the addresses a Server is bound to; nil for a listener that is
// off.
type Addrs struct {
	UDP, TCP, TLS net.Addr
}

// Server is a syslog listener. Create it with New, then Start it; stop it
// with Shutdown (graceful) or Close.
type Server struct {
	sink ingest.Sink
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	started bool
	closing bool
	udp     net.PacketConn
	tcp     net.Listener
	tls     net.Listener
	conns   map[*streamConn]struct{}
	wg      sync.WaitGroup
	// ctx is the context of every Submit. It outlives the context given
	// to Start so that Shutdown can flush; Close, or Shutdown past its
	// deadline, cancels it.
	ctx    context.Context
	cancel context.CancelFunc

	received, submitted, dropped, bad, accepted, rejected atomic.Int64

	dropLog, badLog, rejectLog rateLimit
}

// New returns a Server that hands what it receives to sink.
func New(sink ingest.Sink, opts Options) *Server {
	opts.defaults()
	return &Server{sink: sink, opts: opts, log: opts.Logger, conns: map[*streamConn]struct{}{}}
}

// Start binds the configured listeners and serves them in the background.
// It returns the first bind error, with nothing left bound. ctx bounds only
// the binding: the server runs until Shutdown or Close.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("syslog: server already started")
	}
	o := s.opts
	if o.UDP == "" && o.TCP == "" && o.TLS == "" {
		return errors.New("syslog: no listen address configured")
	}
	if o.TLS != "" && (o.TLSConfig == nil ||
		len(o.TLSConfig.Certificates) == 0 && o.TLSConfig.GetCertificate == nil && o.TLSConfig.GetConfigForClient == nil) {
		return errors.New("syslog: the TLS listener needs a TLSConfig with a certificate")
	}
	var lc net.ListenConfig
	var bound []io.Closer
	fail := func(err error) error {
		for _, c := range bound {
			c.Close()
		}
		s.udp, s.tcp, s.tls = nil, nil, nil
		return fmt.Errorf("syslog: %w", err)
	}
	if o.UDP != "" {
		pc, err := lc.ListenPacket(ctx, "udp", o.UDP)
		if err != nil {
			return fail(err)
		}
		s.udp = pc
		bound = append(bound, pc)
	}
	if o.TCP != "" {
		l, err := lc.Listen(ctx, "tcp", o.TCP)
		if err != nil {
			return fail(err)
		}
		s.tcp = l
		bound = append(bound, l)
	}
	if o.TLS != "" {
		l, err := lc.Listen(ctx, "tcp", o.TLS)
		if err != nil {
			return fail(err)
		}
		s.tls = tls.NewListener(l, o.TLSConfig.Clone())
		bound = append(bound, l)
	}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.started = true
	if s.udp != nil {
		s.wg.Add(1)
		go s.serveUDP(s.udp)
		s.log.Info("syslog: listening", "proto", "udp", "addr", s.udp.LocalAddr().String())
	}
	for _, l := range []struct {
		l    net.Listener
		path string
	}{{s.tcp, PathTCP}, {s.tls, PathTLS}} {
		if l.l != nil {
			s.wg.Add(1)
			go s.accept(l.l, l.path)
			s.log.Info("syslog: listening", "proto", l.path, "addr", l.l.Addr().String())
		}
	}
	return nil
}

// Addrs returns the bound addresses (with the actual port when the
// configured one was 0).
func (s *Server) Addrs() Addrs {
	s.mu.Lock()
	defer s.mu.Unlock()
	var a Addrs
	if s.udp != nil {
		a.UDP = s.udp.LocalAddr()
	}
	if s.tcp != nil {
		a.TCP = s.tcp.Addr()
	}
	if s.tls != nil {
		a.TLS = s.tls.Addr()
	}
	return a
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	open := int64(len(s.conns))
	s.mu.Unlock()
	return Stats{
		Received:    s.received.Load(),
		Submitted:   s.submitted.Load(),
		Dropped:     s.dropped.Load(),
		BadFrames:   s.bad.Load(),
		Connections: open,
		Accepted:    s.accepted.Load(),
		Rejected:    s.rejected.Load(),
	}
}

// Shutdown stops accepting, ends every connection after the frames already
// received, and submits the pending batches, waiting for room in the Sink
// until ctx is done. Past that, Submits are abandoned (their messages
// counted as dropped) and Shutdown returns ctx's error once every goroutine
// has finished.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.started {
		s.mu.Unlock()
		return nil
	}
	if !s.closing {
		s.closing = true
		for _, c := range []io.Closer{s.udp, s.tcp, s.tls} {
			if c != nil {
				c.Close()
			}
		}
		for c := range s.conns {
			c.stop()
		}
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
	}
	s.cancel()
	s.mu.Lock()
	for c := range s.conns {
		c.c.Close()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// Close stops at once: pending batches are dropped (and counted).
func (s *Server) Close() error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return nil
	}
	s.cancel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Shutdown(ctx)
	return nil
}

// accept serves one stream listener.
func (s *Server) accept(l net.Listener, path string) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off rather than
			// spin, and keep serving the connections already open.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("syslog: accept failed", "proto", path, "err", err, "retry_in", delay)
			select {
			case <-time.After(delay):
			case <-s.ctx.Done():
				return
			}
			continue
		}
		delay = 0
		s.admit(c, path)
	}
}

// admit registers a new connection and serves it, unless the server is
// closing or full.
func (s *Server) admit(nc net.Conn, path string) {
	peer := peerIP(nc.RemoteAddr())
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		nc.Close()
		return
	}
	// Counters move before the peer can see the outcome, so a client that
	// sees its connection closed also sees it counted.
	if len(s.conns) >= s.opts.MaxConnections {
		s.mu.Unlock()
		s.rejected.Add(1)
		nc.Close()
		if s.rejectLog.allow() {
			s.log.Warn("syslog: connection refused: too many connections", "proto", path, "peer", peer, "max", s.opts.MaxConnections)
		}
		return
	}
	c := &streamConn{s: s, c: nc, path: path, peer: peer, last: time.Now()}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.accepted.Add(1)
	s.mu.Unlock()
	go s.serveStream(c)
}

// newEvent parses one message into an event that owns its memory.
func (s *Server) newEvent(p *lsyslog.Parser, msg []byte, path, peer string, rec, off int64, now time.Time) event.Event {
	e := event.Event{Fields: make([]event.Field, 0, 12)}
	p.ParseLine(&e, msg)
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Add("peer", event.String(peer))
	e.Source = event.Source{Path: path, Format: lsyslog.Name, Record: rec, Offset: off}
	e.Raw = bytes.Clone(msg)
	return e
}

// submit hands a batch to the Sink and counts the outcome.
func (s *Server) submit(evs []event.Event, wait bool, path, peer string) error {
	if len(evs) == 0 {
		return nil
	}
	n := int64(len(evs))
	err := s.sink.Submit(s.ctx, evs, wait)
	if err == nil {
		s.submitted.Add(n)
		return nil
	}
	s.dropped.Add(n)
	if s.dropLog.allow() {
		msg := "syslog: messages lost: the sink failed"
		if errors.Is(err, ingest.ErrBusy) {
			msg = "syslog: messages dropped: the sink is busy"
		}
		s.log.Warn(msg, "proto", path, "peer", peer, "messages", n, "dropped_total", s.dropped.Load(), "err", err)
	}
	return err
}

// badFrame counts and reports a frame that was skipped or ended a stream.
func (s *Server) badFrame(path, peer string, err error) {
	s.bad.Add(1)
	if s.badLog.allow() {
		s.log.Warn("syslog: bad frame", "proto", path, "peer", peer, "err", err, "bad_frames_total", s.bad.Load())
	}
}

// peerIP returns the IP address of a remote address, without port and with
// IPv4-mapped IPv6 addresses (dual-stack sockets) shown as IPv4.
func peerIP(a net.Addr) string {
	var ap netip.AddrPort
	switch v := a.(type) {
	case *net.TCPAddr:
		ap = v.AddrPort()
	case *net.UDPAddr:
		ap = v.AddrPort()
	default:
		if a == nil {
			return ""
		}
		host, _, err := net.SplitHostPort(a.String())
		if err != nil {
			return a.String()
		}
		return host
	}
	return ap.Addr().Unmap().String()
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// batch collects events until it is full or old enough to submit.
type batch struct {
	evs   []event.Event
	bytes int
	start time.Time // arrival of the oldest event
}

func (b *batch) add(e event.Event, size int, now time.Time) {
	if len(b.evs) == 0 {
		b.start = now
	}
	b.evs = append(b.evs, e)
	b.bytes += size
}

// ready reports whether the batch should be submitted now.
func (b *batch) ready(o *Options, now time.Time) bool {
	return len(b.evs) >= o.BatchSize || b.bytes >= maxBatchBytes ||
		len(b.evs) > 0 && now.Sub(b.start) >= o.FlushInterval
}

// take empties the batch. The slice goes to the Sink, which owns it from
// then on, so the next batch starts a new one.
func (b *batch) take() []event.Event {
	evs := b.evs
	*b = batch{}
	return evs
}

// rateLimit lets one event through per logEvery.
type rateLimit struct{ last atomic.Int64 }

func (r *rateLimit) allow() bool {
	now := time.Now().UnixNano()
	last := r.last.Load()
	if last != 0 && now-last < int64(logEvery) {
		return false
	}
	return r.last.CompareAndSwap(last, now)
}
