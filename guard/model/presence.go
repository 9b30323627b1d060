package model

// presence counts feature occurrences in a small open-addressing table, so
// that a feature present several times counts once. It is reused across
// calls: reset clears only the slots the last call used.
type presence struct {
	keys     []uint32 // index+1; 0 is an empty slot
	counts   []uint16
	used     []int32
	distinct int
}

// reset prepares the table for up to n distinct features.
func (p *presence) reset(n int) {
	size := 64
	for size < 2*n {
		size <<= 1
	}
	if len(p.keys) < size || len(p.keys) > 8*size && size >= 1024 {
		p.keys, p.counts, p.used = make([]uint32, size), make([]uint16, size), p.used[:0]
	} else {
		for _, i := range p.used {
			p.keys[i], p.counts[i] = 0, 0
		}
		p.used = p.used[:0]
	}
	p.distinct = 0
}

func (p *presence) slot(index uint32) int {
	mask := len(p.keys) - 1
	key := index + 1
	i := int(key) & mask // indices are hashes already
	for p.keys[i] != 0 && p.keys[i] != key {
		i = (i + 1) & mask
	}
	return i
}

// add counts one occurrence and returns the new count.
func (p *presence) add(index uint32) int {
	i := p.slot(index)
	if p.keys[i] == 0 {
		if 2*(len(p.used)+1) > len(p.keys) {
			p.grow()
			i = p.slot(index)
		}
		p.keys[i] = index + 1
		p.used = append(p.used, int32(i))
	}
	if p.counts[i] < 1<<16-1 {
		p.counts[i]++
	}
	if p.counts[i] == 1 {
		p.distinct++
	}
	return int(p.counts[i])
}

// remove forgets one occurrence and returns the remaining count. The slot
// stays allocated (with count zero) so probe chains are never broken.
func (p *presence) remove(index uint32) int {
	i := p.slot(index)
	if p.keys[i] == 0 || p.counts[i] == 0 {
		return 0
	}
	p.counts[i]--
	if p.counts[i] == 0 {
		p.distinct--
	}
	return int(p.counts[i])
}

func (p *presence) grow() {
	keys, counts := p.keys, p.counts
	p.keys, p.counts = make([]uint32, 2*len(keys)), make([]uint16, 2*len(keys))
	p.used = p.used[:0]
	for i, k := range keys {
		if k != 0 {
			j := p.slot(k - 1)
			p.keys[j], p.counts[j] = k, counts[i]
			p.used = append(p.used, int32(j))
		}
	}
}
