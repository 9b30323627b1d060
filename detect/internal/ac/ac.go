// Package ac is an Aho-Corasick automaton specialised for the detection
// engine's prefilter: it finds which of many literal needles occur in a
// string, in one pass, without allocating.
//
// General-purpose Go libraries exist, but they allocate per match or per
// search and store 256-way node tables; here the automaton is a dense DFA
// over byte classes (only the bytes that occur in needles are told apart),
// and hits are reported through a reusable mark array.
package ac

import "sort"

// Automaton finds needles in text. It is immutable after Build and safe for
// concurrent use.
type Automaton struct {
	classes [256]uint16
	nclass  int
	// trans[state*nclass+class] is the next state, with outFlag set when
	// that state reports at least one needle.
	trans    []uint32
	outStart []uint32 // outputs of state s are outs[outStart[s]:outStart[s+1]]
	outs     []int32
	n        int
}

const outFlag = 1 << 31

// maxStates bounds the automaton (and so its memory) for hostile inputs.
const maxStates = 1 << 24

// Build compiles the needles; the id reported for a needle is its index.
// Empty needles are ignored.
func Build(needles []string) *Automaton {
	// Byte classes: each byte that occurs in a needle gets its own class;
	// every other byte shares class 0.
	var used [256]bool
	for _, n := range needles {
		for i := 0; i < len(n); i++ {
			used[n[i]] = true
		}
	}
	a := &Automaton{nclass: 1, n: len(needles)}
	for b := 0; b < 256; b++ {
		if used[b] {
			a.classes[b] = uint16(a.nclass)
			a.nclass++
		}
	}
	// Trie with sparse children.
	type tnode struct {
		next map[uint16]uint32
		out  []int32
		fail uint32
	}
	nodes := []tnode{{next: map[uint16]uint32{}}}
	for id, n := range needles {
		if n == "" {
			continue
		}
		s := uint32(0)
		for i := 0; i < len(n); i++ {
			c := a.classes[n[i]]
			nx, ok := nodes[s].next[c]
			if !ok {
				if len(nodes) >= maxStates {
					break
				}
				nx = uint32(len(nodes))
				nodes = append(nodes, tnode{next: map[uint16]uint32{}})
				nodes[s].next[c] = nx
			}
			s = nx
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}
	// Breadth-first: failure links, inherited outputs and the dense table.
	nc := a.nclass
	a.trans = make([]uint32, len(nodes)*nc)
	order := make([]uint32, 0, len(nodes))
	order = append(order, 0)
	for c := 0; c < nc; c++ {
		if nx, ok := nodes[0].next[uint16(c)]; ok {
			nodes[nx].fail = 0
			a.trans[c] = nx
			order = append(order, nx)
		}
	}
	for qi := 1; qi < len(order); qi++ {
		s := order[qi]
		f := nodes[s].fail
		nodes[s].out = append(nodes[s].out, nodes[f].out...)
		for c := 0; c < nc; c++ {
			if nx, ok := nodes[s].next[uint16(c)]; ok {
				nodes[nx].fail = a.trans[int(f)*nc+c] &^ outFlag
				a.trans[int(s)*nc+c] = nx
				order = append(order, nx)
			} else {
				a.trans[int(s)*nc+c] = a.trans[int(f)*nc+c] &^ outFlag
			}
		}
	}
	a.outStart = make([]uint32, len(nodes)+1)
	for s := range nodes {
		out := nodes[s].out
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		a.outStart[s] = uint32(len(a.outs))
		a.outs = append(a.outs, out...)
	}
	a.outStart[len(nodes)] = uint32(len(a.outs))
	for i, nx := range a.trans {
		if a.outStart[nx] != a.outStart[nx+1] {
			a.trans[i] = nx | outFlag
		}
	}
	return a
}

// Len is the number of needles the automaton was built with.
func (a *Automaton) Len() int { return a.n }

// States is the number of DFA states, for sizing reports.
func (a *Automaton) States() int { return len(a.outStart) - 1 }

// Scan reports every needle occurring in s that is not yet marked with gen
// in marks (len(marks) >= Len()), marks it, and appends its id to hits.
func (a *Automaton) Scan(s string, marks []uint32, gen uint32, hits []int32) []int32 {
	nc := uint32(a.nclass)
	trans := a.trans
	classes := &a.classes
	state := uint32(0)
	for i := 0; i < len(s); i++ {
		nx := trans[state*nc+uint32(classes[s[i]])]
		if nx&outFlag != 0 {
			nx &^= outFlag
			for _, id := range a.outs[a.outStart[nx]:a.outStart[nx+1]] {
				if marks[id] != gen {
					marks[id] = gen
					hits = append(hits, id)
				}
			}
		}
		state = nx
	}
	return hits
}
