package dnp3

import (
	"fmt"

	"github.com/bulwarkhq/bulwark/ot"
)

// MaxFragment bounds a reassembled application fragment. Devices
// negotiate fragments of a few KiB (2048 is the common default); a longer
// one is dropped and reported.
const MaxFragment = 64 << 10

// maxAssemblies bounds how many (source, destination, direction)
// reassemblies one stream keeps: one TCP connection normally carries one
// link pair, a gateway a few.
const maxAssemblies = 4

// assembly is one application fragment being rebuilt from transport
// segments.
type assembly struct {
	src, dst uint16
	dir      ot.Dir
	inUse    bool
	active   bool  // a FIR segment started a fragment not yet finished
	seq      uint8 // sequence number of the last segment accepted
	lastUse  uint64
	buf      []byte
}

type reassembler struct {
	slots [maxAssemblies]assembly
	clock uint64
}

// slot finds the assembly of m's link address pair and direction, or
// recycles the least recently used one.
func (r *reassembler) slot(m *ot.Message) *assembly {
	r.clock++
	victim := &r.slots[0]
	for i := range r.slots {
		a := &r.slots[i]
		if a.inUse && a.src == m.Source && a.dst == m.Unit && a.dir == m.Dir {
			a.lastUse = r.clock
			return a
		}
		if !a.inUse || (victim.inUse && a.lastUse < victim.lastUse) {
			victim = a
		}
	}
	buf := victim.buf[:0]
	*victim = assembly{src: m.Source, dst: m.Unit, dir: m.Dir, inUse: true, lastUse: r.clock, buf: buf}
	return victim
}

// transport handles one segment (the user data of a link frame) the way
// IEEE 1815's transport function does: FIR starts a fragment (dropping an
// unfinished one), a segment without FIR must follow the previous one's
// sequence number or the fragment is discarded, FIN completes it.
func (p *Parser) transport(m *ot.Message, seg []byte) {
	th := seg[0]
	fir, fin, seq := th&transportFIR != 0, th&transportFIN != 0, th&0x3F
	payload := seg[1:]
	a := p.reasm.slot(m)
	switch {
	case fir && fin:
		a.active = false
		a.buf = a.buf[:0]
		p.application(m, payload)
		return
	case fir:
		a.active = true
		a.buf = a.buf[:0]
	case !a.active:
		// Nothing to continue: a device discards the segment.
		return
	case seq == a.seq:
		// A repeated segment (link retry): ignore it.
		return
	case seq != (a.seq+1)&0x3F:
		a.active = false
		a.buf = a.buf[:0]
		return
	}
	a.seq = seq
	if len(a.buf)+len(payload) > MaxFragment {
		m.Malformed = fmt.Sprintf("application fragment longer than %d bytes: dropped", MaxFragment)
		a.active = false
		a.buf = a.buf[:0]
		return
	}
	a.buf = append(a.buf, payload...)
	if fin {
		a.active = false
		p.application(m, a.buf)
		a.buf = a.buf[:0]
	}
}
