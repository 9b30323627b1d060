package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/bulwarkhq/bulwark/ot"
)

// Well-known server ports.
const (
	PortModbus uint16 = 502
	PortDNP3   uint16 = 20000
)

// Port says which protocol runs on a TCP server port and how to make its
// parsers.
type Port struct {
	Port  uint16
	Proto ot.Proto
	New   ot.NewParser
}

// DefaultPorts is the usual configuration: Modbus/TCP on 502 and DNP3 on
// 20000, with the parser constructors the caller passes (modbus.NewParser,
// dnp3.NewParser). A nil constructor leaves its protocol out.
func DefaultPorts(modbus, dnp3 ot.NewParser) []Port {
	var ports []Port
	if modbus != nil {
		ports = append(ports, Port{Port: PortModbus, Proto: ot.ProtoModbus, New: modbus})
	}
	if dnp3 != nil {
		ports = append(ports, Port{Port: PortDNP3, Proto: ot.ProtoDNP3, New: dnp3})
	}
	return ports
}

// PortNumbers lists the port numbers of ports, for LiveOptions.Ports.
func PortNumbers(ports []Port) []uint16 {
	nums := make([]uint16, len(ports))
	for i, p := range ports {
		nums[i] = p.Port
	}
	return nums
}

// Config configures a Sensor. Zero limits take the defaults below.
type Config struct {
	// Ports are the server ports to reassemble; a connection belongs to
	// a protocol when either of its ports is one of them. TCP on any
	// other port is counted and skipped without keeping state.
	Ports []Port
	// MaxConns bounds the connections tracked at once; when a new one
	// would exceed it, the least recently active is dropped. Default
	// 65536 (a few MiB).
	MaxConns int
	// IdleTimeout drops a connection that carried nothing for this long
	// in capture time. Default 10 minutes.
	IdleTimeout time.Duration
	// HoleTimeout is how long, in capture time, out-of-order bytes wait
	// for the missing ones before the hole is declared lost. Default 5s.
	HoleTimeout time.Duration
	// MaxBufferPerDir bounds the out-of-order bytes held for one
	// direction of one connection; each segment held counts 64 bytes
	// more, for its bookkeeping. Default 64 KiB.
	MaxBufferPerDir int
	// MaxBufferTotal bounds the out-of-order bytes held in all, counted
	// the same way. Default 64 MiB.
	MaxBufferTotal int
	// OnPacket, when set, is called for every IP packet that is not on a
	// configured port (TCP to other ports, UDP, ICMP, ...), so that the
	// detector sees what else OT hosts do: remote services, lateral
	// movement, command and control. p is valid only during the call.
	OnPacket func(p *Packet)
}

// Packet is an IP packet outside the configured protocols, for
// Config.OnPacket.
type Packet struct {
	Frame    int64 // 1-based, as Wireshark numbers frames
	Time     time.Time
	Src, Dst netip.AddrPort // ports are 0 but for TCP and UDP
	// Transport is the IP protocol: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6.
	Transport uint8
	// SYN is a TCP SYN without ACK: Src is the client.
	SYN bool
}

// Defaults for Config's zero values.
const (
	DefaultMaxConns        = 65536
	DefaultIdleTimeout     = 10 * time.Minute
	DefaultHoleTimeout     = 5 * time.Second
	DefaultMaxBufferPerDir = 64 << 10
	DefaultMaxBufferTotal  = 64 << 20
)

// Stats counts what a Sensor saw. Frame counts are of frames; Bytes are TCP
// payload bytes handed to parsers.
type Stats struct {
	Frames      int64 // every frame, as Wireshark numbers them
	TCPFrames   int64 // frames holding a TCP segment (any port)
	OtherFrames int64 // well-formed frames that are not TCP over IPv4/IPv6
	Fragments   int64 // non-first IP fragments, skipped (no TCP header)
	Malformed   int64 // truncated or inconsistent headers, skipped

	Bytes           int64 // payload bytes handed to parsers
	Retransmissions int64 // segments dropped because all their bytes were already handed on
	Overlaps        int64 // segments trimmed because some of their bytes were
	OutOfOrder      int64 // segments buffered to wait for missing bytes
	Gaps            int64 // holes given up on (Gap called)
	BufferDropped   int64 // buffered bytes dropped unread: past a FIN, or of a connection a new SYN restarted

	Conns       int64 // connections opened
	ConnsActive int   // connections tracked now
	Evicted     int64 // connections dropped to stay within MaxConns
	Expired     int64 // connections dropped after IdleTimeout

	// Protos counts, per protocol, the frames whose payload reached that
	// protocol's parser, its bytes and its connections.
	Protos map[ot.Proto]ProtoStats
}

// ProtoStats are one protocol's counters.
type ProtoStats struct {
	Frames, Bytes, Conns int64
}

// Sensor decodes frames, reassembles the TCP connections of the configured
// ports and feeds their parsers, which emit Messages. It is not safe for
// concurrent use, and emit must not call back into the Sensor.
type Sensor struct {
	cfg  Config
	emit func(*ot.Message)
	// portIndex maps a TCP port to 1 + its index in cfg.Ports, 0 when the
	// port is not a server port: one load per port on the hot path.
	portIndex [65536]uint8
	frame     int64
	seg       segment
	pkt       Packet // OnPacket's argument, reused
	stats     Stats
	protos    [256]ProtoStats
	table     connTable
}

