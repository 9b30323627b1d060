package model

// presence counts feature occurrences in a small open-addressing table, so
// that a feature present several times counts once. It is reused across
// calls: reset clears only the slots the last call used.
type presence struct {
	slots    []presenceSlot
	used     []int32
	distinct int
}

// presenceSlot is one feature's entry, in one place so a lookup touches
// one cache line.
type presenceSlot struct {
	key   uint32 // index+1; 0 is an empty slot
	count uint32
	last  int32 // see addAt
}

// reset prepares the table for up to n distinct features.
func (p *presence) reset(n int) {
	size := 64
	for size < 2*n {
		size <<= 1
	}
	if len(p.slots) < size || len(p.slots) > 8*size && size >= 1024 {
		p.slots, p.used = make([]presenceSlot, size), p.used[:0]
	} else {
		for _, i := range p.used {
			p.slots[i] = presenceSlot{}
		}
		p.used = p.used[:0]
	}
	p.distinct = 0
}

func (p *presence) slot(index uint32) int {
	mask := len(p.slots) - 1
	key := index + 1
	i := int(key) & mask // indices are hashes already
	for p.slots[i].key != 0 && p.slots[i].key != key {
		i = (i + 1) & mask
	}
	return i
}

// add counts one occurrence and returns the new count.
func (p *presence) add(index uint32) int {
	n, _ := p.addAt(index, -1)
	return n
}

// addAt is add for the k-th feature instance of a text; it also returns
// the k of the feature's previous occurrence, -1 for none. (Only a table
// that addAt alone fills keeps meaningful ks.)
func (p *presence) addAt(index uint32, k int32) (int, int32) {
	i := p.slot(index)
	if p.slots[i].key == 0 {
		if 2*(len(p.used)+1) > len(p.slots) {
			p.grow()
			i = p.slot(index)
		}
		p.slots[i] = presenceSlot{key: index + 1, last: -1}
		p.used = append(p.used, int32(i))
	}
	s := &p.slots[i]
	s.count++
	if s.count == 1 {
		p.distinct++
	}
	prev := s.last
	s.last = k
	return int(s.count), prev
}

// remove forgets one occurrence and returns the remaining count. The slot
// stays allocated (with count zero) so probe chains are never broken.
func (p *presence) remove(index uint32) int {
	s := &p.slots[p.slot(index)]
	if s.key == 0 || s.count == 0 {
		return 0
	}
	s.count--
	if s.count == 0 {
		p.distinct--
	}
	return int(s.count)
}

func (p *presence) grow() {
	old := p.slots
	p.slots = make([]presenceSlot, 2*len(old))
	p.used = p.used[:0]
	for _, s := range old {
		if s.key != 0 {
			j := p.slot(s.key - 1)
			p.slots[j] = s
			p.used = append(p.used, int32(j))
		}
	}
}
