package evtx

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
)

// subst locates one substitution value of the template instance being
// decoded; the bytes stay in the chunk.
type subst struct {
	off  int32
	size int32
	typ  byte
}

type pfield struct {
	name   string
	v      pval
	system bool
}

type nameEntry struct {
	s    string
	size int
}

// decoder holds everything one Read needs, reused from record to record
// (and, through a pool, from file to file) so that the steady state
// allocates little more than one string per record.
type decoder struct {
	in   logs.Input
	emit func(*event.Event) error

	chunkBuf []byte // chunkSize bytes, reused
	chunk    []byte // the current chunk (shorter when the file is truncated)
	chunkOff int64  // its offset in the file

	// Per-chunk caches: names and template definitions are referenced by
	// their offset inside the chunk.
	names    map[uint32]nameEntry
	plans    map[uint64]*plan
	lastKey  uint64
	lastPlan *plan
	budget   int // template bytes this chunk may still compile

	// Plans shared across chunks and files, by canonical template form.
	canon       []byte
	shared      map[string]*plan
	sharedBytes int

	// Per-record state.
	subs      []subst // stack of substitution arrays (nested instances push)
	buf       []byte  // text of every value of the record
	items     []pval  // list elements
	fields    []pfield
	dataItems []pval // unnamed <Data> elements, in order
	mergeTmp  []pval
	repeat    bool // fields may repeat a name: merge them in finish
	// unspaced caches the space-less aliases of names such as Defender's
	// "Threat Name" (see finish).
	unspaced  map[string]string
	nameBits  uint64 // union of the executed plans' name bits
	hasTime   bool
	sec, nsec int64
	timeText  pval
	recordID  pval
	problem   string // first value-level problem; the record is still emitted
	work      int    // ops run and fragment bytes read for this record, see maxWork

	cstack []cframe
	cattrs []attr
	tmp    []byte
	intern map[string]string
	ev     event.Event
}

func newDecoder() *decoder {
	return &decoder{
		chunkBuf: make([]byte, chunkSize),
		names:    make(map[uint32]nameEntry),
		plans:    make(map[uint64]*plan),
		shared:   make(map[string]*plan),
		intern:   make(map[string]string),
	}
}

func (d *decoder) resetChunk() {
	clear(d.names)
	clear(d.plans)
	d.lastPlan = nil
	d.budget = 16 * chunkSize
}

// internBytes returns b as a string, sharing one copy per distinct name
// across records and chunks.
func (d *decoder) internBytes(b []byte) string {
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.intern) < 1<<16 {
		d.intern[s] = s
	}
	return s
}

// nameAt reads the name structure at chunk offset off: 4 unknown bytes, a
// 2-byte hash, a 2-byte character count, the UTF-16 text and its NUL.
func (d *decoder) nameAt(off uint32) (string, int, error) {
	if e, ok := d.names[off]; ok {
		return e.s, e.size, nil
	}
	o := int(off)
	if o < 0 || o > len(d.chunk)-8 {
		return "", 0, fmt.Errorf("name offset %d outside the chunk", off)
	}
	n := int(binary.LittleEndian.Uint16(d.chunk[o+6:]))
	size := 8 + 2*n + 2
	if size > len(d.chunk)-o {
		return "", 0, fmt.Errorf("name at %d runs past the chunk", off)
	}
	d.tmp = appendUTF16(d.tmp[:0], d.chunk[o+8:o+8+2*n])
	s := d.internBytes(d.tmp)
	d.names[off] = nameEntry{s: s, size: size}
	return s, size, nil
}

// template returns the plan of the template definition at chunk offset
// defOff for instances placed at cx, compiling it on first use.
func (d *decoder) template(defOff uint32, cx ctx) *plan {
	key := uint64(defOff) | uint64(cx.depth)<<32 | uint64(cx.sec)<<40
	if d.lastPlan != nil && key == d.lastKey {
		return d.lastPlan
	}
	pl, ok := d.plans[key]
	if !ok {
		pl = d.compileTemplate(int(defOff), cx)
		if len(d.plans) < maxChunkPlans {
			d.plans[key] = pl
		}
	}
	d.lastKey, d.lastPlan = key, pl
	return pl
}

