package evtx

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/logs/evtx/evtxtest"
)

// sampleFile is a two-chunk file of 40 Sysmon records.
func sampleFile(t testing.TB) []byte {
	t.Helper()
	var recs []evtxtest.Record
	for i := 0; i < 40; i++ {
		recs = append(recs, sysmonRecord(i))
	}
	return evtxtest.MustBuild(recs, evtxtest.Options{MaxRecordsPerChunk: 20})
}

// recordOffsets returns the file offsets of the records of the chunk at off.
func recordOffsets(file []byte, chunk int) []int {
	c := file[chunk : chunk+chunkSize]
	free := int(binary.LittleEndian.Uint32(c[48:]))
	var offs []int
	for off := chunkHeaderSize; off < free; off += int(binary.LittleEndian.Uint32(c[off+4:])) {
		offs = append(offs, chunk+off)
	}
	return offs
}

// fixChunkCRCs recomputes both checksums of the chunk at off, so that a test
// reaches the record parser with damage the checksums would otherwise catch.
func fixChunkCRCs(file []byte, off int) {
	c := file[off : off+chunkSize]
	free := binary.LittleEndian.Uint32(c[48:])
	binary.LittleEndian.PutUint32(c[52:], crc32.ChecksumIEEE(c[chunkHeaderSize:free]))
	binary.LittleEndian.PutUint32(c[124:], chunkHeaderCRC(c))
}

func hasWarning(r result, off int64, substr string) bool {
	for _, w := range r.warns {
		if (off < 0 || w.Offset == off) && strings.Contains(w.Msg, substr) && w.Path == "test.evtx" {
			return true
		}
	}
	return false
}

func TestCorruption(t *testing.T) {
	const chunk0, chunk1 = fileHeaderSize, fileHeaderSize + chunkSize
	tests := []struct {
		name    string
		damage  func(f []byte) []byte
		events  int   // events expected
		warnAt  int64 // offset of an expected warning (-1: any)
		warning string
	}{
		{"file header checksum", func(f []byte) []byte { f[100] ^= 1; return f }, 40, 0, "file header checksum"},
		{"no file signature", func(f []byte) []byte { copy(f, "NotAFile"); return f }, 40, 0, "no EVTX file signature"},
		{"chunk header checksum", func(f []byte) []byte { f[chunk0+60] ^= 1; return f }, 40, chunk0, "chunk header checksum"},
		{"records checksum: value flipped", func(f []byte) []byte {
			off := recordOffsets(f, chunk0)[3]
			f[off+200] ^= 0x20 // inside a string value: the record still parses
			return f
		}, 40, chunk0, "records checksum mismatch"},
		{"record size garbled", func(f []byte) []byte {
			off := recordOffsets(f, chunk0)[5]
			binary.LittleEndian.PutUint32(f[off+4:], 0xfffff)
			return f
		}, 39, -1, "invalid record header"},
		{"record size copy garbled", func(f []byte) []byte {
			offs := recordOffsets(f, chunk1)
			binary.LittleEndian.PutUint32(f[offs[1]-4:], 7)
			return f
		}, 39, -1, "invalid record header"},
		{"record signature wiped, checksums fixed", func(f []byte) []byte {
			off := recordOffsets(f, chunk0)[7]
			copy(f[off:], "XXXX")
			fixChunkCRCs(f, chunk0)
			return f
		}, 39, -1, "invalid record header"},
		{"free space offset out of range", func(f []byte) []byte {
			binary.LittleEndian.PutUint32(f[chunk1+48:], 70000)
			fixChunkCRCs2(f, chunk1)
			return f
		}, 40, chunk1, "free space offset"},
		{"chunk signature wiped", func(f []byte) []byte { copy(f[chunk1:], "garbage!"); return f }, 20, chunk1, "without a chunk signature"},
		{"truncated file header", func(f []byte) []byte { return f[:1000] }, 0, 0, "file header truncated"},
		{"truncated chunk", func(f []byte) []byte { return f[:chunk1+5000] }, 20 + 6, chunk1, "truncated chunk"},
		{"garbage after the chunks", func(f []byte) []byte { return append(f, bytes.Repeat([]byte{0xAB}, 5000)...) }, 40, chunk1 + chunkSize, "without a chunk signature"},
		{"empty file", func(f []byte) []byte { return nil }, 0, 0, "empty file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := read(tc.damage(sampleFile(t)))
			if r.err != nil {
				t.Fatalf("error %v: damage must be a warning", r.err)
			}
			if len(r.events) != tc.events {
				t.Errorf("%d events, want %d (warnings %v)", len(r.events), tc.events, r.warns)
			}
			if !hasWarning(r, tc.warnAt, tc.warning) {
				t.Errorf("no warning %q at %d; got %v", tc.warning, tc.warnAt, r.warns)
			}
		})
	}
}

