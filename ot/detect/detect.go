// Package detect is the analysis half of Bulwark's OT monitor: it learns a
// baseline of a plant network from decoded Modbus/TCP and DNP3 messages
// (which hosts are masters of which outstations, with which function
// codes, unit ids, link addresses and address ranges, at what rates),
// keeps an asset inventory, and raises alert.Alerts on what departs from
// the baseline and on operations that are dangerous whoever sends them.
//
// A Detector learns for Config.Learn of capture time from its first
// message, then detects. All time comes from the messages (Meta.Time),
// never from the wall clock, so a capture replays to the same alerts.
// During learning only the "always" rules fire (restarts, stop/start
// application, listen-only, file and configuration operations,
// initialisation, disabling unsolicited responses, malformed frames,
// illegal-function sweeps, floods above an absolute floor), at their full
// level: an attacker present while the baseline is learnt must not be
// learnt silently. After learning, an always rule on an operation the
// baseline holds for that master and outstation fires at
// Config.KnownOperationLevel (low by default), and one from a host that
// is not a known master fires a level higher.
//
// Repeats are aggregated: the first occurrence of a rule for a pair of
// hosts alerts at once; further occurrences within Config.Window (and
// with no more than Config.IdleGap between them) are counted, and one
// summary alert with the count and the first and last frame is raised
// when the window closes (or on Flush). Every alert names the frame that
// triggered it in EventID: "frame:1234" for a first occurrence,
// "frame:1234-1300" for a summary (first and last frame of the span); the
// same numbers are in Matches ("frame" and "frame_last") and in
// Source.Record.
//
// Besides the protocol messages (Process), the capture can hand over the
// other IP packets (ProcessPacket): traffic of an OT asset that is not an
// industrial protocol and not in the baseline's flows (SMB, NetBIOS, a
// remote shell between two RTUs) raises ot.net.unexpected-flow. On the
// labelled Lemay CSET'16 Modbus sets every malicious frame is such
// traffic; none is Modbus.
//
// Rule ids are "ot.<modbus|dnp3|net>.<name>"; Rules lists them with
// their levels and ATT&CK for ICS techniques.
package detect

import (
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/dnp3"
	"github.com/bulwarkhq/bulwark/ot/modbus"
)

// Config tunes a Detector. The zero value of a field means its default,
// except Learn (zero: no learning, detect from the first message against
// the given baseline) and StrictWrites.
type Config struct {
	// Learn is how long, in capture time from the first message, the
	// detector learns before it detects.
	Learn time.Duration
	// Window bounds how long repeats of one rule for one pair aggregate
	// into one alert; IdleGap is the quiet after which a repeat starts a
	// new alert.
	Window, IdleGap time.Duration
	// ReconWindow is the window over which sweeps and exception bursts
	// are counted.
	ReconWindow time.Duration
	// SweepFunctions distinct function codes (or Modbus unit ids) outside
	// the baseline, or
	// SweepIllegal illegal-function exceptions, from one host to one
	// outstation within ReconWindow make a function-code sweep.
	SweepFunctions, SweepIllegal int
	// ExceptionBurst exception responses to one host within ReconWindow,
	// beyond the pair's learnt peak, make a burst.
	ExceptionBurst int
	// A flood is more than max(FloodMin, FloodFactor × learnt peak)
	// messages within one second, for a pair or a source. During learning
	// the threshold is FloodMin × FloodFactor.
	FloodMin, FloodFactor int
	// KnownOperationLevel is the level of an always rule on an operation
	// the baseline holds for that pair ("off" suppresses it).
	KnownOperationLevel string
	// NewFunctionLevel is the level of new-function, a known master using
	// a function code outside its baseline: medium by default, "off" to
	// drop it. Routine DNP3 functions (confirm, read, enable unsolicited,
	// assign class, delay measure, record time) are always at most low.
	NewFunctionLevel string
	// StrictWrites alerts (new-function) when a known master starts
	// writing with a function code it did not use, even to addresses it
	// polls. By default such a write is accepted: an HMI writing the
	// points it displays is normal operation.
	StrictWrites bool
	// OTPorts are the ports whose traffic the protocol decoders cover;
	// ProcessPacket ignores packets to or from them.
	OTPorts []uint16
	// Source names the input (a capture file, an interface) in alerts'
	// Source.Path.
	Source string
	// MaxState bounds the pairs, hosts and open aggregates tracked.
	MaxState int
}

