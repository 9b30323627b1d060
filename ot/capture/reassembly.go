package capture

import (
	"bytes"
	"net/netip"
	"slices"
	"time"

	"github.com/bulwarkhq/bulwark/ot"
)

// connKey names a connection whichever way a segment goes: the lower
// endpoint (address, then port) first.
type connKey struct {
	a, b   addr16
	pa, pb uint16
}

// Directions of a connection, indexing conn.half and conn.ends.
const (
	toServer = 0
	toClient = 1
)

// conn is one tracked TCP connection.
type conn struct {
	key  connKey
	port *Port
	// serverIsA says which key endpoint is the server, to map a
	// segment's direction without comparing addresses.
	serverIsA bool
	// ends[toServer] is the client's endpoint, ends[toClient] the
	// server's: the source of each direction.
	ends [2]netip.AddrPort
	half [2]half
	// prev and next link the table's recency list, most recent first.
	prev, next *conn
	lastSeen   int64 // capture time, Unix nanoseconds
	// holey says the conn is in connTable.holey.
	holey bool
}

// half is one direction of a connection.
type half struct {
	parser ot.StreamParser // made when the first bytes arrive
	next   uint32          // sequence number of the next byte to hand on
	synced bool            // next is known
	fin    bool            // the FIN was reached in order: the direction is done
	fed    bool            // bytes were handed on since the last (re)start
	// pending holds out-of-order segments, sorted by sequence number,
	// with copies of their bytes; pendingBytes is what they are charged
	// (segCost).
	pending      []pendingSeg
	pendingBytes int
	pendingSince int64 // capture time the oldest open hole was seen
}

// segOverhead is what a buffered segment costs besides its bytes, charged
// against the buffer limits so a flood of one-byte segments is bounded
// too.
const segOverhead = 64

func segCost(data []byte) int { return len(data) + segOverhead }

// pendingSeg is a buffered out-of-order segment.
type pendingSeg struct {
	seq   uint32
	fin   bool
	data  []byte
	frame int64
	time  time.Time
}

// connTable holds the connections by key and in order of recency, so the
// least recently active one is at hand for expiry and eviction.
type connTable struct {
	conns map[connKey]*conn
	head  conn // sentinel of the recency list: head.next is the newest
	n     int
	// last caches the previous lookup: a capture often carries runs of
	// one connection's request and response.
	lastKey  connKey
	last     *conn
	free     []*conn // removed conns for reuse, so a SYN flood does not churn the heap
	buffered int     // out-of-order bytes held in all, as charged (segCost)
	// holey lists the conns that hold out-of-order bytes, so holes of
	// connections that went silent are given up on time without walking
	// every connection; sweptAt is the capture time of the last sweep.
	holey   []*conn
	sweptAt int64
}

func (t *connTable) init() {
	t.conns = make(map[connKey]*conn)
	t.head.next, t.head.prev = &t.head, &t.head
}

func (t *connTable) unlink(c *conn) {
	c.prev.next, c.next.prev = c.next, c.prev
}

func (t *connTable) pushFront(c *conn) {
	c.prev, c.next = &t.head, t.head.next
	t.head.next.prev = c
	t.head.next = c
}

// segment runs one TCP segment of a configured port through reassembly.
func (s *Sensor) segment(seg *segment, port *Port, serverIsDst bool, ts time.Time) {
	now := ts.Unix()*1e9 + int64(ts.Nanosecond())
	t := &s.table

	var key connKey
	order := bytes.Compare(seg.src[:], seg.dst[:])
	srcIsA := order < 0 || order == 0 && seg.srcPort <= seg.dstPort
	if srcIsA {
		key = connKey{a: seg.src, b: seg.dst, pa: seg.srcPort, pb: seg.dstPort}
	} else {
		key = connKey{a: seg.dst, b: seg.src, pa: seg.dstPort, pb: seg.srcPort}
	}
	var c *conn
	if t.last != nil && t.lastKey == key {
		c = t.last
	} else {
		c = t.conns[key]
	}
	if c == nil {
		// A bare ACK or a FIN without data opens nothing: keeping state
		// for them would let stray packets fill the table, and they carry
		// nothing to decode.
		if seg.flags&tcpSYN == 0 && len(seg.payload) == 0 {
			return
		}
		if seg.flags&tcpRST != 0 {
			return
		}
		c = s.openConn(key, seg, port, serverIsDst, srcIsA, now)
	} else if c != t.head.next {
		t.unlink(c)
		t.pushFront(c)
	}
	t.lastKey, t.last = key, c
	c.lastSeen = now
	s.expire(now)
	if len(t.holey) > 0 && now-t.sweptAt >= int64(time.Second) {
		s.sweepHoles(now)
	}

	dir := toClient
	if srcIsA != c.serverIsA {
		dir = toServer
	}
	for d := range c.half {
		if h := &c.half[d]; len(h.pending) > 0 && now-h.pendingSince > int64(s.cfg.HoleTimeout) {
			s.flushHoles(c, d)
		}
	}
	if seg.flags&tcpRST != 0 {
		// The connection is over: holes will not fill. Hand on what was
		// buffered behind them and forget the connection.
		s.flushHoles(c, toServer)
		s.flushHoles(c, toClient)
		s.removeConn(c)
		return
	}
	s.accept(c, dir, seg.seq, seg.flags, seg.payload, s.frame, ts)
	if c.half[0].fin && c.half[1].fin {
		s.removeConn(c)
	}
}

