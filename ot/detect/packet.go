package detect

import (
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
)

// Packet is an IP packet that carries no industrial protocol the
// decoders handle: the capture hands these over so that the detector
// sees remote services, lateral movement and command and control between
// OT assets.
type Packet struct {
	Time time.Time
	// Frame is the capture's 1-based frame number.
	Frame    int64
	Src, Dst netip.AddrPort
	// Transport is the IP protocol: 6 TCP, 17 UDP, 1 ICMP.
	Transport uint8
	// SYN is true for a TCP SYN without ACK: Src is then the client.
	SYN bool
}

// ProcessPacket learns, or checks against the baseline, a packet that
// involves an OT asset (a host seen in Modbus or DNP3 traffic or listed
// in the baseline). Packets to or from Config.OTPorts are ignored: the
// protocol rules judge them. Packets between hosts that are no OT assets
// are ignored.
func (d *Detector) ProcessPacket(p *Packet, emit func(*alert.Alert)) {
	d.clock(p.Time, p.Time.UnixNano(), emit)
	sp, dp := p.Src.Port(), p.Dst.Port()
	if (p.Transport == 6 || p.Transport == 17) && (slices.Contains(d.cfg.OTPorts, sp) || slices.Contains(d.cfg.OTPorts, dp)) {
		return
	}
	sa, da := p.Src.Addr(), p.Dst.Addr()
	sh, dh := d.hosts[sa], d.hosts[da]
	if sh == nil && dh == nil {
		return
	}
	if d.learning {
		d.learnFlow(p)
		return
	}
	if d.base.knownFlow(sa, da, sp, dp, p.Transport) {
		return
	}
	level := ""
	host := da
	if dh == nil {
		host = sa
	}
	if sh != nil && dh != nil {
		level = LevelHigh // between two OT assets: lateral movement
	}
	a, b := sa, da
	if b.Less(a) {
		a, b = b, a
	}
	matches := []alert.Match{
		{Condition: "equals", Field: "transport", Value: transportName(p.Transport)},
		{Condition: "equals", Field: "connection", Value: p.Src.String() + " -> " + p.Dst.String()},
		{Condition: "not_in", Field: "baseline_flows", Value: "no learnt flow between these hosts on port " + strconv.Itoa(int(sp)) + " or " + strconv.Itoa(int(dp))},
	}
	d.raise(aggKey{kindUnexpectedFlow, 0, a, b, level}, p.Time, p.Frame, func() *alert.Alert {
		return d.newAlert(kindUnexpectedFlow, 0, p.Time, p.Frame, sa, da, host, level, matches)
	}, emit)
}

// learnFlow adds a packet's flow to the baseline. Without a SYN the
// server side is guessed (the one privileged port, else the lower port);
// lookups try both orientations, so a wrong guess only reads oddly.
func (d *Detector) learnFlow(p *Packet) {
	client, server := p.Src, p.Dst
	if !p.SYN {
		sp, dp := p.Src.Port(), p.Dst.Port()
		if sp < 1024 && dp >= 1024 || (sp < dp && !(dp < 1024 && sp >= 1024)) {
			client, server = p.Dst, p.Src
		}
	}
	k := FlowKey{client.Addr(), server.Addr(), p.Transport, server.Port()}
	if _, ok := d.base.Flows[k]; !ok {
		rk := FlowKey{server.Addr(), client.Addr(), p.Transport, client.Port()}
		if _, ok := d.base.Flows[rk]; ok {
			k = rk
		}
	}
	f := d.base.Flows[k]
	if f == nil {
		if len(d.base.Flows) >= maxBaseFlows {
			return
		}
		f = &FlowStat{First: p.Time}
		d.base.Flows[k] = f
	}
	f.First = minTime(f.First, p.Time)
	f.Last = maxTime(f.Last, p.Time)
	f.Packets++
}
