package evtx

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"sync"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
)

// Name is the format's name in --format and event.Source.Format.
const Name = "evtx"

// Layout constants of the EVTX format.
const (
	fileHeaderSize   = 4096
	chunkSize        = 64 << 10
	chunkHeaderSize  = 512
	recordHeaderSize = 24
	minRecordSize    = recordHeaderSize + 4
)

var (
	fileMagic   = []byte("ElfFile\x00")
	chunkMagic  = []byte("ElfChnk\x00")
	recordMagic = []byte("**\x00\x00")
)

// Reader reads EVTX files. It holds no state of its own: one Reader may
// serve concurrent Reads.
type Reader struct{}

// New returns an EVTX reader.
func New() *Reader { return &Reader{} }

var _ logs.Reader = (*Reader)(nil)

// Name returns "evtx".
func (*Reader) Name() string { return Name }

// Sniff reports whether head starts with the EVTX file signature.
func (*Reader) Sniff(head []byte) bool { return bytes.HasPrefix(head, fileMagic) }

var decoders = sync.Pool{New: func() any { return newDecoder() }}

// Read parses an EVTX stream chunk by chunk and calls emit once per event
// record, in file order. Damaged headers, chunks and records are reported
// through in.Warn with their byte offset, and reading goes on.
func (*Reader) Read(ctx context.Context, in logs.Input, emit func(*event.Event) error) error {
	d := decoders.Get().(*decoder)
	d.in, d.emit = in, emit
	err := d.readFile(ctx)
	d.in, d.emit = logs.Input{}, nil
	d.ev.Reset()
	decoders.Put(d)
	return err
}

// emitError wraps an error returned by emit, so that it is returned as is.
type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }

func (d *decoder) readFile(ctx context.Context) error {
	hdr := d.chunkBuf[:fileHeaderSize]
	n, err := io.ReadFull(d.in.R, hdr)
	switch {
	case err == io.EOF:
		d.in.Warnf(0, "empty file")
		return nil
	case err == io.ErrUnexpectedEOF:
		d.in.Warnf(0, "file header truncated: %d of %d bytes", n, fileHeaderSize)
		return nil
	case err != nil:
		return err
	}
	d.checkFileHeader(hdr)

	off := int64(fileHeaderSize)
	var skipFrom, skipped int64 = -1, 0 // a run of chunks without a signature
	flushSkip := func() {
		if skipped > 0 {
			d.in.Warnf(skipFrom, "%d bytes without a chunk signature skipped", skipped)
		}
		skipFrom, skipped = -1, 0
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := io.ReadFull(d.in.R, d.chunkBuf)
		if err == io.EOF {
			break
		}
		if err != nil && err != io.ErrUnexpectedEOF {
			return err
		}
		d.chunk, d.chunkOff = d.chunkBuf[:n], off
		if n >= 8 && bytes.Equal(d.chunk[:8], chunkMagic) {
			flushSkip()
			if err := d.readChunk(); err != nil {
				var ee emitError
				if errors.As(err, &ee) {
					return ee.err
				}
				return err
			}
		} else if !allZero(d.chunk) {
			// Zero-filled chunks are preallocated space, not damage.
			if skipFrom < 0 {
				skipFrom = off
			}
			skipped += int64(n)
		}
		off += int64(n)
		if n < chunkSize {
			break
		}
	}
	flushSkip()
	return nil
}

func (d *decoder) checkFileHeader(h []byte) {
	if !bytes.Equal(h[:8], fileMagic) {
		d.in.Warnf(0, "no EVTX file signature (%q); reading chunks anyway", h[:8])
		return
	}
	if sum := crc32.ChecksumIEEE(h[:120]); sum != binary.LittleEndian.Uint32(h[124:]) {
		d.in.Warnf(0, "file header checksum mismatch (stored %#08x, computed %#08x)", binary.LittleEndian.Uint32(h[124:]), sum)
	}
	if major := binary.LittleEndian.Uint16(h[38:]); major != 3 {
		d.in.Warnf(0, "unknown EVTX major version %d", major)
	}
	// The chunk count (h[42:44]) is not trusted: it is stale in files that
	// were not closed cleanly. Every chunk present is read.
}

var zeroChunk [chunkSize]byte

// allZero reports whether b (at most a chunk) is all zero bytes, as the
// preallocated tail of many files is.
func allZero(b []byte) bool { return bytes.Equal(b, zeroChunk[:len(b)]) }