// compileTemplate compiles the definition at o: next-definition offset (4),
// GUID (16), data size (4), then the binary XML.
func (d *decoder) compileTemplate(o int, cx ctx) *plan {
	if o < chunkHeaderSize || o > len(d.chunk)-24 {
		return &plan{err: fmt.Errorf("template definition offset %d outside the chunk's records", o)}
	}
	size := int(binary.LittleEndian.Uint32(d.chunk[o+20:]))
	if size > len(d.chunk)-o-24 {
		return &plan{err: fmt.Errorf("template definition at %d (%d bytes) runs past the chunk", o, size)}
	}
	// Every compile costs at least a little, so that empty definitions at
	// thousands of offsets cannot be compiled without end either.
	cost := size + 64
	if cost > d.budget {
		return &plan{err: fmt.Errorf("template definitions in this chunk exceed %d bytes", 16*chunkSize)}
	}
	d.budget -= cost
	body, end := o+24, o+24+size
	canonical := d.canonical(body, end, cx)
	if canonical {
		if pl := d.sharedPlan(); pl != nil {
			return pl
		}
	}
	pl := d.compile(body, end, cx, false)
	if canonical && pl.err == nil {
		d.keepPlan(pl)
	}
	return pl
}

// fragment decodes the binary XML fragment in chunk[p:end] placed at cx:
// an optional fragment header, then a template instance or bare elements.
// inValue says the fragment is a BinXml substitution value, whose element
// starts lack the dependency identifier.
func (d *decoder) fragment(p, end int, cx ctx, inValue bool, level int) error {
	if level > maxNesting {
		return errTooDeep
	}
	if d.work += end - p; d.work > maxWork {
		return errTooMuchWork
	}
	c := d.chunk
	if p < end && c[p] == 0x0f {
		p += 4
	}
	if p >= end {
		return errTruncated
	}
	if c[p] != 0x0c {
		pl := d.compile(p, end, cx, inValue)
		if pl.err != nil {
			return pl.err
		}
		return d.exec(pl, len(d.subs), 0, level)
	}
	// Template instance: token, 1 unknown byte, template id (4),
	// definition offset (4); the definition itself follows when this is
	// its first use in the chunk.
	if end-p < 10 {
		return errTruncated
	}
	defOff := binary.LittleEndian.Uint32(c[p+6:])
	q := p + 10
	if int(defOff) == q {
		if end-q < 24 {
			return errTruncated
		}
		size := int(binary.LittleEndian.Uint32(c[q+20:]))
		if size > end-q-24 {
			return errTruncated
		}
		q += 24 + size
	}
	pl := d.template(defOff, cx)
	if pl.err != nil {
		return pl.err
	}
	// Instance data: value count, (size, type, 0) descriptors, values.
	if end-q < 4 {
		return errTruncated
	}
	n := int(binary.LittleEndian.Uint32(c[q:]))
	q += 4
	if n > (end-q)/4 {
		return fmt.Errorf("template instance declares %d values, more than its data holds", n)
	}
	base := len(d.subs)
	v := q + 4*n
	for i := 0; i < n; i++ {
		size := int(binary.LittleEndian.Uint16(c[q+4*i:]))
		if size > end-v {
			d.subs = d.subs[:base]
			return fmt.Errorf("substitution %d (%d bytes) runs past the record", i, size)
		}
		d.subs = append(d.subs, subst{off: int32(v), size: int32(size), typ: c[q+4*i+2]})
		v += size
	}
	err := d.exec(pl, base, n, level)
	d.subs = d.subs[:base]
	return err
}

// note records the first value-level problem of a record.
func (d *decoder) note(format string, args ...any) {
	if d.problem == "" {
		d.problem = fmt.Sprintf(format, args...)
	}
}

func (d *decoder) badValue(t byte, size int) {
	d.note("value of type 0x%02x has unexpected size %d", t, size)
}

func (d *decoder) sub(base, n int, i int32) subst {
	if int(i) >= n {
		d.note("substitution %d missing: the instance has %d", i, n)
		return subst{}
	}
	return d.subs[base+int(i)]
}

func (d *decoder) bytesOf(s subst) []byte { return d.chunk[s.off : s.off+s.size] }

// eval computes the value of pieces. A lone BinXml substitution is returned
// as nested instead: it stands for child elements, not text.
func (d *decoder) eval(pcs []piece, base, n int) (v pval, nested subst, isNested bool) {
	if len(pcs) == 1 {
		pc := &pcs[0]
		if pc.sub < 0 {
			a := int32(len(d.buf))
			d.buf = append(d.buf, pc.lit...)
			return pval{kind: event.KindString, a: a, b: int32(len(d.buf))}, subst{}, false
		}
		s := d.sub(base, n, pc.sub)
		switch s.typ {
		case typeNull:
			return pval{kind: event.KindNull}, s, false
		case typeBinXML:
			return pval{}, s, true
		}
		return d.value(s.typ, d.bytesOf(s)), s, false
	}
	// Text and substitutions mixed: the concatenated text, null when every
	// part is null.
	a := int32(len(d.buf))
	some := false
	for i := range pcs {
		pc := &pcs[i]
		if pc.sub < 0 {
			d.buf = append(d.buf, pc.lit...)
			some = true
			continue
		}
		s := d.sub(base, n, pc.sub)
		if s.typ == typeNull || s.typ == typeBinXML {
			continue
		}
		d.value(s.typ, d.bytesOf(s))
		some = true
	}
	if !some {
		return pval{kind: event.KindNull}, subst{}, false
	}
	return pval{kind: event.KindString, a: a, b: int32(len(d.buf))}, subst{}, false
}

