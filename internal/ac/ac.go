// Package ac is an Aho-Corasick automaton specialised for the detection
// engine: it finds which of many literal needles occur in a string, in one
// pass, without allocating.
//
// General-purpose Go libraries exist, but they allocate per match or per
// search, or store two 256-way tables per node (about 4 KiB a state). Here
// the shallow states, where a scan spends nearly all its time, have full
// transition rows over byte classes (only the bytes that occur in needles
// are told apart), so most input bytes cost one table lookup; deeper states
// keep only their trie edges and fall back along failure links to a
// shallow state. Memory stays proportional to the needles: a set of 5,600
// SHA-256 hashes takes a few megabytes, not the 36 MB of a full table.
package ac

import (
	"sort"
	"unsafe"
)

// DefaultDenseBudget bounds the memory of full transition rows of an
// automaton; states get them in breadth-first order (shallowest first)
// until the budget is spent, and always down to minDenseDepth.
const (
	DefaultDenseBudget = 16 << 20
	minDenseDepth      = 2
)

// outFlag marks row entries whose target state reports needles.
const outFlag = 1 << 31

// maxStates bounds the automaton (and so its memory) for hostile inputs.
const maxStates = 1 << 26

// Automaton finds needles in text. It is immutable after Build and safe for
// concurrent use.
type Automaton struct {
	classes [256]uint8
	nclass  int
	// Trie, by state: its edges are edges[edgeStart[s]:edgeStart[s+1]],
	// sorted by class.
	edgeStart []uint32
	edges     []edge
	fail      []uint32
	// dense[s] is the index of s's full row in rows (times nclass), or
	// noRow for deep states.
	dense []uint32
	rows  []uint32
	// outputs of state s: outs[outStart[s]:outStart[s+1]]
	outStart []uint32
	outs     []int32
	n        int
	// full is set when every state has a row: rows then hold the target's
	// row offset instead of its id, and scans take the tight loop;
	// rowState maps a row (offset/nclass) back to its state.
	full     bool
	rowState []uint32
}

type edge struct {
	class uint8
	to    uint32
}

const noRow = ^uint32(0)

// Build compiles the needles with the default budget for dense rows; the
// id reported for a needle is its index. Empty needles are ignored.
func Build(needles []string) *Automaton { return BuildBudget(needles, DefaultDenseBudget) }