// openConn starts tracking a connection, evicting the least recently
// active one when the table is full.
func (s *Sensor) openConn(key connKey, seg *segment, port *Port, serverIsDst, srcIsA bool, now int64) *conn {
	t := &s.table
	if t.n >= s.cfg.MaxConns {
		s.stats.Evicted++
		s.dropConn(t.head.prev)
	}
	var c *conn
	if n := len(t.free); n > 0 {
		c, t.free = t.free[n-1], t.free[:n-1]
	} else {
		c = new(conn)
	}
	// The server is the end whose port is configured; when both are, the
	// side a SYN (without ACK) goes to, else the destination (Packet
	// passes serverIsDst so).
	if seg.flags&(tcpSYN|tcpACK) == tcpSYN && s.portIndex[seg.srcPort] != 0 && s.portIndex[seg.dstPort] != 0 {
		serverIsDst = true
	}
	*c = conn{key: key, port: port, serverIsA: serverIsDst != srcIsA}
	client, server := endpoint(seg.src, seg.srcPort), endpoint(seg.dst, seg.dstPort)
	if !serverIsDst {
		client, server = server, client
	}
	c.ends[toServer], c.ends[toClient] = client, server
	t.conns[key] = c
	t.pushFront(c)
	t.n++
	s.stats.Conns++
	s.protos[port.Proto].Conns++
	return c
}

func endpoint(a addr16, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16(a).Unmap(), port)
}

// expire drops connections idle for longer than IdleTimeout, oldest first.
func (s *Sensor) expire(now int64) {
	t := &s.table
	limit := now - int64(s.cfg.IdleTimeout)
	for t.n > 0 && t.head.prev.lastSeen < limit {
		s.stats.Expired++
		s.dropConn(t.head.prev)
	}
}

// sweepHoles gives up on holes older than HoleTimeout in every
// connection, silent or not.
func (s *Sensor) sweepHoles(now int64) {
	t := &s.table
	t.sweptAt = now
	for i := 0; i < len(t.holey); i++ {
		c := t.holey[i]
		for d := range c.half {
			if h := &c.half[d]; len(h.pending) > 0 && now-h.pendingSince > int64(s.cfg.HoleTimeout) {
				s.flushHoles(c, d)
			}
		}
	}
	// Keep only the conns still holding bytes; flushHoles may have fed
	// parsers but never removes conns, so the list is intact.
	kept := t.holey[:0]
	for _, c := range t.holey {
		if len(c.half[0].pending)+len(c.half[1].pending) > 0 {
			kept = append(kept, c)
		} else {
			c.holey = false
		}
	}
	clear(t.holey[len(kept):])
	t.holey = kept
}

// dropConn gives up on a connection that is still open: the bytes it
// buffered are handed on after a gap, then it is forgotten.
func (s *Sensor) dropConn(c *conn) {
	s.flushHoles(c, toServer)
	s.flushHoles(c, toClient)
	s.removeConn(c)
}

