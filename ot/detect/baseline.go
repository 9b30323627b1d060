package detect

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/modbus"
)

// Bounds on what one baseline entry keeps, so that a hostile network
// cannot grow it without limit.
const (
	maxRanges    = 8  // address ranges per table
	maxSmallSet  = 16 // unit ids, link addresses, sub-functions per pair
	maxBasePairs = 1 << 16
	maxBaseFlows = 1 << 16
)

// PairKey names a master talking to an outstation over one protocol.
type PairKey struct {
	Proto      ot.Proto
	Master     netip.Addr
	Outstation netip.Addr
}

// Pair is what the baseline knows of one master-outstation pair.
type Pair struct {
	// Port is the outstation's port (502, 20000), 0 if never seen.
	Port uint16
	// Funcs counts the requests per function code. A Detector reads it
	// when New is called; edits made later are not seen.
	Funcs map[uint8]uint64
	// DiagSubs are the Modbus diagnostics sub-functions used.
	DiagSubs []uint16
	// Units are the Modbus unit ids, or the outstation's DNP3 link
	// addresses; MasterLinks are the master's DNP3 link addresses.
	Units, MasterLinks []uint16
	// Groups are the DNP3 object groups the master's requests named.
	Groups []uint8
	// Ranges are the Modbus addresses used, per table.
	Ranges [numTables]RangeSet
	// Any is an operator's wildcard: every function and address is
	// allowed for this master ("functions": "any" in the file).
	Any         bool
	First, Last time.Time
	Messages    uint64
	Exceptions  uint64
	// PeakPerSecond is the most messages (both directions) seen in one
	// second; PeakExceptions the most exception responses in one
	// reconnaissance window.
	PeakPerSecond, PeakExceptions uint32

	funcs funcSet // the keys of Funcs, for the hot path
}

// hasFunc says whether the pair used function code fc.
func (p *Pair) hasFunc(fc uint8) bool { return p.Any || p.funcs.has(fc) }

// hasOp says whether the pair used the operation of m: for Modbus
// diagnostics the sub-function counts.
func (p *Pair) hasOp(m *ot.Message) bool {
	if p.Any {
		return true
	}
	if !p.funcs.has(m.Func) {
		return false
	}
	if m.Proto == ot.ProtoModbus && m.Func == modbus.FuncDiagnostics {
		return slices.Contains(p.DiagSubs, m.Sub)
	}
	return true
}

// syncFuncs rebuilds the hot-path set from Funcs.
func (p *Pair) syncFuncs() {
	p.funcs = funcSet{}
	for fc := range p.Funcs {
		p.funcs.add(fc)
	}
}

func (p *Pair) addFunc(fc uint8, n uint64) {
	if p.Funcs == nil {
		p.Funcs = make(map[uint8]uint64)
	}
	p.Funcs[fc] += n
	p.funcs.add(fc)
}

// covers says whether the pair used all addresses [addr, addr+count) of
// a table.
func (p *Pair) covers(table int, addr, count uint16) bool {
	if p.Any {
		return true
	}
	if table < 0 || table >= numTables {
		return false
	}
	return p.Ranges[table].Covers(addr, count)
}

// FlowKey is a non-industrial flow between two hosts: Client talks to
// Server's Port over Transport (6 TCP, 17 UDP, 1 ICMP).
type FlowKey struct {
	Client, Server netip.Addr
	Transport      uint8
	Port           uint16
}

// FlowStat is what the baseline knows of a flow.
type FlowStat struct {
	First, Last time.Time
	Packets     uint64
}

// Baseline is the learnt normal of a plant network: who is master of
// which outstation with which operations and addresses, and which other
// flows OT assets have. It is not safe for concurrent use; a Detector
// owns the one it learns into.
type Baseline struct {
	// From and Until are the capture times learning covered.
	From, Until time.Time
	Pairs       map[PairKey]*Pair
	Flows       map[FlowKey]*FlowStat
}

// NewBaseline returns an empty baseline.
func NewBaseline() *Baseline {
	return &Baseline{Pairs: make(map[PairKey]*Pair), Flows: make(map[FlowKey]*FlowStat)}
}

// pair returns the pair, creating it when create is set and the bound
// allows.
func (b *Baseline) pair(k PairKey, create bool) *Pair {
	p := b.Pairs[k]
	if p == nil && create && len(b.Pairs) < maxBasePairs {
		p = &Pair{}
		b.Pairs[k] = p
	}
	return p
}

// AddMaster lists master as a master of outstation with the given
// function codes (none: every function), as an operator editing the
// baseline would.
func (b *Baseline) AddMaster(proto ot.Proto, master, outstation netip.Addr, funcs ...uint8) {
	p := b.pair(PairKey{proto, master, outstation}, true)
	if p == nil {
		return
	}
	if len(funcs) == 0 {
		p.Any = true
	}
	for _, fc := range funcs {
		p.addFunc(fc, 0)
	}
}

// IsMaster says whether master is a known master of outstation.
func (b *Baseline) IsMaster(proto ot.Proto, master, outstation netip.Addr) bool {
	_, ok := b.Pairs[PairKey{proto, master, outstation}]
	return ok
}

// knownFlow says whether a packet between a and b with ports pa and pb
// belongs to a learnt flow, in either orientation: mid-connection packets
// do not say which side is the client.
func (b *Baseline) knownFlow(a, bb netip.Addr, pa, pb uint16, transport uint8) bool {
	if _, ok := b.Flows[FlowKey{a, bb, transport, pb}]; ok {
		return true
	}
	_, ok := b.Flows[FlowKey{bb, a, transport, pa}]
	return ok
}