// NewSensor checks cfg and makes a Sensor that hands every message its
// parsers emit to emit.
func NewSensor(cfg Config, emit func(*ot.Message)) (*Sensor, error) {
	if len(cfg.Ports) == 0 {
		return nil, errors.New("capture config: no server ports")
	}
	if len(cfg.Ports) > 255 {
		return nil, fmt.Errorf("capture config: %d server ports, at most 255", len(cfg.Ports))
	}
	if emit == nil {
		emit = func(*ot.Message) {}
	}
	s := &Sensor{cfg: cfg, emit: emit}
	for i, p := range cfg.Ports {
		if p.New == nil {
			return nil, fmt.Errorf("capture config: port %d (%s): no parser constructor", p.Port, p.Proto)
		}
		if s.portIndex[p.Port] != 0 {
			return nil, fmt.Errorf("capture config: port %d configured twice", p.Port)
		}
		s.portIndex[p.Port] = uint8(i + 1)
	}
	c := &s.cfg
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.HoleTimeout <= 0 {
		c.HoleTimeout = DefaultHoleTimeout
	}
	if c.MaxBufferPerDir <= 0 {
		c.MaxBufferPerDir = DefaultMaxBufferPerDir
	}
	if c.MaxBufferTotal <= 0 {
		c.MaxBufferTotal = DefaultMaxBufferTotal
	}
	s.table.init()
	return s, nil
}

// Packet decodes one frame and hands its TCP payload on. Frames are
// numbered from 1 in the order Packet sees them, every frame counting, as
// Wireshark numbers them; that number is the Meta.Frame of the bytes the
// frame carried. data is not kept after Packet returns.
func (s *Sensor) Packet(data []byte, ci CaptureInfo) {
	s.frame++
	s.stats.Frames++
	seg := &s.seg
	switch decodeFrame(data, ci.LinkType, seg) {
	case kindTCP:
	case kindIP:
		s.stats.OtherFrames++
		s.other(seg, ci.Timestamp)
		return
	case kindOther:
		s.stats.OtherFrames++
		return
	case kindFragment:
		s.stats.Fragments++
		return
	default:
		s.stats.Malformed++
		return
	}
	s.stats.TCPFrames++
	pi := s.portIndex[seg.dstPort]
	serverIsDst := pi != 0
	if !serverIsDst {
		pi = s.portIndex[seg.srcPort]
		if pi == 0 {
			s.other(seg, ci.Timestamp)
			return
		}
	}
	s.segment(seg, &s.cfg.Ports[pi-1], serverIsDst, ci.Timestamp)
}

// other hands a packet outside the configured ports to OnPacket.
func (s *Sensor) other(seg *segment, ts time.Time) {
	if s.cfg.OnPacket == nil {
		return
	}
	s.pkt = Packet{
		Frame: s.frame, Time: ts, Transport: seg.proto,
		Src: endpoint(seg.src, seg.srcPort), Dst: endpoint(seg.dst, seg.dstPort),
		SYN: seg.proto == ipProtoTCP && seg.flags&(tcpSYN|tcpACK) == tcpSYN,
	}
	s.cfg.OnPacket(&s.pkt)
}

// Flush gives up on every hole still open and hands the bytes buffered
// behind it to the parsers, as at the end of a capture. Connections stay
// tracked.
func (s *Sensor) Flush() {
	for c := s.table.head.next; c != &s.table.head; c = c.next {
		s.flushHoles(c, 0)
		s.flushHoles(c, 1)
	}
}

// RunFile runs the Sensor over the capture file at path (pcap or pcapng)
// and closes it.
func (s *Sensor) RunFile(ctx context.Context, path string) error {
	src, err := OpenFile(path)
	if err != nil {
		return err
	}
	defer src.Close()
	return s.Run(ctx, src)
}

// Run feeds every frame of src to the Sensor until src ends (then it
// flushes and returns nil), ctx is cancelled (it closes src and returns
// ctx's error) or src fails (it returns the error, naming the frame; the
// frames before it were processed). Run does not close src otherwise.
// Frame numbers go on across Runs of one Sensor: use a Sensor per file to
// number each file's frames from 1.
func (s *Sensor) Run(ctx context.Context, src Source) error {
	stop := context.AfterFunc(ctx, func() { src.Close() })
	defer stop()
	for n := 0; ; n++ {
		// Closing src ends a blocked live read; a reader over memory has
		// nothing to close, so look at ctx now and then too.
		if n&4095 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		data, ci, err := src.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) {
				s.Flush()
				return nil
			}
			return fmt.Errorf("read %v: %w", src, err)
		}
		s.Packet(data, ci)
	}
}

// Stats returns the counters so far.
func (s *Sensor) Stats() Stats {
	st := s.stats
	st.ConnsActive = s.table.n
	st.Protos = make(map[ot.Proto]ProtoStats)
	for _, p := range s.cfg.Ports {
		st.Protos[p.Proto] = s.protos[p.Proto]
	}
	return st
}
