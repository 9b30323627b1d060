// Package detect runs a compiled Sigma rule set over streams of events.
//
// Rules are indexed by the Windows channel and event id (or reader format)
// their log source requires, so an event is only offered to the rules that
// could apply to it; within that set, an Aho-Corasick scan of the event's
// values for literals that each rule needs (see sigma.Compiled.Needles)
// leaves only a handful of rules to evaluate fully. Correlation rules are fed
// the matches of the rules they reference.
//
// The engine takes no sinks: callers receive alerts through a callback.
package detect

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/ac"
	"github.com/bulwarkhq/bulwark/sigma"
)

// Options tune an Engine.
type Options struct {
	// MinLevel drops rules below this level (informational < low < ...).
	MinLevel sigma.Level
}

// Engine is an immutable, indexed rule set, shared by any number of
// Sessions.
type Engine struct {
	rs    *sigma.RuleSet
	rules []*sigma.Compiled // all compiled branches in use, by index
	infos map[*sigma.Rule]alert.Rule
	// keys map an index key to the bucket of rules registered under it.
	keys map[indexKey]*bucket
	// channelsKnown and pairsKnown say which channels and (channel, id)
	// pairs have keys of their own, to normalise lookups.
	channelsKnown map[string]bool
	mu            sync.Mutex
	prefilters    map[string]*prefilter // shared by buckets with the same rules
	automata      map[string]*ac.Automaton
}

// indexKey is where a rule is registered: a (lower-case) Windows channel
// and event id, "@format" for reader formats, "@channel" for any Windows
// event, "*" for every event. id "" means any event id.
type indexKey struct {
	channel string
	id      string
}

// bucket holds the rules of one index key.
type bucket struct {
	id    int
	rules []int32 // indexes into Engine.rules, ascending
	once  sync.Once
	pf    *prefilter
}

// prefilter narrows a bucket's rules to those whose needles occur. Needles
// bound to fields are searched in those fields; keyword needles in every
// field keywords search. One automaton holds both kinds.
type prefilter struct {
	needles needleSet
	fields  map[string]bool // the fields field-bound needles may be in
	// fieldSig holds a bit per signature of the names in fields: most
	// fields of an event are not needle fields, and the signature test
	// spares them a map lookup.
	fieldSig *[1 << 16 / 64]uint64
	// anyField is set when some needle is a keyword, which may be in any
	// field that keywords search (sigma.KeywordField): those are scanned
	// too, with the same automaton, so that a field is read once.
	anyField bool
	always   []int32 // rules without needles
}

// needleSet is an automaton and, per needle id, the rules it may wake.
type needleSet struct {
	auto  *ac.Automaton
	byHit [][]int32
}

// smallBucket is the size under which a bucket's rules are simply all
// evaluated: scanning costs more than it saves.
const smallBucket = 6

// New indexes a rule set.
func New(rs *sigma.RuleSet, opts Options) *Engine {
	e := &Engine{rs: rs, infos: map[*sigma.Rule]alert.Rule{}, keys: map[indexKey]*bucket{}, channelsKnown: map[string]bool{}, prefilters: map[string]*prefilter{}, automata: map[string]*ac.Automaton{}}
	for _, c := range rs.Compiled {
		if c.Rule.Level < opts.MinLevel && !rs.Correlated[c.Rule] {
			continue
		}
		idx := int32(len(e.rules))
		e.rules = append(e.rules, c)
		if _, ok := e.infos[c.Rule]; !ok {
			e.infos[c.Rule] = ruleInfo(&c.Rule.Meta, c.Rule.Path)
		}
		for _, k := range keysOf(c) {
			b := e.keys[k]
			if b == nil {
				b = &bucket{id: len(e.keys)}
				e.keys[k] = b
			}
			b.rules = append(b.rules, idx)
			if !strings.HasPrefix(k.channel, "@") && k.channel != "*" {
				e.channelsKnown[k.channel] = true
			}
		}
	}
	return e
}

// RuleSet returns the rule set the engine runs.
func (e *Engine) RuleSet() *sigma.RuleSet { return e.rs }

// Rules returns the number of compiled rule branches in use.
func (e *Engine) Rules() int { return len(e.rules) }

