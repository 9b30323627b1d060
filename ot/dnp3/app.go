package dnp3

import (
	"encoding/binary"
	"fmt"

	"github.com/bulwarkhq/bulwark/ot"
)

// Application control byte bits.
const (
	appFIR = 0x80
	appFIN = 0x40
	appCON = 0x20
	appUNS = 0x10
	appSeq = 0x0F
)

// maxObjects bounds the object headers kept per fragment; a fragment
// with more is reported with the first maxObjects.
const maxObjects = 512

// application decodes a complete application fragment into m.
func (p *Parser) application(m *ot.Message, frag []byte) {
	p.partial = false
	if len(frag) < 2 {
		m.Malformed = fmt.Sprintf("application fragment of %d bytes, want at least 2", len(frag))
		return
	}
	m.HasApp = true
	m.Seq = uint16(frag[0] & appSeq)
	m.Func = frag[1]
	body := frag[2:]
	if IsResponse(m.Func) {
		if len(body) < 2 {
			m.Malformed = fmt.Sprintf("response of %d bytes, want at least 4 (IIN)", len(frag))
			return
		}
		m.IIN = binary.BigEndian.Uint16(body)
		body = body[2:]
	}
	objs, problem, partial := parseObjects(m.Objects[:0], body, m.Func, len(frag)-len(body))
	m.Objects = objs
	p.partial = partial
	if problem != "" {
		m.Malformed = problem
	}
}

// parseObjects appends the object headers of body (the fragment after
// its header, which was base bytes long) to objs. It returns a non-empty
// problem when the headers are truncated or invalid, and partial when it
// stopped before the end without a problem. When it meets an
// object whose size it does not know, it stops without a problem: the
// headers already read are kept and the rest of the fragment is not
// interpreted, since there is no way to find the next header. A header
// whose qualifier or range is invalid is still appended (its group and
// variation were read) before the problem is returned.
func parseObjects(objs []ot.Object, body []byte, fc uint8, base int) (_ []ot.Object, problem string, partial bool) {
	pos := 0
	for pos < len(body) {
		if len(objs) >= maxObjects {
			return objs, "", true
		}
		at := base + pos
		if len(body)-pos < 3 {
			return objs, fmt.Sprintf("object header at offset %d: %d bytes, want 3", at, len(body)-pos), false
		}
		o := ot.Object{Group: body[pos], Variation: body[pos+1], Qualifier: body[pos+2]}
		pos += 3
		prefixCode, rangeCode := o.Qualifier>>4&0x07, o.Qualifier&0x0F
		if o.Qualifier&0x80 != 0 {
			objs = append(objs, o) // group and variation are still worth showing
			return objs, fmt.Sprintf("object header at offset %d: qualifier 0x%02X has the reserved bit set", at, o.Qualifier), false
		}
		if prefixCode == 7 {
			objs = append(objs, o)
			return objs, fmt.Sprintf("object header at offset %d: qualifier 0x%02X has reserved prefix code 7", at, o.Qualifier), false
		}
		var rangeLen int
		switch rangeCode {
		case 0x0, 0x3:
			rangeLen = 2
		case 0x1, 0x4:
			rangeLen = 4
		case 0x2, 0x5:
			rangeLen = 8
		case 0x6:
			rangeLen = 0
		case 0x7, 0xB:
			rangeLen = 1
		case 0x8:
			rangeLen = 2
		case 0x9:
			rangeLen = 4
		default:
			objs = append(objs, o)
			return objs, fmt.Sprintf("object header at offset %d: qualifier 0x%02X has reserved range code %d", at, o.Qualifier, rangeCode), false
		}
		if len(body)-pos < rangeLen {
			objs = append(objs, o)
			return objs, fmt.Sprintf("object header at offset %d (g%dv%d): range needs %d bytes, %d left", at, o.Group, o.Variation, rangeLen, len(body)-pos), false
		}
		r := body[pos : pos+rangeLen]
		pos += rangeLen
		switch rangeCode {
		case 0x0, 0x3:
			o.Start, o.Stop = uint32(r[0]), uint32(r[1])
		case 0x1, 0x4:
			o.Start, o.Stop = uint32(binary.LittleEndian.Uint16(r)), uint32(binary.LittleEndian.Uint16(r[2:]))
		case 0x2, 0x5:
			o.Start, o.Stop = binary.LittleEndian.Uint32(r), binary.LittleEndian.Uint32(r[4:])
		case 0x7, 0xB:
			o.Count = uint32(r[0])
		case 0x8:
			o.Count = uint32(binary.LittleEndian.Uint16(r))
		case 0x9:
			o.Count = binary.LittleEndian.Uint32(r)
		}
		startStop := rangeCode <= 0x5
		if startStop {
			if o.Stop < o.Start {
				objs = append(objs, o)
				return objs, fmt.Sprintf("object header at offset %d (g%dv%d): stop %d before start %d", at, o.Group, o.Variation, o.Stop, o.Start), false
			}
			o.Count = o.Stop - o.Start + 1
		}
		objs = append(objs, o)

		// Size-prefixed objects carry data whatever the function: a
		// read of file data (g70v5) names the file handle.
		if rangeCode == 0x6 || !carriesData(fc, o.Group, o.Variation) && prefixCode < 4 {
			if prefixCode != 0 {
				// Index prefixes with no data: a request naming points
				// (e.g. a read of g1 with qualifier 0x17).
				n, ok := prefixLen(prefixCode)
				if !ok {
					return objs, "", true
				}
				skip := uint64(n) * uint64(o.Count)
				if skip > uint64(len(body)-pos) {
					return objs, fmt.Sprintf("object header at offset %d (g%dv%d): %d indexes need %d bytes, %d left", at, o.Group, o.Variation, o.Count, skip, len(body)-pos), false
				}
				pos += int(skip)
			}
			continue
		}
		used, known, problem := skipObjects(body[pos:], o, prefixCode, startStop || prefixCode == 0)
		if problem != "" {
			return objs, fmt.Sprintf("object header at offset %d (g%dv%d q0x%02X): %s", at, o.Group, o.Variation, o.Qualifier, problem), false
		}
		if !known {
			// Size of this object unknown: the rest of the fragment
			// cannot be walked. Not malformed, just not decoded further.
			return objs, "", true
		}
		pos += used
	}
	return objs, "", false
}

