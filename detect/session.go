package detect

import (
	"slices"
	"strings"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/ac"
	"github.com/bulwarkhq/bulwark/sigma"
)

// Session evaluates events for one goroutine; it owns the scratch state the
// hot path reuses between events.
type Session struct {
	e        *Engine
	scratch  *sigma.Scratch
	gen      uint32
	ruleMark []uint32
	needles  map[*ac.Automaton][]uint32
	// byKey caches the buckets of each (channel, event id, format) seen.
	byKey   map[lookupKey][]*bucket
	cands   []int32
	hits    []int32
	matched []*sigma.Compiled
	// Evaluated counts full rule evaluations, to measure the prefilter.
	Evaluated int64
}

// NewSession returns a Session over the engine's rules.
func (e *Engine) NewSession() *Session {
	return &Session{
		e:        e,
		scratch:  sigma.NewScratch(),
		ruleMark: make([]uint32, len(e.rules)),
		needles:  map[*ac.Automaton][]uint32{},
		byKey:    map[lookupKey][]*bucket{},
	}
}

// Scratch returns the evaluation state of the last event matched, for
// collecting evidence.
func (s *Session) Scratch() *sigma.Scratch { return s.scratch }

// Match evaluates ev and returns the rule branches that matched it, at most
// one per rule, in rule-set order. The slice is reused by the next call.
func (s *Session) Match(ev *event.Event) []*sigma.Compiled {
	s.matched = s.matched[:0]
	s.scratch.Reset(ev)
	s.nextGen()
	channel, id := "", ""
	if i := s.scratch.Find("Channel"); i >= 0 {
		channel = s.scratch.Lower(i)
		if j := s.scratch.Find("EventID"); j >= 0 {
			id = ev.Fields[j].Value.Str
		}
	}
	s.cands = s.cands[:0]
	for _, b := range s.bucketsFor(ev, channel, id) {
		pf := s.e.prefilterOf(b)
		if pf == nil {
			for _, r := range b.rules {
				s.addCand(r)
			}
			continue
		}
		for _, r := range pf.always {
			s.addCand(r)
		}
		s.scan(ev, pf, channel != "")
	}
	slices.Sort(s.cands)
	for _, r := range s.cands {
		c := s.e.rules[r]
		if s.ruleMatched(c.Rule) {
			continue
		}
		s.Evaluated++
		if c.Match(s.scratch) {
			s.matched = append(s.matched, c)
		}
	}
	return s.matched
}

type lookupKey struct{ channel, id, format string }

// maxLookupKeys bounds the bucket cache against inputs with endless
// distinct channels or event ids.
const maxLookupKeys = 4096

// bucketsFor returns the buckets of the index keys an event of this
// channel, event id and format falls under. Their prefilters are built per
// bucket, not per combination, so that the large ones (process creation)
// are shared and built once.
func (s *Session) bucketsFor(ev *event.Event, channel, id string) []*bucket {
	k := lookupKey{channel, id, ev.Source.Format}
	if bs, ok := s.byKey[k]; ok {
		return bs
	}
	bs := s.e.bucketsFor(ev, channel, id, nil)
	if len(s.byKey) < maxLookupKeys {
		// channel may point into the scratch arena: keep a copy.
		k.channel, k.id, k.format = strings.Clone(channel), strings.Clone(id), strings.Clone(k.format)
		s.byKey[k] = bs
	}
	return bs
}

func (s *Session) nextGen() {
	s.gen++
	if s.gen == 0 { // wrapped: forget every mark
		clear(s.ruleMark)
		for _, m := range s.needles {
			clear(m)
		}
		s.gen = 1
	}
}

func (s *Session) addCand(r int32) {
	if s.ruleMark[r] != s.gen {
		s.ruleMark[r] = s.gen
		s.cands = append(s.cands, r)
	}
}

// scan runs the prefilter's automata over the event's fields and adds the
// rules of every needle found.
func (s *Session) scan(ev *event.Event, pf *prefilter, windows bool) {
	for i := range ev.Fields {
		f := &ev.Fields[i]
		if f.Value.Kind == event.KindNull {
			continue
		}
		if pf.needles.auto != nil && (pf.anyField && sigma.KeywordField(windows, f.Name) || pf.scansField(f.Name)) {
			s.scanValue(i, f, pf.needles)
		}
	}
}

func (s *Session) scanValue(i int, f *event.Field, ns needleSet) {
	marks := s.needles[ns.auto]
	if marks == nil {
		marks = make([]uint32, ns.auto.Len())
		s.needles[ns.auto] = marks
	}
	// The automata fold ASCII case themselves; only text with other
	// bytes needs lower-casing (and a second pass) to be searched soundly.
	hits := s.hits[:0]
	var ascii bool
	if f.Value.Kind == event.KindList {
		for _, v := range f.Value.List {
			if hits, ascii = ns.auto.Scan(v.Str, marks, s.gen, hits); !ascii {
				hits, _ = ns.auto.Scan(sigma.Fold(v.Str), marks, s.gen, hits)
			}
		}
	} else if hits, ascii = ns.auto.Scan(f.Value.Str, marks, s.gen, hits); !ascii {
		hits, _ = ns.auto.Scan(s.scratch.Lower(i), marks, s.gen, hits)
	}
	for _, h := range hits {
		for _, r := range ns.byHit[h] {
			s.addCand(r)
		}
	}
	s.hits = hits
}

func (s *Session) ruleMatched(r *sigma.Rule) bool {
	for _, m := range s.matched {
		if m.Rule == r {
			return true
		}
	}
	return false
}
