package ioc

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"iter"
	"net/netip"
	"slices"
	"time"

	"github.com/bulwarkhq/bulwark/intel"
)

// Set is a compiled set of simple indicators. It is immutable once
// compiled and safe for concurrent use; each goroutine matches through
// its own Matcher.
//
// Every exact value (addresses, domains, URLs, e-mail addresses, digests)
// lives in one chained hash table: a power-of-two array of buckets, each
// the first of a chain of entries whose 64-bit hash of (kind, normalised
// bytes) falls in it; an entry points at its bytes in one shared arena.
// That costs about 30 bytes per value plus the value itself, against the
// 80 or more of a map[string] per kind with a string header and an
// allocation per key. CIDRs live in a sorted interval list.
type Set struct {
	tab     *table // the indicators, compactly
	seed    maphash.Seed
	buckets []int32 // hash(kind, key) & (len-1) -> first entry, -1 for none
	filter  filter  // says "no" to most absent keys without touching buckets
	entries []entry
	arena   []byte
	cidr    cidrs
	has     [numKinds]bool // kinds present, so matching skips the rest
	hasCIDR bool
	n       int
}

// entry is one comparison of one indicator.
type entry struct {
	hash uint64 // of (kind, key): its bucket, its filter bits, and a quick compare
	off  uint32 // key bytes in arena: raw address, digest bytes, or normalised text; a CIDR's text
	ind  int32  // index in Set.tab
	next int32  // next entry in the same bucket, or of the same CIDR; -1 at the end
	n    uint16 // key length (maxKey at most)
	kind Kind
	cidr bool // in a CIDR's list, not in a bucket
}

// maxKey bounds a value's normalised length, so that entry.n is 16 bits.
const maxKey = 1<<16 - 1

// Options tune Compile.
type Options struct {
	// ExpiredBefore, when set, drops indicators whose valid_until is
	// before it. Matching still checks validity against each event's time,
	// so this only saves memory; leave it zero when old events are
	// replayed.
	ExpiredBefore time.Time
}

// Report says what Compile did with each indicator, so that none is lost
// silently.
type Report struct {
	Compiled int // simple indicators now in the set
	// NotSimple are the indicators whose pattern is not simple: the
	// caller evaluates them with intel/pattern.
	NotSimple []intel.Indicator
	// Unsupported counts indicators whose pattern_type is not "stix".
	Unsupported int
	Expired     int
	// Invalid are simple patterns with a value that cannot match anything
	// (an address that does not parse, a digest of the wrong length).
	Invalid []IndicatorError
}

// IndicatorError is an indicator Compile could not use.
type IndicatorError struct {
	Index int // its position in the input
	ID    string
	Err   error
}

func (e IndicatorError) Error() string { return fmt.Sprintf("indicator %s: %v", e.ID, e.Err) }

// Compile builds a Set from the simple indicators of inds. The Set keeps
// its own compact copy of what it needs: inds may be dropped or reused.
func Compile(inds []intel.Indicator, opts Options) (*Set, Report) {
	return CompileSeq(slices.Values(inds), len(inds), opts)
}