// BuildBudget is Build with denseBudget bytes for full transition rows:
// more is faster on long text, less is smaller.
func BuildBudget(needles []string, denseBudget int) *Automaton {
	a := &Automaton{n: len(needles)}
	var used [256]bool
	for _, n := range needles {
		for i := 0; i < len(n); i++ {
			used[n[i]] = true
		}
	}
	a.nclass = 1
	for b := 0; b < 256; b++ {
		if used[b] && a.nclass < 256 {
			a.classes[b] = uint8(a.nclass)
			a.nclass++
		}
	}
	// Insert the needles in sorted order so that every state's children
	// are created in class order, as contiguous runs of a DFS: the trie
	// is then laid out with sorted edge lists and no maps.
	order := make([]int, 0, len(needles))
	for i, n := range needles {
		if n != "" {
			order = append(order, i)
		}
	}
	sort.Slice(order, func(i, j int) bool {
		x, y := needles[order[i]], needles[order[j]]
		// Sort by class sequence, which orders like the bytes do.
		return x < y
	})
	type tnode struct {
		edges []edge
		depth uint8
		out   []int32
	}
	nodes := []tnode{{}}
	path := []uint32{0} // states along the previous needle
	prev := ""
	for _, id := range order {
		n := needles[id]
		lcp := 0
		for lcp < len(n) && lcp < len(prev) && n[lcp] == prev[lcp] {
			lcp++
		}
		path = path[:lcp+1]
		s := path[lcp]
		for i := lcp; i < len(n) && len(nodes) < maxStates; i++ {
			nx := uint32(len(nodes))
			d := nodes[s].depth
			if d < 255 {
				d++
			}
			nodes = append(nodes, tnode{depth: d})
			nodes[s].edges = append(nodes[s].edges, edge{class: a.classes[n[i]], to: nx})
			s = nx
			path = append(path, s)
		}
		if len(path) == len(n)+1 {
			nodes[path[len(n)]].out = append(nodes[path[len(n)]].out, int32(id))
		}
		prev = n
	}
	states := len(nodes)
	a.edgeStart = make([]uint32, states+1)
	for s := range nodes {
		a.edgeStart[s] = uint32(len(a.edges))
		a.edges = append(a.edges, nodes[s].edges...)
	}
	a.edgeStart[states] = uint32(len(a.edges))

	// Breadth-first: failure links, inherited outputs, dense rows.
	nc := a.nclass
	a.fail = make([]uint32, states)
	a.dense = make([]uint32, states)
	a.rows = make([]uint32, 0, min(states, max(denseBudget/(4*nc), 1))*nc)
	outs := make([][]int32, states)
	queue := make([]uint32, 1, states)
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		outs[s] = nodes[s].out
		if s != 0 {
			if f := a.fail[s]; len(outs[f]) > 0 {
				outs[s] = append(outs[s][:len(outs[s]):len(outs[s])], outs[f]...)
			}
		}
		a.dense[s] = noRow
		if nodes[s].depth < minDenseDepth || (len(a.rows)+nc)*4 <= denseBudget && (s == 0 || a.dense[a.fail[s]] != noRow) {
			a.dense[s] = uint32(len(a.rows))
			a.rows = append(a.rows, make([]uint32, nc)...)
			row := a.rows[int(a.dense[s]):]
			if s != 0 {
				// Shallower than s, so its row is complete.
				copy(row[:nc], a.rows[int(a.dense[a.fail[s]]):int(a.dense[a.fail[s]])+nc])
			}
			for _, e := range nodes[s].edges {
				row[e.class] = e.to
			}
		}
		for _, e := range nodes[s].edges {
			if s == 0 {
				a.fail[e.to] = 0
			} else {
				a.fail[e.to] = a.step(a.fail[s], e.class)
			}
			queue = append(queue, e.to)
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
	a.full = len(a.rows) == states*nc
	if a.full {
		a.rowState = make([]uint32, states)
		for st, r := range a.dense {
			a.rowState[int(r)/nc] = uint32(st)
		}
	}
	for i, nx := range a.rows {
		v := nx
		if a.full {
			v = a.dense[nx]
		}
		if a.outStart[nx] != a.outStart[nx+1] {
			v |= outFlag
		}
		a.rows[i] = v
	}
	return a
}

// step is the full transition function: from s on class c.
func (a *Automaton) step(s uint32, c uint8) uint32 {
	for {
		if r := a.dense[s]; r != noRow {
			return a.rows[int(r)+int(c)] &^ outFlag // never full: step serves sparse automata
		}
		es := a.edges[a.edgeStart[s]:a.edgeStart[s+1]]
		for _, e := range es {
			if e.class == c {
				return e.to
			}
			if e.class > c {
				break
			}
		}
		s = a.fail[s]
	}
}

// Len is the number of needles the automaton was built with.
func (a *Automaton) Len() int { return a.n }

// States is the number of states, for sizing reports.
func (a *Automaton) States() int { return len(a.fail) }

// FoldASCII makes the automaton match ASCII letters of either case, for
// needles that are all lower case: text can then be scanned without
// lower-casing it first. Call it before the automaton is shared.
func (a *Automaton) FoldASCII() {
	for c := 'A'; c <= 'Z'; c++ {
		a.classes[c] = a.classes[c+'a'-'A']
	}
}

// Scan reports every needle occurring in s that is not yet marked with gen
// in marks (len(marks) >= Len()), marks it, and appends its id to hits.
// ascii reports whether s held only ASCII bytes: with FoldASCII, text that
// does not must be lower-cased and scanned again to find needles whose case
// variants are not ASCII (é and É, or the Kelvin sign and k).
func (a *Automaton) Scan(s string, marks []uint32, gen uint32, hits []int32) (_ []int32, ascii bool) {
	if a.full {
		return a.scanFull(s, marks, gen, hits)
	}
	state := uint32(0)
	rows, dense, outStart := a.rows, a.dense, a.outStart
	var seen byte
	for i := 0; i < len(s); i++ {
		seen |= s[i]
		c := a.classes[s[i]]
		if r := dense[state]; r != noRow {
			nx := rows[int(r)+int(c)]
			state = nx &^ outFlag
			if nx&outFlag == 0 {
				continue
			}
		} else {
			state = a.step(state, c)
			if outStart[state] == outStart[state+1] {
				continue
			}
		}
		for _, id := range a.outs[outStart[state]:outStart[state+1]] {
			if marks[id] != gen {
				marks[id] = gen
				hits = append(hits, id)
			}
		}
	}
	return hits, seen < 0x80
}

// scanFull is Scan for automata whose every state has a row. It is the
// engine's hottest loop, so it reads the table without bounds checks: every
// offset in rows is a row start (a multiple of nclass below len(rows)) and
// every class is below nclass, which Build guarantees.
func (a *Automaton) scanFull(s string, marks []uint32, gen uint32, hits []int32) ([]int32, bool) {
	rows := unsafe.Pointer(unsafe.SliceData(a.rows))
	classes := &a.classes
	nc := uint32(a.nclass)
	off := uint32(0)
	var seen byte
	for i := 0; i < len(s); i++ {
		b := s[i]
		seen |= b
		nx := *(*uint32)(unsafe.Add(rows, uintptr(off+uint32(classes[b]))*4))
		off = nx &^ outFlag
		if nx&outFlag == 0 {
			continue
		}
		st := a.rowState[off/nc]
		for _, id := range a.outs[a.outStart[st]:a.outStart[st+1]] {
			if marks[id] != gen {
				marks[id] = gen
				hits = append(hits, id)
			}
		}
	}
	return hits, seen < 0x80
}

// Contains reports whether any needle occurs in s.
func (a *Automaton) Contains(s string) bool {
	if a.full {
		rows := a.rows
		off := uint32(0)
		for i := 0; i < len(s); i++ {
			nx := rows[off+uint32(a.classes[s[i]])]
			if nx&outFlag != 0 {
				return true
			}
			off = nx
		}
		return false
	}
	state := uint32(0)
	rows, dense, outStart := a.rows, a.dense, a.outStart
	for i := 0; i < len(s); i++ {
		c := a.classes[s[i]]
		if r := dense[state]; r != noRow {
			nx := rows[int(r)+int(c)]
			if nx&outFlag != 0 {
				return true
			}
			state = nx
		} else {
			state = a.step(state, c)
			if outStart[state] != outStart[state+1] {
				return true
			}
		}
	}
	return false
}
