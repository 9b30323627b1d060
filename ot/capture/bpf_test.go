package capture

import (
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"
)

// TestTCPPortFilter runs the kernel filter in x/net/bpf's interpreter.
func TestTCPPortFilter(t *testing.T) {
	raw, err := tcpPortFilter([]uint16{502, 20000}, false)
	if err != nil {
		t.Fatal(err)
	}
	insts, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatal("filter does not disassemble")
	}
	vm, err := bpf.NewVM(insts)
	if err != nil {
		t.Fatal(err)
	}
	other := netip.MustParseAddrPort("10.0.0.2:80")
	dnp3 := netip.MustParseAddrPort("10.0.0.2:20000")
	arp := append(make([]byte, 12), 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 0, 0, 0, 0, 0)
	for _, tc := range []struct {
		name  string
		frame []byte
		pass  bool
	}{
		{"to 502", frame(LinkEthernet, pkt{src: client, dst: server, payload: "x"}), true},
		{"from 502", frame(LinkEthernet, pkt{src: server, dst: client}), true},
		{"to 20000", frame(LinkEthernet, pkt{src: client, dst: dnp3}), true},
		{"IPv6 to 502", frame(LinkEthernet, pkt{src: client6, dst: server6}), true},
		{"IPv6 from 502", frame(LinkEthernet, pkt{src: server6, dst: client6}), true},
		{"to 80", frame(LinkEthernet, pkt{src: client, dst: other}), false},
		{"UDP to 502", frame(LinkEthernet, pkt{src: client, dst: server, ipProto: 17}), false},
		{"later fragment", frame(LinkEthernet, pkt{src: client, dst: server, fragOffset: 3}), false},
		{"ARP", arp, false},
	} {
		n, err := vm.Run(tc.frame)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if (n > 0) != tc.pass {
			t.Errorf("%s: filter returned %d, want pass=%v", tc.name, n, tc.pass)
		}
	}
	if _, err := tcpPortFilter(nil, false); err == nil {
		t.Error("no error for no ports")
	}
	if _, err := tcpPortFilter(make([]uint16, 61), true); err == nil {
		t.Error("no error for too many ports")
	}
	if _, err := tcpPortFilter(make([]uint16, 60), true); err != nil {
		t.Errorf("60 ports: %v", err)
	}
}