// fixChunkCRCs2 only recomputes the header checksum (the records checksum
// cannot be right when the free space offset is out of range).
func fixChunkCRCs2(file []byte, off int) {
	c := file[off : off+chunkSize]
	binary.LittleEndian.PutUint32(c[124:], chunkHeaderCRC(c))
}

// TestTruncatedEverywhere cuts the file at many points: never a panic or an
// error, every record wholly before the cut is read.
func TestTruncatedEverywhere(t *testing.T) {
	full := sampleFile(t)
	offs := append(recordOffsets(full, fileHeaderSize), recordOffsets(full, fileHeaderSize+chunkSize)...)
	for cut := 0; cut < len(full); cut += 331 {
		r := read(full[:cut])
		if r.err != nil {
			t.Fatalf("cut %d: %v", cut, r.err)
		}
		complete := 0
		for i, off := range offs {
			end := len(full)
			if i+1 < len(offs) && offs[i+1] > off {
				end = offs[i+1]
			}
			if end <= cut {
				complete++
			}
		}
		if len(r.events) < complete-1 || len(r.events) > complete+1 {
			t.Errorf("cut %d: %d events, %d records complete", cut, len(r.events), complete)
		}
		if cut > fileHeaderSize && cut%chunkSize != fileHeaderSize && len(r.warns) == 0 {
			t.Errorf("cut %d: no warning", cut)
		}
	}
}

// TestTemplateOffsetsAnywhere points the second record's template reference
// (a back-reference) at every offset of the chunk, with valid checksums.
func TestTemplateOffsetsAnywhere(t *testing.T) {
	base := sampleFile(t)
	off := recordOffsets(base, fileHeaderSize)[1]
	ref := off + 24 + 4 + 6 // record header, fragment header, template token, unknown byte, id
	real := int(binary.LittleEndian.Uint32(base[ref:]))
	var targets []int
	for target := 0; target < chunkSize+8; target += 37 {
		targets = append(targets, target)
	}
	for target := real - 64; target < real+64; target++ {
		targets = append(targets, target)
	}
	for _, target := range targets {
		f := bytes.Clone(base)
		binary.LittleEndian.PutUint32(f[ref:], uint32(target))
		fixChunkCRCs(f, fileHeaderSize)
		r := read(f)
		if r.err != nil {
			t.Fatalf("target %d: %v", target, r.err)
		}
		if len(r.events) < 39 {
			t.Fatalf("target %d: %d events", target, len(r.events))
		}
	}
}

// TestRandomDamage flips random bytes and cuts at random places, with and
// without repaired checksums.
func TestRandomDamage(t *testing.T) {
	base := sampleFile(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		f := bytes.Clone(base)
		for n := rng.IntN(20) + 1; n > 0; n-- {
			p := fileHeaderSize + rng.IntN(len(f)-fileHeaderSize)
			f[p] = byte(rng.Uint32())
		}
		if i%2 == 0 {
			fixChunkCRCs(f, fileHeaderSize)
		}
		if i%7 == 0 {
			f = f[:rng.IntN(len(f))]
		}
		if r := read(f); r.err != nil {
			t.Fatalf("case %d: %v", i, r.err)
		}
	}
	garbage := make([]byte, 300000)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	copy(garbage, "ElfFile\x00")
	copy(garbage[fileHeaderSize:], "ElfChnk\x00")
	if r := read(garbage); r.err != nil || len(r.warns) == 0 {
		t.Errorf("garbage: err %v, warnings %v", r.err, r.warns)
	}
}

