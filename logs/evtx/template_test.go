package evtx

import (
	"encoding/binary"
	"testing"
	"unicode/utf16"
)

// bx builds binary XML by hand, for template shapes the evtxtest writer does
// not produce. Offsets are chunk offsets: base is where b starts.
type bx struct {
	b     []byte
	base  int
	names map[string]int
}

func (x *bx) u16(v int) { x.b = binary.LittleEndian.AppendUint16(x.b, uint16(v)) }
func (x *bx) u32(v int) { x.b = binary.LittleEndian.AppendUint32(x.b, uint32(v)) }

func (x *bx) name(s string) {
	if off, ok := x.names[s]; ok {
		x.u32(off)
		return
	}
	off := x.base + len(x.b) + 4
	x.names[s] = off
	x.u32(off)
	u := utf16.Encode([]rune(s))
	x.u32(0)
	x.u16(0)
	x.u16(len(u))
	for _, c := range u {
		x.u16(int(c))
	}
	x.u16(0)
}

// open writes an element start; attrs writes the attributes.
func (x *bx) open(name string, attrs func()) {
	if attrs == nil {
		x.b = append(x.b, 0x01, 0xff, 0xff, 0, 0, 0, 0)
		x.name(name)
		return
	}
	x.b = append(x.b, 0x41, 0xff, 0xff, 0, 0, 0, 0)
	x.name(name)
	x.u32(0)
	attrs()
}

func (x *bx) attr(name string, value func()) { x.b = append(x.b, 0x06); x.name(name); value() }
func (x *bx) closeStart()                    { x.b = append(x.b, 0x02) }
func (x *bx) closeEmpty()                    { x.b = append(x.b, 0x03) }
func (x *bx) end()                           { x.b = append(x.b, 0x04) }
func (x *bx) sub(id int, typ byte, optional bool) {
	tok := byte(0x0d)
	if optional {
		tok = 0x0e
	}
	x.b = append(x.b, tok)
	x.u16(id)
	x.b = append(x.b, typ)
}
func (x *bx) text(s string) {
	u := utf16.Encode([]rune(s))
	x.b = append(x.b, 0x05, 0x01)
	x.u16(len(u))
	for _, c := range u {
		x.u16(int(c))
	}
}

// instance wraps a template body (built by body) and its values into the
// binary XML of one record.
func instance(body func(x *bx), values [][]byte, types []byte) []byte {
	const base = chunkHeaderSize + recordHeaderSize
	x := &bx{base: base, names: map[string]int{}}
	x.b = append(x.b, 0x0f, 1, 1, 0, 0x0c, 1, 0, 0, 0, 0)
	x.u32(base + len(x.b) + 4)
	x.b = append(x.b, make([]byte, 20)...)
	sizeAt := len(x.b)
	x.u32(0)
	x.b = append(x.b, 0x0f, 1, 1, 0)
	body(x)
	x.b = append(x.b, 0x00)
	binary.LittleEndian.PutUint32(x.b[sizeAt:], uint32(len(x.b)-sizeAt-4))
	x.u32(len(values))
	for i, v := range values {
		x.u16(len(v))
		x.b = append(x.b, types[i], 0)
	}
	for _, v := range values {
		x.b = append(x.b, v...)
	}
	return append(x.b, 0x00)
}

func utf16z(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

func TestTemplateShapes(t *testing.T) {
	body := func(x *bx) {
		x.open("Event", nil)
		x.closeStart()
		x.open("System", nil)
		x.closeStart()
		x.open("EventID", nil)
		x.closeStart()
		x.sub(4, typeUint16, false)
		x.end()
		// Optional attribute, null: no field.
		x.open("Correlation", func() { x.attr("ActivityID", func() { x.sub(5, typeGUID, true) }) })
		x.closeEmpty()
		x.end()
		x.open("EventData", nil)
		x.closeStart()
		// Names from substitutions; a null name makes an unnamed Data.
		x.open("Data", func() { x.attr("Name", func() { x.sub(0, typeString, false) }) })
		x.closeStart()
		x.sub(1, typeString, false)
		x.end()
		x.open("Data", func() { x.attr("Name", func() { x.sub(2, typeString, true) }) })
		x.closeStart()
		x.sub(3, typeString, false)
		x.end()
		// Optional content, null: the element does not exist.
		x.open("Data", func() { x.attr("Name", func() { x.text("Gone") }) })
		x.closeStart()
		x.sub(5, typeString, true)
		x.end()
		// Normal content, null: the element exists, empty.
		x.open("Data", func() { x.attr("Name", func() { x.text("Empty") }) })
		x.closeStart()
		x.sub(5, typeString, false)
		x.end()
		// Text, entity and character references and a substitution mixed.
		x.open("Data", func() { x.attr("Name", func() { x.text("Mixed") }) })
		x.closeStart()
		x.text("a")
		x.b = append(x.b, 0x49)
		x.name("amp")
		x.b = append(x.b, 0x48, 0x41, 0x00) // &#65;
		x.sub(1, typeString, false)
		x.end()
		// A string array: one list field.
		x.open("Data", func() { x.attr("Name", func() { x.text("Paths") }) })
		x.closeStart()
		x.sub(6, typeString|typeArray, false)
		x.end()
		x.open("Binary", nil)
		x.closeStart()
		x.sub(7, typeBinary, false)
		x.end()
		x.end()
		x.end()
	}
	values := [][]byte{utf16z("Alpha\x00"), utf16z("x  "), nil, utf16z("y"), {0x10, 0x27}, nil, utf16z("C:\\a\x00D:\\b\x00"), {0xca, 0xfe}}
	types := []byte{typeString, typeString, typeNull, typeString, typeUint16, typeNull, typeString | typeArray, typeBinary}
	r := read(rawFile(instance(body, values, types)))
	if r.err != nil || len(r.warns) != 0 || len(r.events) != 1 {
		t.Fatalf("err %v, warnings %v, %d events", r.err, r.warns, len(r.events))
	}
	want := "EventID=int:10000\nAlpha=string:x\nEmpty=null:\nMixed=string:a&Ax\nPaths=list:C:\\a D:\\b\nBinary=string:CAFE\nData=list:y\n"
	if got := fields(r.events[0]); got != want {
		t.Errorf("fields:\n%s\nwant:\n%s", got, want)
	}
	if r.events[0].Source.Record != 1 {
		t.Errorf("no EventRecordID: Source.Record %d, want the record header's 1", r.events[0].Source.Record)
	}
}