// prefixLen is the byte length of an object prefix (index or size).
func prefixLen(code uint8) (int, bool) {
	switch code {
	case 0:
		return 0, true
	case 1, 4:
		return 1, true
	case 2, 5:
		return 2, true
	case 3, 6:
		return 4, true
	}
	return 0, false
}

// skipObjects returns how many bytes the o.Count objects after a header
// take. packable says the objects follow each other without prefixes, so
// bit-packed variations (g1v1, g10v1, g80v1...) are packed.
func skipObjects(b []byte, o ot.Object, prefixCode uint8, packable bool) (used int, known bool, problem string) {
	plen, ok := prefixLen(prefixCode)
	if !ok {
		return 0, false, "reserved prefix code 7"
	}
	if prefixCode >= 4 {
		// Each object is preceded by its size: walk them.
		pos := 0
		for i := uint32(0); i < o.Count; i++ {
			if len(b)-pos < plen {
				return 0, true, fmt.Sprintf("object %d: size prefix needs %d bytes, %d left", i, plen, len(b)-pos)
			}
			var size uint64
			switch plen {
			case 1:
				size = uint64(b[pos])
			case 2:
				size = uint64(binary.LittleEndian.Uint16(b[pos:]))
			case 4:
				size = uint64(binary.LittleEndian.Uint32(b[pos:]))
			}
			pos += plen
			if size > uint64(len(b)-pos) {
				return 0, true, fmt.Sprintf("object %d: size %d, %d bytes left", i, size, len(b)-pos)
			}
			pos += int(size)
		}
		return pos, true, ""
	}
	if o.Group == 0 {
		// Device attributes describe themselves: data type, length,
		// value.
		pos := 0
		for i := uint32(0); i < o.Count; i++ {
			if len(b)-pos < plen+2 {
				return 0, true, fmt.Sprintf("attribute %d: needs %d bytes, %d left", i, plen+2, len(b)-pos)
			}
			pos += plen
			size := int(b[pos+1])
			pos += 2
			if size > len(b)-pos {
				return 0, true, fmt.Sprintf("attribute %d: length %d, %d bytes left", i, size, len(b)-pos)
			}
			pos += size
		}
		return pos, true, ""
	}
	var need uint64
	if bits := packedBits(o.Group, o.Variation); bits > 0 {
		if !packable {
			return 0, false, ""
		}
		need = (uint64(o.Count)*uint64(bits) + 7) / 8
	} else {
		size := objectSize(o.Group, o.Variation)
		if size == 0 {
			return 0, false, ""
		}
		need = uint64(o.Count) * uint64(size+plen)
	}
	if need > uint64(len(b)) {
		return 0, true, fmt.Sprintf("%d objects need %d bytes, %d left", o.Count, need, len(b))
	}
	return int(need), true, ""
}

