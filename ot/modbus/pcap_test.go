package modbus

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/bulwarkhq/bulwark/ot"
)

// A minimal pcap + Ethernet/IPv4/IPv6/TCP walker so that this package can
// be checked against real captures without depending on ot/capture. It
// does no reassembly: each TCP payload is fed as it comes, with a simple
// sequence check that skips retransmitted bytes and reports holes as
// gaps. That suits the in-order public Modbus captures.

// readPcap calls frame for every record of a classic pcap file with
// Ethernet link type.
func readPcap(path string, frame func(no int64, ts time.Time, data []byte)) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(b) < 24 {
		return fmt.Errorf("%s: %d bytes, too short for a pcap header", path, len(b))
	}
	var order binary.ByteOrder
	nano := false
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4:
		order = binary.LittleEndian
	case 0xa1b23c4d:
		order, nano = binary.LittleEndian, true
	case 0xd4c3b2a1:
		order = binary.BigEndian
	case 0x4d3cb2a1:
		order, nano = binary.BigEndian, true
	default:
		return fmt.Errorf("%s: not a classic pcap file", path)
	}
	if lt := order.Uint32(b[20:]); lt != 1 {
		return fmt.Errorf("%s: link type %d, want Ethernet", path, lt)
	}
	off := 24
	for no := int64(1); off+16 <= len(b); no++ {
		sec, frac := order.Uint32(b[off:]), order.Uint32(b[off+4:])
		incl := int(order.Uint32(b[off+8:]))
		if off+16+incl > len(b) {
			return fmt.Errorf("%s: record %d at offset %d truncated", path, no, off)
		}
		ns := int64(frac) * 1000
		if nano {
			ns = int64(frac)
		}
		frame(no, time.Unix(int64(sec), ns).UTC(), b[off+16:off+16+incl])
		off += 16 + incl
	}
	return nil
}

type tcpSegment struct {
	src, dst netip.AddrPort
	seq      uint32
	syn, fin bool
	payload  []byte
}

// decodeTCP finds the TCP segment in an Ethernet frame, trimming the
// Ethernet padding by the IP length.
func decodeTCP(f []byte) (tcpSegment, bool) {
	var s tcpSegment
	if len(f) < 14 {
		return s, false
	}
	etype, off := binary.BigEndian.Uint16(f[12:]), 14
	for etype == 0x8100 || etype == 0x88a8 {
		if len(f) < off+4 {
			return s, false
		}
		etype, off = binary.BigEndian.Uint16(f[off+2:]), off+4
	}
	ip := f[off:]
	var srcIP, dstIP netip.Addr
	var tcp []byte
	switch etype {
	case 0x0800:
		if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != 6 {
			return s, false
		}
		ihl, total := int(ip[0]&0xf)*4, int(binary.BigEndian.Uint16(ip[2:]))
		if frag := binary.BigEndian.Uint16(ip[6:]); frag&0x3fff != 0 || ihl < 20 || total < ihl || total > len(ip) {
			return s, false
		}
		srcIP, dstIP = netip.AddrFrom4([4]byte(ip[12:16])), netip.AddrFrom4([4]byte(ip[16:20]))
		tcp = ip[ihl:total]
	case 0x86dd:
		if len(ip) < 40 || ip[6] != 6 {
			return s, false
		}
		plen := int(binary.BigEndian.Uint16(ip[4:]))
		if 40+plen > len(ip) {
			return s, false
		}
		srcIP, dstIP = netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40]))
		tcp = ip[40 : 40+plen]
	default:
		return s, false
	}
	if len(tcp) < 20 {
		return s, false
	}
	doff := int(tcp[12]>>4) * 4
	if doff < 20 || doff > len(tcp) {
		return s, false
	}
	s.src = netip.AddrPortFrom(srcIP, binary.BigEndian.Uint16(tcp[0:]))
	s.dst = netip.AddrPortFrom(dstIP, binary.BigEndian.Uint16(tcp[2:]))
	s.seq = binary.BigEndian.Uint32(tcp[4:])
	s.syn, s.fin = tcp[13]&0x02 != 0, tcp[13]&0x01 != 0
	s.payload = tcp[doff:]
	return s, true
}

// halfStream is one direction of a connection: its parser and the next
// sequence number expected.
type halfStream struct {
	p     *Parser
	next  uint32
	known bool
}

// feedCapture runs every Modbus/TCP (port 502) direction of the capture
// through a Parser and calls emit with each message and the parser that
// produced it.
func feedCapture(path string, emit func(p *Parser, m *ot.Message)) error {
	streams := map[[2]netip.AddrPort]*halfStream{}
	return readPcap(path, func(no int64, ts time.Time, f []byte) {
		s, ok := decodeTCP(f)
		if !ok || s.src.Port() != 502 && s.dst.Port() != 502 {
			return
		}
		key := [2]netip.AddrPort{s.src, s.dst}
		h := streams[key]
		if h == nil || s.syn {
			h = &halfStream{p: newParser(s.dst.Port() == 502)}
			streams[key] = h
		}
		seq := s.seq
		if s.syn {
			seq++
		}
		data := s.payload
		if h.known && len(data) > 0 {
			switch d := int64(int32(seq - h.next)); {
			case d < 0 && -d >= int64(len(data)):
				return // all retransmitted
			case d < 0:
				data = data[-d:]
				seq = h.next
			case d > 0:
				h.p.Gap()
			}
		}
		if s.syn || len(data) > 0 || !h.known {
			h.next, h.known = seq+uint32(len(data)), true
		}
		if len(data) == 0 {
			return
		}
		meta := ot.Meta{Time: ts, Frame: no, Src: s.src, Dst: s.dst}
		h.p.Feed(data, meta, func(m *ot.Message) { emit(h.p, m) })
	})
}