// CompileSeq builds a Set from a sequence of indicators, so that a large
// feed never has to be held whole in memory: the Set keeps about 150 bytes
// of each indicator, where an intel.Indicator value takes about 350.
// sizeHint is the expected count, or 0.
func CompileSeq(inds iter.Seq[intel.Indicator], sizeHint int, opts Options) (*Set, Report) {
	s := &Set{tab: newTable(sizeHint), seed: maphash.MakeSeed()}
	s.entries = make([]entry, 0, sizeHint)
	s.rebucket(sizeHint)
	var r Report
	var b cidrBuilder
	var key []byte
	i := -1
	for in := range inds {
		i++
		if in.PatternType != "" && in.PatternType != "stix" {
			r.Unsupported++
			continue
		}
		if !opts.ExpiredBefore.IsZero() && !in.ValidUntil.IsZero() && in.ValidUntil.Before(opts.ExpiredBefore) {
			r.Expired++
			continue
		}
		cmps, err := ParseSimple(in.Pattern)
		if err != nil {
			r.NotSimple = append(r.NotSimple, in)
			continue
		}
		// Validate every comparison before adding any, so that an
		// indicator is either wholly in the set or reported.
		var bad error
		for _, c := range cmps {
			k, _, err := normaliseLiteral(key[:0], c)
			if err == nil && len(k) > maxKey {
				err = fmt.Errorf("%s: value of %d bytes, longer than %d", c.Kind.Path(), len(k), maxKey)
			}
			if err != nil {
				bad = err
				break
			}
		}
		if bad != nil {
			r.Invalid = append(r.Invalid, IndicatorError{Index: i, ID: in.ID, Err: bad})
			continue
		}
		ind := s.tab.add(&in)
		for _, c := range cmps {
			var pfx netip.Prefix
			key, pfx, _ = normaliseLiteral(key[:0], c)
			if pfx.IsValid() {
				b.add(s, pfx, ind, c.Kind)
			} else {
				s.add(c.Kind, key, ind)
			}
			s.has[c.Kind] = true
		}
		r.Compiled++
	}
	s.n = r.Compiled
	s.tab.done()
	s.filter = newFilter(len(s.entries))
	for i := range s.entries {
		if !s.entries[i].cidr {
			s.filter.add(s.entries[i].hash)
		}
	}
	s.cidr = b.build()
	s.hasCIDR = len(s.cidr.starts) > 0
	s.arena = bytes.Clone(s.arena) // drop the slack of append's doubling
	s.entries = append([]entry(nil), s.entries...)
	return s, r
}

// normaliseLiteral returns the lookup key of a comparison's value, or for
// a CIDR (other than a single address) its prefix.
func normaliseLiteral(dst []byte, c Comparison) ([]byte, netip.Prefix, error) {
	switch c.Kind {
	case KindIPv4, KindIPv6:
		var a netip.Addr
		bits := -1
		if p, err := netip.ParsePrefix(c.Value); err == nil {
			a, bits = p.Addr(), p.Bits()
		} else if a, err = netip.ParseAddr(c.Value); err != nil {
			return dst, netip.Prefix{}, fmt.Errorf("%s: not an address or CIDR: %q", c.Kind.Path(), c.Value)
		}
		if a.Is4() != (c.Kind == KindIPv4) || a.Zone() != "" {
			return dst, netip.Prefix{}, fmt.Errorf("%s: wrong address family: %q", c.Kind.Path(), c.Value)
		}
		if bits >= 0 && bits < a.BitLen() {
			return dst, netip.PrefixFrom(a, bits).Masked(), nil
		}
		return addrKey(dst, a), netip.Prefix{}, nil
	case KindDomain:
		k, ok := appendDomain(dst, c.Value)
		if !ok {
			return dst, netip.Prefix{}, fmt.Errorf("domain-name: not a domain name: %q", c.Value)
		}
		return k, netip.Prefix{}, nil
	case KindURL:
		k, _, _, ok := appendURL(dst, c.Value)
		if !ok {
			return dst, netip.Prefix{}, fmt.Errorf("url: not an absolute URL: %q", c.Value)
		}
		return k, netip.Prefix{}, nil
	case KindEmail:
		k, ok := appendEmail(dst, c.Value)
		if !ok {
			return dst, netip.Prefix{}, fmt.Errorf("email-addr: not an address: %q", c.Value)
		}
		return k, netip.Prefix{}, nil
	}
	k, ok := appendHash(dst, c.Value, c.Kind.hashLen())
	if !ok {
		return dst, netip.Prefix{}, fmt.Errorf("%s: not a %d-digit hex digest: %q", c.Kind.Path(), 2*c.Kind.hashLen(), c.Value)
	}
	return k, netip.Prefix{}, nil
}

// addrKey appends an address's lookup key: its raw bytes.
func addrKey(dst []byte, a netip.Addr) []byte {
	if a.Is4() {
		b := a.As4()
		return append(dst, b[:]...)
	}
	b := a.As16()
	return append(dst, b[:]...)
}