// removeConn forgets a connection and keeps its struct for reuse.
func (s *Sensor) removeConn(c *conn) {
	t := &s.table
	for d := range c.half {
		s.dropPending(&c.half[d])
	}
	if c.holey {
		for i, h := range t.holey {
			if h == c {
				t.holey = slices.Delete(t.holey, i, i+1)
				break
			}
		}
	}
	t.unlink(c)
	delete(t.conns, c.key)
	t.n--
	if t.last == c {
		t.last = nil
	}
	*c = conn{}
	if len(t.free) < 1024 {
		t.free = append(t.free, c)
	}
}

// maxSeqJump is the farthest, in sequence numbers, a segment may lie from
// the next expected byte and still be reordering or a retransmission.
const maxSeqJump = 4 << 20

// accept takes one segment of direction dir: in-order bytes go to the
// parser, bytes already handed on are dropped, and bytes past a hole wait.
func (s *Sensor) accept(c *conn, dir int, seq uint32, flags uint8, payload []byte, frame int64, ts time.Time) {
	h := &c.half[dir]
	if flags&tcpSYN != 0 {
		// A SYN at or behind the stream is a retransmission; one ahead of
		// it, or far behind, starts a new connection on the same ports
		// (a reused port's initial sequence number must exceed the old
		// connection's last).
		if d := int32(seq + 1 - h.next); !h.synced || d > 0 || d < -(1<<24) {
			// A new connection, or a new one on the same ports (the
			// sequence numbers start afresh): whatever the parser holds
			// belongs to the old one.
			if h.fed || len(h.pending) > 0 {
				s.dropPending(h)
				s.gap(h)
			}
			h.next, h.synced, h.fin, h.fed = seq+1, true, false, false
		}
		seq++ // the SYN takes one sequence number
	}
	if !h.synced {
		// Picked up mid-stream: start at the first segment seen.
		h.next, h.synced = seq, true
	}
	fin := flags&tcpFIN != 0
	if len(payload) == 0 && !fin {
		return
	}
	if h.fin {
		// Past the FIN: a retransmission, or junk.
		if len(payload) > 0 {
			s.stats.Retransmissions++
		}
		return
	}
	d := int32(seq - h.next)
	if d > maxSeqJump || d < -maxSeqJump {
		// Too far from the stream to be reordering or a retransmission:
		// the capture lost a lot, or this is a stray segment. Start over
		// here; a stray one costs a gap, where trusting it would have
		// taken every later byte for a retransmission.
		s.flushHoles(c, dir)
		s.gap(h)
		h.next, d = seq, 0
	}
	if d < 0 {
		end := seq + uint32(len(payload))
		if int32(end-h.next) <= 0 {
			// Every byte already handed on (or a retransmitted FIN).
			if len(payload) > 0 {
				s.stats.Retransmissions++
			}
			return
		}
		payload = payload[h.next-seq:]
		seq = h.next
		s.stats.Overlaps++
	} else if d > 0 {
		s.buffer(c, dir, seq, fin, payload, frame, ts)
		return
	}
	s.deliver(c, dir, payload, frame, ts)
	if fin {
		h.next++
		h.fin = true
	}
	if len(h.pending) > 0 {
		s.drain(c, dir)
	}
}

// deliver hands in-order bytes to the direction's parser.
func (s *Sensor) deliver(c *conn, dir int, data []byte, frame int64, ts time.Time) {
	h := &c.half[dir]
	h.next += uint32(len(data))
	if len(data) == 0 {
		return
	}
	h.fed = true
	if h.parser == nil {
		h.parser = c.port.New(dir == toServer)
		if h.parser == nil {
			return
		}
	}
	s.stats.Bytes += int64(len(data))
	ps := &s.protos[c.port.Proto]
	ps.Frames++
	ps.Bytes += int64(len(data))
	h.parser.Feed(data, ot.Meta{Time: ts, Frame: frame, Src: c.ends[dir], Dst: c.ends[1-dir]}, s.emit)
}

// gap tells the direction's parser bytes were lost.
func (s *Sensor) gap(h *half) {
	s.stats.Gaps++
	if h.parser != nil {
		h.parser.Gap()
	}
}

