package dnp3

import "encoding/binary"

// CRC-16/DNP: polynomial 0x3D65, processed reflected (0xA6BC), initial
// value 0, output complemented. On the wire the CRC is little-endian.
// The check value for "123456789" is 0xEA82.

// crcTables[0] is the byte-at-a-time table; crcTables[k][b] is the CRC
// of byte b followed by k zero bytes, so eight bytes fold in one step
// (slicing-by-8): the CRC is most of the decoder's time.
var crcTables = makeCRCTables()

func makeCRCTables() (t [8][256]uint16) {
	for i := range t[0] {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA6BC
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 8; k++ {
		for i := range t[k] {
			c := t[k-1][i]
			t[k][i] = c>>8 ^ t[0][byte(c)]
		}
	}
	return t
}

// CRC returns the CRC-16/DNP of b, as DNP3 appends it (little-endian) to
// the link header and to every user data block.
func CRC(b []byte) uint16 {
	var c uint16
	t := &crcTables
	for len(b) >= 8 {
		v := binary.LittleEndian.Uint64(b) ^ uint64(c)
		c = t[7][byte(v)] ^ t[6][byte(v>>8)] ^ t[5][byte(v>>16)] ^ t[4][byte(v>>24)] ^
			t[3][byte(v>>32)] ^ t[2][byte(v>>40)] ^ t[1][byte(v>>48)] ^ t[0][byte(v>>56)]
		b = b[8:]
	}
	for _, x := range b {
		c = c>>8 ^ t[0][byte(c)^x]
	}
	return ^c
}
