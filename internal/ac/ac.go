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
	// The trie is built directly in the dense table: trans[s*nc+c] is the
	// child of s on class c, or 0 (the root is nobody's child).
	nc := a.nclass
	a.trans = make([]uint32, nc, nc*countStates(needles))
	outs := [][]int32{nil}
	for id, n := range needles {
		if n == "" {
			continue
		}
		s := 0
		for i := 0; i < len(n); i++ {
			c := int(a.classes[n[i]])
			nx := int(a.trans[s*nc+c])
			if nx == 0 {
				if len(outs) >= maxStates {
					break
				}
				nx = len(outs)
				outs = append(outs, nil)
				a.trans = append(a.trans, make([]uint32, nc)...)
				a.trans[s*nc+c] = uint32(nx)
			}
			s = nx
		}
		outs[s] = append(outs[s], int32(id))
	}
	// Breadth-first: failure links, inherited outputs, and the missing
	// transitions filled in from the failure state's (already complete) row.
	states := len(outs)
	fail := make([]uint32, states)
	queue := make([]uint32, 0, states)
	for c := 0; c < nc; c++ {
		if nx := a.trans[c]; nx != 0 {
			queue = append(queue, nx)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := int(queue[qi])
		f := int(fail[s])
		if len(outs[f]) > 0 {
			outs[s] = append(outs[s], outs[f]...)
		}
		row := a.trans[s*nc : s*nc+nc]
		frow := a.trans[f*nc : f*nc+nc]
		for c := 0; c < nc; c++ {
			if nx := row[c]; nx != 0 {
				fail[nx] = frow[c]
				queue = append(queue, nx)
			} else {
				row[c] = frow[c]
			}
		}
	}
	a.outStart = make([]uint32, states+1)
	for s := range outs {
		out := outs[s]
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		a.outStart[s] = uint32(len(a.outs))
		a.outs = append(a.outs, out...)
	}
	a.outStart[states] = uint32(len(a.outs))
	for i, nx := range a.trans {
		if a.outStart[nx] != a.outStart[nx+1] {
			a.trans[i] = nx | outFlag
		}
	}
	return a
}

// countStates returns the number of trie states the needles need: one per
// distinct non-empty prefix, plus the root.
func countStates(needles []string) int {
	sorted := make([]string, 0, len(needles))
	for _, n := range needles {
		if n != "" {
			sorted = append(sorted, n)
		}
	}
	sort.Strings(sorted)
	states := 1
	prev := ""
	for _, n := range sorted {
		lcp := 0
		for lcp < len(n) && lcp < len(prev) && n[lcp] == prev[lcp] {
			lcp++
		}
		states += len(n) - lcp
		prev = n
	}
	return min(states, maxStates)
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

// Contains reports whether any needle occurs in s.
func (a *Automaton) Contains(s string) bool {
	nc := uint32(a.nclass)
	state := uint32(0)
	for i := 0; i < len(s); i++ {
		state = a.trans[state*nc+uint32(a.classes[s[i]])]
		if state&outFlag != 0 {
			return true
		}
	}
	return false
}
