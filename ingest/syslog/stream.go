package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	lsyslog "github.com/bulwarkhq/bulwark/logs/syslog"
)

// errStopped ends a connection's reads when the server shuts down.
var errStopped = errors.New("server shutting down")

// aLongTimeAgo is a read deadline in the past, which wakes a blocked Read.
var aLongTimeAgo = time.Unix(1, 0)

// streamConn is one TCP or TLS connection. Its goroutine owns everything
// but stopped: it frames, parses, batches and submits. The Framer reads
// through streamConn.Read, which is also where a batch that waited
// FlushInterval on a quiet connection gets submitted, so one goroutine per
// connection is enough.
type streamConn struct {
	s    *Server
	c    net.Conn
	path string // PathTCP or PathTLS
	peer string
	b    batch
	last time.Time // when bytes last arrived, for IdleTimeout

	mu      sync.Mutex // orders stop against Read's deadline updates
	stopped bool
}

// stop makes the connection's Read return, now or at its next call.
func (c *streamConn) stop() {
	c.mu.Lock()
	c.stopped = true
	c.c.SetReadDeadline(aLongTimeAgo)
	c.mu.Unlock()
}

// Read reads from the connection with a deadline: the idle timeout, or
// sooner the time the pending batch is due. When the batch falls due first
// it is submitted and the read resumes.
func (c *streamConn) Read(p []byte) (int, error) {
	o := &c.s.opts
	for {
		idle := c.last.Add(o.IdleTimeout)
		deadline := idle
		var due time.Time
		if len(c.b.evs) > 0 {
			due = c.b.start.Add(o.FlushInterval)
			if due.Before(deadline) {
				deadline = due
			}
		}
		c.mu.Lock()
		if c.stopped {
			c.mu.Unlock()
			return 0, errStopped
		}
		err := c.c.SetReadDeadline(deadline)
		c.mu.Unlock()
		if err != nil {
			return 0, err
		}
		n, err := c.c.Read(p)
		if n > 0 {
			c.last = time.Now()
		}
		if n > 0 || err == nil || !isTimeout(err) || due.IsZero() || !time.Now().Before(idle) {
			return n, err
		}
		// The batch fell due while the sender was quiet: submit it, then
		// wait again. This blocks while the Sink is full, which is the
		// back-pressure: the connection is not read meanwhile.
		if err := c.flush(); err != nil {
			return 0, err
		}
	}
}

// flush submits the pending batch, waiting for room in the Sink.
func (c *streamConn) flush() error {
	return c.s.submit(c.b.take(), true, c.path, c.peer)
}

// serveStream runs one connection until it ends, then submits what it
// received.
func (s *Server) serveStream(c *streamConn) {
	defer s.wg.Done()
	defer func() {
		c.c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	if tc, ok := c.c.(*tls.Conn); ok {
		ctx, cancel := context.WithTimeout(s.ctx, handshakeTimeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			s.log.Warn("syslog: TLS handshake failed", "proto", c.path, "peer", c.peer, "err", err)
			return
		}
	}
	fr := NewFramer(c, s.opts.MaxMessageBytes)
	p := &lsyslog.Parser{Location: s.opts.Location}
	var rec int64
	for {
		msg, off, err := fr.Next()
		if err != nil {
			if errors.Is(err, ErrLineTooLong) {
				s.badFrame(c.path, c.peer, fmt.Errorf("%s from %s: %w", c.path, c.peer, err))
				continue
			}
			s.endStream(c, err)
			break
		}
		rec++
		s.received.Add(1)
		now := time.Now()
		c.b.add(s.newEvent(p, msg, c.path, c.peer, rec, off, now), len(msg), now)
		if c.b.ready(&s.opts, now) {
			if c.flush() != nil {
				return // the Sink failed; submit already reported it
			}
		}
	}
	c.flush()
}

// endStream reports why a connection's stream ended.
func (s *Server) endStream(c *streamConn, err error) {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, errStopped), errors.Is(err, net.ErrClosed):
	case errors.Is(err, ErrFrameTooLarge), errors.Is(err, ErrTruncated):
		s.badFrame(c.path, c.peer, fmt.Errorf("%s from %s: %w; closing the connection", c.path, c.peer, err))
	case isTimeout(err):
		s.log.Debug("syslog: closing idle connection", "proto", c.path, "peer", c.peer, "idle", s.opts.IdleTimeout)
	default:
		s.log.Debug("syslog: connection ended", "proto", c.path, "peer", c.peer, "err", err)
	}
}