// readChunk emits the records of d.chunk. A chunk whose checksums fail is
// salvaged: every record that validates on its own (signature, size within
// the chunk, trailing copy of the size and, when the header is intact, an
// identifier within the header's range) is still read.
func (d *decoder) readChunk() error {
	c := d.chunk
	le := binary.LittleEndian
	if len(c) < chunkSize {
		d.in.Warnf(d.chunkOff, "truncated chunk: %d of %d bytes", len(c), chunkSize)
	}
	if len(c) < chunkHeaderSize {
		return nil
	}
	d.resetChunk()

	headerOK := chunkHeaderCRC(c) == le.Uint32(c[124:])
	salvage := !headerOK
	if !headerOK {
		d.in.Warnf(d.chunkOff, "chunk header checksum mismatch; salvaging records that validate")
	}
	end := int(le.Uint32(c[48:])) // free space offset
	switch {
	case end < chunkHeaderSize || end > len(c):
		if headerOK && len(c) == chunkSize {
			d.in.Warnf(d.chunkOff, "chunk free space offset %d out of range; salvaging records that validate", end)
		}
		end, salvage = len(c), true
	case headerOK && crc32.ChecksumIEEE(c[chunkHeaderSize:end]) != le.Uint32(c[52:]):
		d.in.Warnf(d.chunkOff, "chunk records checksum mismatch; salvaging records that validate")
		salvage = true
	}
	firstID, lastID := le.Uint64(c[24:]), le.Uint64(c[32:])

	found := 0
	for off := chunkHeaderSize; off <= end-minRecordSize; {
		size, ok := recordAt(c[:end], off)
		if ok && salvage && headerOK {
			if id := le.Uint64(c[off+8:]); id < firstID || id > lastID {
				ok = false
			}
		}
		if !ok {
			next := bytes.Index(c[off+1:end], recordMagic)
			if next < 0 {
				if !salvage {
					d.in.Warnf(d.chunkOff+int64(off), "invalid record header; %d bytes to the end of the chunk's records skipped", end-off)
				}
				break
			}
			d.in.Warnf(d.chunkOff+int64(off), "invalid record header; %d bytes skipped", next+1)
			off += next + 1
			continue
		}
		found++
		if err := d.record(off, size); err != nil {
			return err
		}
		off += size
	}
	if !salvage {
		if want := le.Uint64(c[16:]) - le.Uint64(c[8:]) + 1; uint64(found) != want {
			d.in.Warnf(d.chunkOff, "chunk header declares %d records, %d found", want, found)
		}
	}
	return nil
}

// chunkHeaderCRC is the CRC32 of the chunk header's first 120 bytes and of
// bytes 128 to 512 (the string and template offset tables).
func chunkHeaderCRC(c []byte) uint32 {
	return crc32.Update(crc32.ChecksumIEEE(c[:120]), crc32.IEEETable, c[128:chunkHeaderSize])
}

// recordAt validates the record header at off: signature, a size that fits
// and the trailing copy of the size.
func recordAt(c []byte, off int) (int, bool) {
	if off > len(c)-minRecordSize || !bytes.Equal(c[off:off+4], recordMagic) {
		return 0, false
	}
	size := int(binary.LittleEndian.Uint32(c[off+4:]))
	if size < minRecordSize || size > len(c)-off {
		return 0, false
	}
	if int(binary.LittleEndian.Uint32(c[off+size-4:])) != size {
		return 0, false
	}
	return size, true
}

// record decodes the record at chunk offset off and emits it.
func (d *decoder) record(off, size int) error {
	c := d.chunk
	headerID := binary.LittleEndian.Uint64(c[off+8:])
	written := binary.LittleEndian.Uint64(c[off+16:])
	fileOff := d.chunkOff + int64(off)
	d.resetRecord()
	if err := d.fragment(off+recordHeaderSize, off+size-4, ctx{}, false, 0); err != nil {
		d.in.Warnf(fileOff, "record %d: %v", headerID, err)
		return nil
	}
	if d.problem != "" {
		d.in.Warnf(fileOff, "record %d: %s", headerID, d.problem)
	}
	ev := &d.ev
	ev.Reset()
	d.finish(ev, headerID, written)
	ev.Source = event.Source{Path: d.in.Path, Format: Name, Record: ev.Source.Record, Offset: fileOff}
	if err := d.emit(ev); err != nil {
		return emitError{err}
	}
	return nil
}
