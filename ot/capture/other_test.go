package capture

import (
	"net/netip"
	"testing"
)

// TestOnPacket checks that packets outside the configured ports reach
// OnPacket with their frame, endpoints and protocol, and that OT traffic
// does not.
func TestOnPacket(t *testing.T) {
	var got []Packet
	s, _, msgs := newTestSensor(t, Config{OnPacket: func(p *Packet) { got = append(got, *p) }})
	smb := netip.MustParseAddrPort("10.0.0.2:445")
	dns := netip.MustParseAddrPort("10.0.0.53:53")
	frames := []pkt{
		{src: client, dst: server, flags: tcpSYN, seq: 1},                                         // 1: Modbus: not passed on
		{src: client, dst: smb, flags: tcpSYN, seq: 7},                                            // 2: TCP to another port, a SYN
		{src: smb, dst: client, flags: tcpSYN | tcpACK, seq: 9},                                   // 3: its answer, not a SYN
		{src: client, dst: dns, ipProto: ipProtoUDP, payload: "\x9c\x40\x00\x35\x00\x08\x00\x00"}, // 4: UDP, ports read from its header
		{src: client6, dst: netip.MustParseAddrPort("[fd00::9]:0"), ipProto: 58},                  // 5: ICMPv6
	}
	for i, p := range frames {
		p.time = epoch
		s.Packet(frame(LinkEthernet, p), CaptureInfo{Timestamp: epoch, LinkType: LinkEthernet, Length: i})
	}
	if len(*msgs) != 0 {
		t.Errorf("messages %v", *msgs)
	}
	want := []Packet{
		{Frame: 2, Time: epoch, Src: client, Dst: smb, Transport: ipProtoTCP, SYN: true},
		{Frame: 3, Time: epoch, Src: smb, Dst: client, Transport: ipProtoTCP},
		{Frame: 4, Time: epoch, Src: netip.AddrPortFrom(client.Addr(), 40000), Dst: dns, Transport: ipProtoUDP},
		{Frame: 5, Time: epoch, Src: netip.AddrPortFrom(client6.Addr(), 0), Dst: netip.MustParseAddrPort("[fd00::9]:0"), Transport: 58},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d packets: %+v", len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("packet %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}
