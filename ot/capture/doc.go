// Package capture turns packet captures into the byte streams that the OT
// protocol decoders read: it reads pcap and pcapng files or a live Linux
// interface, decodes the link, IP and TCP headers of each frame, reassembles
// each TCP connection of a configured server port, and feeds each direction
// to its ot.StreamParser.
//
// # Flow
//
//	Source (OpenFile, OpenInterface)
//	  -> Sensor.Packet: link layer (Ethernet with 802.1Q/QinQ tags, Linux
//	     cooked SLL and SLL2, raw IPv4/IPv6, BSD null/loopback), IPv4 or
//	     IPv6, TCP
//	  -> reassembly: one conn per 4-tuple, per direction the next expected
//	     sequence number; in-order bytes go straight to the parser (no copy),
//	     retransmitted bytes are dropped, out-of-order segments wait in a
//	     bounded buffer, and a hole that does not fill ends in Gap()
//	  -> ot.StreamParser.Feed -> the emit callback, one *ot.Message each.
//
// A Sensor is not safe for concurrent use: one goroutine feeds it, which
// keeps the hot path free of locks. Frames that are not TCP, not IPv4/IPv6
// or not on a configured port are counted and skipped; truncated or garbage
// frames never panic and are counted as malformed (Stats).
//
// # Compared with tshark
//
// Retransmitted bytes are dropped byte by byte, not segment by segment: a
// retransmission that also carries new bytes (a sender coalescing its
// unacknowledged data) has those new bytes fed. tshark skips such a segment
// whole as a "retransmission", so on the shared captures a few more frames
// carry PDUs here than in tshark's counts (3 of 2,717 in
// ModbusTCP__mb2.pcap: frames 1131, 3674 and 13176).
//
// # Memory
//
// Everything a Sensor keeps is bounded by its Config: the number of
// connections (MaxConns; the least recently active is evicted, so a SYN flood
// cannot grow the table), the out-of-order bytes per direction
// (MaxBufferPerDir) and in all (MaxBufferTotal). Connections idle for
// IdleTimeout of capture time are dropped, and a hole that stays open for
// HoleTimeout of capture time is declared lost. Times are the capture's own
// timestamps, so replaying a file gives the same result at any speed.
//
// # Live capture and privileges
//
// OpenInterface reads an interface through a Linux AF_PACKET socket (pure Go,
// no libpcap, no cgo). Opening a packet socket needs root or the
// CAP_NET_RAW capability; promiscuous mode also needs CAP_NET_ADMIN. To run
// the binary as an ordinary user, grant the capabilities to the file once:
//
//	sudo setcap cap_net_raw,cap_net_admin+ep /usr/local/bin/bulwark
//
// (cap_net_raw alone is enough without promiscuous mode). Without them
// OpenInterface fails with an error that says so. Live capture exists only on
// Linux; elsewhere OpenInterface returns ErrLiveUnsupported.
//
// With LiveOptions.Ports set, a BPF filter on the socket passes only TCP to
// or from those ports, so the rest of a busy interface's traffic never
// leaves the kernel. On a loopback interface the copy of each frame as sent
// is dropped, so every frame is seen once, as tcpdump shows it. Hole and
// idle timeouts run on capture time, which only advances as frames arrive.
package capture