// exec runs a plan against the substitution array subs[base:base+n].
func (d *decoder) exec(pl *plan, base, n int, level int) error {
	if pl.mayRepeat || d.nameBits&pl.names != 0 {
		d.repeat = true
	}
	d.nameBits |= pl.names
	for i := range pl.ops {
		// A plan may use one substitution many times, and a BinXml value
		// may hold instances that do the same: without a bound, a few
		// hundred bytes could expand exponentially.
		if d.work++; d.work > maxWork || len(d.buf) > maxRecordText {
			return errTooMuchWork
		}
		o := &pl.ops[i]
		v, s, nested := d.eval(o.pcs, base, n)
		if nested {
			if err := d.fragment(int(s.off), int(s.off+s.size), o.inner, true, level+1); err != nil {
				if err == errTooMuchWork {
					return err
				}
				d.note("BinXml substitution %d: %v", o.pcs[0].sub, err)
			}
			continue
		}
		if o.kind == opNested {
			continue // declared BinXml, but the record holds null or plain data
		}
		if v.kind == event.KindNull && o.absentIfNull {
			continue
		}
		if !o.keepEmpty && (v.kind == event.KindNull || v.a == v.b) {
			continue
		}
		name := o.name
		if o.nameSub >= 0 {
			name = d.subName(d.sub(base, n, o.nameSub))
		}
		if o.kind == opData || (o.nameSub >= 0 && name == "") {
			d.dataItems = append(d.dataItems, v)
			continue
		}
		switch o.role {
		case roleTime:
			d.timeText = v
			if len(o.pcs) == 1 && s.typ == typeFileTime && s.size == 8 {
				d.sec, d.nsec = filetimeUnix(binary.LittleEndian.Uint64(d.bytesOf(s)))
				d.hasTime = true
			}
		case roleRecordID:
			d.recordID = v
		}
		d.fields = append(d.fields, pfield{name: name, v: v, system: o.system})
	}
	return nil
}

// subName renders a substitution used as a Data element's Name.
func (d *decoder) subName(s subst) string {
	switch s.typ {
	case typeNull:
		return ""
	case typeString:
		d.tmp = appendUTF16(d.tmp[:0], trimUTF16NUL(d.bytesOf(s)))
		return d.internBytes(d.tmp)
	}
	mark := len(d.buf)
	v := d.value(s.typ, d.bytesOf(s))
	name := d.internBytes(d.buf[v.a:v.b])
	d.buf = d.buf[:mark]
	return name
}

// listOf builds one list from vals, flattening lists among them. The
// elements' texts are copied next to each other, separated by spaces, to
// form the list's own text.
func (d *decoder) listOf(vals []pval) pval {
	first := int32(len(d.items))
	a := int32(len(d.buf))
	add := func(v pval) {
		if int32(len(d.items)) > first {
			d.buf = append(d.buf, ' ')
		}
		na := int32(len(d.buf))
		d.buf = append(d.buf, d.buf[v.a:v.b]...)
		v.a, v.b = na, int32(len(d.buf))
		d.items = append(d.items, v)
	}
	for _, v := range vals {
		if v.kind != event.KindList {
			add(v)
			continue
		}
		for j := v.list; j < v.list+v.nlist; j++ {
			add(d.items[j])
		}
	}
	return pval{kind: event.KindList, a: a, b: int32(len(d.buf)), list: first, nlist: int32(len(d.items)) - first}
}

// mergeRepeats turns non-System fields that occur more than once (a
// repeated UserData element) into one list field at the first occurrence.
// Records have a few dozen fields, compared pairwise; a damaged record can
// have hundreds of thousands, grouped through a map instead.
func (d *decoder) mergeRepeats() {
	fs := d.fields
	if len(fs) > 64 {
		d.mergeRepeatsMap()
		return
	}
	for i := 0; i < len(fs); i++ {
		if fs[i].system {
			continue
		}
		j := i + 1
		for j < len(fs) && (fs[j].system || fs[j].name != fs[i].name) {
			j++
		}
		if j == len(fs) {
			continue
		}
		vals := append(d.mergeTmp[:0], fs[i].v)
		k := j
		for ; j < len(fs); j++ {
			if !fs[j].system && fs[j].name == fs[i].name {
				vals = append(vals, fs[j].v)
				continue
			}
			fs[k] = fs[j]
			k++
		}
		fs = fs[:k]
		fs[i].v = d.listOf(vals)
		d.mergeTmp = vals[:0]
	}
	d.fields = fs
}

