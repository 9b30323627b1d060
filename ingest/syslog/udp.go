package syslog

import (
	"errors"
	"fmt"
	"net"
	"time"

	lsyslog "github.com/bulwarkhq/bulwark/logs/syslog"
)

// serveUDP reads datagrams until the socket is closed. Each datagram is one
// message (RFC 5426). Batches are submitted without waiting: a sender
// cannot be slowed down, and blocking here would only overflow the socket's
// receive buffer instead, losing messages uncounted.
func (s *Server) serveUDP(pc net.PacketConn) {
	defer s.wg.Done()
	// One byte more than the limit tells an oversized datagram, which the
	// kernel truncates to the buffer, from one that fits exactly.
	buf := make([]byte, s.opts.MaxMessageBytes+1)
	p := &lsyslog.Parser{Location: s.opts.Location}
	var b batch
	var rec int64
	var delay time.Duration
	for {
		var deadline time.Time // none while nothing waits
		if len(b.evs) > 0 {
			deadline = b.start.Add(s.opts.FlushInterval)
		}
		if err := pc.SetReadDeadline(deadline); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Warn("syslog: udp deadline", "err", err)
		}
		n, addr, err := pc.ReadFrom(buf)
		now := time.Now()
		if err != nil {
			switch {
			case isTimeout(err):
				s.submit(b.take(), false, PathUDP, "")
				continue
			case errors.Is(err, net.ErrClosed):
				// Shutdown: what was received waits for room, within
				// Shutdown's deadline.
				s.submit(b.take(), true, PathUDP, "")
				return
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("syslog: udp read failed", "err", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		peer := peerIP(addr)
		if n > s.opts.MaxMessageBytes {
			s.badFrame(PathUDP, peer, fmt.Errorf("%s from %s: datagram longer than the limit of %d bytes", PathUDP, peer, s.opts.MaxMessageBytes))
			continue
		}
		msg := trimTrailer(buf[:n])
		if len(msg) == 0 {
			continue
		}
		rec++
		s.received.Add(1)
		b.add(s.newEvent(p, msg, PathUDP, peer, rec, -1, now), len(msg), now)
		if b.ready(&s.opts, now) {
			s.submit(b.take(), false, PathUDP, peer)
		}
	}
}
