package evtx

import (
	"encoding/binary"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// appendUTF16 appends the UTF-8 form of b, little-endian UTF-16 text, to
// dst. Almost all event text is ASCII, so four code units are checked and
// copied at a time; anything else goes through the general decoder one code
// unit (or surrogate pair) at a time, unpaired surrogates becoming U+FFFD.
func appendUTF16(dst, b []byte) []byte {
	n := len(b) &^ 1
	if cap(dst)-len(dst) < n/2 {
		nd := make([]byte, len(dst), len(dst)+n/2+n/8+16)
		copy(nd, dst)
		dst = nd
	}
	i := 0
	for i < n {
		for i+8 <= n {
			v := binary.LittleEndian.Uint64(b[i:])
			if v&0xff80ff80ff80ff80 != 0 {
				break
			}
			dst = append(dst, byte(v), byte(v>>16), byte(v>>32), byte(v>>48))
			i += 8
		}
		if i >= n {
			break
		}
		u := uint16(b[i]) | uint16(b[i+1])<<8
		i += 2
		switch {
		case u < 0x80:
			dst = append(dst, byte(u))
		case utf16.IsSurrogate(rune(u)):
			r := utf8.RuneError
			if u < 0xdc00 && i+2 <= n {
				u2 := uint16(b[i]) | uint16(b[i+1])<<8
				if r2 := utf16.DecodeRune(rune(u), rune(u2)); r2 != utf8.RuneError {
					r = r2
					i += 2
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			dst = utf8.AppendRune(dst, rune(u))
		}
	}
	return dst
}

// trimUTF16NUL drops trailing NUL code units: string substitutions usually
// carry their terminator, which no rendering shows.
func trimUTF16NUL(b []byte) []byte {
	n := len(b) &^ 1
	for n >= 2 && b[n-1] == 0 && b[n-2] == 0 {
		n -= 2
	}
	return b[:n]
}

// appendANSI appends an ANSI (code page) string. The code page is unknown;
// valid UTF-8 is kept and anything else is read as Latin-1, which is right
// for ASCII and close for Windows-1252.
func appendANSI(dst, b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	for _, c := range b {
		dst = utf8.AppendRune(dst, rune(c))
	}
	return dst
}

const hexUpper = "0123456789ABCDEF"

// appendHexUpper renders binary data as upper-case hex, as evtx_dump does.
func appendHexUpper(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}

func appendHexN(dst []byte, v uint64, digits int) []byte {
	for s := (digits - 1) * 4; s >= 0; s -= 4 {
		dst = append(dst, hexUpper[(v>>uint(s))&15])
	}
	return dst
}

// appendGUID renders a little-endian GUID upper-case without braces
// ("5770385F-C22A-43E0-BF4C-06F5698FFBD9"), the evtx_dump form.
func appendGUID(dst, b []byte) []byte {
	dst = appendHexN(dst, uint64(binary.LittleEndian.Uint32(b)), 8)
	dst = append(dst, '-')
	dst = appendHexN(dst, uint64(binary.LittleEndian.Uint16(b[4:])), 4)
	dst = append(dst, '-')
	dst = appendHexN(dst, uint64(binary.LittleEndian.Uint16(b[6:])), 4)
	dst = append(dst, '-')
	dst = appendHexUpper(dst, b[8:10])
	dst = append(dst, '-')
	return appendHexUpper(dst, b[10:16])
}

// appendSID renders a binary NT security identifier as S-R-A-S1-S2-...
// It reports false when b is not a well-formed SID.
func appendSID(dst, b []byte) ([]byte, bool) {
	if len(b) < 8 {
		return dst, false
	}
	n := int(b[1])
	if len(b) < 8+4*n {
		return dst, false
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	dst = append(dst, 'S', '-')
	dst = strconv.AppendUint(dst, uint64(b[0]), 10)
	dst = append(dst, '-')
	if auth >= 1<<32 {
		// Windows shows large identifier authorities in hex.
		dst = append(dst, '0', 'x')
		dst = appendHexN(dst, auth, 12)
	} else {
		dst = strconv.AppendUint(dst, auth, 10)
	}
	for i := 0; i < n; i++ {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10)
	}
	return dst, true
}

// appendHexInt renders an integer the way Windows renders HexInt32/64:
// lower-case with a 0x prefix and no padding.
func appendHexInt(dst []byte, v uint64) []byte {
	dst = append(dst, '0', 'x')
	return strconv.AppendUint(dst, v, 16)
}

// Seconds between 1601-01-01 (FILETIME epoch) and 1970-01-01.
const filetimeEpochDelta = 11644473600

// filetimeUnix splits a FILETIME (100 ns ticks since 1601) into Unix seconds
// and nanoseconds without overflowing for any input.
func filetimeUnix(ft uint64) (sec int64, nsec int64) {
	return int64(ft/10_000_000) - filetimeEpochDelta, int64(ft%10_000_000) * 100
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil inverse), avoiding time.Time's heavier
// machinery on the per-record path.
func civil(days int64) (y int64, m, d int) {
	days += 719468
	era := days / 146097
	if days < 0 && days%146097 != 0 {
		era--
	}
	doe := days - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10%10), byte('0'+v%10))
}

// appendTime renders a UTC instant as RFC 3339 with exactly six fractional
// digits and a Z, the form evtx_dump gives FILETIME and SYSTEMTIME values
// ("2025-11-27T07:40:10.165324Z").
func appendTime(dst []byte, sec int64, micros int) []byte {
	days := sec / 86400
	rem := sec % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	y, m, d := civil(days)
	if y >= 0 && y <= 9999 {
		dst = append2(dst, int(y/100))
		dst = append2(dst, int(y%100))
	} else {
		dst = strconv.AppendInt(dst, y, 10)
	}
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	dst = append2(dst, d)
	dst = append(dst, 'T')
	dst = append2(dst, int(rem/3600))
	dst = append(dst, ':')
	dst = append2(dst, int(rem/60%60))
	dst = append(dst, ':')
	dst = append2(dst, int(rem%60))
	dst = append(dst, '.')
	dst = append2(dst, micros/10000)
	dst = append2(dst, micros/100%100)
	dst = append2(dst, micros%100)
	return append(dst, 'Z')
}

// appendSystemTime renders a 16-byte SYSTEMTIME. Its fields are taken as
// they are (no validation beyond what fits the layout), so a damaged value
// renders as damaged text rather than failing the record.
func appendSystemTime(dst, b []byte) []byte {
	f := func(i int) int { return int(binary.LittleEndian.Uint16(b[2*i:])) }
	y, mo, d, h, mi, s, ms := f(0), f(1), f(3), f(4), f(5), f(6), f(7)
	if y <= 9999 {
		dst = append2(dst, y/100)
		dst = append2(dst, y%100)
	} else {
		dst = strconv.AppendInt(dst, int64(y), 10)
	}
	dst = append(dst, '-')
	dst = append2(dst, mo)
	dst = append(dst, '-')
	dst = append2(dst, d)
	dst = append(dst, 'T')
	dst = append2(dst, h)
	dst = append(dst, ':')
	dst = append2(dst, mi)
	dst = append(dst, ':')
	dst = append2(dst, s)
	dst = append(dst, '.')
	dst = append(dst, byte('0'+ms/100%10), byte('0'+ms/10%10), byte('0'+ms%10), '0', '0', '0')
	return append(dst, 'Z')
}

// trimSpaceRight drops trailing white space from the text b[mark:]. Windows
// pads some values ("Advapi  ", command lines ending in a space); Event
// Viewer does not show the padding and evtx_dump (since 0.8.5) drops it, so
// the values Sigma's regression data records have none.
func trimSpaceRight(b []byte, mark int) []byte {
	for len(b) > mark {
		c := b[len(b)-1]
		if c < utf8.RuneSelf {
			if c != ' ' && (c < '\t' || c > '\r') {
				break
			}
			b = b[:len(b)-1]
			continue
		}
		r, n := utf8.DecodeLastRune(b[mark:])
		if !unicode.IsSpace(r) {
			break
		}
		b = b[:len(b)-n]
	}
	return b
}