func (d *decoder) mergeRepeatsMap() {
	first := make(map[string]int)  // name -> index in kept
	groups := make(map[int][]pval) // index in kept -> all values, when repeated
	kept := d.fields[:0]
	for _, f := range d.fields {
		if !f.system {
			if i, ok := first[f.name]; ok {
				if groups[i] == nil {
					groups[i] = []pval{kept[i].v}
				}
				groups[i] = append(groups[i], f.v)
				continue
			}
			first[f.name] = len(kept)
		}
		kept = append(kept, f)
	}
	for i, vals := range groups {
		kept[i].v = d.listOf(vals)
	}
	d.fields = kept
}

func (d *decoder) resetRecord() {
	d.subs = d.subs[:0]
	d.buf = d.buf[:0]
	d.items = d.items[:0]
	d.fields = d.fields[:0]
	d.dataItems = d.dataItems[:0]
	d.repeat = false
	d.nameBits = 0
	d.hasTime = false
	d.timeText = pval{}
	d.recordID = pval{}
	d.problem = ""
	d.work = 0
}

// finish fills ev from the record's fields: one string conversion for all
// their texts, one slice for all their list elements.
// addUnspacedAliases gives fields whose names hold spaces (Microsoft
// Defender writes "Threat Name", "Process Name") a second name without
// them, the one Sigma rules use ("ThreatName"), unless a field already has
// it.
func (d *decoder) addUnspacedAliases(ev *event.Event) {
	n := len(ev.Fields)
	for i := 0; i < n; i++ {
		name := ev.Fields[i].Name
		if strings.IndexByte(name, ' ') < 0 {
			continue
		}
		alias, ok := d.unspaced[name]
		if !ok {
			if d.unspaced == nil || len(d.unspaced) > 4096 {
				d.unspaced = map[string]string{}
			}
			alias = strings.ReplaceAll(name, " ", "")
			d.unspaced[name] = alias
		}
		if _, exists := ev.Get(alias); !exists && alias != "" {
			ev.Fields = append(ev.Fields, event.Field{Name: alias, Value: ev.Fields[i].Value})
		}
	}
}

func (d *decoder) finish(ev *event.Event, headerID uint64, written uint64) {
	if len(d.dataItems) > 0 {
		d.fields = append(d.fields, pfield{name: "Data", v: d.listOf(d.dataItems)})
	}
	if d.repeat {
		d.mergeRepeats()
	}
	text := string(d.buf)
	nlist := 0
	for i := range d.fields {
		if d.fields[i].v.kind == event.KindList {
			nlist += int(d.fields[i].v.nlist)
		}
	}
	ev.Fields = slices.Grow(ev.Fields, len(d.fields))
	var lists []event.Value
	if nlist > 0 {
		lists = make([]event.Value, nlist)
	}
	for i := range d.fields {
		f := &d.fields[i]
		v := event.Value{Kind: f.v.kind, Str: text[f.v.a:f.v.b], Num: f.v.num}
		if f.v.kind == event.KindList {
			n := int(f.v.nlist)
			l := lists[:n:n]
			lists = lists[n:]
			for j := range l {
				it := d.items[int(f.v.list)+j]
				l[j] = event.Value{Kind: it.kind, Str: text[it.a:it.b], Num: it.num}
			}
			v.List = l
		}
		ev.Fields = append(ev.Fields, event.Field{Name: f.name, Value: v})
	}
	d.addUnspacedAliases(ev)

	ev.Source.Record = int64(headerID)
	if d.recordID.b > d.recordID.a {
		if id, err := strconv.ParseInt(text[d.recordID.a:d.recordID.b], 10, 64); err == nil {
			ev.Source.Record = id
		}
	}
	switch {
	case d.hasTime:
		ev.Time = time.Unix(d.sec, d.nsec).UTC()
	case d.timeText.b > d.timeText.a:
		if t, err := time.Parse(time.RFC3339Nano, text[d.timeText.a:d.timeText.b]); err == nil {
			ev.Time = t.UTC()
			break
		}
		fallthrough
	default:
		sec, nsec := filetimeUnix(written)
		ev.Time = time.Unix(sec, nsec).UTC()
	}
}
