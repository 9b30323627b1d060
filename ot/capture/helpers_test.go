package capture

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/ot"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// recorder is a fake ot.StreamParser that logs what reaches it: bytes as
// they are, a lost stretch as "|GAP|".
type recorder struct {
	toServer bool
	log      strings.Builder
	bytes    int
	metas    []ot.Meta
}

func (r *recorder) Feed(data []byte, meta ot.Meta, emit func(*ot.Message)) {
	r.log.Write(data)
	r.bytes += len(data)
	r.metas = append(r.metas, meta)
	emit(&ot.Message{Meta: meta, Proto: ot.ProtoModbus})
}

func (r *recorder) Gap() { r.log.WriteString("|GAP|") }

// recorders makes recorders and keeps every one made, in order.
type recorders struct{ all []*recorder }

func (rs *recorders) New(toServer bool) ot.StreamParser {
	r := &recorder{toServer: toServer}
	rs.all = append(rs.all, r)
	return r
}

// streams joins the logs of all recorders of one direction.
func (rs *recorders) streams() (toServer, toClient string) {
	var a, b strings.Builder
	for _, r := range rs.all {
		if r.toServer {
			a.WriteString(r.log.String())
		} else {
			b.WriteString(r.log.String())
		}
	}
	return a.String(), b.String()
}

// newTestSensor makes a sensor with recorders on port 502.
func newTestSensor(t testing.TB, cfg Config) (*Sensor, *recorders, *[]ot.Message) {
	t.Helper()
	rs := &recorders{}
	msgs := &[]ot.Message{}
	cfg.Ports = []Port{{Port: 502, Proto: ot.ProtoModbus, New: rs.New}}
	s, err := NewSensor(cfg, func(m *ot.Message) { *msgs = append(*msgs, *m) })
	if err != nil {
		t.Fatal(err)
	}
	return s, rs, msgs
}

// pkt describes one TCP segment to build.
type pkt struct {
	src, dst   netip.AddrPort
	seq        uint32
	flags      uint8
	payload    string
	vlans      int  // 802.1Q tags to put before the IP header (Ethernet)
	fragOffset int  // IPv4 fragment offset in 8-byte units
	ipProto    byte // 0 means TCP
	time       time.Time
}

var (
	client  = netip.MustParseAddrPort("10.0.0.1:40000")
	server  = netip.MustParseAddrPort("10.0.0.2:502")
	client6 = netip.MustParseAddrPort("[fd00::1]:40000")
	server6 = netip.MustParseAddrPort("[fd00::2]:502")
	epoch   = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// ipPacket builds the IP header, TCP header and payload of p.
func ipPacket(p pkt) []byte {
	tcp := make([]byte, 20, 20+len(p.payload))
	binary.BigEndian.PutUint16(tcp[0:], p.src.Port())
	binary.BigEndian.PutUint16(tcp[2:], p.dst.Port())
	binary.BigEndian.PutUint32(tcp[4:], p.seq)
	tcp[12] = 5 << 4
	tcp[13] = p.flags
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	tcp = append(tcp, p.payload...)
	proto := p.ipProto
	if proto == 0 {
		proto = ipProtoTCP
	}
	if p.src.Addr().Is4() {
		ip := make([]byte, 20, 20+len(tcp))
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(tcp)))
		binary.BigEndian.PutUint16(ip[6:], uint16(p.fragOffset))
		ip[8] = 64
		ip[9] = proto
		s, d := p.src.Addr().As4(), p.dst.Addr().As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		return append(ip, tcp...)
	}
	ip := make([]byte, 40, 40+len(tcp))
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(len(tcp)))
	ip[6] = proto
	ip[7] = 64
	s, d := p.src.Addr().As16(), p.dst.Addr().As16()
	copy(ip[8:], s[:])
	copy(ip[24:], d[:])
	return append(ip, tcp...)
}

// frame wraps p's IP packet in the header of a link type.
func frame(link LinkType, p pkt) []byte {
	ip := ipPacket(p)
	etype := uint16(etherIPv4)
	if p.src.Addr().Is6() {
		etype = etherIPv6
	}
	var h []byte
	switch link {
	case LinkEthernet:
		h = make([]byte, 12, 64)
		for range p.vlans {
			h = binary.BigEndian.AppendUint16(h, etherVLAN)
			h = binary.BigEndian.AppendUint16(h, 7)
		}
		h = binary.BigEndian.AppendUint16(h, etype)
	case LinkSLL:
		h = make([]byte, 14, 16)
		binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
		binary.BigEndian.PutUint16(h[4:], 6)
		h = binary.BigEndian.AppendUint16(h, etype)
	case LinkSLL2:
		h = make([]byte, 20)
		binary.BigEndian.PutUint16(h[0:], etype)
		binary.BigEndian.PutUint16(h[8:], 1)
		h[11] = 6
	case LinkNull:
		af := uint32(2)
		if etype == etherIPv6 {
			af = 30
		}
		h = binary.LittleEndian.AppendUint32(nil, af)
	case LinkLoop:
		af := uint32(2)
		if etype == etherIPv6 {
			af = 24
		}
		h = binary.BigEndian.AppendUint32(nil, af)
	}
	return append(h, ip...)
}

// writePcap writes frames to a classic pcap file in memory.
func writePcap(t testing.TB, link LinkType, frames [][]byte, times []time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkType(link)); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		ts := epoch.Add(time.Duration(i) * time.Millisecond)
		if times != nil {
			ts = times[i]
		}
		ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// writePcapNG writes frames to a pcapng file in memory.
func writePcapNG(t testing.TB, link LinkType, frames [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkType(link))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: epoch.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// runBytes runs a capture file held in memory through s.
func runBytes(t testing.TB, s *Sensor, file []byte) {
	t.Helper()
	src, err := NewReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(t.Context(), src); err != nil {
		t.Fatal(err)
	}
}
