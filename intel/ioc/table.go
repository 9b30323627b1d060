package ioc

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/bulwarkhq/bulwark/intel"
)

// table keeps a Set's indicators compactly. A million intel.Indicator
// values take about 350 MB: a 216-byte struct with twelve string and
// slice headers, and an allocation each for the id and the pattern. Here
// a record is 48 bytes without pointers (so the collector never scans
// it); the id, name, description and pattern share a chunked arena (an
// "indicator--<uuid>" id is just its 16 bytes); and what many indicators
// have in common (source, TLP, confidence, labels) is interned as a
// class: about 110 bytes an indicator, pattern text included. Hits are
// rare, so the intel.Indicator is rebuilt when one is reported, without
// allocating: its strings point into the arena, which never changes once
// written.
type table struct {
	recs    []record
	text    [][]byte // arena chunks of textChunk bytes, or one big string each
	classes []class

	classIdx map[string]uint32 // used while building only
}

// textChunk is the arena's chunk size: chunks are never reallocated, so
// a large feed does not pay for append's doubling, and a blob's address
// fits 32 bits (chunk index in the high bits).
const (
	textChunkBits = 22
	textChunk     = 1 << textChunkBits
)

type record struct {
	fromSec, untilSec   int64
	uuid                [16]byte // the id is "indicator--" and this UUID, unless zero
	blob                uint32   // in text: id (when not a UUID), name, description, pattern
	fromNsec, untilNsec int32    // -1: no time (the zero time.Time)
	class               uint32
}

// class is what indicators of one feed usually share.
type class struct {
	source, patternType string
	tlp                 intel.TLP
	confidence          int
	labels, killChain   []string
}

const idPrefix = "indicator--"

func newTable(sizeHint int) *table {
	return &table{recs: make([]record, 0, sizeHint), classIdx: map[string]uint32{}}
}

// add stores in and returns its index.
func (t *table) add(in *intel.Indicator) int32 {
	r := record{class: t.classOf(in)}
	r.fromSec, r.fromNsec = stamp(in.ValidFrom)
	r.untilSec, r.untilNsec = stamp(in.ValidUntil)
	id := in.ID
	if u, ok := parseUUID(in.ID); ok {
		r.uuid, id = u, ""
	}
	r.blob = t.put(id, in.Name, in.Description, in.Pattern)
	t.recs = append(t.recs, r)
	return int32(len(t.recs) - 1)
}

// done drops the building map and the slack of append's doubling.
func (t *table) done() {
	t.classIdx = nil
	t.recs = append([]record(nil), t.recs...)
}

// put writes strings as one blob of length-prefixed strings and returns
// its address.
func (t *table) put(strs ...string) uint32 {
	size := 0
	for _, s := range strs {
		size += binary.MaxVarintLen32 + len(s)
	}
	last := len(t.text) - 1
	if last < 0 || len(t.text[last])+size > cap(t.text[last]) {
		t.text = append(t.text, make([]byte, 0, max(textChunk, size)))
		last++
	}
	c := &t.text[last]
	addr := uint32(last)<<textChunkBits | uint32(len(*c))
	for _, s := range strs {
		*c = binary.AppendUvarint(*c, uint64(len(s)))
		*c = append(*c, s...)
	}
	return addr
}

// get reads the blob at addr into strs.
func (t *table) get(addr uint32, strs ...*string) {
	c := t.text[addr>>textChunkBits]
	off := int(addr & (textChunk - 1))
	for _, p := range strs {
		n, w := binary.Uvarint(c[off:])
		off += w
		if n == 0 {
			*p = ""
			continue
		}
		// The arena is never written once built, so strings may share it.
		*p = unsafe.String(&c[off], int(n))
		off += int(n)
	}
}

func (t *table) classOf(in *intel.Indicator) uint32 {
	conf := in.Confidence
	key := fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%s\x01%s", in.Source, in.PatternType, in.TLP, conf,
		strings.Join(in.Labels, "\x00"), strings.Join(in.KillChain, "\x00"))
	if i, ok := t.classIdx[key]; ok {
		return i
	}
	t.classes = append(t.classes, class{
		source: in.Source, patternType: in.PatternType, tlp: in.TLP, confidence: conf,
		labels: slices.Clone(in.Labels), killChain: slices.Clone(in.KillChain),
	})
	t.classIdx[key] = uint32(len(t.classes) - 1)
	return uint32(len(t.classes) - 1)
}

// stamp splits a time into seconds and nanoseconds, -1 nanoseconds for
// the zero time.
func stamp(t time.Time) (int64, int32) {
	if t.IsZero() {
		return 0, -1
	}
	return t.Unix(), int32(t.Nanosecond())
}

func unstamp(sec int64, nsec int32) time.Time {
	if nsec < 0 {
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// valid reports whether indicator i applies at t, as intel.Indicator.Valid.
func (t *table) valid(i int32, at time.Time) bool {
	r := &t.recs[i]
	if r.fromNsec >= 0 && at.Before(time.Unix(r.fromSec, int64(r.fromNsec))) {
		return false
	}
	return r.untilNsec < 0 || at.Before(time.Unix(r.untilSec, int64(r.untilNsec)))
}

// indicator rebuilds indicator i. Its strings and slices share the
// table's memory: the caller must not modify the slices.
func (t *table) indicator(i int32) intel.Indicator {
	r := &t.recs[i]
	c := &t.classes[r.class]
	in := intel.Indicator{
		PatternType: c.patternType,
		ValidFrom:   unstamp(r.fromSec, r.fromNsec),
		ValidUntil:  unstamp(r.untilSec, r.untilNsec),
		Confidence:  c.confidence,
		TLP:         c.tlp,
		Labels:      c.labels,
		Source:      c.source,
		KillChain:   c.killChain,
	}
	t.get(r.blob, &in.ID, &in.Name, &in.Description, &in.Pattern)
	if r.uuid != ([16]byte{}) {
		in.ID = formatUUID(r.uuid) // one allocation, on a hit
	}
	return in
}

// parseUUID reads "indicator--" and a lower-case canonical UUID; any other
// form is kept as text so that the id comes back exactly as it was.
func parseUUID(id string) ([16]byte, bool) {
	var u [16]byte
	s, ok := strings.CutPrefix(id, idPrefix)
	if !ok || len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	// The groups have even lengths, so a pair of digits never straddles
	// a dash; a dash anywhere else is not a hex digit.
	j := 0
	for i := 0; i < len(s); {
		if s[i] == '-' && (i == 8 || i == 13 || i == 18 || i == 23) {
			i++
			continue
		}
		if !lowerHex(s[i]) || !lowerHex(s[i+1]) {
			return u, false
		}
		u[j] = unhex(s[i])<<4 | unhex(s[i+1])
		i, j = i+2, j+1
	}
	if u == ([16]byte{}) {
		return u, false // the nil UUID is how a record says "no uuid"
	}
	return u, true
}

// lowerHex reports whether c is a lower-case hex digit: an upper-case
// id would not come back the same.
func lowerHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

const hexDigits = "0123456789abcdef"

func formatUUID(u [16]byte) string {
	var b [len(idPrefix) + 36]byte
	n := copy(b[:], idPrefix)
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[n] = '-'
			n++
		}
		b[n], b[n+1] = hexDigits[x>>4], hexDigits[x&15]
		n += 2
	}
	return string(b[:])
}