// TestNestingBomb builds records whose BinXml substitution holds a template
// instance whose substitution holds another, and so on: 200 deep (refused
// as too deep), and 12 deep with the template using its one substitution
// 300 times (refused as too much work, where a naive expansion would take
// 300^12 steps), and a template whose elements nest 3,000 deep.
func TestNestingBomb(t *testing.T) {
	for _, tc := range []struct {
		depth, uses int
		warning     string
	}{{200, 1, "nested too deeply"}, {12, 300, "expands beyond the limits"}} {
		r := read(rawFile(nestedBomb(tc.depth, tc.uses)))
		if r.err != nil || !hasWarning(r, -1, tc.warning) {
			t.Errorf("depth %d, uses %d: err %v, warnings %v", tc.depth, tc.uses, r.err, r.warns)
		}
	}

	le := binary.LittleEndian
	const body = chunkHeaderSize + recordHeaderSize // chunk offset of the record's binary XML
	rec := []byte{0x0f, 1, 1, 0}
	nameOff := body + len(rec) + 7 + 4
	rec = append(rec, 0x01, 0xff, 0xff, 0, 0, 0, 0)
	rec = le.AppendUint32(rec, uint32(nameOff))
	rec = append(rec, 0, 0, 0, 0, 0, 0, 1, 0, 'E', 0, 0, 0, 0x02)
	for i := 0; i < 3000; i++ {
		rec = append(rec, 0x01, 0xff, 0xff, 0, 0, 0, 0)
		rec = le.AppendUint32(rec, uint32(nameOff))
		rec = append(rec, 0x02)
	}
	r := read(rawFile(rec))
	if r.err != nil || !hasWarning(r, -1, "nested too deeply") {
		t.Errorf("nested elements: err %v, warnings %v", r.err, r.warns)
	}
}

// nestedBomb returns the binary XML of a record instantiating the template
// <E>%0%...%0%</E> (uses times %0, a BinXml substitution) whose value
// instantiates the same template again, depth times.
func nestedBomb(depth, uses int) []byte {
	le := binary.LittleEndian
	const body = chunkHeaderSize + recordHeaderSize
	rec := []byte{0x0f, 1, 1, 0, 0x0c, 1, 0, 0, 0, 0}
	defOff := body + len(rec) + 4
	rec = le.AppendUint32(rec, uint32(defOff))
	def := []byte{0x0f, 1, 1, 0}
	def = append(def, 0x01, 0xff, 0xff, 0, 0, 0, 0)
	nameOff := defOff + 24 + len(def) + 4
	def = le.AppendUint32(def, uint32(nameOff))
	def = append(def, 0, 0, 0, 0, 0, 0, 1, 0, 'E', 0, 0, 0) // name "E"
	def = append(def, 0x02)
	for i := 0; i < uses; i++ {
		def = append(def, 0x0d, 0, 0, 0x21)
	}
	def = append(def, 0x04, 0x00)
	rec = append(rec, make([]byte, 20)...) // next definition, GUID
	rec = le.AppendUint32(rec, uint32(len(def)))
	rec = append(rec, def...)

	// Each level: fragment header, instance of the template by reference,
	// one BinXml value holding the next level.
	inner := []byte{0x0f, 1, 1, 0, 0x0c, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	le.PutUint32(inner[10:], uint32(defOff))
	var value []byte
	for i := 0; i < depth && len(value) < 60000; i++ {
		v := append([]byte(nil), inner...)
		v = le.AppendUint32(v, 1)
		v = le.AppendUint16(v, uint16(len(value)))
		v = append(v, 0x21, 0)
		value = append(v, value...)
	}
	rec = le.AppendUint32(rec, 1)
	rec = le.AppendUint16(rec, uint16(len(value)))
	rec = append(rec, 0x21, 0)
	return append(rec, value...)
}

// rawFile wraps the binary XML of one record in a valid file.
func rawFile(binxml []byte) []byte {
	le := binary.LittleEndian
	f := evtxtest.MustBuild([]evtxtest.Record{sysmonRecord(0)}, evtxtest.Options{})
	c := f[fileHeaderSize : fileHeaderSize+chunkSize]
	clear(c[chunkHeaderSize:])
	size := recordHeaderSize + len(binxml) + 4
	rec := c[chunkHeaderSize:]
	copy(rec, "**\x00\x00")
	le.PutUint32(rec[4:], uint32(size))
	le.PutUint64(rec[8:], 1)
	copy(rec[recordHeaderSize:], binxml)
	le.PutUint32(rec[size-4:], uint32(size))
	le.PutUint32(c[44:], chunkHeaderSize)
	le.PutUint32(c[48:], uint32(chunkHeaderSize+size))
	fixChunkCRCs(f, fileHeaderSize)
	return f
}

// TestStaleChunkCount: a dirty file's header may count fewer chunks than it
// holds; every chunk present is read, and this is not damage.
func TestStaleChunkCount(t *testing.T) {
	f := sampleFile(t)
	binary.LittleEndian.PutUint16(f[42:], 1)
	binary.LittleEndian.PutUint32(f[120:], 1) // dirty
	binary.LittleEndian.PutUint32(f[124:], crc32.ChecksumIEEE(f[:120]))
	r := read(f)
	if r.err != nil || len(r.warns) != 0 || len(r.events) != 40 {
		t.Errorf("err %v, warnings %v, %d events, want 40", r.err, r.warns, len(r.events))
	}
}