// carriesData says whether an object header of function fc is followed
// by object data. Reads, freezes, unsolicited enabling and class
// assignment only name points; class objects (group 60) never have data.
func carriesData(fc, group, variation uint8) bool {
	if group == 60 {
		return false
	}
	switch fc {
	case FuncRead, 7, 8, 9, 10, FuncEnableUnsolicited, FuncDisableUnsolicited, FuncAssignClass:
		return false
	case 11, FuncFreezeAtTimeNoAck:
		return group == 50 // the freeze time; the points follow bare
	}
	return variation != 0 || IsResponse(fc)
}

// packedBits is the bits per point of bit-packed variations, 0 for the
// others.
func packedBits(g, v uint8) int {
	switch {
	case g == 1 && v == 1, g == 10 && v == 1, g == 80 && v == 1, g == 12 && v == 3:
		return 1
	case g == 3 && v == 1:
		return 2
	}
	return 0
}

// objectSize is the byte size of one object of a fixed-size variation,
// 0 when the size is variable or unknown.
func objectSize(g, v uint8) int {
	if v == 0 {
		return 0
	}
	switch g {
	case 110, 111, 112, 113:
		return int(v) // octet strings: the variation is the length
	}
	if row, ok := objectSizes[g]; ok && int(v) <= len(row) {
		return int(row[v-1])
	}
	return 0
}

// objectSizes holds, per group, the size of variations 1, 2, ...
// (IEEE 1815 object library); 0 for bit-packed or variable variations.
var objectSizes = map[uint8][]uint8{
	1:   {0, 1},
	2:   {1, 7, 3},
	3:   {0, 1},
	4:   {1, 7, 3},
	10:  {0, 1},
	11:  {1, 7},
	12:  {11, 11, 0},
	13:  {1, 7},
	20:  {5, 3, 5, 3, 4, 2, 4, 2},
	21:  {5, 3, 5, 3, 11, 9, 11, 9, 4, 2, 4, 2},
	22:  {5, 3, 5, 3, 11, 9, 11, 9},
	23:  {5, 3, 5, 3, 11, 9, 11, 9},
	30:  {5, 3, 4, 2, 5, 9},
	31:  {5, 3, 11, 9, 4, 2, 5, 9},
	32:  {5, 3, 11, 9, 5, 9, 11, 15},
	33:  {5, 3, 11, 9, 5, 9, 11, 15},
	34:  {2, 4, 4},
	40:  {5, 3, 5, 9},
	41:  {5, 3, 5, 9},
	42:  {5, 3, 11, 9, 5, 9, 11, 15},
	43:  {5, 3, 11, 9, 5, 9, 11, 15},
	50:  {6, 10, 6, 11},
	51:  {6, 6},
	52:  {2, 2},
	101: {2, 4, 8},
	102: {1},
	120: {0, 0, 6, 2}, // aggressive mode request, session key status request; the rest are sized by 0x5B
	121: {7},
	122: {7, 13},
}
