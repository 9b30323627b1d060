package ioc

import (
	"net/netip"
	"slices"
)

// CIDRs are kept as a sorted list of disjoint intervals of the IPv6 space
// (IPv4 addresses as v4-mapped), each naming the innermost prefix that
// covers it; prefixes point at the prefix that contains them. A lookup is
// one binary search, then a walk up the containing prefixes, so nested
// indicators (a /16 and a /24 inside it) both match without the interval
// list repeating the outer one at every inner boundary. Prefixes either
// nest or are disjoint, which is what makes the single innermost name per
// interval enough.

// u128 is an address as a 128-bit number.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) next() (u128, bool) {
	if a.lo != ^uint64(0) {
		return u128{a.hi, a.lo + 1}, true
	}
	if a.hi != ^uint64(0) {
		return u128{a.hi + 1, 0}, true
	}
	return a, false
}

func addrU128(a netip.Addr) u128 {
	b := a.As16()
	return u128{beUint64(b[:8]), beUint64(b[8:])}
}

func beUint64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// lastOf returns the last address of the masked prefix p.
func lastOf(p netip.Prefix) u128 {
	a := addrU128(p.Addr())
	host := 128 - p.Bits()
	if p.Addr().Is4() {
		host = 32 - p.Bits()
	}
	switch {
	case host >= 64:
		a.lo = ^uint64(0)
		a.hi |= (uint64(1)<<(host-64) - 1)
		if host == 128 {
			a.hi = ^uint64(0)
		}
	case host > 0:
		a.lo |= uint64(1)<<host - 1
	}
	return a
}

type cidrNode struct {
	start, end u128
	head       int32 // first entry
}

type cidrBuilder struct {
	nodes []cidrNode
	index map[netip.Prefix]int32
}

// add records that indicator ind has prefix p (masked) as a kind k value.
func (b *cidrBuilder) add(s *Set, p netip.Prefix, ind int32, k Kind) {
	if b.index == nil {
		b.index = make(map[netip.Prefix]int32)
	}
	id, ok := b.index[p]
	if !ok {
		id = int32(len(b.nodes))
		b.index[p] = id
		b.nodes = append(b.nodes, cidrNode{start: addrU128(p.Addr()), end: lastOf(p), head: -1})
	}
	nd := &b.nodes[id]
	off, n := uint32(len(s.arena)), uint16(0)
	if nd.head >= 0 {
		prev := &s.entries[nd.head]
		if prev.ind == ind {
			return
		}
		off, n = prev.off, prev.n
	} else {
		s.arena = p.AppendTo(s.arena)
		n = uint16(uint32(len(s.arena)) - off)
	}
	s.entries = append(s.entries, entry{off: off, n: n, ind: ind, next: nd.head, kind: k, cidr: true})
	nd.head = int32(len(s.entries) - 1)
}

type cidrs struct {
	starts []u128  // sorted interval starts
	inner  []int32 // innermost node of each interval, -1 for a gap
	parent []int32 // per node: the node containing it, -1 for none
	head   []int32 // per node: its first entry
}

func (b *cidrBuilder) build() cidrs {
	nodes := b.nodes
	// Outer prefixes sort before the inner ones that start at the same
	// address.
	slices.SortFunc(nodes, func(x, y cidrNode) int {
		switch {
		case x.start.less(y.start):
			return -1
		case y.start.less(x.start):
			return 1
		case y.end.less(x.end):
			return -1
		case x.end.less(y.end):
			return 1
		}
		return 0
	})
	var c cidrs
	c.parent = make([]int32, len(nodes))
	c.head = make([]int32, len(nodes))
	emit := func(start u128, n int32) {
		if k := len(c.starts); k > 0 && c.starts[k-1] == start {
			c.inner[k-1] = n
			return
		}
		if k := len(c.inner); k > 0 && c.inner[k-1] == n {
			return
		}
		c.starts = append(c.starts, start)
		c.inner = append(c.inner, n)
	}
	var stack []int32
	top := func() int32 {
		if len(stack) == 0 {
			return -1
		}
		return stack[len(stack)-1]
	}
	// pop closes the innermost open prefix; what follows it belongs to
	// the prefix containing it.
	pop := func() {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if after, ok := nodes[t].end.next(); ok {
			emit(after, top())
		}
	}
	for i := range nodes {
		for len(stack) > 0 && nodes[top()].end.less(nodes[i].start) {
			pop()
		}
		c.parent[i] = top()
		c.head[i] = nodes[i].head
		stack = append(stack, int32(i))
		emit(nodes[i].start, int32(i))
	}
	for len(stack) > 0 {
		pop()
	}
	return c
}

// find returns the innermost node containing a, -1 if none.
func (c *cidrs) find(a u128) int32 {
	// The largest i with starts[i] <= a.
	lo, hi := 0, len(c.starts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if a.less(c.starts[m]) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo == 0 {
		return -1
	}
	return c.inner[lo-1]
}
