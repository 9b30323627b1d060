package dnp3

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/bulwarkhq/bulwark/ot"
)

// A test-only pcap walker, so these tests do not depend on ot/capture:
// classic pcap, Ethernet / raw IPv4 / Linux cooked links, IPv4 and IPv6,
// TCP segments fed in order per direction. A segment before the expected
// sequence number is a retransmission (its new bytes only are fed); one
// after it means lost bytes (Gap).

type flowKey struct{ src, dst netip.AddrPort }

type flow struct {
	parser  ot.StreamParser
	next    uint32
	started bool
}

// walkPCAP feeds the TCP payloads to or from the given ports into one
// parser per direction.
func walkPCAP(path string, ports map[uint16]bool, newParser ot.NewParser, emit func(*ot.Message)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(data) < 24 {
		return fmt.Errorf("%s: short pcap header", path)
	}
	var bo binary.ByteOrder
	nano := false
	switch binary.LittleEndian.Uint32(data) {
	case 0xa1b2c3d4:
		bo = binary.LittleEndian
	case 0xa1b23c4d:
		bo, nano = binary.LittleEndian, true
	case 0xd4c3b2a1:
		bo = binary.BigEndian
	case 0x4d3cb2a1:
		bo, nano = binary.BigEndian, true
	default:
		return fmt.Errorf("%s: not a classic pcap", path)
	}
	linkType := bo.Uint32(data[20:])
	flows := map[flowKey]*flow{}
	pos := 24
	for frame := int64(1); pos+16 <= len(data); frame++ {
		sec, frac := bo.Uint32(data[pos:]), bo.Uint32(data[pos+4:])
		incl := int(bo.Uint32(data[pos+8:]))
		pos += 16
		if incl > len(data)-pos {
			return fmt.Errorf("%s: frame %d truncated", path, frame)
		}
		pkt := data[pos : pos+incl]
		pos += incl
		ns := int64(frac) * 1000
		if nano {
			ns = int64(frac)
		}
		meta := ot.Meta{Time: time.Unix(int64(sec), ns).UTC(), Frame: frame}
		ip, ok := networkLayer(linkType, pkt)
		if !ok {
			continue
		}
		src, dst, seq, payload, ok := tcpSegment(ip)
		if !ok || !(ports[src.Port()] || ports[dst.Port()]) {
			continue
		}
		key := flowKey{src, dst}
		f := flows[key]
		if f == nil {
			f = &flow{parser: newParser(ports[dst.Port()])}
			flows[key] = f
		}
		if len(payload) == 0 {
			continue
		}
		if f.started {
			d := int32(seq - f.next)
			switch {
			case d < 0:
				if int(-d) >= len(payload) {
					continue // retransmission
				}
				payload = payload[-d:]
				seq = f.next
			case d > 0:
				f.parser.Gap()
			}
		}
		f.started = true
		f.next = seq + uint32(len(payload))
		meta.Src, meta.Dst = src, dst
		f.parser.Feed(payload, meta, emit)
	}
	return nil
}

// networkLayer returns the IP packet of a link-layer frame.
func networkLayer(linkType uint32, pkt []byte) ([]byte, bool) {
	switch linkType {
	case 1: // Ethernet
		if len(pkt) < 14 {
			return nil, false
		}
		et, off := binary.BigEndian.Uint16(pkt[12:]), 14
		for (et == 0x8100 || et == 0x88a8) && len(pkt) >= off+4 {
			et, off = binary.BigEndian.Uint16(pkt[off+2:]), off+4
		}
		if et != 0x0800 && et != 0x86dd {
			return nil, false
		}
		return pkt[off:], true
	case 101, 228, 229: // raw IP
		return pkt, true
	case 113: // Linux cooked
		if len(pkt) < 16 {
			return nil, false
		}
		return pkt[16:], true
	}
	return nil, false
}

// tcpSegment decodes IPv4 or IPv6 (no extension headers) and TCP.
func tcpSegment(ip []byte) (src, dst netip.AddrPort, seq uint32, payload []byte, ok bool) {
	if len(ip) < 1 {
		return
	}
	var tcp []byte
	var sa, da netip.Addr
	switch ip[0] >> 4 {
	case 4:
		if len(ip) < 20 || ip[9] != 6 {
			return
		}
		ihl := int(ip[0]&0x0F) * 4
		total := int(binary.BigEndian.Uint16(ip[2:]))
		if total > len(ip) || total < ihl || ihl < 20 {
			total = len(ip)
		}
		sa, da = netip.AddrFrom4([4]byte(ip[12:16])), netip.AddrFrom4([4]byte(ip[16:20]))
		if ihl > total {
			return
		}
		tcp = ip[ihl:total]
	case 6:
		if len(ip) < 40 || ip[6] != 6 {
			return
		}
		sa, da = netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40]))
		end := min(40+int(binary.BigEndian.Uint16(ip[4:])), len(ip))
		tcp = ip[40:end]
	default:
		return
	}
	if len(tcp) < 20 {
		return
	}
	off := int(tcp[12]>>4) * 4
	if off < 20 || off > len(tcp) {
		return
	}
	src = netip.AddrPortFrom(sa, binary.BigEndian.Uint16(tcp[0:]))
	dst = netip.AddrPortFrom(da, binary.BigEndian.Uint16(tcp[2:]))
	return src, dst, binary.BigEndian.Uint32(tcp[4:]), tcp[off:], true
}
