package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// A template definition is binary XML with holes (substitutions). Rather
// than building XML per record, each definition is compiled once per chunk
// into a plan: the list of fields the naming convention of
// docs/windows-fields.md derives from it, each saying where its value comes
// from (literal text, or substitution N). A record then only has to decode
// its substitution array and run the plan.

// section is the top-level part of an event an element belongs to; the
// naming rules differ between them.
type section uint8

const (
	secNone      section = iota // the root element (Event)
	secSystem                   // <System>
	secEventData                // <EventData>
	secOther                    // <UserData>, <RenderingInfo>, <ProcessingErrorData>, ...
)

// ctx says where a fragment's top-level elements sit in the event: their
// depth (0 for the root element) and the section they are in. Nested BinXml
// substitutions carry the ctx of the element they appear in, so a template
// they instantiate is compiled for that place.
type ctx struct {
	depth uint8
	sec   section
}

// piece is one part of an attribute or element value: literal text from the
// template, or a substitution.
type piece struct {
	lit string
	sub int32 // substitution index; -1 for literal text
	opt bool  // an optional substitution: when null, its element or attribute is not created
}

type opKind uint8

const (
	opField  opKind = iota // one field: name, or the name given by substitution nameSub
	opData                 // an unnamed EventData <Data>: one more element of the Data list
	opNested               // a BinXml substitution among an element's children
)

type role uint8

const (
	roleNone     role = iota
	roleTime          // System/TimeCreated/@SystemTime: also Event.Time
	roleRecordID      // System/EventRecordID: also Source.Record
)

// op is one step of a plan.
type op struct {
	kind opKind
	role role
	// keepEmpty makes an empty value a null field (EventData, UserData);
	// otherwise it yields no field (System elements, attributes).
	keepEmpty bool
	// absentIfNull: the value is made of optional substitutions only, so a
	// null value means the element or attribute does not exist.
	absentIfNull bool
	system       bool  // a System field, never merged with another of its name
	nameSub      int32 // >= 0: <Data Name=%nameSub%>; a null name makes it a Data list element
	name         string
	pcs          []piece
	inner        ctx // where BinXml fragments in this value sit
}

// plan is a compiled template definition (or bare fragment).
type plan struct {
	ops []op
	err error
	// mayRepeat is set when two ops can yield the same non-System name (a
	// repeated UserData element, names taken from substitutions); the record
	// is then checked for repeats, which become lists.
	mayRepeat bool
	// names has bit hash(name)%64 set for each non-System field name, so
	// that a record can tell cheaply whether a nested plan may repeat a name
	// of its parent's.
	names uint64
}

// Limits that keep hostile input from costing unbounded time or memory.
const (
	maxElementDepth = 64
	maxPlanOps      = 4096
	maxNesting      = 16
	maxChunkPlans   = 8192 // template plans cached per chunk
	// maxWork bounds the ops run plus fragment bytes read for one record;
	// real records need a few hundred.
	maxWork = 1 << 18
	// maxRecordText bounds the text of one record's values: a record holds
	// less than a chunk, and rendering grows it at most a few times.
	maxRecordText = 8 * chunkSize
)

var (
	errTruncated = errors.New("binary XML runs past its data")
	errTooDeep   = errors.New("binary XML nested too deeply")
	// errTooMuchWork: the record's substitutions expand beyond any real
	// record (a value used many times over, nested many times).
	errTooMuchWork = errors.New("binary XML expands beyond the limits of a record")
)

type attr struct {
	name string
	pcs  []piece
}

type cframe struct {
	name        string
	depth       int
	sec         section
	isData      bool    // EventData/Data
	hasDataName bool    // Data has a Name attribute
	dataName    []piece // its value
	content     []piece
	children    bool // has child elements or BinXml substitutions
}

type compiler struct {
	d      *decoder
	c      []byte // the chunk
	p, end int    // token range [p, end) in c
	noDep  bool   // element starts lack the dependency identifier (inside BinXml values)
	base   ctx
	stack  []cframe
	attrs  []attr
	ops    []op
	seen   map[string]bool // non-System static names, to detect repeats
	repeat bool
	names  uint64
	err    error
}

// compile turns the binary XML in c[p:end] into a plan for fragments placed
// at cx. It never fails: a malformed definition yields a plan whose err says
// why.
func (d *decoder) compile(p, end int, cx ctx, noDep bool) *plan {
	cp := &compiler{d: d, c: d.chunk, p: p, end: end, noDep: noDep, base: cx, stack: d.cstack[:0], attrs: d.cattrs[:0]}
	cp.run()
	d.cstack, d.cattrs = cp.stack[:0], cp.attrs[:0]
	if cp.err != nil {
		return &plan{err: cp.err}
	}
	return &plan{ops: cp.ops, mayRepeat: cp.repeat, names: cp.names}
}

