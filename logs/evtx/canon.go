package evtx

import "encoding/binary"

// Template plans are compiled per chunk because a definition refers to its
// names by chunk offset. But the same few templates (Sysmon's, Security's)
// recur in every chunk of every file, and most files in a collection hold a
// single chunk, so compiling per chunk would dominate. canonical rewrites a
// definition into a chunk-independent form, its tokens with each name
// reference replaced by the name itself and the size fields (which depend on
// where names are stored) left out. Two definitions with equal canonical
// forms compile to the same plan, so plans are shared by exact canonical
// bytes across chunks and files: no hash is trusted, no collision can mix
// two templates.

// Bounds on the shared plan cache of one decoder.
const (
	maxSharedPlans = 4096
	maxSharedBytes = 8 << 20
)

// canonical writes the canonical form of the template body c[p:end] for
// placement cx into d.canon. It reports false when the body does not parse;
// compile then reports why.
func (d *decoder) canonical(p, end int, cx ctx) bool {
	c := d.chunk
	out := append(d.canon[:0], cx.depth, byte(cx.sec))
	name := func(at int) (int, bool) {
		// at holds a name offset; the name is inline when it points just
		// past the offset itself.
		if at > end-4 {
			return 0, false
		}
		off := int(binary.LittleEndian.Uint32(c[at:]))
		if off < 0 || off > len(c)-8 {
			return 0, false
		}
		n := 2 * int(binary.LittleEndian.Uint16(c[off+6:]))
		if n > len(c)-off-8 {
			return 0, false
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(n))
		out = append(out, c[off+8:off+8+n]...)
		next := at + 4
		if off == next {
			next += 8 + n + 2
		}
		return next, next <= end
	}
	text := func(at int) (int, bool) { // 2-byte character count, UTF-16
		if at > end-2 {
			return 0, false
		}
		n := at + 2 + 2*int(binary.LittleEndian.Uint16(c[at:]))
		if n > end {
			return 0, false
		}
		out = append(out, c[at:n]...)
		return n, true
	}
	ok := true
	for ok && p < end {
		tok := c[p]
		out = append(out, tok)
		switch tok {
		case 0x00:
			d.canon = out
			return true
		case 0x0f:
			if p+4 > end {
				return false
			}
			out = append(out, c[p+1:p+4]...)
			p += 4
		case 0x01, 0x41:
			// token, dependency id (2), data size (4), name, [attribute
			// list size (4)]
			if p+7 > end {
				return false
			}
			p, ok = name(p + 7)
			if ok && tok == 0x41 {
				p += 4
				ok = p <= end
			}
		case 0x02, 0x03, 0x04:
			p++
		case 0x05, 0x45: // token, type, text
			if p+2 > end {
				return false
			}
			out = append(out, c[p+1])
			p, ok = text(p + 2)
		case 0x07, 0x47, 0x0b:
			p, ok = text(p + 1)
		case 0x06, 0x46, 0x09, 0x49, 0x0a:
			p, ok = name(p + 1)
		case 0x08, 0x48:
			if p+3 > end {
				return false
			}
			out = append(out, c[p+1:p+3]...)
			p += 3
		case 0x0d, 0x0e:
			if p+4 > end {
				return false
			}
			out = append(out, c[p+1:p+4]...)
			p += 4
		default:
			return false
		}
	}
	d.canon = out
	return ok
}

// sharedPlan returns the plan compiled earlier for the canonical form in
// d.canon, if any.
func (d *decoder) sharedPlan() *plan {
	return d.shared[string(d.canon)] // no allocation: the conversion is only a lookup key
}

// keepPlan remembers pl under the canonical form in d.canon, within bounds.
func (d *decoder) keepPlan(pl *plan) {
	if len(d.shared) >= maxSharedPlans || d.sharedBytes+len(d.canon) > maxSharedBytes {
		clear(d.shared)
		d.sharedBytes = 0
	}
	d.shared[string(d.canon)] = pl
	d.sharedBytes += len(d.canon)
}
