package evtxtest

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Value types of substitutions.
const (
	tNull     = 0x00
	tString   = 0x01
	tInt8     = 0x03
	tUint8    = 0x04
	tInt16    = 0x05
	tUint16   = 0x06
	tInt32    = 0x07
	tUint32   = 0x08
	tInt64    = 0x09
	tUint64   = 0x0a
	tReal64   = 0x0c
	tBool     = 0x0d
	tBinary   = 0x0e
	tGUID     = 0x0f
	tFileTime = 0x11
	tSID      = 0x13
	tHexInt32 = 0x14
	tHexInt64 = 0x15
)

// Tokens.
const (
	tokEOF          = 0x00
	tokOpen         = 0x01
	tokOpenAttrs    = 0x41
	tokCloseStart   = 0x02
	tokCloseEmpty   = 0x03
	tokEnd          = 0x04
	tokValue        = 0x05
	tokAttr         = 0x06
	tokAttrMore     = 0x46
	tokTemplate     = 0x0c
	tokNormalSub    = 0x0d
	tokOptionalSub  = 0x0e
	tokFragmentHead = 0x0f
)

const eventNamespace = "http://schemas.microsoft.com/win/2004/08/events/event"

// value is one substitution value.
type value struct {
	typ  byte
	data []byte
}

// enc encodes one record's binary XML. Offsets inside the chunk are
// base + len(b).
type enc struct {
	cw     *chunkWriter
	base   int
	b      []byte
	chains []func(chunk []byte) // hash-table links applied when the record is kept
	err    error
}

func (e *enc) pos() int { return e.base + len(e.b) }

func (e *enc) u8(v byte)    { e.b = append(e.b, v) }
func (e *enc) u16(v uint16) { e.b = binary.LittleEndian.AppendUint16(e.b, v) }
func (e *enc) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }

// nameHash is the 16-bit name hash Windows stores beside each name.
func nameHash(s string) uint32 {
	var h uint32
	for _, c := range utf16.Encode([]rune(s)) {
		h = h*65599 + uint32(c)
	}
	return h
}

// name writes a reference to name, storing the name inline on its first use
// in the chunk and linking it into the chunk's string hash table.
func (e *enc) name(s string) {
	if off, ok := e.cw.names[s]; ok {
		e.u32(off)
		return
	}
	off := uint32(e.pos() + 4)
	e.u32(off)
	e.cw.names[s] = off
	h := nameHash(s)
	u := utf16.Encode([]rune(s))
	e.u32(0) // next name in the hash bucket: linked below
	e.u16(uint16(h))
	e.u16(uint16(len(u)))
	for _, c := range u {
		e.u16(c)
	}
	e.u16(0)
	bucket := 128 + 4*int(h%64)
	e.chains = append(e.chains, func(c []byte) {
		binary.LittleEndian.PutUint32(c[off:], binary.LittleEndian.Uint32(c[bucket:]))
		binary.LittleEndian.PutUint32(c[bucket:], off)
	})
}

// element writes <name attrs...>content</name>; attrs and content write
// their own tokens. It patches the element's data size.
func (e *enc) element(name string, attrs []func(last bool), content func()) {
	tok := byte(tokOpen)
	if len(attrs) > 0 {
		tok = tokOpenAttrs
	}
	e.u8(tok)
	e.u16(0xffff) // dependency identifier: none
	sizeAt := len(e.b)
	e.u32(0)
	e.name(name)
	if len(attrs) > 0 {
		listAt := len(e.b)
		e.u32(0)
		for i, a := range attrs {
			a(i == len(attrs)-1)
		}
		binary.LittleEndian.PutUint32(e.b[listAt:], uint32(len(e.b)-listAt-4))
	}
	if content == nil {
		e.u8(tokCloseEmpty)
	} else {
		e.u8(tokCloseStart)
		content()
		e.u8(tokEnd)
	}
	binary.LittleEndian.PutUint32(e.b[sizeAt:], uint32(len(e.b)-sizeAt-4))
}

func (e *enc) attr(name string, val func()) func(last bool) {
	return func(last bool) {
		if last {
			e.u8(tokAttr)
		} else {
			e.u8(tokAttrMore)
		}
		e.name(name)
		val()
	}
}

