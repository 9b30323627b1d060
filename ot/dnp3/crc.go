package dnp3

// CRC-16/DNP: polynomial 0x3D65, processed reflected (0xA6BC), initial
// value 0, output complemented. On the wire the CRC is little-endian.
// The check value for "123456789" is 0xEA82.

var crcTable = makeCRCTable()

func makeCRCTable() (t [256]uint16) {
	for i := range t {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA6BC
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}

// CRC returns the CRC-16/DNP of b, as DNP3 appends it (little-endian) to
// the link header and to every user data block.
func CRC(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c = c>>8 ^ crcTable[byte(c)^x]
	}
	return ^c
}
