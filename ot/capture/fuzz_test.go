package capture

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/ot"
)

// linkTypes are the link types FuzzFrame tries every input with.
var linkTypes = []LinkType{LinkNull, LinkEthernet, LinkRaw, LinkLoop, LinkSLL, LinkIPv4, LinkIPv6, LinkSLL2, linkRawBSD12, 9999}

// FuzzFrame decodes arbitrary bytes as a frame of every link type: no
// panic, and a payload only ever inside the frame.
func FuzzFrame(f *testing.F) {
	for _, link := range []LinkType{LinkEthernet, LinkSLL, LinkSLL2, LinkRaw, LinkNull, LinkLoop} {
		for _, p := range exchange(pkt{src: client, dst: server}, pkt{src: server, dst: client}) {
			f.Add(frame(link, p))
		}
		f.Add(frame(link, pkt{src: client6, dst: server6, flags: tcpACK, payload: "x"}))
	}
	f.Add(frame(LinkEthernet, pkt{src: client, dst: server, vlans: 3, payload: "q"}))
	f.Add(frame(LinkEthernet, pkt{src: client, dst: netip.MustParseAddrPort("10.0.0.53:53"), ipProto: ipProtoUDP}))
	f.Add(frame(LinkEthernet, pkt{src: client6, dst: server6, ipProto: 58}))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Packets outside the OT ports go to OnPacket: its endpoints must
		// come from the frame's headers, whatever the bytes.
		sensor, _, _ := newTestSensor(t, Config{OnPacket: func(p *Packet) {
			if !p.Src.Addr().IsValid() || !p.Dst.Addr().IsValid() {
				t.Fatalf("packet without addresses: %+v", p)
			}
		}})
		for _, link := range linkTypes {
			var seg segment
			if decodeFrame(data, link, &seg) == kindTCP && len(seg.payload) > 0 {
				end := &seg.payload[len(seg.payload)-1]
				inside := false
				for i := range data {
					if &data[i] == end {
						inside = true
					}
				}
				if !inside {
					t.Fatalf("link %d: payload outside the frame", link)
				}
			}
			sensor.Packet(data, CaptureInfo{Timestamp: epoch, LinkType: link})
		}
		if st := sensor.Stats(); st.Frames != int64(len(linkTypes)) {
			t.Fatalf("frames %d", st.Frames)
		}
	})
}

// continuity is a StreamParser for FuzzReassembly. The fuzzed segments
// carry, at sequence offset k from the side's initial sequence number, the
// byte k mod 251; between gaps the bytes a parser receives must follow one
// another in that order.
type continuity struct {
	t      *testing.T
	dir    int
	bytes  *[2]int
	last   int // last byte received, -1 after a gap or at the start
	frames map[int64]bool
}

func (c *continuity) Feed(data []byte, meta ot.Meta, _ func(*ot.Message)) {
	if len(data) == 0 {
		c.t.Fatal("empty Feed")
	}
	for _, b := range data {
		if c.last >= 0 && int(b) != (c.last+1)%251 {
			c.t.Fatalf("direction %d: byte %d after %d without a gap", c.dir, b, c.last)
		}
		c.last = int(b)
	}
	c.bytes[c.dir] += len(data)
}

func (c *continuity) Gap() { c.last = -1 }

// fuzzOp is the size of one fuzzed segment description: direction (bit
// 0), client port (bits 1-2), SYN, FIN, RST, ACK and "offset times 1024"
// (bits 3-7); sequence offset (2 bytes); length; time step.
const fuzzOp = 5

// FuzzReassembly feeds one connection (or a few, by client port) a
// fuzzer-chosen sequence of segments: no panic, bytes in order between
// gaps, never more bytes than were sent, buffers within their limits.
func FuzzReassembly(f *testing.F) {
	op := func(dir, port int, flags uint8, off int16, n, step byte) []byte {
		b := []byte{byte(dir) | byte(port)<<1 | flags<<3, 0, 0, n, step}
		binary.BigEndian.PutUint16(b[1:], uint16(off))
		return b
	}
	const S, F, R, A, Far = 1, 2, 4, 8, 16 // flag bits as encoded in an op
	f.Add(bytes.Join([][]byte{op(0, 0, S, -1, 0, 0), op(1, 0, S|A, -1, 0, 0), op(0, 0, A, 0, 10, 1), op(1, 0, A, 0, 20, 1)}, nil))
	f.Add(bytes.Join([][]byte{op(0, 0, A, 0, 10, 0), op(0, 0, A, 20, 10, 0), op(0, 0, A, 10, 10, 0), op(0, 0, A, 5, 30, 0)}, nil))
	f.Add(bytes.Join([][]byte{op(0, 0, A, 0, 100, 0), op(0, 0, A, 300, 100, 0), op(0, 0, A, 500, 200, 0), op(0, 0, F|A, 800, 5, 90)}, nil))
	f.Add(bytes.Join([][]byte{op(0, 1, A, 0, 10, 0), op(0, 2, A, 0, 10, 0), op(0, 3, S, 0, 0, 0), op(1, 1, R, 0, 0, 0), op(0, 1, A, 5, 10, 0)}, nil))
	f.Add(bytes.Join([][]byte{op(0, 0, A, 0, 10, 0), op(0, 0, A|Far, 5000, 10, 0), op(0, 0, A, 10, 10, 0), op(0, 0, A|Far, -5000, 10, 0)}, nil))
	f.Fuzz(runReassemblyScript)
}

