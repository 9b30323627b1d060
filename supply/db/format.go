package db

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/bulwarkhq/bulwark/supply/osv"
)

// The index file of one ecosystem:
//
//	header    magic "BWOSVIDX", uint32 format version, uint32 package count,
//	          uint64 offset of the directory (all big-endian)
//	blobs     one per package: the package's records
//	directory per package, sorted by canonical name: name, blob offset,
//	          blob length
//
// Strings are a uvarint length and bytes; numbers are uvarints. A scan reads
// the header and the directory (a few hundred kilobytes for npm) and then
// only the blobs of the packages it has, with plain positioned reads.
const (
	indexMagic   = "BWOSVIDX"
	indexVersion = 1
	headerSize   = 8 + 4 + 4 + 8
	// maxBlob bounds one package's records when reading, so that a corrupt
	// length cannot make a scan allocate gigabytes.
	maxBlob = 64 << 20
)

// ErrCorrupt is wrapped by every error about a malformed index.
var ErrCorrupt = errors.New("corrupt index")

func corrupt(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, a...))
}

// dirEntry locates one package's blob.
type dirEntry struct {
	name        string
	off, length uint64
}

// writeIndex writes packages (canonical name → records) to w.
func writeIndex(w io.Writer, packages map[string][]*osv.Record) error {
	names := make([]string, 0, len(packages))
	for n := range packages {
		names = append(names, n)
	}
	sort.Strings(names)
	bw := bufio.NewWriter(w)
	var hdr [headerSize]byte
	off := uint64(headerSize)
	dir := make([]dirEntry, 0, len(names))
	var enc encoder
	// The directory offset is known only at the end; the header is written
	// first with a zero offset and the caller's file is rewritten below.
	if _, err := bw.Write(hdr[:]); err != nil {
		return err
	}
	for _, n := range names {
		enc.buf = enc.buf[:0]
		enc.records(packages[n])
		if _, err := bw.Write(enc.buf); err != nil {
			return err
		}
		dir = append(dir, dirEntry{n, off, uint64(len(enc.buf))})
		off += uint64(len(enc.buf))
	}
	enc.buf = enc.buf[:0]
	for _, d := range dir {
		enc.str(d.name)
		enc.uvarint(d.off)
		enc.uvarint(d.length)
	}
	if _, err := bw.Write(enc.buf); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	copy(hdr[:8], indexMagic)
	binary.BigEndian.PutUint32(hdr[8:], indexVersion)
	binary.BigEndian.PutUint32(hdr[12:], uint32(len(names)))
	binary.BigEndian.PutUint64(hdr[16:], off)
	ws, ok := w.(io.WriterAt)
	if !ok {
		return errors.New("index writer cannot rewrite its header")
	}
	_, err := ws.WriteAt(hdr[:], 0)
	return err
}

// index is an open index file: its directory in memory, its blobs on disk.
type index struct {
	f   io.ReaderAt
	dir map[string]dirEntry
}

// openIndex reads the header and directory of an index file.
func openIndex(path string) (*index, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	ix, err := readIndex(f, st.Size())
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return ix, f, nil
}

// readIndex reads the header and directory from r of the given size.
func readIndex(r io.ReaderAt, size int64) (*index, error) {
	var hdr [headerSize]byte
	if size < headerSize {
		return nil, corrupt("%d bytes, shorter than the header", size)
	}
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, err
	}
	if string(hdr[:8]) != indexMagic {
		return nil, corrupt("not a Bulwark OSV index")
	}
	if v := binary.BigEndian.Uint32(hdr[8:]); v != indexVersion {
		return nil, fmt.Errorf("index format %d, this build reads %d: import the database again", v, indexVersion)
	}
	count := binary.BigEndian.Uint32(hdr[12:])
	dirOff := binary.BigEndian.Uint64(hdr[16:])
	if dirOff < headerSize || dirOff > uint64(size) {
		return nil, corrupt("directory offset %d outside the file", dirOff)
	}
	buf := make([]byte, uint64(size)-dirOff)
	if _, err := r.ReadAt(buf, int64(dirOff)); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if uint64(count) > uint64(len(buf)) {
		return nil, corrupt("%d packages in a %d-byte directory", count, len(buf))
	}
	d := decoder{buf: buf}
	ix := &index{f: r, dir: make(map[string]dirEntry, count)}
	for i := uint32(0); i < count; i++ {
		e := dirEntry{name: d.str(), off: d.uvarint(), length: d.uvarint()}
		if d.err != nil {
			return nil, d.err
		}
		if e.off < headerSize || e.length > maxBlob || e.off+e.length > dirOff {
			return nil, corrupt("package %q: blob %d+%d outside the data", e.name, e.off, e.length)
		}
		ix.dir[e.name] = e
	}
	return ix, nil
}

