package detect

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/dnp3"
)

// Role bits of a host, per protocol.
const (
	roleModbusMaster uint8 = 1 << iota
	roleModbusOutstation
	roleDNP3Master
	roleDNP3Outstation
)

func masterRole(p ot.Proto) uint8 {
	if p == ot.ProtoDNP3 {
		return roleDNP3Master
	}
	return roleModbusMaster
}

// hostState is what the detector tracks of one host: the inventory and
// the per-source flood counter.
type hostState struct {
	addr       netip.Addr
	seen       bool
	inBaseline bool
	roles      uint8
	ports      []uint16 // ports it serves
	units      []uint16 // Modbus unit ids it answers to
	links      []uint16 // its DNP3 link addresses
	funcs      funcSet  // function codes of requests it sent or served
	first      int64    // Unix nanoseconds
	last       int64
	sent, recv uint64
	malformed  uint64

	rateStart  int64
	rateCount  uint32
	peak       uint32 // learnt messages per second it sent, at most
	floodLimit uint32
}

// pairState is what the detector tracks of one master-outstation pair:
// its baseline entry (nil when the pair is not in the baseline) and the
// windows of the rate and reconnaissance rules.
type pairState struct {
	key         PairKey
	base        *Pair
	master, out *hostState

	messages   uint64
	rateStart  int64
	rateCount  uint32
	floodLimit uint32

	// Requests not answered yet, and when the oldest of them was sent.
	pending      uint32
	pendingSince int64

	reconStart          int64
	newFuncs            funcSet
	newUnits            funcSet // Modbus unit ids outside the baseline
	illegal, exceptions uint32
}

func (ps *pairState) peak() uint32 {
	if ps.base == nil {
		return 0
	}
	return ps.base.PeakPerSecond
}

// host returns the state of a host, nil when MaxState hosts are tracked.
func (d *Detector) host(a netip.Addr) *hostState {
	h := d.hosts[a]
	if h == nil && len(d.hosts) < d.cfg.MaxState {
		h = &hostState{addr: a, floodLimit: d.floodLimit(0)}
		d.hosts[a] = h
	}
	return h
}

// pair returns the state of a pair. Past MaxState pairs it returns a
// scratch state that keeps no history: the stateless rules still work.
func (d *Detector) pair(k PairKey, m *ot.Message) *pairState {
	// The slot comes from the ports, cheap to read: the sum is the same
	// both ways, and a master's ephemeral port spreads its connections.
	slot := &d.cache[uint8(m.Src.Port()+m.Dst.Port())^uint8(k.Proto)<<7]
	if ps := *slot; ps != nil && ps.key == k {
		return ps
	}
	if ps := d.pairs[k]; ps != nil {
		*slot = ps
		return ps
	}
	base := d.base.pair(k, d.learning)
	if len(d.pairs) >= d.cfg.MaxState {
		d.scratch = pairState{key: k, base: base, floodLimit: ^uint32(0)}
		return &d.scratch
	}
	ps := &pairState{key: k, base: base, master: d.host(k.Master), out: d.host(k.Outstation)}
	ps.floodLimit = d.floodLimit(ps.peak())
	d.pairs[k] = ps
	return ps
}

// observe updates the inventory and the learnt rates with a message and
// applies the flood rules.
func (ps *pairState) observe(d *Detector, m *ot.Message, ns int64, port uint16, emit func(*alert.Alert)) {
	t := m.Time
	ps.messages++
	if d.learning && ps.base != nil {
		b := ps.base
		b.First = minTime(b.First, t)
		b.Last = maxTime(b.Last, t)
		b.Messages++
		if b.Port == 0 {
			b.Port = port
		}
	}
	src, dst := ps.master, ps.out
	if m.Dir == ot.DirResponse {
		src, dst = dst, src
	}
	if src != nil {
		src.touch(ns)
		src.sent++
	}
	if dst != nil {
		dst.touch(ns)
		dst.recv++
	}
	if m.Malformed != "" {
		if src != nil {
			src.malformed++
		}
	} else {
		ps.inventory(m, port)
	}
	// The pair's rate, both directions.
	if ns-ps.rateStart >= int64(time.Second) || ns < ps.rateStart {
		ps.rateStart, ps.rateCount = ns, 0
	}
	ps.rateCount++
	if d.learning && ps.base != nil && ps.rateCount > ps.base.PeakPerSecond {
		ps.base.PeakPerSecond = ps.rateCount
	}
	if ps.rateCount == ps.floodLimit+1 {
		d.fire(kindFlood, m, ps.key.Master, ps.key.Outstation, ps.key.Outstation, "", emit,
			alert.Match{Condition: "gt", Field: "messages_per_second", Value: strconv.Itoa(int(ps.floodLimit))},
			alert.Match{Condition: "equals", Field: "scope", Value: "pair"})
	}
	ps.unanswered(d, m, ns, emit)
	// The source's rate, over all its peers.
	if src == nil {
		return
	}
	if ns-src.rateStart >= int64(time.Second) || ns < src.rateStart {
		src.rateStart, src.rateCount = ns, 0
	}
	src.rateCount++
	if d.learning && src.rateCount > src.peak {
		src.peak = src.rateCount
	}
	if src.rateCount == src.floodLimit+1 {
		d.fire(kindFlood, m, src.addr, netip.Addr{}, src.addr, "", emit,
			alert.Match{Condition: "gt", Field: "messages_per_second", Value: strconv.Itoa(int(src.floodLimit))},
			alert.Match{Condition: "equals", Field: "scope", Value: "source"})
	}
}

