package evtxtest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"
	"time"
)

// TestLayout checks the format rules on Build's output without the reader:
// signatures, checksums, record chaining and alignment, header counts.
func TestLayout(t *testing.T) {
	var recs []Record
	for i := 0; i < 300; i++ {
		recs = append(recs, Record{
			Provider: "P", EventID: uint16(i), Time: time.Unix(int64(i), 0), Channel: "C", Computer: "h",
			EventData: []Data{{Name: "N", Value: bytes.Repeat([]byte{'x'}, i)}, {Name: "S", Value: "text"}},
		})
	}
	f, err := Build(recs, Options{Dirty: true})
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if !bytes.HasPrefix(f, []byte("ElfFile\x00")) || le.Uint32(f[124:]) != crc32.ChecksumIEEE(f[:120]) || le.Uint32(f[120:]) != 1 {
		t.Fatal("file header")
	}
	chunks := (len(f) - fileHeaderSize) / chunkSize
	if (len(f)-fileHeaderSize)%chunkSize != 0 || chunks < 2 || int(le.Uint16(f[42:])) != chunks {
		t.Fatalf("%d bytes, %d chunks, header says %d", len(f), chunks, le.Uint16(f[42:]))
	}
	next := uint64(1)
	for i := 0; i < chunks; i++ {
		c := f[fileHeaderSize+i*chunkSize:][:chunkSize]
		if !bytes.HasPrefix(c, []byte("ElfChnk\x00")) {
			t.Fatalf("chunk %d signature", i)
		}
		sum := crc32.Update(crc32.ChecksumIEEE(c[:120]), crc32.IEEETable, c[128:512])
		free := le.Uint32(c[48:])
		if le.Uint32(c[124:]) != sum || le.Uint32(c[52:]) != crc32.ChecksumIEEE(c[512:free]) {
			t.Fatalf("chunk %d checksums", i)
		}
		if le.Uint64(c[8:]) != next {
			t.Fatalf("chunk %d first record %d, want %d", i, le.Uint64(c[8:]), next)
		}
		off := uint32(512)
		for off < free {
			size := le.Uint32(c[off+4:])
			if !bytes.Equal(c[off:off+4], []byte("**\x00\x00")) || size%8 != 0 || le.Uint32(c[off+size-4:]) != size || le.Uint64(c[off+8:]) != next {
				t.Fatalf("chunk %d record at %d", i, off)
			}
			if c[off+24] != 0x0f || c[off+28] != 0x0c {
				t.Fatalf("chunk %d record at %d: not a template instance", i, off)
			}
			next++
			off += size
		}
		if off != free || le.Uint64(c[16:]) != next-1 {
			t.Fatalf("chunk %d: records end at %d, free space at %d", i, off, free)
		}
	}
	if next != 301 || le.Uint64(f[24:]) != next {
		t.Fatalf("%d records, next record id %d", next-1, le.Uint64(f[24:]))
	}
}

func TestBadValues(t *testing.T) {
	for _, v := range []any{GUID("nope"), SID("X-1"), struct{}{}, make([]byte, 70000)} {
		if _, err := Build([]Record{{Provider: "P", EventData: []Data{{Name: "x", Value: v}}}}, Options{}); err == nil {
			t.Errorf("%T %v: no error", v, v)
		}
	}
}
