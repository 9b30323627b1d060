// Package evtxtest writes valid Windows EVTX files from simple records, for
// tests (of logs/evtx and of anything that consumes events) and for the
// demo sample.
//
// The files follow the format the way Windows writes it: a file header,
// 64 KiB chunks with their string and template hash tables and CRC32
// checksums, and records whose binary XML is a template instance. Records
// of one shape (same EventData names and value types, or same UserData
// layout) share one template definition per chunk, stored inline in the
// first record that uses it; names are stored once per chunk and referred
// to by offset afterwards; System values are typed substitutions (UInt16
// EventID, HexInt64 Keywords, FILETIME TimeCreated, SID UserID, GUIDs).
package evtxtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// Record is one event.
type Record struct {
	Provider     string
	ProviderGUID string // "54849625-5478-4994-A5BA-3E3B0328C30D" (braces optional); "" for none
	EventID      uint16
	Qualifiers   *uint16 // EventID Qualifiers attribute; nil for none
	Version      uint8
	Level        uint8
	Task         uint16
	Opcode       uint8
	Keywords     uint64
	Time         time.Time
	RecordID     uint64 // EventRecordID; 0 numbers records 1, 2, ... in file order
	ActivityID   string // GUID; "" for none
	ProcessID    uint32
	ThreadID     uint32
	Channel      string
	Computer     string
	UserID       string // SID ("S-1-5-18"); "" for none

	// The event's payload: at most one of these.
	EventData []Data    // <EventData><Data Name="...">value</Data>...
	Unnamed   []any     // <EventData><Data>value</Data>... (no names)
	UserData  *UserData // <UserData><Element xmlns="..."><Name>value</Name>...
}

// Data is a named value. Value may be a string, an integer type (int, int8
// to int64, uint8 to uint64), bool, float64, Hex32, Hex64, GUID, SID,
// time.Time (written as FILETIME), []byte (binary) or nil (a null value).
type Data struct {
	Name  string
	Value any
}

// UserData is a provider-defined payload: one element in its own namespace
// holding leaf elements.
type UserData struct {
	Element   string // e.g. "LogFileCleared"
	Namespace string // xmlns of Element; "" for none
	Fields    []Data
}

// Hex32 and Hex64 are written as HexInt32 and HexInt64 values, which
// Windows renders as "0x...".
type (
	Hex32 uint32
	Hex64 uint64
)

// GUID is a GUID in text form, written as a binary GUID value.
type GUID string

// SID is a security identifier in text form ("S-1-5-18"), written as a
// binary SID value.
type SID string

// Options change how a file is laid out.
type Options struct {
	// MaxRecordsPerChunk caps the records in one chunk (0: as many as fit),
	// to produce multi-chunk files from few records.
	MaxRecordsPerChunk int
	// Dirty sets the file header's dirty flag, as on a log that was in use.
	Dirty bool
}

// Layout constants of the format.
const (
	fileHeaderSize  = 4096
	chunkSize       = 64 << 10
	chunkHeaderSize = 512
)