// Unanswered requests: a master waits for each answer (a Modbus client
// pipelines a few at most), so dozens of requests left unanswered within
// a second is a flood the outstation cannot keep up with (Suricata calls
// such a DNP3 flow "flooded" past 32). Counting restarts after a quiet
// second, so a capture that misses the answers (one direction of a
// mirrored port) does not accumulate normal polling into a flood.
const (
	maxPending     = 32
	maxPendingSpan = int64(time.Second)
)

func (ps *pairState) unanswered(d *Detector, m *ot.Message, ns int64, emit func(*alert.Alert)) {
	switch {
	case expectsAnswer(m):
		if ps.pending == 0 || ns-ps.pendingSince > maxPendingSpan || ns < ps.pendingSince {
			ps.pending, ps.pendingSince = 0, ns
		}
		ps.pending++
		if ps.pending == maxPending+1 {
			d.fire(kindFlood, m, ps.key.Master, ps.key.Outstation, ps.key.Outstation, "", emit,
				alert.Match{Condition: "gt", Field: "unanswered_requests", Value: strconv.Itoa(maxPending)},
				alert.Match{Condition: "equals", Field: "scope", Value: "pair"})
		}
	case isAnswer(m):
		if ps.pending > 0 {
			ps.pending--
		}
	}
}

// expectsAnswer reports whether m is a request its outstation answers.
func expectsAnswer(m *ot.Message) bool {
	if m.Dir != ot.DirRequest || m.Malformed != "" {
		return false
	}
	if m.Proto == ot.ProtoDNP3 {
		return m.HasApp && m.Func != dnp3.FuncConfirm && m.Func != dnp3.FuncDirectOperateNoAck && m.Func != dnp3.FuncAuthRequestNoAck
	}
	return true
}

// isAnswer reports whether m answers a request.
func isAnswer(m *ot.Message) bool {
	if m.Dir != ot.DirResponse {
		return false
	}
	return m.Proto != ot.ProtoDNP3 || m.HasApp && m.Func == dnp3.FuncResponse
}

func (h *hostState) touch(t int64) {
	if !h.seen || t < h.first {
		h.first = t
	}
	if !h.seen || t > h.last {
		h.last = t
	}
	h.seen = true
}

// inventory records roles, ports, unit ids, link addresses and function
// codes of a well-formed message.
func (ps *pairState) inventory(m *ot.Message, port uint16) {
	mh, oh := ps.master, ps.out
	if mh == nil || oh == nil {
		return
	}
	role := masterRole(m.Proto)
	mh.roles |= role
	oh.roles |= role << 1
	if len(oh.ports) == 0 || oh.ports[len(oh.ports)-1] != port {
		oh.ports = addSmallFast(oh.ports, port)
	}
	switch m.Proto {
	case ot.ProtoModbus:
		if m.Dir != ot.DirResponse {
			oh.units = addSmallFast(oh.units, m.Unit)
		}
	case ot.ProtoDNP3:
		if m.Dir == ot.DirResponse {
			oh.links = addSmallFast(oh.links, m.Source)
			mh.links = addSmallFast(mh.links, m.Unit)
		} else {
			oh.links = addSmallFast(oh.links, m.Unit)
			mh.links = addSmallFast(mh.links, m.Source)
		}
		if !m.HasApp {
			return
		}
	}
	if m.Dir != ot.DirResponse {
		mh.funcs.add(m.Func)
		oh.funcs.add(m.Func)
	}
}

// reconTick restarts the reconnaissance window when it is over.
func (ps *pairState) reconTick(d *Detector, t int64) {
	if t-ps.reconStart > int64(d.cfg.ReconWindow) || t < ps.reconStart {
		ps.reconStart = t
		ps.newFuncs, ps.newUnits = funcSet{}, funcSet{}
		ps.illegal, ps.exceptions = 0, 0
	}
}

// countUnit counts a Modbus unit id outside the baseline and says
// whether it completed a sweep (a scan for the unit ids a gateway
// serves).
func (ps *pairState) countUnit(d *Detector, m *ot.Message, ns int64) bool {
	ps.reconTick(d, ns)
	u := uint8(m.Unit)
	if m.Unit > 0xFF || ps.newUnits.has(u) {
		return false
	}
	ps.newUnits.add(u)
	return ps.newUnits.len() == d.cfg.SweepFunctions
}

// countNew counts a function code outside the baseline and says whether
// it completed a sweep.
func (ps *pairState) countNew(d *Detector, m *ot.Message, ns int64) bool {
	ps.reconTick(d, ns)
	if ps.newFuncs.has(m.Func) {
		return false
	}
	ps.newFuncs.add(m.Func)
	return ps.newFuncs.len() == d.cfg.SweepFunctions
}
