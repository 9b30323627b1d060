package sigma

import (
	"unicode/utf8"
	"unsafe"

	"github.com/bulwarkhq/bulwark/event"
)

// Scratch is the per-event state of rule evaluation: the event, and its
// field values lower-cased once for every case-insensitive comparison.
// One Scratch serves one goroutine; Reset it for each event.
type Scratch struct {
	ev      *event.Event
	windows uint8 // 0 unknown, 1 a Windows event (has a Channel), 2 not
	lowered []string
	done    []bool
	// arena holds the lower-cased bytes of this event's values; the strings
	// in lowered point into it, so it is only reused after Reset.
	arena []byte
	// found remembers this event's lookups by the address of the name
	// (rule field names are interned), for as long as findGen holds.
	found   [64]findSlot
	findGen uint32
	// set and groupSeen serve containsSet scans.
	set       scanState
	groupSeen []uint32
}

// NewScratch returns an empty Scratch.
func NewScratch() *Scratch { return &Scratch{} }

// Reset prepares s for evaluating ev.
func (s *Scratch) Reset(ev *event.Event) {
	s.ev = ev
	s.windows = 0
	if s.findGen++; s.findGen == 0 {
		s.found = [64]findSlot{}
		s.findGen = 1
	}
	n := len(ev.Fields)
	if cap(s.lowered) < n {
		s.lowered = make([]string, n, n+n/2)
		s.done = make([]bool, n, n+n/2)
	} else {
		s.lowered = s.lowered[:n]
		s.done = s.done[:n]
		clear(s.done)
	}
	// Keep the arena from growing without bound across huge events.
	if cap(s.arena) > 4<<20 {
		s.arena = nil
	}
	s.arena = s.arena[:0]
}

// Event returns the event being evaluated.
func (s *Scratch) Event() *event.Event { return s.ev }

type findSlot struct {
	name *byte
	n    int32
	idx  int32
	gen  uint32
}

// Find returns the index of the field called name, or -1. The rules of a
// bucket test the same few names again and again; each is looked up once
// per event.
func (s *Scratch) Find(name string) int {
	p := unsafe.StringData(name)
	slot := &s.found[(uintptr(unsafe.Pointer(p))>>4)%uintptr(len(s.found))]
	if slot.gen == s.findGen && slot.name == p && int(slot.n) == len(name) {
		return int(slot.idx)
	}
	idx := -1
	fs := s.ev.Fields
	for i := range fs {
		if fs[i].Name == name {
			idx = i
			break
		}
	}
	*slot = findSlot{name: p, n: int32(len(name)), idx: int32(idx), gen: s.findGen}
	return idx
}

// Lower returns the lower-cased text of field i, computed at most once per
// event.
func (s *Scratch) Lower(i int) string {
	if s.done[i] {
		return s.lowered[i]
	}
	l := s.lowerText(s.ev.Fields[i].Value.Str)
	s.lowered[i] = l
	s.done[i] = true
	return l
}

// lowerText lower-cases str into the arena. ASCII text that has no upper
// case letters is returned as is.
func (s *Scratch) lowerText(str string) string {
	i := 0
	for ; i < len(str); i++ {
		c := str[i]
		if c >= utf8.RuneSelf {
			return lowerString(str)
		}
		if 'A' <= c && c <= 'Z' {
			break
		}
	}
	if i == len(str) {
		return str
	}
	// Make room without moving bytes that earlier strings point into: a
	// grown arena is a new array, and the old one stays alive through them.
	if cap(s.arena)-len(s.arena) < len(str) {
		size := 2 * cap(s.arena)
		if size < len(str) {
			size = len(str)
		}
		if size < 4096 {
			size = 4096
		}
		s.arena = make([]byte, 0, size)
	}
	start := len(s.arena)
	s.arena = append(s.arena, str[:i]...)
	for ; i < len(str); i++ {
		c := str[i]
		if c >= utf8.RuneSelf {
			s.arena = s.arena[:start]
			return lowerString(str)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		s.arena = append(s.arena, c)
	}
	b := s.arena[start:]
	return unsafe.String(unsafe.SliceData(b), len(b))
}