// DefaultConfig is a Config for replaying captures: ten minutes of
// learning, then detection.
func DefaultConfig() Config {
	return Config{Learn: 10 * time.Minute}
}

func (c Config) withDefaults() Config {
	if c.Window <= 0 {
		c.Window = 10 * time.Minute
	}
	if c.IdleGap <= 0 {
		c.IdleGap = 10 * time.Second
	}
	if c.ReconWindow <= 0 {
		c.ReconWindow = time.Minute
	}
	if c.SweepFunctions <= 0 {
		c.SweepFunctions = 6
	}
	if c.SweepIllegal <= 0 {
		c.SweepIllegal = 3
	}
	if c.ExceptionBurst <= 0 {
		c.ExceptionBurst = 10
	}
	if c.FloodMin <= 0 {
		c.FloodMin = 200
	}
	if c.FloodFactor <= 0 {
		c.FloodFactor = 10
	}
	if c.KnownOperationLevel == "" {
		c.KnownOperationLevel = LevelLow
	}
	if c.NewFunctionLevel == "" {
		c.NewFunctionLevel = LevelMedium
	}
	if c.OTPorts == nil {
		c.OTPorts = []uint16{502, 20000}
	}
	if c.MaxState <= 0 {
		c.MaxState = 1 << 16
	}
	return c
}

// Detector learns a baseline and raises alerts over a stream of messages.
// It is not safe for concurrent use: one goroutine feeds it.
type Detector struct {
	cfg  Config
	base *Baseline

	started, learning bool
	// Capture times in Unix nanoseconds: cheaper than time.Time on the
	// hot path.
	learnUntil, now, lastSweep int64

	pairs   map[PairKey]*pairState
	hosts   map[netip.Addr]*hostState
	aggs    map[aggKey]*aggState
	scratch pairState
	// cache is a direct-mapped cache in front of pairs: most messages
	// belong to a handful of busy pairs, and a hit skips hashing the key.
	cache [256]*pairState
}

// New returns a detector that learns into base (nil: a new baseline) for
// cfg.Learn and then detects against it.
func New(cfg Config, base *Baseline) *Detector {
	if base == nil {
		base = NewBaseline()
	}
	d := &Detector{
		cfg:   cfg.withDefaults(),
		base:  base,
		pairs: make(map[PairKey]*pairState),
		hosts: make(map[netip.Addr]*hostState),
		aggs:  make(map[aggKey]*aggState),
	}
	for k, p := range base.Pairs {
		p.syncFuncs()
		m, o := d.host(k.Master), d.host(k.Outstation)
		if m != nil {
			m.peak += p.PeakPerSecond
			m.inBaseline = true
		}
		if o != nil {
			o.peak += p.PeakPerSecond
			o.inBaseline = true
		}
	}
	d.resetLimits()
	return d
}

// Baseline returns the baseline the detector learns into and checks
// against.
func (d *Detector) Baseline() *Baseline { return d.base }

// Learning says whether the detector is still learning.
func (d *Detector) Learning() bool { return !d.started && d.cfg.Learn > 0 || d.learning }

// clock advances capture time: it starts learning at the first input,
// ends it when the window is over, and closes idle aggregates.
func (d *Detector) clock(t time.Time, ns int64, emit func(*alert.Alert)) {
	if !d.started {
		d.started = true
		d.learning = d.cfg.Learn > 0
		d.learnUntil = ns + int64(d.cfg.Learn)
		d.lastSweep = ns
		d.now = ns
		if d.learning {
			d.base.From = minTime(d.base.From, t)
			d.resetLimits()
		}
	}
	if ns > d.now {
		d.now = ns
	}
	if d.learning {
		if ns >= d.learnUntil {
			d.endLearning()
		} else {
			d.base.Until = maxTime(d.base.Until, t)
		}
	}
	if d.now-d.lastSweep >= int64(d.cfg.IdleGap) {
		d.lastSweep = d.now
		d.sweep(emit, false)
	}
}

// endLearning switches to detection and derives the flood thresholds
// from what was learnt.
func (d *Detector) endLearning() {
	d.learning = false
	d.resetLimits()
}

// resetLimits derives every flood threshold from the learnt peaks (or
// the learning floor).
func (d *Detector) resetLimits() {
	for _, ps := range d.pairs {
		ps.floodLimit = d.floodLimit(ps.peak())
	}
	for _, h := range d.hosts {
		h.floodLimit = d.floodLimit(h.peak)
	}
}