// lookup returns the records of a canonical package name, nil when the
// index has none.
func (ix *index) lookup(name string) ([]*osv.Record, error) {
	e, ok := ix.dir[name]
	if !ok {
		return nil, nil
	}
	buf := make([]byte, e.length)
	if _, err := ix.f.ReadAt(buf, int64(e.off)); err != nil {
		return nil, err
	}
	d := decoder{buf: buf}
	recs := d.records()
	if d.err == nil && len(d.buf) != 0 {
		d.err = corrupt("%d trailing bytes", len(d.buf))
	}
	if d.err != nil {
		return nil, fmt.Errorf("package %q: %w", name, d.err)
	}
	return recs, nil
}

type encoder struct{ buf []byte }

func (e *encoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *encoder) strs(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *encoder) records(recs []*osv.Record) {
	e.uvarint(uint64(len(recs)))
	for _, r := range recs {
		e.str(r.ID)
		e.str(r.Ecosystem)
		e.str(r.Name)
		e.strs(r.Aliases)
		e.strs(r.Related)
		e.str(r.Summary)
		e.str(r.Modified)
		e.str(r.Withdrawn)
		if r.Malicious {
			e.uvarint(1)
		} else {
			e.uvarint(0)
		}
		e.uvarint(uint64(len(r.Severity)))
		for _, s := range r.Severity {
			e.str(s.Type)
			e.str(s.Score)
		}
		e.strs(r.Versions)
		e.uvarint(uint64(len(r.Ranges)))
		for _, rg := range r.Ranges {
			e.str(rg.Type)
			e.uvarint(uint64(len(rg.Events)))
			for _, ev := range rg.Events {
				e.str(ev.Kind)
				e.str(ev.Version)
			}
		}
	}
}

// decoder reads what encoder wrote; the first error sticks and every later
// read returns zero values, so callers check err once.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.err = corrupt("bad number")
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// count reads a list length, which can be no larger than the bytes left.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.buf)) {
		if d.err == nil {
			d.err = corrupt("list of %d in %d bytes", n, len(d.buf))
		}
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.count()
	if d.err != nil {
		return ""
	}
	s := string(d.buf[:n])
	d.buf = d.buf[n:]
	return s
}

func (d *decoder) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.str())
	}
	return out
}

func (d *decoder) records() []*osv.Record {
	n := d.count()
	out := make([]*osv.Record, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		r := &osv.Record{ID: d.str(), Ecosystem: d.str(), Name: d.str()}
		r.Aliases = d.strs()
		r.Related = d.strs()
		r.Summary = d.str()
		r.Modified = d.str()
		r.Withdrawn = d.str()
		r.Malicious = d.uvarint() == 1
		ns := d.count()
		for j := 0; j < ns && d.err == nil; j++ {
			r.Severity = append(r.Severity, osv.Severity{Type: d.str(), Score: d.str()})
		}
		r.Versions = d.strs()
		nr := d.count()
		for j := 0; j < nr && d.err == nil; j++ {
			rg := osv.Range{Type: d.str()}
			ne := d.count()
			for k := 0; k < ne && d.err == nil; k++ {
				rg.Events = append(rg.Events, osv.Event{Kind: d.str(), Version: d.str(), Keys: 1})
			}
			r.Ranges = append(r.Ranges, rg)
		}
		out = append(out, r)
	}
	return out
}