// buffer keeps a copy of an out-of-order segment until the hole before it
// fills, then enforces the buffer limits by giving up on holes.
func (s *Sensor) buffer(c *conn, dir int, seq uint32, fin bool, payload []byte, frame int64, ts time.Time) {
	h := &c.half[dir]
	s.stats.OutOfOrder++
	// Insert in sequence order; segments mostly arrive in order, so the
	// place is usually the end.
	i := len(h.pending)
	for i > 0 && int32(h.pending[i-1].seq-seq) > 0 {
		i--
	}
	if i > 0 {
		if p := &h.pending[i-1]; p.seq == seq && len(p.data) >= len(payload) && (p.fin || !fin) {
			s.stats.Retransmissions++
			return
		}
	}
	if len(h.pending) == 0 {
		h.pendingSince = c.lastSeen
		if !c.holey {
			c.holey = true
			s.table.holey = append(s.table.holey, c)
		}
	}
	h.pending = append(h.pending, pendingSeg{})
	copy(h.pending[i+1:], h.pending[i:])
	h.pending[i] = pendingSeg{seq: seq, fin: fin, data: append([]byte(nil), payload...), frame: frame, time: ts}
	h.pendingBytes += segCost(payload)
	s.table.buffered += segCost(payload)
	if fin {
		// The sender is done; the brief wait for a retransmission that
		// fills the hole is not worth holding the rest for.
		s.flushHoles(c, dir)
		return
	}
	for h.pendingBytes > s.cfg.MaxBufferPerDir {
		s.skipHole(c, dir)
	}
	for s.table.buffered > s.cfg.MaxBufferTotal {
		// Give up on the stalest connection's holes first.
		victim := s.table.head.prev
		for victim != &s.table.head && len(victim.half[0].pending)+len(victim.half[1].pending) == 0 {
			victim = victim.prev
		}
		if victim == &s.table.head {
			break
		}
		s.flushHoles(victim, toServer)
		s.flushHoles(victim, toClient)
	}
}

// skipHole gives up on the first hole of a direction and hands on the
// bytes after it, up to the next hole.
func (s *Sensor) skipHole(c *conn, dir int) {
	h := &c.half[dir]
	if len(h.pending) == 0 {
		return
	}
	if int32(h.pending[0].seq-h.next) > 0 {
		s.gap(h)
		h.next = h.pending[0].seq
	}
	s.drain(c, dir)
}

// flushHoles gives up on every hole of a direction, handing on all it
// buffered.
func (s *Sensor) flushHoles(c *conn, dir int) {
	for len(c.half[dir].pending) > 0 {
		s.skipHole(c, dir)
	}
}

// drain hands on the buffered segments that are now in order, trimming
// bytes already handed on, and stops at the next hole.
func (s *Sensor) drain(c *conn, dir int) {
	h := &c.half[dir]
	n := 0
	for n < len(h.pending) {
		p := &h.pending[n]
		if h.fin {
			break
		}
		if int32(p.seq-h.next) > 0 {
			break
		}
		n++
		data := p.data
		if end := p.seq + uint32(len(data)); int32(end-h.next) < 0 || int32(end-h.next) == 0 && len(data) > 0 {
			if len(data) > 0 {
				s.stats.Retransmissions++
			}
			continue
		}
		if d := h.next - p.seq; d > 0 {
			data = data[d:]
			s.stats.Overlaps++
		}
		s.deliver(c, dir, data, p.frame, p.time)
		if p.fin {
			h.next++
			h.fin = true
		}
	}
	if h.fin && n < len(h.pending) {
		// Bytes past the FIN: nothing legitimate is there.
		for _, p := range h.pending[n:] {
			s.stats.BufferDropped += int64(len(p.data))
		}
		n = len(h.pending)
	}
	s.release(h, n)
	if len(h.pending) > 0 {
		h.pendingSince = c.lastSeen
	}
}

// release forgets the first n buffered segments of a direction.
func (s *Sensor) release(h *half, n int) {
	if n == 0 {
		return
	}
	for i := range n {
		s.table.buffered -= segCost(h.pending[i].data)
		h.pendingBytes -= segCost(h.pending[i].data)
		h.pending[i] = pendingSeg{}
	}
	rest := copy(h.pending, h.pending[n:])
	clear(h.pending[rest:])
	h.pending = h.pending[:rest]
	if rest == 0 && cap(h.pending) > 64 {
		h.pending = nil // do not keep a burst's capacity
	}
}

// dropPending forgets a direction's buffered segments without handing
// them on.
func (s *Sensor) dropPending(h *half) {
	for _, p := range h.pending {
		s.stats.BufferDropped += int64(len(p.data))
	}
	s.release(h, len(h.pending))
}