func (d *Detector) floodLimit(peak uint32) uint32 {
	if d.learning {
		return uint32(d.cfg.FloodMin * d.cfg.FloodFactor)
	}
	return max(uint32(d.cfg.FloodMin), uint32(d.cfg.FloodFactor)*peak)
}

// Process examines one message and calls emit for each alert it raises.
// m and its slices are not kept.
func (d *Detector) Process(m *ot.Message, emit func(*alert.Alert)) {
	ns := m.Time.UnixNano()
	d.clock(m.Time, ns, emit)
	master, out, port := m.Src.Addr(), m.Dst.Addr(), m.Dst.Port()
	if m.Dir == ot.DirResponse {
		master, out, port = out, master, m.Src.Port()
	}
	ps := d.pair(PairKey{m.Proto, master, out}, m)
	ps.observe(d, m, ns, port, emit)
	if m.Malformed != "" {
		d.fire(kindMalformed, m, m.Src.Addr(), m.Dst.Addr(), out, "", emit,
			alert.Match{Condition: "malformed", Field: "reason", Value: m.Malformed})
		return
	}
	if m.Dir == ot.DirResponse {
		d.response(ps, m, ns, emit)
		return
	}
	d.request(ps, m, ns, emit)
}

// request applies the rules on what a master asks.
func (d *Detector) request(ps *pairState, m *ot.Message, ns int64, emit func(*alert.Alert)) {
	if m.Proto == ot.ProtoDNP3 && !m.HasApp {
		return
	}
	op, isOp := operation(m)
	if d.learning {
		if isOp {
			d.fireRequest(op, ps, m, "", emit)
		}
		if ps.base != nil {
			learnRequest(ps.base, m)
		}
		return
	}
	base := ps.base
	if base == nil || !base.hasFunc(m.Func) {
		if ps.countNew(d, m, ns) {
			d.fireRequest(kindFunctionSweep, ps, m, "", emit,
				alert.Match{Condition: "gte", Field: "distinct_functions_outside_baseline", Value: strconv.Itoa(ps.newFuncs.len())})
		}
	}
	if m.Proto == ot.ProtoModbus && (base == nil || !base.Any && !slices.Contains(base.Units, m.Unit)) && ps.countUnit(d, m, ns) {
		d.fireRequest(kindFunctionSweep, ps, m, "", emit,
			alert.Match{Condition: "gte", Field: "distinct_units_outside_baseline", Value: strconv.Itoa(ps.newUnits.len())})
	}
	if isOp {
		level := ruleDefs[op].level
		switch {
		case base == nil:
			level = escalate(level)
		case base.hasOp(m):
			level = d.cfg.KnownOperationLevel
			if level == "off" {
				return
			}
		}
		d.fireRequest(op, ps, m, level, emit)
		return
	}
	deviceID := m.Proto == ot.ProtoModbus && (m.Func == modbus.FuncReportServerID || m.Func == modbus.FuncEncapsulatedInterface && m.Sub == modbus.MEIReadDeviceIdentity)
	if base == nil {
		switch {
		case m.Proto == ot.ProtoModbus && modbus.IsWrite(m.Func), m.Proto == ot.ProtoDNP3 && isDNP3Command(m.Func):
			d.fireRequest(kindWriteUnknownMaster, ps, m, "", emit)
		case deviceID:
			d.fireRequest(kindDeviceID, ps, m, "", emit)
		default:
			d.fireRequest(kindNewMaster, ps, m, "", emit)
		}
		return
	}
	table := tableNone
	var addr, count uint16
	if m.Proto == ot.ProtoModbus {
		table = modbusTableWrite(m.Func)
		addr, count = writeSpan(m)
	}
	write := table != tableNone
	if !base.hasFunc(m.Func) {
		switch {
		case deviceID:
			d.fireRequest(kindDeviceID, ps, m, "", emit)
		case write && !d.cfg.StrictWrites && base.covers(table, addr, count):
			// A known master writing points it already reads or writes.
		case d.cfg.NewFunctionLevel == "off":
		case m.Proto == ot.ProtoDNP3 && isDNP3Routine(m.Func):
			d.fireRequest(kindNewFunction, ps, m, LevelLow, emit)
		default:
			d.fireRequest(kindNewFunction, ps, m, d.cfg.NewFunctionLevel, emit)
		}
		return
	}
	if write && !base.covers(table, addr, count) {
		d.fireRequest(kindWriteOutsideRange, ps, m, "", emit,
			alert.Match{Condition: "not_in", Field: "learnt_ranges", Value: tableNames[table] + " " + nonEmpty(base.Ranges[table].String())})
	}
}

