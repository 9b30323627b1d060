package detect

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/dnp3"
	"github.com/bulwarkhq/bulwark/ot/modbus"
)

var (
	t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

	mbMaster   = netip.MustParseAddrPort("10.0.0.1:40001")
	mbRTU      = netip.MustParseAddrPort("10.0.0.10:502")
	mbRTU2     = netip.MustParseAddrPort("10.0.0.11:502")
	attacker   = netip.MustParseAddrPort("10.0.0.66:41000")
	dnpMaster  = netip.MustParseAddrPort("10.0.1.1:50000")
	dnpOut     = netip.MustParseAddrPort("10.0.1.10:20000")
	dnpAttackr = netip.MustParseAddrPort("10.0.1.66:50001")
)

// gen builds messages with increasing frame numbers.
type gen struct{ frame int64 }

func (g *gen) next() int64 { g.frame++; return g.frame }

func (g *gen) mb(at time.Duration, src, dst netip.AddrPort, fc uint8, addr, count uint16) *ot.Message {
	return &ot.Message{Meta: ot.Meta{Time: t0.Add(at), Frame: g.next(), Src: src, Dst: dst},
		Proto: ot.ProtoModbus, Dir: ot.DirRequest, Func: fc, Unit: 1, Addr: addr, Count: count}
}

func (g *gen) mbSub(at time.Duration, src, dst netip.AddrPort, fc uint8, sub uint16) *ot.Message {
	m := g.mb(at, src, dst, fc, 0, 0)
	m.Sub = sub
	return m
}

func (g *gen) mbResp(at time.Duration, src, dst netip.AddrPort, fc, exc uint8) *ot.Message {
	return &ot.Message{Meta: ot.Meta{Time: t0.Add(at), Frame: g.next(), Src: src, Dst: dst},
		Proto: ot.ProtoModbus, Dir: ot.DirResponse, Func: fc, Exception: exc, Unit: 1}
}

func (g *gen) dnp(at time.Duration, src, dst netip.AddrPort, fc uint8, groups ...uint8) *ot.Message {
	m := &ot.Message{Meta: ot.Meta{Time: t0.Add(at), Frame: g.next(), Src: src, Dst: dst},
		Proto: ot.ProtoDNP3, Dir: ot.DirRequest, Func: fc, HasApp: true, Unit: 10, Source: 1, LinkPrimary: true, LinkFunc: 4}
	for _, gr := range groups {
		m.Objects = append(m.Objects, ot.Object{Group: gr, Variation: 1, Qualifier: 6})
	}
	return m
}

func (g *gen) dnpResp(at time.Duration, src, dst netip.AddrPort, iin uint16) *ot.Message {
	return &ot.Message{Meta: ot.Meta{Time: t0.Add(at), Frame: g.next(), Src: src, Dst: dst},
		Proto: ot.ProtoDNP3, Dir: ot.DirResponse, Func: dnp3.FuncResponse, HasApp: true, Unit: 1, Source: 10, IIN: iin}
}

// learnPhase is 30 s of normal traffic: the Modbus master polls holding
// registers 0-9 and coils 0-7 and sometimes writes register 5; the DNP3
// master disables unsolicited responses once, then reads class data.
func (g *gen) learnPhase() []*ot.Message {
	var ms []*ot.Message
	ms = append(ms, g.dnp(0, dnpMaster, dnpOut, dnp3.FuncDisableUnsolicited, 60), g.dnpResp(10*time.Millisecond, dnpOut, dnpMaster, 0))
	for s := 0; s < 30; s++ {
		at := time.Duration(s) * time.Second
		ms = append(ms,
			g.mb(at, mbMaster, mbRTU, modbus.FuncReadHoldingRegisters, 0, 10), g.mbResp(at+time.Millisecond, mbRTU, mbMaster, 3, 0),
			g.mb(at+2*time.Millisecond, mbMaster, mbRTU, modbus.FuncReadCoils, 0, 8), g.mbResp(at+3*time.Millisecond, mbRTU, mbMaster, 1, 0),
			g.dnp(at+4*time.Millisecond, dnpMaster, dnpOut, dnp3.FuncRead, 60), g.dnpResp(at+5*time.Millisecond, dnpOut, dnpMaster, 0),
		)
		if s%10 == 0 {
			ms = append(ms, g.mb(at+6*time.Millisecond, mbMaster, mbRTU, modbus.FuncWriteSingleRegister, 5, 1))
		}
	}
	return ms
}

// collect runs messages through d and returns the alerts.
func collect(d *Detector, ms []*ot.Message) []*alert.Alert {
	var out []*alert.Alert
	emit := func(a *alert.Alert) { out = append(out, a) }
	for _, m := range ms {
		d.Process(m, emit)
	}
	return out
}

// ids lists "rule-id/level" of alerts that are not aggregate summaries.
func ids(as []*alert.Alert) []string {
	var out []string
	for _, a := range as {
		if a.Correlation == nil {
			out = append(out, a.Rule.ID+"/"+a.Rule.Level)
		}
	}
	return out
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