func (cp *compiler) fail(format string, args ...any) {
	if cp.err == nil {
		cp.err = fmt.Errorf(format, args...)
	}
}

func (cp *compiler) need(n int) bool {
	if cp.err != nil {
		return false
	}
	if n > cp.end-cp.p {
		cp.err = errTruncated
		return false
	}
	return true
}

func (cp *compiler) u16() uint16 {
	if !cp.need(2) {
		return 0
	}
	v := binary.LittleEndian.Uint16(cp.c[cp.p:])
	cp.p += 2
	return v
}

func (cp *compiler) u32() uint32 {
	if !cp.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(cp.c[cp.p:])
	cp.p += 4
	return v
}

// name reads a name reference. Names live once per chunk; the first use
// stores the name inline, right after the reference pointing at it.
func (cp *compiler) name() string {
	off := cp.u32()
	if cp.err != nil {
		return ""
	}
	s, size, err := cp.d.nameAt(off)
	if err != nil {
		cp.err = err
		return ""
	}
	if int(off) == cp.p {
		if !cp.need(size) {
			return ""
		}
		cp.p += size
	}
	return s
}

// text reads a length-prefixed UTF-16 string (value text, CDATA).
func (cp *compiler) text() string {
	n := int(cp.u16()) * 2
	if !cp.need(n) {
		return ""
	}
	s := string(appendUTF16(nil, cp.c[cp.p:cp.p+n]))
	cp.p += n
	return s
}

func (cp *compiler) run() {
	for cp.err == nil {
		if cp.p >= cp.end {
			if len(cp.stack) > 0 {
				cp.err = errTruncated
			}
			return
		}
		tok := cp.c[cp.p]
		switch tok {
		case 0x00: // end of fragment
			if len(cp.stack) > 0 {
				cp.fail("binary XML ends inside <%s>", cp.stack[len(cp.stack)-1].name)
			}
			return
		case 0x0f: // fragment header
			cp.p += 4
		case 0x01, 0x41:
			cp.startElement(tok == 0x41)
		case 0x04:
			cp.p++
			cp.endElement()
		case 0x05, 0x45, 0x07, 0x47, 0x08, 0x48, 0x09, 0x49, 0x0d, 0x0e:
			if len(cp.stack) == 0 {
				cp.fail("content outside any element (token 0x%02x)", tok)
				return
			}
			pc, nested := cp.valueToken()
			top := &cp.stack[len(cp.stack)-1]
			if nested {
				top.children = true
				cp.emit(op{kind: opNested, nameSub: -1, pcs: []piece{pc}, inner: ctx{depth: uint8(top.depth + 1), sec: top.sec}})
			} else if cp.err == nil {
				top.content = append(top.content, pc)
			}
		case 0x0a: // processing instruction target: ignored
			cp.p++
			cp.name()
		case 0x0b: // processing instruction data: ignored
			cp.p++
			cp.text()
		case 0x0c:
			cp.fail("template instance inside a template definition")
		default:
			cp.fail("unknown binary XML token 0x%02x", tok)
		}
	}
}

// valueToken reads one value token at cp.p. nested reports a substitution
// declared as BinXml, which stands for child elements rather than text.
func (cp *compiler) valueToken() (pc piece, nested bool) {
	tok := cp.c[cp.p] &^ 0x40
	cp.p++
	switch tok {
	case 0x05: // value text
		if !cp.need(1) {
			return
		}
		t := cp.c[cp.p]
		cp.p++
		if t != typeString {
			cp.fail("value text of type 0x%02x", t)
			return
		}
		return piece{lit: cp.text(), sub: -1}, false
	case 0x07: // CDATA
		return piece{lit: cp.text(), sub: -1}, false
	case 0x08: // character reference
		r := rune(cp.u16())
		return piece{lit: string(r), sub: -1}, false
	case 0x09: // entity reference
		switch n := cp.name(); n {
		case "lt":
			return piece{lit: "<", sub: -1}, false
		case "gt":
			return piece{lit: ">", sub: -1}, false
		case "amp":
			return piece{lit: "&", sub: -1}, false
		case "quot":
			return piece{lit: `"`, sub: -1}, false
		case "apos":
			return piece{lit: "'", sub: -1}, false
		default:
			return piece{lit: "&" + n + ";", sub: -1}, false
		}
	default: // 0x0d normal, 0x0e optional substitution
		id := cp.u16()
		if !cp.need(1) {
			return
		}
		t := cp.c[cp.p]
		cp.p++
		return piece{sub: int32(id), opt: tok == 0x0e}, t == typeBinXML
	}
}

// valuePieces reads an attribute's value tokens.
func (cp *compiler) valuePieces() []piece {
	var pcs []piece
	for cp.err == nil && cp.p < cp.end {
		switch cp.c[cp.p] {
		case 0x05, 0x45, 0x08, 0x48, 0x09, 0x49, 0x0d, 0x0e:
			pc, _ := cp.valueToken()
			pcs = append(pcs, pc)
		default:
			return pcs
		}
	}
	return pcs
}