func (s *Set) hash(k Kind, key []byte) uint64 {
	// Mixing the kind in after hashing keeps one maphash call per lookup;
	// a collision between kinds is caught by the entry's kind check.
	return maphash.Bytes(s.seed, key) ^ uint64(k)*0x9e3779b97f4a7c15
}

// add records that indicator ind compares key of kind k.
func (s *Set) add(k Kind, key []byte, ind int32) {
	h := s.hash(k, key)
	b := &s.buckets[h&uint64(len(s.buckets)-1)]
	off := uint32(len(s.arena))
	for e := *b; e >= 0; e = s.entries[e].next {
		en := &s.entries[e]
		if en.hash == h && en.kind == k && bytes.Equal(s.arena[en.off:en.off+uint32(en.n)], key) {
			if en.ind == ind {
				return // the same value twice in one pattern
			}
			off = en.off // share the bytes with the other indicator
			break
		}
	}
	if off == uint32(len(s.arena)) {
		s.arena = append(s.arena, key...)
	}
	s.entries = append(s.entries, entry{hash: h, off: off, n: uint16(len(key)), ind: ind, next: *b, kind: k})
	*b = int32(len(s.entries) - 1)
	if len(s.entries) > len(s.buckets) {
		s.rebucket(2 * len(s.buckets))
	}
}

// rebucket makes the table at least n buckets and chains the entries
// into them again. Entries go in in order, each to the head of its chain,
// so a chain lists the latest first, as add does.
func (s *Set) rebucket(n int) {
	size := 1024
	for size < n {
		size <<= 1
	}
	s.buckets = make([]int32, size)
	for i := range s.buckets {
		s.buckets[i] = -1
	}
	mask := uint64(size - 1)
	for i := range s.entries {
		if e := &s.entries[i]; !e.cidr {
			b := &s.buckets[e.hash&mask]
			e.next, *b = *b, int32(i)
		}
	}
}

// filter is a blocked Bloom filter over the entries' hashes: one 64-bit
// word per lookup, three bits set per key, 16 bits per key. The hash
// table of a million indicators is tens of megabytes, so nearly every
// lookup in it is a cache miss; the filter is a sixteenth of that, stays
// in cache far better, and rejects all but about 1% of absent keys, which
// are most of an event's observables.
type filter struct {
	words []uint64
	shift uint // 64 - log2(len(words))
}

func newFilter(keys int) filter {
	n := 1
	for n*4 < keys {
		n <<= 1
	}
	shift := uint(64)
	for m := n; m > 1; m >>= 1 {
		shift--
	}
	return filter{words: make([]uint64, n), shift: shift}
}

// bits are the key's three bits in its word. The word is chosen by the
// hash's top bits, the bits by its low ones, so they are independent.
func (f *filter) bits(h uint64) (int, uint64) {
	i := 0
	if f.shift < 64 {
		i = int(h >> f.shift)
	}
	return i, 1<<(h&63) | 1<<(h>>6&63) | 1<<(h>>12&63)
}

func (f *filter) add(h uint64) {
	i, b := f.bits(h)
	f.words[i] |= b
}

func (f *filter) has(h uint64) bool {
	i, b := f.bits(h)
	return f.words[i]&b == b
}

// Len returns the number of indicators compiled into the set.
func (s *Set) Len() int { return s.n }

// Indicators returns the indicators compiled into the set, rebuilt from
// its compact copy.
func (s *Set) Indicators() []intel.Indicator {
	out := make([]intel.Indicator, len(s.tab.recs))
	for i := range out {
		out[i] = s.tab.indicator(int32(i))
	}
	return out
}

// matched renders the indicator value of an entry, for Hit.Match.
func (s *Set) matched(e *entry) string {
	b := s.arena[e.off : e.off+uint32(e.n)]
	switch e.kind {
	case KindIPv4, KindIPv6:
		if a, ok := netip.AddrFromSlice(b); ok {
			return a.String()
		}
		return string(b) // a CIDR's text
	case KindMD5, KindSHA1, KindSHA256, KindSHA512:
		return hex.EncodeToString(b)
	}
	return string(b)
}