// runReassemblyScript is FuzzReassembly's body.
func runReassemblyScript(t *testing.T, script []byte) {
	cfg := Config{MaxConns: 3, MaxBufferPerDir: 600, MaxBufferTotal: 1000, HoleTimeout: 2 * time.Second, IdleTimeout: 10 * time.Second}
	var got, sent [2]int
	cfg.Ports = []Port{{Port: 502, Proto: ot.ProtoModbus, New: func(toServer bool) ot.StreamParser {
		dir := 1
		if toServer {
			dir = 0
		}
		return &continuity{t: t, dir: dir, bytes: &got, last: -1}
	}}}
	s, err := NewSensor(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	isn := [2]uint32{0xfffffff0, 0x7ffffff0} // both cross a wrap within reach
	now := epoch
	// Long scripts add nothing a short one cannot reach, and slow the
	// fuzzer down.
	script = script[:min(len(script), 300*fuzzOp)]
	for len(script) >= fuzzOp {
		b := script[:fuzzOp]
		script = script[fuzzOp:]
		dir, port, fl := int(b[0]&1), uint16(b[0]>>1&3), b[0]>>3
		var flags uint8
		for bit, tcp := range []uint8{tcpSYN, tcpFIN, tcpRST, tcpACK} {
			if fl&(1<<bit) != 0 {
				flags |= tcp
			}
		}
		off := int32(int16(binary.BigEndian.Uint16(b[1:])))
		if fl&16 != 0 {
			// Far jumps, past what counts as reordering.
			off *= 1024
		}
		n := int(b[3])
		now = now.Add(time.Duration(b[4]) * 100 * time.Millisecond)
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = byte(((off+1+int32(i))%251 + 251) % 251)
		}
		cl := netip.AddrPortFrom(client.Addr(), 40000+port)
		p := pkt{src: cl, dst: server, payload: string(payload)}
		if dir == 1 {
			p.src, p.dst = server, cl
		}
		// Data offset k is at sequence number isn+1+k (isn is the
		// SYN's) and carries (k+1) mod 251; a SYN's own data starts
		// one past its sequence number.
		p.seq = isn[dir] + 1 + uint32(off)
		if flags&tcpSYN != 0 {
			p.seq = isn[dir] + uint32(off)
		}
		p.flags = flags
		sent[dir] += n
		s.Packet(frame(LinkEthernet, p), CaptureInfo{Timestamp: now, LinkType: LinkEthernet})
		checkBounds(t, s)
	}
	s.Flush()
	checkBounds(t, s)
	for d := range got {
		if got[d] > sent[d] {
			t.Fatalf("direction %d: %d bytes handed on, %d sent", d, got[d], sent[d])
		}
	}
}

// checkBounds checks the reassembly's memory stays within its limits and
// its books balance.
func checkBounds(t *testing.T, s *Sensor) {
	total := 0
	for c := s.table.head.next; c != &s.table.head; c = c.next {
		for d := range c.half {
			h := &c.half[d]
			n := 0
			for _, p := range h.pending {
				n += segCost(p.data)
			}
			if n != h.pendingBytes {
				t.Fatalf("pendingBytes %d, buffered %d", h.pendingBytes, n)
			}
			if n > s.cfg.MaxBufferPerDir {
				t.Fatalf("%d bytes buffered in one direction, limit %d", n, s.cfg.MaxBufferPerDir)
			}
			total += n
			if n > 0 && !c.holey {
				t.Fatal("a conn holding out-of-order bytes is not listed for the hole sweep")
			}
		}
	}
	for _, c := range s.table.holey {
		if !c.holey || s.table.conns[c.key] != c {
			t.Fatal("the hole list holds a conn that is not tracked")
		}
	}
	if total != s.table.buffered || total > s.cfg.MaxBufferTotal {
		t.Fatalf("buffered %d (books say %d), limit %d", total, s.table.buffered, s.cfg.MaxBufferTotal)
	}
	if s.table.n > s.cfg.MaxConns || s.table.n != len(s.table.conns) {
		t.Fatalf("%d conns (%d in the map), limit %d", s.table.n, len(s.table.conns), s.cfg.MaxConns)
	}
}

// FuzzReader reads arbitrary bytes as a capture file: no panic, an error
// or io.EOF at the end.
func FuzzReader(f *testing.F) {
	var frames [][]byte
	for _, p := range exchange(pkt{src: client, dst: server}, pkt{src: server, dst: client}) {
		frames = append(frames, frame(LinkEthernet, p))
	}
	f.Add(writePcap(f, LinkEthernet, frames, nil))
	f.Add(writePcapNG(f, LinkEthernet, frames))
	f.Add(writePcapNG(f, LinkSLL2, frames[:2]))
	f.Fuzz(func(t *testing.T, file []byte) {
		src, err := NewReader(bytes.NewReader(file))
		if err != nil {
			return
		}
		s, _, _ := newTestSensor(t, Config{})
		for range 10000 {
			data, ci, err := src.Next()
			if err != nil {
				return
			}
			s.Packet(data, ci)
		}
	})
}
