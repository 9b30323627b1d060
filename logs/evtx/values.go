package evtx

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/bulwarkhq/bulwark/event"
)

// Substitution value types (libevtx "Value types"). The array flag 0x80
// combines with any of them.
const (
	typeNull      = 0x00
	typeString    = 0x01
	typeANSI      = 0x02
	typeInt8      = 0x03
	typeUint8     = 0x04
	typeInt16     = 0x05
	typeUint16    = 0x06
	typeInt32     = 0x07
	typeUint32    = 0x08
	typeInt64     = 0x09
	typeUint64    = 0x0a
	typeReal32    = 0x0b
	typeReal64    = 0x0c
	typeBool      = 0x0d
	typeBinary    = 0x0e
	typeGUID      = 0x0f
	typeSizeT     = 0x10
	typeFileTime  = 0x11
	typeSysTime   = 0x12
	typeSID       = 0x13
	typeHexInt32  = 0x14
	typeHexInt64  = 0x15
	typeEvtHandle = 0x20
	typeBinXML    = 0x21
	typeEvtXML    = 0x23
	typeArray     = 0x80
)

// fixedSize is the byte size of one value of a fixed-size type, 0 for
// variable-size types.
func fixedSize(t byte) int {
	switch t {
	case typeInt8, typeUint8:
		return 1
	case typeInt16, typeUint16:
		return 2
	case typeInt32, typeUint32, typeReal32, typeBool, typeHexInt32:
		return 4
	case typeInt64, typeUint64, typeReal64, typeFileTime, typeHexInt64:
		return 8
	case typeGUID, typeSysTime:
		return 16
	}
	return 0
}

// pval is a value under construction: its text lives in decoder.buf until
// the record is finished, when one string conversion serves every field.
type pval struct {
	kind  event.Kind
	a, b  int32 // text range in decoder.buf
	num   float64
	list  int32 // KindList: first element in decoder.items
	nlist int32 // KindList: number of elements
}

// value renders substitution value v of type t into d.buf. A value whose size
// does not fit its type is rendered as hex and reported through d.badValue.
func (d *decoder) value(t byte, v []byte) pval {
	if t&typeArray != 0 && t != typeArray {
		return d.array(t&^typeArray, v)
	}
	a := int32(len(d.buf))
	kind, num := d.scalar(t, v)
	return pval{kind: kind, a: a, b: int32(len(d.buf)), num: num}
}

// scalar appends the text of one value and returns its kind and number.
func (d *decoder) scalar(t byte, v []byte) (event.Kind, float64) {
	if n := fixedSize(t); n != 0 && len(v) != n {
		d.badValue(t, len(v))
		d.buf = appendHexUpper(d.buf, v)
		return event.KindString, 0
	}
	le := binary.LittleEndian
	switch t {
	case typeNull:
		return event.KindNull, 0
	case typeString:
		mark := len(d.buf)
		d.buf = trimSpaceRight(appendUTF16(d.buf, trimUTF16NUL(v)), mark)
		return event.KindString, 0
	case typeANSI:
		mark := len(d.buf)
		d.buf = trimSpaceRight(appendANSI(d.buf, v), mark)
		return event.KindString, 0
	case typeInt8:
		return d.int(int64(int8(v[0])))
	case typeUint8:
		return d.uint(uint64(v[0]))
	case typeInt16:
		return d.int(int64(int16(le.Uint16(v))))
	case typeUint16:
		return d.uint(uint64(le.Uint16(v)))
	case typeInt32:
		return d.int(int64(int32(le.Uint32(v))))
	case typeUint32:
		return d.uint(uint64(le.Uint32(v)))
	case typeInt64:
		return d.int(int64(le.Uint64(v)))
	case typeUint64:
		return d.uint(le.Uint64(v))
	case typeReal32:
		f := math.Float32frombits(le.Uint32(v))
		d.buf = strconv.AppendFloat(d.buf, float64(f), 'f', -1, 32)
		return event.KindFloat, float64(f)
	case typeReal64:
		f := math.Float64frombits(le.Uint64(v))
		d.buf = strconv.AppendFloat(d.buf, f, 'f', -1, 64)
		return event.KindFloat, f
	case typeBool:
		if le.Uint32(v) != 0 {
			d.buf = append(d.buf, "true"...)
			return event.KindBool, 1
		}
		d.buf = append(d.buf, "false"...)
		return event.KindBool, 0
	case typeGUID:
		d.buf = appendGUID(d.buf, v)
		return event.KindString, 0
	case typeSizeT, typeHexInt32, typeHexInt64:
		var u uint64
		switch len(v) {
		case 4:
			u = uint64(le.Uint32(v))
		case 8:
			u = le.Uint64(v)
		default:
			d.badValue(t, len(v))
			d.buf = appendHexUpper(d.buf, v)
			return event.KindString, 0
		}
		d.buf = appendHexInt(d.buf, u)
		return event.KindInt, float64(u)
	case typeFileTime:
		sec, nsec := filetimeUnix(le.Uint64(v))
		d.buf = appendTime(d.buf, sec, int(nsec/1000))
		return event.KindString, 0
	case typeSysTime:
		d.buf = appendSystemTime(d.buf, v)
		return event.KindString, 0
	case typeSID:
		var ok bool
		if d.buf, ok = appendSID(d.buf, v); !ok {
			d.badValue(t, len(v))
			d.buf = appendHexUpper(d.buf, v)
		}
		return event.KindString, 0
	case typeEvtHandle:
		switch len(v) {
		case 4:
			return d.uint(uint64(le.Uint32(v)))
		case 8:
			return d.uint(le.Uint64(v))
		}
	case typeBinary, typeEvtXML:
	default:
		d.badValue(t, len(v))
	}
	d.buf = appendHexUpper(d.buf, v)
	return event.KindString, 0
}