func keysOf(c *sigma.Compiled) []indexKey {
	var keys []indexKey
	switch {
	case len(c.Channels) > 0:
		ids := c.EventIDs
		if len(ids) == 0 {
			ids, _ = c.RequiredValues("EventID")
		}
		for _, ch := range c.Channels {
			if len(ids) == 0 {
				keys = append(keys, indexKey{ch, ""})
				continue
			}
			for _, id := range ids {
				keys = append(keys, indexKey{ch, id})
			}
		}
	case len(c.Formats) > 0:
		for _, f := range c.Formats {
			keys = append(keys, indexKey{"@" + f, ""})
		}
	case slices.Contains(c.Branch.Requires, "Channel"):
		keys = append(keys, indexKey{"@channel", ""})
	default:
		keys = append(keys, indexKey{"*", ""})
	}
	slices.SortFunc(keys, func(a, b indexKey) int {
		return strings.Compare(a.channel+"\x00"+a.id, b.channel+"\x00"+b.id)
	})
	return slices.Compact(keys)
}

// bucketsFor appends the buckets that may hold rules for ev.
func (e *Engine) bucketsFor(ev *event.Event, channel, id string, out []*bucket) []*bucket {
	if channel != "" {
		if e.channelsKnown[channel] {
			if b := e.keys[indexKey{channel, id}]; b != nil && id != "" {
				out = append(out, b)
			}
			if b := e.keys[indexKey{channel, ""}]; b != nil {
				out = append(out, b)
			}
		}
		if b := e.keys[indexKey{"@channel", ""}]; b != nil {
			out = append(out, b)
		}
	}
	if b := e.keys[indexKey{"@" + ev.Source.Format, ""}]; b != nil {
		out = append(out, b)
	}
	if b := e.keys[indexKey{"*", ""}]; b != nil {
		out = append(out, b)
	}
	return out
}

// prefilterOf builds (once) the prefilter of a bucket, sharing it with any
// other bucket that has exactly the same rules.
func (e *Engine) prefilterOf(b *bucket) *prefilter {
	b.once.Do(func() {
		if len(b.rules) <= smallBucket {
			return
		}
		var sig []byte
		for _, r := range b.rules {
			sig = strconv.AppendInt(sig, int64(r), 36)
			sig = append(sig, ',')
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if pf, ok := e.prefilters[string(sig)]; ok {
			b.pf = pf
			return
		}
		b.pf = e.buildPrefilter(b.rules)
		e.prefilters[string(sig)] = b.pf
	})
	return b.pf
}

func (e *Engine) buildPrefilter(rules []int32) *prefilter {
	pf := &prefilter{fields: map[string]bool{}}
	byText := map[string][]int32{}
	for _, r := range rules {
		needles, ok := e.rules[r].Needles()
		if !ok {
			pf.always = append(pf.always, r)
			continue
		}
		for _, n := range needles {
			if n.Field == "" {
				pf.anyField = true
			} else {
				pf.fields[n.Field] = true
			}
			if l := byText[n.Text]; len(l) == 0 || l[len(l)-1] != r {
				byText[n.Text] = append(l, r)
			}
		}
	}
	pf.needles = e.needleSet(byText)
	pf.fieldSig = new([1 << 16 / 64]uint64)
	for f := range pf.fields {
		sig := nameSig(f)
		pf.fieldSig[sig/64] |= 1 << (sig % 64)
	}
	return pf
}

// nameSig is a cheap 16-bit signature of a field name: its length and
// first and last bytes.
func nameSig(name string) uint32 {
	if name == "" {
		return 0
	}
	return (uint32(len(name))&0x3f)<<10 ^ uint32(name[0])<<5 ^ uint32(name[len(name)-1])
}

// scansField reports whether the field-bound needles may be in field name.
func (pf *prefilter) scansField(name string) bool {
	sig := nameSig(name)
	return pf.fieldSig[sig/64]&(1<<(sig%64)) != 0 && pf.fields[name]
}

// needleSet builds the automaton of some needles. Branches of the same
// rules (Sysmon 1 and Security 4688 for process creation) have the same
// needles: their automaton is built once.
func (e *Engine) needleSet(byText map[string][]int32) needleSet {
	var ns needleSet
	if len(byText) == 0 {
		return ns
	}
	texts := make([]string, 0, len(byText))
	for t := range byText {
		texts = append(texts, t)
	}
	sort.Strings(texts)
	for _, t := range texts {
		ns.byHit = append(ns.byHit, byText[t])
	}
	key := strings.Join(texts, "\x00")
	if a, ok := e.automata[key]; ok {
		ns.auto = a
	} else {
		ns.auto = ac.Build(texts)
		ns.auto.FoldASCII() // the needles are lower case; events are not
		e.automata[key] = ns.auto
	}
	return ns
}
