package sigma

import (
	"strings"
	"sync"

	"github.com/bulwarkhq/bulwark/internal/ac"
)

// containsSet tests many "contains" values at once with one Aho-Corasick
// pass instead of one substring search per value: rules often list dozens
// of command-line fragments or keywords.
type containsSet struct {
	lazy  *lazyAutomaton
	group []int32 // needle id → value (group) index
	n     int     // number of groups
	all   bool
}

// lazyAutomaton is built the first time a rule using it is evaluated:
// most rules never are on a given input, and the long hash lists of some
// would otherwise hold tens of megabytes for nothing.
type lazyAutomaton struct {
	texts []string
	once  sync.Once
	auto  *ac.Automaton
}

func (l *lazyAutomaton) get() *ac.Automaton {
	l.once.Do(func() {
		l.auto = ac.BuildBudget(l.texts, setDenseBudget)
		l.texts = nil
	})
	return l.auto
}

// setDenseBudget is the memory for full rows per contains-set automaton:
// only candidate rules evaluate these, on one field, so small tables will
// do (a list of 5,000 driver hashes would otherwise take the 16 MB a
// prefilter gets).
const setDenseBudget = 256 << 10

// minSetSize is the number of values from which a set beats a loop of
// strings.Contains.
const minSetSize = 4

// setCache shares the automata of identical value lists: a rule compiled
// for two log source branches (Sysmon and Security process creation) and
// rules that repeat a list would otherwise build them twice.
type setCache map[string]*lazyAutomaton

// newContainsSet returns a set for groups whose every matcher is a
// case-insensitive contains, or nil.
func newContainsSet(groups [][]valueMatcher, all bool, cache setCache) *containsSet {
	var texts []string
	var group []int32
	for gi, g := range groups {
		for _, m := range g {
			sm, ok := m.(*strMatcher)
			if !ok || sm.op != opContains || sm.cased || sm.lit == "" {
				return nil
			}
			texts = append(texts, sm.lit)
			group = append(group, int32(gi))
		}
	}
	if len(texts) < minSetSize {
		return nil
	}
	key := strings.Join(texts, "\x00")
	lazy, ok := cache[key]
	if !ok {
		lazy = &lazyAutomaton{texts: texts}
		if cache != nil {
			cache[key] = lazy
		}
	}
	return &containsSet{lazy: lazy, group: group, n: len(groups), all: all}
}

// scanState tracks which groups have been seen across several scans (the
// fields of an event, for keywords with all).
type scanState struct {
	marks []uint32
	gen   uint32
	seen  int
	hits  []int32
}

func (cs *containsSet) begin(s *Scratch) *scanState {
	st := &s.set
	if !cs.all {
		return st
	}
	if len(st.marks) < cs.lazy.get().Len() {
		st.marks = make([]uint32, cs.lazy.get().Len())
	}
	st.gen++
	if st.gen == 0 {
		clear(st.marks)
		st.gen = 1
	}
	st.seen = 0
	if cap(s.groupSeen) < cs.n {
		s.groupSeen = make([]uint32, cs.n)
	}
	s.groupSeen = s.groupSeen[:cs.n]
	return st
}

// feed scans one lower-cased text and reports whether the set is satisfied.
func (cs *containsSet) feed(s *Scratch, st *scanState, lower string) bool {
	if !cs.all {
		return cs.lazy.get().Contains(lower)
	}
	st.hits, _ = cs.lazy.get().Scan(lower, st.marks, st.gen, st.hits[:0])
	for _, id := range st.hits {
		g := cs.group[id]
		if s.groupSeen[g] != st.gen {
			s.groupSeen[g] = st.gen
			st.seen++
		}
	}
	return st.seen == cs.n
}