func (e *enc) text(s string) func() {
	return func() {
		u := utf16.Encode([]rune(s))
		e.u8(tokValue)
		e.u8(tString)
		e.u16(uint16(len(u)))
		for _, c := range u {
			e.u16(c)
		}
	}
}

func (e *enc) sub(id int, typ byte, optional bool) func() {
	return func() {
		if optional {
			e.u8(tokOptionalSub)
		} else {
			e.u8(tokNormalSub)
		}
		e.u16(uint16(id))
		e.u8(typ)
	}
}

// record encodes r: a fragment holding one template instance.
func (e *enc) record(r *Record, id uint64) {
	vals, body := e.payload(r)
	vals = append(systemValues(r, id), vals...)
	if e.err != nil {
		return
	}
	key := templateKey(r, vals)
	sum := md5.Sum([]byte(key))
	guid := sum[:]

	e.u8(tokFragmentHead)
	e.b = append(e.b, 1, 1, 0)
	e.u8(tokTemplate)
	e.u8(1)
	e.b = append(e.b, guid[:4]...) // template identifier: the GUID's first 4 bytes
	if off, ok := e.cw.templates[key]; ok {
		e.u32(off)
	} else {
		off := uint32(e.pos() + 4)
		e.cw.templates[key] = off
		e.u32(off)
		e.u32(0) // next definition in the hash bucket: linked below
		e.b = append(e.b, guid...)
		sizeAt := len(e.b)
		e.u32(0)
		e.u8(tokFragmentHead)
		e.b = append(e.b, 1, 1, 0)
		e.element("Event", []func(bool){e.attr("xmlns", e.text(eventNamespace))}, func() {
			e.system()
			body()
		})
		e.u8(tokEOF)
		binary.LittleEndian.PutUint32(e.b[sizeAt:], uint32(len(e.b)-sizeAt-4))
		bucket := 384 + 4*int(binary.LittleEndian.Uint32(guid)%32)
		e.chains = append(e.chains, func(c []byte) {
			binary.LittleEndian.PutUint32(c[off:], binary.LittleEndian.Uint32(c[bucket:]))
			binary.LittleEndian.PutUint32(c[bucket:], off)
		})
	}
	e.u32(uint32(len(vals)))
	for _, v := range vals {
		if len(v.data) > math.MaxUint16 {
			e.err = fmt.Errorf("evtxtest: value of %d bytes is too large", len(v.data))
			return
		}
		e.u16(uint16(len(v.data)))
		e.u8(v.typ)
		e.u8(0)
	}
	for _, v := range vals {
		e.b = append(e.b, v.data...)
	}
	e.u8(tokEOF)
}

// Substitution indexes of the System part.
const (
	sProvider = iota
	sProviderGUID
	sQualifiers
	sEventID
	sVersion
	sLevel
	sTask
	sOpcode
	sKeywords
	sTime
	sRecordID
	sActivityID
	sProcessID
	sThreadID
	sChannel
	sComputer
	sUserID
	nSystem
)

// system writes the System element, every value a substitution.
func (e *enc) system() {
	simple := func(name string, id int, typ byte) {
		e.element(name, nil, e.sub(id, typ, false))
	}
	e.element("System", nil, func() {
		e.element("Provider", []func(bool){
			e.attr("Name", e.sub(sProvider, tString, true)),
			e.attr("Guid", e.sub(sProviderGUID, tGUID, true)),
		}, nil)
		e.element("EventID", []func(bool){e.attr("Qualifiers", e.sub(sQualifiers, tUint16, true))}, e.sub(sEventID, tUint16, false))
		simple("Version", sVersion, tUint8)
		simple("Level", sLevel, tUint8)
		simple("Task", sTask, tUint16)
		simple("Opcode", sOpcode, tUint8)
		simple("Keywords", sKeywords, tHexInt64)
		e.element("TimeCreated", []func(bool){e.attr("SystemTime", e.sub(sTime, tFileTime, false))}, nil)
		simple("EventRecordID", sRecordID, tUint64)
		e.element("Correlation", []func(bool){e.attr("ActivityID", e.sub(sActivityID, tGUID, true))}, nil)
		e.element("Execution", []func(bool){
			e.attr("ProcessID", e.sub(sProcessID, tUint32, false)),
			e.attr("ThreadID", e.sub(sThreadID, tUint32, false)),
		}, nil)
		simple("Channel", sChannel, tString)
		simple("Computer", sComputer, tString)
		e.element("Security", []func(bool){e.attr("UserID", e.sub(sUserID, tSID, true))}, nil)
	})
}