// Build returns the bytes of an EVTX file holding recs.
func Build(recs []Record, opt Options) ([]byte, error) {
	var out bytes.Buffer
	if err := Write(&out, recs, opt); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// MustBuild is Build for tests: it panics on error.
func MustBuild(recs []Record, opt Options) []byte {
	b, err := Build(recs, opt)
	if err != nil {
		panic(err)
	}
	return b
}

// Write writes an EVTX file holding recs to w.
func Write(w io.Writer, recs []Record, opt Options) error {
	var chunks [][]byte
	cw := newChunk(1)
	next := uint64(1)
	for i := range recs {
		r := &recs[i]
		id := r.RecordID
		if id == 0 {
			id = next
		}
		next = id + 1
		full := opt.MaxRecordsPerChunk > 0 && cw.count >= opt.MaxRecordsPerChunk
		if full || !cw.add(r, id) {
			if cw.count == 0 {
				return fmt.Errorf("evtxtest: record %d does not fit in a chunk", i)
			}
			chunks = append(chunks, cw.finish())
			cw = newChunk(cw.number)
			if !cw.add(r, id) {
				return fmt.Errorf("evtxtest: record %d does not fit in a chunk", i)
			}
		}
	}
	if cw.count > 0 || len(chunks) == 0 {
		chunks = append(chunks, cw.finish())
	}

	h := make([]byte, fileHeaderSize)
	le := binary.LittleEndian
	copy(h, "ElfFile\x00")
	le.PutUint64(h[8:], 0)                      // first chunk number
	le.PutUint64(h[16:], uint64(len(chunks)-1)) // last chunk number
	le.PutUint64(h[24:], next)                  // next record identifier
	le.PutUint32(h[32:], 128)                   // header size
	le.PutUint16(h[36:], 1)                     // minor version
	le.PutUint16(h[38:], 3)                     // major version
	le.PutUint16(h[40:], fileHeaderSize)        // chunk data offset
	le.PutUint16(h[42:], uint16(len(chunks)))
	if opt.Dirty {
		le.PutUint32(h[120:], 1)
	}
	le.PutUint32(h[124:], crc32.ChecksumIEEE(h[:120]))
	if _, err := w.Write(h); err != nil {
		return err
	}
	for _, c := range chunks {
		if _, err := w.Write(c); err != nil {
			return err
		}
	}
	return nil
}

// chunkWriter fills one chunk.
type chunkWriter struct {
	buf       []byte
	off       int // next record offset
	count     int
	number    uint64 // event record number of the next record
	firstNum  uint64
	firstID   uint64
	lastID    uint64
	lastOff   int
	names     map[string]uint32 // name -> offset of its structure
	templates map[string]uint32 // shape key -> offset of its definition
}

func newChunk(number uint64) *chunkWriter {
	return &chunkWriter{
		buf:       make([]byte, chunkSize),
		off:       chunkHeaderSize,
		number:    number,
		firstNum:  number,
		names:     map[string]uint32{},
		templates: map[string]uint32{},
	}
}

// add appends a record; it reports false, leaving the chunk as it was,
// when the record does not fit.
func (cw *chunkWriter) add(r *Record, id uint64) bool {
	names := len(cw.names)
	tmpls := len(cw.templates)
	saveNames := make(map[string]uint32, names)
	for k, v := range cw.names {
		saveNames[k] = v
	}
	saveTemplates := make(map[string]uint32, tmpls)
	for k, v := range cw.templates {
		saveTemplates[k] = v
	}

	e := &enc{cw: cw, base: cw.off + 24}
	e.record(r, id)
	size := (24 + len(e.b) + 4 + 7) &^ 7 // Windows keeps records 8-byte aligned
	if e.err != nil || cw.off+size > chunkSize {
		cw.names, cw.templates = saveNames, saveTemplates
		return false
	}
	le := binary.LittleEndian
	rec := cw.buf[cw.off : cw.off+size]
	copy(rec, "**\x00\x00")
	le.PutUint32(rec[4:], uint32(size))
	le.PutUint64(rec[8:], id)
	le.PutUint64(rec[16:], filetime(r.Time))
	copy(rec[24:], e.b)
	le.PutUint32(rec[size-4:], uint32(size))
	for _, fix := range e.chains {
		fix(cw.buf)
	}
	if cw.count == 0 {
		cw.firstID = id
	}
	cw.lastID, cw.lastOff = id, cw.off
	cw.off += size
	cw.count++
	cw.number++
	return true
}

// finish writes the chunk header and checksums.
func (cw *chunkWriter) finish() []byte {
	le := binary.LittleEndian
	c := cw.buf
	copy(c, "ElfChnk\x00")
	last := cw.number - 1
	if cw.count == 0 {
		last = cw.firstNum - 1
	}
	le.PutUint64(c[8:], cw.firstNum)
	le.PutUint64(c[16:], last)
	le.PutUint64(c[24:], cw.firstID)
	le.PutUint64(c[32:], cw.lastID)
	le.PutUint32(c[40:], 128)
	le.PutUint32(c[44:], uint32(cw.lastOff))
	le.PutUint32(c[48:], uint32(cw.off))
	le.PutUint32(c[52:], crc32.ChecksumIEEE(c[chunkHeaderSize:cw.off]))
	le.PutUint32(c[120:], 1) // flags: 1 on every chunk Windows writes
	sum := crc32.Update(crc32.ChecksumIEEE(c[:120]), crc32.IEEETable, c[128:chunkHeaderSize])
	le.PutUint32(c[124:], sum)
	return c
}

func filetime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano()/100) + 116444736000000000
}