func (cp *compiler) startElement(hasAttrs bool) {
	cp.p++
	if !cp.noDep {
		cp.u16() // dependency identifier
	}
	cp.u32() // data size: tokens are read one by one instead
	name := cp.name()
	if cp.err != nil {
		return
	}
	depth := int(cp.base.depth) + len(cp.stack)
	if len(cp.stack) >= maxElementDepth || depth > 255 {
		cp.err = errTooDeep
		return
	}
	sec := cp.base.sec
	if len(cp.stack) > 0 {
		sec = cp.stack[len(cp.stack)-1].sec
		cp.stack[len(cp.stack)-1].children = true
	}
	if depth == 1 {
		switch name {
		case "System":
			sec = secSystem
		case "EventData":
			sec = secEventData
		default:
			sec = secOther
		}
	}
	fr := cframe{name: name, depth: depth, sec: sec, isData: depth == 2 && sec == secEventData && name == "Data"}
	cp.attrs = cp.attrs[:0]
	if hasAttrs {
		cp.u32() // attribute list size
		for cp.err == nil && cp.p < cp.end && cp.c[cp.p]&^0x40 == 0x06 {
			cp.p++
			an := cp.name()
			cp.attrs = append(cp.attrs, attr{name: an, pcs: cp.valuePieces()})
		}
	}
	if !cp.need(1) {
		return
	}
	closeTok := cp.c[cp.p]
	cp.p++
	if closeTok != 0x02 && closeTok != 0x03 {
		cp.fail("unexpected token 0x%02x in start tag of <%s>", closeTok, name)
		return
	}
	for _, a := range cp.attrs {
		if a.name == "xmlns" || strings.HasPrefix(a.name, "xmlns:") {
			continue
		}
		if fr.isData && a.name == "Name" {
			fr.hasDataName, fr.dataName = true, a.pcs
			continue
		}
		o := op{kind: opField, nameSub: -1, name: name + "_" + a.name, pcs: a.pcs, system: sec == secSystem}
		if sec == secSystem && depth == 2 && name == "TimeCreated" && a.name == "SystemTime" {
			o.role = roleTime
		}
		cp.emit(o)
	}
	cp.stack = append(cp.stack, fr)
	if closeTok == 0x03 {
		cp.endElement()
	}
}

// endElement closes the innermost element and emits the op its content
// yields under the naming convention.
func (cp *compiler) endElement() {
	if len(cp.stack) == 0 {
		cp.fail("end tag without an open element")
		return
	}
	fr := cp.stack[len(cp.stack)-1]
	cp.stack = cp.stack[:len(cp.stack)-1]
	inner := ctx{depth: uint8(fr.depth + 1), sec: fr.sec}
	o := op{kind: opField, nameSub: -1, name: fr.name, pcs: fr.content, inner: inner}
	switch {
	case fr.isData && !(fr.children && len(fr.content) == 0):
		o.keepEmpty = true
		switch {
		case !fr.hasDataName:
			o.kind = opData
		case len(fr.dataName) == 1 && fr.dataName[0].sub >= 0:
			o.nameSub, o.name = fr.dataName[0].sub, ""
			cp.repeat = true
		default:
			var b strings.Builder
			for _, pc := range fr.dataName {
				b.WriteString(pc.lit) // names mixing text and substitutions: keep the text
			}
			o.name = b.String()
		}
	case fr.children:
		return
	case fr.sec == secSystem || fr.depth <= 1:
		// System elements, the root and bare sections: no field when empty.
		if len(fr.content) == 0 || fr.depth == 0 {
			return
		}
		o.system = fr.sec == secSystem
		if o.system && fr.depth == 2 && fr.name == "EventRecordID" {
			o.role = roleRecordID
		}
	default:
		// A leaf of EventData (other than Data) or of UserData and the other
		// sections: named after the element, null when empty.
		o.keepEmpty = true
	}
	cp.emit(o)
}

// nameBit is a one-bit FNV-1a hash of name.
func nameBit(name string) uint64 {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return 1 << (h % 64)
}

func (cp *compiler) emit(o op) {
	o.absentIfNull = len(o.pcs) > 0
	for _, pc := range o.pcs {
		if !pc.opt {
			o.absentIfNull = false
		}
	}
	if len(cp.ops) >= maxPlanOps {
		cp.fail("template yields more than %d fields", maxPlanOps)
		return
	}
	if !o.system && o.kind == opField && o.nameSub < 0 {
		if cp.seen == nil {
			cp.seen = make(map[string]bool)
		}
		if cp.seen[o.name] {
			cp.repeat = true
		}
		cp.seen[o.name] = true
		cp.names |= nameBit(o.name)
	}
	cp.ops = append(cp.ops, o)
}
