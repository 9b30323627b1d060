//go:build linux

package capture

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"

	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"
)

// LiveOptions tune OpenInterface.
type LiveOptions struct {
	// Promiscuous also captures frames not addressed to this host (needs
	// CAP_NET_ADMIN besides CAP_NET_RAW).
	Promiscuous bool
	// Snaplen is the most bytes kept of a frame. Default 262144, so that
	// segments the NIC coalesced (GRO) are not cut.
	Snaplen int
	// Ports, when set, has the kernel pass only TCP segments from or to
	// these ports (a BPF filter on the socket), so a busy interface costs
	// nothing for traffic the Sensor would skip. Pass PortNumbers of the
	// Sensor's Config.Ports. At most 60; IPv6 segments with extension
	// headers before TCP are filtered out too.
	Ports []uint16
}

// liveSource reads an interface through an AF_PACKET socket.
type liveSource struct {
	name      string
	handle    *pcapgo.EthernetHandle
	closeOnce sync.Once
	closeErr  error
}

// OpenInterface captures live from a network interface (for example
// "eth0", or "lo"). It needs root or CAP_NET_RAW; see the package doc.
// Frames come as Ethernet, which is what Linux gives for Ethernet and
// loopback interfaces alike.
func OpenInterface(name string, opts LiveOptions) (Source, error) {
	h, err := pcapgo.NewEthernetHandle(name)
	if err != nil {
		if errors.Is(err, os.ErrPermission) || isPermission(err) {
			return nil, fmt.Errorf("capture on %s: %w (needs root or CAP_NET_RAW: setcap cap_net_raw+ep on the binary)", name, err)
		}
		return nil, fmt.Errorf("capture on %s: %w", name, err)
	}
	snap := opts.Snaplen
	if snap <= 0 || snap > maxFrameLen {
		snap = maxFrameLen
	}
	if err := h.SetCaptureLength(snap); err != nil {
		h.Close()
		return nil, fmt.Errorf("capture on %s: snap length: %w", name, err)
	}
	// A loopback interface shows each frame twice, sent and received;
	// keep the received copy, as tcpdump does.
	loopback := false
	if ifi, err := net.InterfaceByName(name); err == nil {
		loopback = ifi.Flags&net.FlagLoopback != 0
	}
	if len(opts.Ports) > 0 || loopback {
		var filter []bpf.RawInstruction
		if len(opts.Ports) > 0 {
			filter, err = tcpPortFilter(opts.Ports, loopback)
		} else {
			filter, err = outgoingFilter()
		}
		if err == nil {
			err = h.SetBPF(filter)
		}
		if err != nil {
			h.Close()
			return nil, fmt.Errorf("capture on %s: %w", name, err)
		}
	}
	if opts.Promiscuous {
		if err := h.SetPromiscuous(true); err != nil {
			h.Close()
			return nil, fmt.Errorf("capture on %s: promiscuous mode (needs CAP_NET_ADMIN): %w", name, err)
		}
	}
	return &liveSource{name: name, handle: h}, nil
}

// isPermission tells a refused packet socket by its message: pcapgo
// formats the errno with %s, which loses the error chain.
func isPermission(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "operation not permitted") || strings.Contains(msg, "permission denied")
}

// Next implements Source.
func (l *liveSource) Next() ([]byte, CaptureInfo, error) {
	data, gci, err := l.handle.ZeroCopyReadPacketData()
	if err != nil {
		return nil, CaptureInfo{}, err
	}
	// The kernel strips VLAN tags into ancillary data, so every frame is
	// plain Ethernet (loopback too, with zero addresses).
	return data, CaptureInfo{Timestamp: gci.Timestamp, Length: gci.Length, LinkType: LinkEthernet}, nil
}

// Close implements Source; a Next blocked in another goroutine returns.
func (l *liveSource) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.handle.Close() })
	return l.closeErr
}

func (l *liveSource) String() string { return "interface " + l.name }
