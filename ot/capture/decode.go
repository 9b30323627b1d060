package capture

import "encoding/binary"

// frameKind is what decodeFrame made of a frame.
type frameKind uint8

const (
	kindTCP       frameKind = iota // a TCP segment, in the segment
	kindIP                         // IP but not TCP: addresses, protocol and UDP ports in the segment
	kindOther                      // well formed but not IP
	kindFragment                   // a non-first IP fragment: no TCP header to read
	kindMalformed                  // truncated or inconsistent headers
)

// TCP header flags.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

// EtherTypes and IP protocol numbers read here.
const (
	etherIPv4    = 0x0800
	etherIPv6    = 0x86dd
	etherVLAN    = 0x8100 // 802.1Q
	etherQinQ    = 0x88a8 // 802.1ad service tag
	etherQinQOld = 0x9100 // pre-standard QinQ tag
	ipProtoTCP   = 6
	ipProtoUDP   = 17
)

// addr16 is an IP address in 16 bytes; IPv4 is IPv4-mapped, so one key
// type serves both families.
type addr16 [16]byte

// segment is the TCP segment decodeFrame found. Payload points into the
// frame's data.
type segment struct {
	src, dst         addr16
	proto            uint8  // IP protocol: 6 TCP, 17 UDP, ...
	srcPort, dstPort uint16 // TCP or UDP; 0 for other protocols
	seq              uint32
	flags            uint8
	payload          []byte
}

var be = binary.BigEndian

// decodeFrame reads the link, IP and TCP headers of one frame into seg. It
// never allocates and never indexes past data.
func decodeFrame(data []byte, link LinkType, seg *segment) frameKind {
	var etype uint16
	switch link {
	case LinkEthernet:
		if len(data) < 14 {
			return kindMalformed
		}
		etype, data = be.Uint16(data[12:]), data[14:]
	case LinkSLL:
		// packet type, ARPHRD type, address length, 8 address bytes,
		// protocol (an EtherType for IP).
		if len(data) < 16 {
			return kindMalformed
		}
		etype, data = be.Uint16(data[14:]), data[16:]
	case LinkSLL2:
		// protocol, reserved, interface index, ARPHRD type, packet type,
		// address length, 8 address bytes.
		if len(data) < 20 {
			return kindMalformed
		}
		etype, data = be.Uint16(data[0:]), data[20:]
	case LinkRaw, linkRawBSD12, linkRawBSD14:
		if len(data) < 1 {
			return kindMalformed
		}
		switch data[0] >> 4 {
		case 4:
			return decodeIPv4(data, seg)
		case 6:
			return decodeIPv6(data, seg)
		}
		return kindMalformed
	case LinkIPv4:
		return decodeIPv4(data, seg)
	case LinkIPv6:
		return decodeIPv6(data, seg)
	case LinkNull, LinkLoop:
		if len(data) < 4 {
			return kindMalformed
		}
		// The address family is in the capturing host's byte order for
		// null and in network order for loop; families are small, so the
		// order that gives a small number is the right one.
		family := binary.LittleEndian.Uint32(data)
		if family > 0xffff {
			family = be.Uint32(data)
		}
		data = data[4:]
		switch family {
		case 2: // AF_INET everywhere
			return decodeIPv4(data, seg)
		case 10, 24, 28, 30: // AF_INET6: Linux, NetBSD/OpenBSD, FreeBSD, Darwin
			return decodeIPv6(data, seg)
		}
		return kindOther
	default:
		return kindOther
	}
	// VLAN tags: 2 bytes of tag control, then the next EtherType. Each
	// tag consumes 4 bytes, so the loop ends with the data.
	for etype == etherVLAN || etype == etherQinQ || etype == etherQinQOld {
		if len(data) < 4 {
			return kindMalformed
		}
		etype, data = be.Uint16(data[2:]), data[4:]
	}
	switch etype {
	case etherIPv4:
		return decodeIPv4(data, seg)
	case etherIPv6:
		return decodeIPv6(data, seg)
	}
	return kindOther
}