// writeSpan is the address range a Modbus request writes (or reads, for
// a read).
func writeSpan(m *ot.Message) (addr, count uint16) {
	if m.Func == modbus.FuncReadWriteMultipleRegisters {
		return m.WriteAddr, m.WriteCount
	}
	return m.Addr, m.Count
}

// learnRequest adds a request to the pair's baseline.
func learnRequest(p *Pair, m *ot.Message) {
	p.addFunc(m.Func, 1)
	switch m.Proto {
	case ot.ProtoModbus:
		p.Units = addSmallFast(p.Units, m.Unit)
		if m.Func == modbus.FuncDiagnostics {
			p.DiagSubs = addSmallFast(p.DiagSubs, m.Sub)
		}
		if t := modbusTable(m.Func); t != tableNone {
			addr, count := m.Addr, m.Count
			if m.Func == modbus.FuncReadWriteMultipleRegisters {
				addRange(p, t, m.Addr, m.Count)
				addr, count = m.WriteAddr, m.WriteCount
			}
			addRange(p, t, addr, count)
		}
	case ot.ProtoDNP3:
		p.Units = addSmallFast(p.Units, m.Unit)
		p.MasterLinks = addSmallFast(p.MasterLinks, m.Source)
		for i := range m.Objects {
			p.Groups = addSmallFast(p.Groups, m.Objects[i].Group)
		}
	}
}

func addRange(p *Pair, table int, addr, count uint16) {
	if count == 0 {
		count = 1
	}
	hi := uint32(addr) + uint32(count) - 1
	if hi > 0xFFFF {
		hi = 0xFFFF
	}
	if p.Ranges[table].Covers(addr, count) {
		return
	}
	p.Ranges[table].Add(addr, uint16(hi))
}

// addSmallFast is addSmall with a check that does not search when the
// value is the last one added, the common case.
func addSmallFast[T uint8 | uint16](s []T, v T) []T {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return addSmall(s, v)
}

// response applies the rules on what an outstation answers: exceptions.
func (d *Detector) response(ps *pairState, m *ot.Message, ns int64, emit func(*alert.Alert)) {
	var exc, illegal bool
	switch m.Proto {
	case ot.ProtoModbus:
		exc, illegal = m.Exception != 0, m.Exception == modbus.ExceptionIllegalFunction
	case ot.ProtoDNP3:
		if !m.HasApp {
			return
		}
		// The IIN2 bits that say the outstation refused the request.
		exc = m.IIN&(dnp3.IINNoFuncCodeSupport|dnp3.IINObjectUnknown|dnp3.IINParameterError) != 0
		illegal = m.IIN&dnp3.IINNoFuncCodeSupport != 0
	}
	if !exc {
		return
	}
	ps.reconTick(d, ns)
	ps.exceptions++
	if illegal {
		ps.illegal++
	}
	base := ps.base
	if d.learning && base != nil {
		base.Exceptions++
		base.PeakExceptions = max(base.PeakExceptions, ps.exceptions)
	}
	master, out := m.Dst.Addr(), m.Src.Addr()
	if illegal && ps.illegal == uint32(d.cfg.SweepIllegal) {
		d.fire(kindFunctionSweep, m, master, out, out, "", emit,
			alert.Match{Condition: "gte", Field: "illegal_function_exceptions", Value: strconv.Itoa(int(ps.illegal))})
	}
	limit := uint32(d.cfg.ExceptionBurst)
	if base != nil {
		limit += base.PeakExceptions
	}
	if !d.learning && ps.exceptions == limit {
		d.fire(kindExceptionBurst, m, master, out, out, "", emit,
			alert.Match{Condition: "gte", Field: "exception_responses", Value: strconv.Itoa(int(ps.exceptions))},
			excMatch(m))
	}
}