func systemValues(r *Record, id uint64) []value {
	le := binary.LittleEndian
	v := make([]value, nSystem)
	v[sProvider] = stringValue(r.Provider)
	if r.ProviderGUID != "" {
		v[sProviderGUID] = guidValue(r.ProviderGUID)
	}
	if r.Qualifiers != nil {
		v[sQualifiers] = value{tUint16, le.AppendUint16(nil, *r.Qualifiers)}
	}
	v[sEventID] = value{tUint16, le.AppendUint16(nil, r.EventID)}
	v[sVersion] = value{tUint8, []byte{r.Version}}
	v[sLevel] = value{tUint8, []byte{r.Level}}
	v[sTask] = value{tUint16, le.AppendUint16(nil, r.Task)}
	v[sOpcode] = value{tUint8, []byte{r.Opcode}}
	v[sKeywords] = value{tHexInt64, le.AppendUint64(nil, r.Keywords)}
	v[sTime] = value{tFileTime, le.AppendUint64(nil, filetime(r.Time))}
	v[sRecordID] = value{tUint64, le.AppendUint64(nil, id)}
	if r.ActivityID != "" {
		v[sActivityID] = guidValue(r.ActivityID)
	}
	v[sProcessID] = value{tUint32, le.AppendUint32(nil, r.ProcessID)}
	v[sThreadID] = value{tUint32, le.AppendUint32(nil, r.ThreadID)}
	v[sChannel] = stringValue(r.Channel)
	v[sComputer] = stringValue(r.Computer)
	if r.UserID != "" {
		v[sUserID] = sidValue(r.UserID)
	}
	return v
}

// payload returns the values of r's EventData or UserData and the function
// that writes its elements.
func (e *enc) payload(r *Record) ([]value, func()) {
	var vals []value
	add := func(x any) int {
		v, err := encodeValue(x)
		if err != nil && e.err == nil {
			e.err = err
		}
		vals = append(vals, v)
		return nSystem + len(vals) - 1
	}
	switch {
	case r.UserData != nil:
		u := r.UserData
		ids := make([]int, len(u.Fields))
		types := make([]byte, len(u.Fields))
		for i, f := range u.Fields {
			ids[i] = add(f.Value)
			types[i] = declaredType(vals[len(vals)-1])
		}
		return vals, func() {
			e.element("UserData", nil, func() {
				var attrs []func(bool)
				if u.Namespace != "" {
					attrs = append(attrs, e.attr("xmlns", e.text(u.Namespace)))
				}
				e.element(u.Element, attrs, func() {
					for i, f := range u.Fields {
						e.element(f.Name, nil, e.sub(ids[i], types[i], false))
					}
				})
			})
		}
	case r.Unnamed != nil:
		ids := make([]int, len(r.Unnamed))
		types := make([]byte, len(r.Unnamed))
		for i, x := range r.Unnamed {
			ids[i] = add(x)
			types[i] = declaredType(vals[len(vals)-1])
		}
		return vals, func() {
			e.element("EventData", nil, func() {
				for i := range ids {
					e.element("Data", nil, e.sub(ids[i], types[i], false))
				}
			})
		}
	case r.EventData != nil:
		ids := make([]int, len(r.EventData))
		types := make([]byte, len(r.EventData))
		for i, d := range r.EventData {
			ids[i] = add(d.Value)
			types[i] = declaredType(vals[len(vals)-1])
		}
		return vals, func() {
			e.element("EventData", nil, func() {
				for i, d := range r.EventData {
					e.element("Data", []func(bool){e.attr("Name", e.text(d.Name))}, e.sub(ids[i], types[i], false))
				}
			})
		}
	}
	return nil, func() {}
}

// declaredType is the type a template declares for a value: a null value
// is declared as a string.
func declaredType(v value) byte {
	if v.typ == tNull {
		return tString
	}
	return v.typ
}