// decodeIPv4 reads an IPv4 header and what it carries.
func decodeIPv4(d []byte, seg *segment) frameKind {
	if len(d) < 20 || d[0]>>4 != 4 {
		return kindMalformed
	}
	ihl := int(d[0]&0x0f) * 4
	if ihl < 20 || len(d) < ihl {
		return kindMalformed
	}
	total := int(be.Uint16(d[2:]))
	switch {
	case total == 0:
		// A sender's own capture with TCP segmentation offload shows
		// total length 0: the frame's length is all there is.
	case total < ihl:
		return kindMalformed
	case total > len(d):
		// Cut by the snap length: the payload is incomplete, and feeding
		// part of it would corrupt the stream. The hole it leaves is
		// handled like a lost segment.
		return kindMalformed
	default:
		d = d[:total] // drop Ethernet padding
	}
	if be.Uint16(d[6:])&0x1fff != 0 {
		return kindFragment
	}
	seg.src = addr16{10: 0xff, 11: 0xff, 12: d[12], 13: d[13], 14: d[14], 15: d[15]}
	seg.dst = addr16{10: 0xff, 11: 0xff, 12: d[16], 13: d[17], 14: d[18], 15: d[19]}
	if d[9] != ipProtoTCP {
		return decodeOtherIP(d[9], d[ihl:], seg)
	}
	return decodeTCP(d[ihl:], seg)
}

// IPv6 extension headers walked to reach TCP.
const (
	ip6HopByHop = 0
	ip6Routing  = 43
	ip6Fragment = 44
	ip6AH       = 51
	ip6DestOpts = 60
	// maxIPv6Ext bounds the walk; real packets carry two or three.
	maxIPv6Ext = 8
)

// decodeIPv6 reads an IPv6 header and its extension headers.
func decodeIPv6(d []byte, seg *segment) frameKind {
	if len(d) < 40 || d[0]>>4 != 6 {
		return kindMalformed
	}
	plen := int(be.Uint16(d[4:]))
	switch {
	case plen == 0:
		// Jumbogram or offloaded segment: take the frame's length.
	case 40+plen > len(d):
		return kindMalformed
	default:
		d = d[:40+plen]
	}
	next := d[6]
	copy(seg.src[:], d[8:24])
	copy(seg.dst[:], d[24:40])
	p := d[40:]
	for range maxIPv6Ext {
		switch next {
		case ipProtoTCP:
			return decodeTCP(p, seg)
		case ip6HopByHop, ip6Routing, ip6DestOpts:
			if len(p) < 8 {
				return kindMalformed
			}
			n := (int(p[1]) + 1) * 8
			if len(p) < n {
				return kindMalformed
			}
			next, p = p[0], p[n:]
		case ip6AH:
			if len(p) < 8 {
				return kindMalformed
			}
			n := (int(p[1]) + 2) * 4
			if len(p) < n {
				return kindMalformed
			}
			next, p = p[0], p[n:]
		case ip6Fragment:
			if len(p) < 8 {
				return kindMalformed
			}
			if be.Uint16(p[2:])>>3 != 0 {
				return kindFragment
			}
			next, p = p[0], p[8:]
		default:
			return decodeOtherIP(next, p, seg)
		}
	}
	return kindMalformed
}

// decodeOtherIP records an IP packet that is not TCP: its protocol, and
// its ports for UDP.
func decodeOtherIP(proto uint8, p []byte, seg *segment) frameKind {
	seg.proto, seg.srcPort, seg.dstPort, seg.flags, seg.payload = proto, 0, 0, 0, nil
	if proto == ipProtoUDP && len(p) >= 4 {
		seg.srcPort, seg.dstPort = be.Uint16(p[0:]), be.Uint16(p[2:])
	}
	return kindIP
}

// decodeTCP reads a TCP header; the payload is what follows its options.
func decodeTCP(p []byte, seg *segment) frameKind {
	if len(p) < 20 {
		return kindMalformed
	}
	off := int(p[12]>>4) * 4
	if off < 20 || off > len(p) {
		return kindMalformed
	}
	seg.proto = ipProtoTCP
	seg.srcPort = be.Uint16(p[0:])
	seg.dstPort = be.Uint16(p[2:])
	seg.seq = be.Uint32(p[4:])
	seg.flags = p[13]
	seg.payload = p[off:]
	return kindTCP
}