func (d *decoder) int(i int64) (event.Kind, float64) {
	d.buf = strconv.AppendInt(d.buf, i, 10)
	return event.KindInt, float64(i)
}

func (d *decoder) uint(u uint64) (event.Kind, float64) {
	d.buf = strconv.AppendUint(d.buf, u, 10)
	return event.KindInt, float64(u)
}

// array renders an array value as a list. Its elements' texts are appended
// to d.buf separated by single spaces, so the list's own text (event.List's
// joined form) is simply the whole range.
func (d *decoder) array(t byte, v []byte) pval {
	first := int32(len(d.items))
	a := int32(len(d.buf))
	add := func(elem []byte) {
		if len(d.items) > int(first) {
			d.buf = append(d.buf, ' ')
		}
		ea := int32(len(d.buf))
		kind, num := d.scalar(t, elem)
		d.items = append(d.items, pval{kind: kind, a: ea, b: int32(len(d.buf)), num: num})
	}
	switch t {
	case typeString:
		// NUL-terminated UTF-16 strings, one after another.
		start := 0
		n := len(v) &^ 1
		for i := 0; i < n; i += 2 {
			if v[i] == 0 && v[i+1] == 0 {
				add(v[start:i])
				start = i + 2
			}
		}
		if start < n {
			add(v[start:n])
		}
	case typeANSI:
		start := 0
		for i, c := range v {
			if c == 0 {
				add(v[start:i])
				start = i + 1
			}
		}
		if start < len(v) {
			add(v[start:])
		}
	case typeSID:
		for len(v) >= 8 {
			n := 8 + 4*int(v[1])
			if n > len(v) {
				break
			}
			add(v[:n])
			v = v[n:]
		}
		if len(v) != 0 {
			d.badValue(t|typeArray, len(v))
		}
	case typeSizeT:
		// Size arrays carry no element size of their own; 64-bit is the
		// common case on the systems that write EVTX.
		t = typeHexInt64
		fallthrough
	default:
		n := fixedSize(t)
		if n == 0 || len(v)%n != 0 {
			d.badValue(t|typeArray, len(v))
			d.buf = appendHexUpper(d.buf, v)
			return pval{kind: event.KindString, a: a, b: int32(len(d.buf))}
		}
		for i := 0; i < len(v); i += n {
			add(v[i : i+n])
		}
	}
	return pval{kind: event.KindList, a: a, b: int32(len(d.buf)), list: first, nlist: int32(len(d.items)) - first}
}