func excMatch(m *ot.Message) alert.Match {
	if m.Proto == ot.ProtoModbus {
		return alert.Match{Condition: "equals", Field: "exception_code", Value: strconv.Itoa(int(m.Exception)) + " " + modbus.ExceptionName(m.Exception)}
	}
	return alert.Match{Condition: "equals", Field: "iin", Value: "0x" + strconv.FormatUint(uint64(m.IIN), 16) + " " + dnp3.IINString(m.IIN)}
}

// fireRequest raises a rule on a request, with the evidence every
// request alert carries: function, sub-function, unit or link address,
// address range.
func (d *Detector) fireRequest(k kind, ps *pairState, m *ot.Message, level string, emit func(*alert.Alert), extra ...alert.Match) {
	matches := requestMatches(m)
	matches = append(matches, extra...)
	d.fire(k, m, ps.key.Master, ps.key.Outstation, ps.key.Outstation, level, emit, matches...)
}

func requestMatches(m *ot.Message) []alert.Match {
	ms := []alert.Match{{Condition: "equals", Field: "function", Value: funcLabel(m.Proto, m.Func)}}
	switch m.Proto {
	case ot.ProtoModbus:
		if m.Func == modbus.FuncDiagnostics {
			ms = append(ms, alert.Match{Condition: "equals", Field: "subfunction", Value: diagLabel(m.Sub)})
		}
		if m.Func == modbus.FuncEncapsulatedInterface {
			ms = append(ms, alert.Match{Condition: "equals", Field: "mei_type", Value: strconv.Itoa(int(m.Sub)) + " " + modbus.MEIName(uint8(m.Sub))})
		}
		ms = append(ms, alert.Match{Condition: "equals", Field: "unit", Value: strconv.Itoa(int(m.Unit))})
		if t := modbusTable(m.Func); t != tableNone {
			addr, count := writeSpan(m)
			ms = append(ms, alert.Match{Condition: "range", Field: tableNames[t], Value: spanString(addr, count)})
		}
	case ot.ProtoDNP3:
		ms = append(ms, alert.Match{Condition: "equals", Field: "link_destination", Value: strconv.Itoa(int(m.Unit))},
			alert.Match{Condition: "equals", Field: "link_source", Value: strconv.Itoa(int(m.Source))})
		if len(m.Objects) > 0 {
			g := ""
			for i, o := range m.Objects {
				if i == 8 {
					g += ",..."
					break
				}
				if i > 0 {
					g += ","
				}
				g += "g" + strconv.Itoa(int(o.Group)) + "v" + strconv.Itoa(int(o.Variation))
			}
			ms = append(ms, alert.Match{Condition: "equals", Field: "objects", Value: g})
		}
	}
	return ms
}

func spanString(addr, count uint16) string {
	if count <= 1 {
		return strconv.Itoa(int(addr))
	}
	return Range{addr, uint16(min(uint32(addr)+uint32(count)-1, 0xFFFF))}.String()
}

func nonEmpty(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// newAlert builds an alert of kind k at the given level ("" for the
// rule's own) about src talking to dst, on host.
func (d *Detector) newAlert(k kind, p ot.Proto, t time.Time, frame int64, src, dst, host netip.Addr, level string, matches []alert.Match) *alert.Alert {
	r := ruleFor(k, p)
	if level != "" {
		r.Level = level
	}
	format := "ip"
	if p == ot.ProtoModbus || p == ot.ProtoDNP3 {
		format = p.String()
	}
	a := &alert.Alert{
		Rule:    r,
		Time:    t,
		Channel: "ot/" + format,
		EventID: "frame:" + strconv.FormatInt(frame, 10),
		Source:  event.Source{Path: d.cfg.Source, Format: format, Record: frame, Offset: -1},
		Matches: append(matches, alert.Match{Condition: "equals", Field: "frame", Value: strconv.FormatInt(frame, 10)}),
	}
	if host.IsValid() {
		a.Host = host.String()
	}
	a.Entities = map[string]string{}
	if src.IsValid() {
		a.Entities[alert.EntitySrcIP] = src.String()
	}
	if dst.IsValid() {
		a.Entities[alert.EntityDstIP] = dst.String()
	}
	return a
}

func (d *Detector) fire(k kind, m *ot.Message, src, dst, host netip.Addr, level string, emit func(*alert.Alert), matches ...alert.Match) {
	d.raise(aggKey{k, m.Proto, src, dst, level}, m.Time, m.Frame, func() *alert.Alert {
		return d.newAlert(k, m.Proto, m.Time, m.Frame, src, dst, host, level, matches)
	}, emit)
}