// Merge adds what other learnt to b: counts add up, sets and ranges
// unite, peaks take the larger.
func (b *Baseline) Merge(other *Baseline) {
	if other == nil {
		return
	}
	b.From = minTime(b.From, other.From)
	b.Until = maxTime(b.Until, other.Until)
	for k, o := range other.Pairs {
		p := b.pair(k, true)
		if p == nil {
			continue
		}
		mergePair(p, o)
	}
	for k, o := range other.Flows {
		f := b.Flows[k]
		if f == nil {
			if len(b.Flows) >= maxBaseFlows {
				continue
			}
			f = &FlowStat{}
			b.Flows[k] = f
		}
		f.First = minTime(f.First, o.First)
		f.Last = maxTime(f.Last, o.Last)
		f.Packets += o.Packets
	}
}

func mergePair(p, o *Pair) {
	if p.Port == 0 {
		p.Port = o.Port
	}
	for fc, n := range o.Funcs {
		p.addFunc(fc, n)
	}
	for _, s := range o.DiagSubs {
		p.DiagSubs = addSmall(p.DiagSubs, s)
	}
	for _, u := range o.Units {
		p.Units = addSmall(p.Units, u)
	}
	for _, u := range o.MasterLinks {
		p.MasterLinks = addSmall(p.MasterLinks, u)
	}
	for _, g := range o.Groups {
		p.Groups = addSmall(p.Groups, g)
	}
	for t := range p.Ranges {
		for _, r := range o.Ranges[t] {
			p.Ranges[t].Add(r.Lo, r.Hi)
		}
	}
	p.Any = p.Any || o.Any
	p.First = minTime(p.First, o.First)
	p.Last = maxTime(p.Last, o.Last)
	p.Messages += o.Messages
	p.Exceptions += o.Exceptions
	p.PeakPerSecond = max(p.PeakPerSecond, o.PeakPerSecond)
	p.PeakExceptions = max(p.PeakExceptions, o.PeakExceptions)
}

// addSmall adds v to a small sorted set, bounded by maxSmallSet.
func addSmall[T cmp.Ordered](s []T, v T) []T {
	i, found := slices.BinarySearch(s, v)
	if found || len(s) >= maxSmallSet {
		return s
	}
	return slices.Insert(s, i, v)
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Range is an inclusive range of Modbus addresses.
type Range struct{ Lo, Hi uint16 }

func (r Range) String() string {
	if r.Lo == r.Hi {
		return strconv.Itoa(int(r.Lo))
	}
	return strconv.Itoa(int(r.Lo)) + "-" + strconv.Itoa(int(r.Hi))
}

// ParseRange reads "0-99", "7" or "all".
func ParseRange(s string) (Range, error) {
	s = strings.TrimSpace(s)
	if s == "all" || s == "*" {
		return Range{0, 0xFFFF}, nil
	}
	lo, hi, dash := strings.Cut(s, "-")
	a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
	if err != nil {
		return Range{}, fmt.Errorf("range %q: %w", s, err)
	}
	b := a
	if dash {
		if b, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 16); err != nil {
			return Range{}, fmt.Errorf("range %q: %w", s, err)
		}
	}
	if b < a {
		return Range{}, fmt.Errorf("range %q: end before start", s)
	}
	return Range{uint16(a), uint16(b)}, nil
}

// RangeSet is a small sorted set of disjoint ranges. When more than
// maxRanges would be kept, the two closest neighbours merge: the set
// over-approximates rather than grows.
type RangeSet []Range

// Add adds [lo, hi].
func (s *RangeSet) Add(lo, hi uint16) {
	rs := *s
	i := 0
	for i < len(rs) && uint32(rs[i].Hi)+1 < uint32(lo) {
		i++
	}
	j := i
	for j < len(rs) && uint32(rs[j].Lo) <= uint32(hi)+1 {
		lo = min(lo, rs[j].Lo)
		hi = max(hi, rs[j].Hi)
		j++
	}
	if i == j {
		rs = slices.Insert(rs, i, Range{lo, hi})
	} else {
		rs[i] = Range{lo, hi}
		rs = slices.Delete(rs, i+1, j)
	}
	for len(rs) > maxRanges {
		best, gap := 0, uint32(1<<31)
		for k := 0; k+1 < len(rs); k++ {
			if g := uint32(rs[k+1].Lo) - uint32(rs[k].Hi); g < gap {
				best, gap = k, g
			}
		}
		rs[best].Hi = rs[best+1].Hi
		rs = slices.Delete(rs, best+1, best+2)
	}
	*s = rs
}

// Covers says whether every address of [addr, addr+count) is in the set;
// a count of 0 is taken as 1.
func (s RangeSet) Covers(addr, count uint16) bool {
	if count == 0 {
		count = 1
	}
	hi := uint32(addr) + uint32(count) - 1
	for _, r := range s {
		if r.Lo <= addr && uint32(r.Hi) >= hi {
			return true
		}
	}
	return false
}

func (s RangeSet) String() string {
	parts := make([]string, len(s))
	for i, r := range s {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

// sortedPairs returns the pair keys in a stable order.
func (b *Baseline) sortedPairs() []PairKey {
	keys := make([]PairKey, 0, len(b.Pairs))
	for k := range b.Pairs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y PairKey) int {
		return cmp.Or(cmp.Compare(x.Proto, y.Proto), x.Outstation.Compare(y.Outstation), x.Master.Compare(y.Master))
	})
	return keys
}

func (b *Baseline) sortedFlows() []FlowKey {
	keys := make([]FlowKey, 0, len(b.Flows))
	for k := range b.Flows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y FlowKey) int {
		return cmp.Or(x.Server.Compare(y.Server), cmp.Compare(x.Transport, y.Transport), cmp.Compare(x.Port, y.Port), x.Client.Compare(y.Client))
	})
	return keys
}