// templateKey identifies records that can share a template definition: the
// same payload layout with the same declared value types.
func templateKey(r *Record, vals []value) string {
	var b strings.Builder
	switch {
	case r.UserData != nil:
		b.WriteString("U\x00" + r.UserData.Element + "\x00" + r.UserData.Namespace)
		for _, f := range r.UserData.Fields {
			b.WriteString("\x00" + f.Name)
		}
	case r.Unnamed != nil:
		b.WriteString("D")
	case r.EventData != nil:
		b.WriteString("N")
		for _, d := range r.EventData {
			b.WriteString("\x00" + d.Name)
		}
	}
	b.WriteString("\x01")
	for _, v := range vals[nSystem:] {
		b.WriteByte(declaredType(v))
	}
	return b.String()
}

func stringValue(s string) value {
	if s == "" {
		return value{}
	}
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u)+2)
	for _, c := range u {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return value{tString, append(b, 0, 0)} // NUL-terminated, as Windows writes them
}

func guidValue(s string) value {
	s = strings.Trim(s, "{}")
	h, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(h) != 16 {
		return value{}
	}
	b := make([]byte, 16)
	binary.LittleEndian.PutUint32(b, binary.BigEndian.Uint32(h))
	binary.LittleEndian.PutUint16(b[4:], binary.BigEndian.Uint16(h[4:]))
	binary.LittleEndian.PutUint16(b[6:], binary.BigEndian.Uint16(h[6:]))
	copy(b[8:], h[8:])
	return value{tGUID, b}
}

func sidValue(s string) value {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || parts[0] != "S" {
		return value{}
	}
	rev, err1 := strconv.ParseUint(parts[1], 10, 8)
	auth, err2 := strconv.ParseUint(parts[2], 10, 48)
	if err1 != nil || err2 != nil || len(parts)-3 > 15 {
		return value{}
	}
	b := []byte{byte(rev), byte(len(parts) - 3)}
	for i := 5; i >= 0; i-- {
		b = append(b, byte(auth>>(8*i)))
	}
	for _, p := range parts[3:] {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return value{}
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
	}
	return value{tSID, b}
}

// encodeValue turns a Go value into a typed substitution value.
func encodeValue(x any) (value, error) {
	le := binary.LittleEndian
	switch v := x.(type) {
	case nil:
		return value{}, nil
	case string:
		if v == "" {
			return value{tString, nil}, nil
		}
		return stringValue(v), nil
	case int:
		return value{tInt64, le.AppendUint64(nil, uint64(v))}, nil
	case int8:
		return value{tInt8, []byte{byte(v)}}, nil
	case int16:
		return value{tInt16, le.AppendUint16(nil, uint16(v))}, nil
	case int32:
		return value{tInt32, le.AppendUint32(nil, uint32(v))}, nil
	case int64:
		return value{tInt64, le.AppendUint64(nil, uint64(v))}, nil
	case uint8:
		return value{tUint8, []byte{v}}, nil
	case uint16:
		return value{tUint16, le.AppendUint16(nil, v)}, nil
	case uint32:
		return value{tUint32, le.AppendUint32(nil, v)}, nil
	case uint64:
		return value{tUint64, le.AppendUint64(nil, v)}, nil
	case float64:
		return value{tReal64, le.AppendUint64(nil, math.Float64bits(v))}, nil
	case bool:
		b := uint32(0)
		if v {
			b = 1
		}
		return value{tBool, le.AppendUint32(nil, b)}, nil
	case Hex32:
		return value{tHexInt32, le.AppendUint32(nil, uint32(v))}, nil
	case Hex64:
		return value{tHexInt64, le.AppendUint64(nil, uint64(v))}, nil
	case GUID:
		g := guidValue(string(v))
		if g.typ == tNull {
			return g, fmt.Errorf("evtxtest: bad GUID %q", v)
		}
		return g, nil
	case SID:
		s := sidValue(string(v))
		if s.typ == tNull {
			return s, fmt.Errorf("evtxtest: bad SID %q", v)
		}
		return s, nil
	case time.Time:
		return value{tFileTime, le.AppendUint64(nil, filetime(v))}, nil
	case []byte:
		return value{tBinary, v}, nil
	}
	return value{}, fmt.Errorf("evtxtest: unsupported value type %T", x)
}
