package tail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/eve"
	"github.com/bulwarkhq/bulwark/logs/jsonl"
	"github.com/bulwarkhq/bulwark/logs/list"
	lsyslog "github.com/bulwarkhq/bulwark/logs/syslog"
	"github.com/bulwarkhq/bulwark/logs/zeek"
)

const (
	// maxWarnings bounds the reader warnings logged per batch; a file of
	// garbage gets a count instead of a line per line.
	maxWarnings = 5
)

// lineFormat reports whether a reader's format has one record per line, so
// that a file in it can be read a section of complete lines at a time.
// Other formats are read whole.
func lineFormat(name string) bool {
	switch name {
	case lsyslog.Name, jsonl.Name, eve.Name, zeek.Name:
		return true
	}
	return false
}

func readerByName(name string) (logs.Reader, bool) { return list.ByName(name) }

// file is one followed file, open by descriptor so that it can be read to
// its end after a rename or unlink.
type file struct {
	path  string
	fd    *os.File
	id    fileID
	st    state // progress; saved after each batch unless draining
	saved bool  // st is in the OffsetStore under path

	reader        logs.Reader // nil until the format is known
	whole         bool        // read as a whole (not line by line)
	sniffFailedAt int64       // size when the format could not be recognised; -1 if not
	openSize      int64       // size when opened
	skipTo        int64       // StartAtEnd: skip what the file held when opened (this size); -1 if not

	seenSize int64 // size and mtime at the previous poll
	seenMod  time.Time
	caughtUp bool // the previous poll read everything there was

	noNL     int64  // the bytes from st.Offset up to noNL hold no newline
	header   []byte // Zeek TSV: the directives in force at headerAt (see headerScan)
	headerAt int64

	draining  bool
	drainSize int64 // size at the previous drain poll; -1 at its start
}

func openFile(path string) (*file, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := fd.Stat()
	if err != nil {
		fd.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		fd.Close()
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	return &file{path: path, fd: fd, id: statID(fi), openSize: fi.Size(), skipTo: -1, seenSize: -1, sniffFailedAt: -1}, nil
}

func (f *file) close() { f.fd.Close() }

func (f *file) startDrain() {
	f.draining = true
	f.drainSize = -1
}

// restart forgets the progress in a file that was truncated or replaced.
func (f *file) restart() {
	f.st = state{Dev: f.st.Dev, Inode: f.st.Inode, Format: f.st.Format}
	f.noNL = 0
	f.header, f.headerAt = nil, 0
	f.skipTo = -1 // what was there to skip is gone
}

// verify reports whether st's fingerprint matches the file's first bytes.
func (f *file) verify(buf []byte, st *state) bool {
	if st.FPLen == 0 {
		return true
	}
	n, _ := f.fd.ReadAt(buf[:st.FPLen], 0)
	return n == st.FPLen && fingerprint(buf[:n]) == st.Fingerprint
}

// refreshFingerprint checks the fingerprint against the file's first bytes
// and lengthens it as the file grows. False means the content at the start
// changed: the file was truncated or replaced in place.
func (f *file) refreshFingerprint(buf []byte, size int64) bool {
	want := int(min(size, fingerprintLen))
	if want < f.st.FPLen {
		return false
	}
	n, _ := f.fd.ReadAt(buf[:want], 0)
	if n < want {
		return false // shrank since the stat: truncated
	}
	if f.st.FPLen > 0 && fingerprint(buf[:f.st.FPLen]) != f.st.Fingerprint {
		return false
	}
	if want > f.st.FPLen {
		f.st.FPLen, f.st.Fingerprint = want, fingerprint(buf[:want])
	}
	return true
}

// pump reads what was appended to a followed file. It reports whether more
// is ready to be read at once.
func (t *Tailer) pump(ctx, work context.Context, f *file) bool {
	fi, err := f.fd.Stat()
	if err != nil {
		t.problem(f.path, "tail: cannot stat file", "path", f.path, "err", err)
		return false
	}
	size, mod := fi.Size(), fi.ModTime()
	changed := size != f.seenSize || !mod.Equal(f.seenMod)
	f.seenSize, f.seenMod = size, mod
	if !changed && f.caughtUp {
		return false
	}
	f.caughtUp = false
	if f.reader == nil && !t.sniff(f, size, changed) {
		return false
	}
	if f.whole {
		if changed {
			return false // read only once it held still for a poll interval
		}
		return t.readWhole(ctx, work, f, size)
	}
	return t.readLines(ctx, work, f, size, false)
}

// drain reads a file renamed away or deleted. It reports when the file is
// done: everything read and no growth for one poll, since the program
// writing it may not have reopened its log yet.
func (t *Tailer) drain(ctx, work context.Context, f *file) bool {
	fi, err := f.fd.Stat()
	if err != nil {
		return true
	}
	size := fi.Size()
	quiet := size == f.drainSize
	f.drainSize = size
	if f.reader == nil && !t.sniff(f, size, !quiet) {
		return quiet
	}
	if f.whole {
		if quiet && f.st.Offset != size {
			t.readWhole(ctx, work, f, size)
		}
		return quiet
	}
	t.readLines(ctx, work, f, size, quiet)
	return quiet && f.st.Offset >= size
}

// sniff picks the file's reader: the configured format, the one it was
// read with before a restart, or the one logs/list detects from its first
// bytes. It reports whether a reader was found.
func (t *Tailer) sniff(f *file, size int64, changed bool) bool {
	if size == 0 {
		return false
	}
	if f.sniffFailedAt >= 0 && (!changed || f.sniffFailedAt >= logs.SniffLen) {
		return false
	}
	head := make([]byte, min(size, logs.SniffLen))
	n, _ := f.fd.ReadAt(head, 0)
	head = head[:n]
	gz := len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b

	name := t.opts.Format
	if name == "" || name == "auto" {
		name = f.st.Format
	}
	r, _ := readerByName(name)
	if r == nil {
		if gz {
			lf, err := logs.NewFile(f.path, io.NopCloser(io.NewSectionReader(f.fd, 0, size)))
			if err != nil {
				t.problem(f.path, "tail: cannot read gzip file", "path", f.path, "err", err)
				f.sniffFailedAt = size
				return false
			}
			head = lf.Head
			lf.Close()
		} else if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
			if len(head) < logs.SniffLen {
				head = head[:i+1] // judge complete lines: the last may be half written
			}
		} else if changed {
			return false // no complete line yet: wait for one, or for the file to hold still
		}
		var err error
		if r, err = list.Detect(head); err != nil {
			t.problem(f.path, "tail: cannot recognise the format; set one to read this file", "path", f.path, "err", err)
			f.sniffFailedAt = size
			return false
		}
	}
	t.resolved(f.path)
	f.reader = r
	f.whole = gz || !lineFormat(r.Name())
	f.st.Format = r.Name()
	if f.whole {
		// Whole files are known by inode only: their first bytes change
		// as they grow (an EVTX header counts its chunks).
		f.st.FPLen, f.st.Fingerprint = 0, ""
	}
	return true
}

// readLines submits the complete lines appended to a line-format file, a
// batch at a time, saving progress after each (unless draining). With
// final, a last line without newline is read too. It reports whether the
// per-poll budget ran out with more to read.
func (t *Tailer) readLines(ctx, work context.Context, f *file, size int64, final bool) bool {
	if size < f.st.Offset || !f.refreshFingerprint(t.buf, size) {
		t.log.Info("tail: file truncated or replaced; reading it from the start", "path", f.path, "offset", f.st.Offset, "size", size)
		f.restart()
		if !f.refreshFingerprint(t.buf, size) {
			return false // still changing under us: next poll
		}
	}
	if f.skipTo >= 0 {
		err := t.skipLines(f, min(size, f.skipTo))
		f.skipTo = -1
		if err != nil {
			t.problem(f.path, "tail: cannot read file", "path", f.path, "err", err)
			return false
		}
		if !f.draining {
			t.save(work, f)
		}
	}
	for range maxSectionsPerPoll {
		if ctx.Err() != nil {
			return false
		}
		end, lines, err := f.section(t.buf, size, final, t.opts.BatchSize)
		if err != nil {
			t.problem(f.path, "tail: cannot read file", "path", f.path, "offset", f.st.Offset, "err", err)
			return false
		}
		if end == f.st.Offset {
			f.caughtUp = true
			return false
		}
		evs, hdr, err := t.parse(work, f, end)
		if err == nil && len(evs) > 0 {
			err = t.sink.Submit(work, evs, true)
		}
		if err != nil {
			// Nothing is saved: the same lines are read again next poll.
			t.problem(f.path, "tail: cannot submit events; will retry", "path", f.path, "offset", f.st.Offset, "err", err)
			return false
		}
		t.resolved(f.path)
		f.st.Offset = end
		f.st.Line += lines
		if hdr != nil {
			f.header, f.headerAt = hdr.header, end
		}
		if !f.draining {
			t.save(work, f)
		}
	}
	return true
}

// section finds the end of the next batch: after at most maxLines complete
// lines or about maxSectionBytes, from st.Offset. It returns st.Offset when
// no complete line is there (unless final), and the number of lines.
func (f *file) section(buf []byte, size int64, final bool, maxLines int) (end, lines int64, err error) {
	start := f.st.Offset
	pos := max(start, f.noNL)
	for pos < size {
		k := int(min(int64(len(buf)), size-pos))
		m, err := f.fd.ReadAt(buf[:k], pos)
		if err != nil && !errors.Is(err, io.EOF) {
			return start, 0, err
		}
		for i := 0; ; {
			j := bytes.IndexByte(buf[i:m], '\n')
			if j < 0 {
				break
			}
			i += j + 1
			lines++
			end = pos + int64(i)
			if lines >= int64(maxLines) || end-start >= maxSectionBytes {
				return end, lines, nil
			}
		}
		pos += int64(m)
		if m < k {
			break // shrank since the stat; the next poll sees it
		}
	}
	if lines > 0 {
		return end, lines, nil
	}
	f.noNL = pos
	if final && pos > start {
		return pos, 1, nil
	}
	return start, 0, nil
}

// skipLines moves a new file's progress past its complete lines, for
// StartAtEnd, counting them so that line numbers stay right.
func (t *Tailer) skipLines(f *file, size int64) error {
	var lines, end, pos int64
	for pos < size {
		k := int(min(int64(len(t.buf)), size-pos))
		m, err := f.fd.ReadAt(t.buf[:k], pos)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if c := bytes.Count(t.buf[:m], []byte{'\n'}); c > 0 {
			lines += int64(c)
			end = pos + int64(bytes.LastIndexByte(t.buf[:m], '\n')) + 1
		}
		pos += int64(m)
		if m < k {
			break
		}
	}
	f.st.Offset, f.st.Line = end, lines
	return nil
}

// parse reads the lines from st.Offset to end with the file's reader and
// returns their events, with offsets and line numbers relative to the
// whole file. For Zeek logs, whose TSV schema is in '#' lines, the
// directives in force are replayed first, and the returned headerScan holds
// those in force at end.
func (t *Tailer) parse(work context.Context, f *file, end int64) ([]event.Event, *headerScan, error) {
	start := f.st.Offset
	var section io.Reader = io.NewSectionReader(f.fd, start, end-start)
	var prefix []byte
	var hdr *headerScan
	if f.reader.Name() == zeek.Name {
		if f.headerAt != start {
			if err := f.catchUp(start); err != nil {
				return nil, nil, err
			}
		}
		prefix = f.header
		hdr = newHeaderScan(f.header)
		section = io.TeeReader(section, hdr)
	}
	plen, plines := int64(len(prefix)), int64(bytes.Count(prefix, []byte{'\n'}))
	warnings := 0
	in := logs.Input{
		Path: f.path,
		R:    io.MultiReader(bytes.NewReader(prefix), section),
		Warn: func(w logs.Warning) {
			if warnings++; warnings <= maxWarnings {
				off := w.Offset
				if off >= 0 {
					off += start - plen
				}
				t.log.Warn("tail: bad input", "path", f.path, "offset", off, "problem", w.Msg)
			}
		},
	}
	var evs []event.Event
	err := f.reader.Read(work, in, func(e *event.Event) error {
		c := e.Clone()
		if c.Source.Offset >= 0 {
			c.Source.Offset += start - plen
		}
		if c.Source.Record > 0 {
			c.Source.Record += f.st.Line - plines
		}
		evs = append(evs, *c)
		return nil
	})
	if warnings > maxWarnings {
		t.log.Warn("tail: more bad input", "path", f.path, "offset", start, "warnings", warnings-maxWarnings)
	}
	return evs, hdr, err
}

// readWhole reads a file in a whole-file format (or gzip) from its start,
// skipping the events submitted from it before, and saves progress after
// each batch.
func (t *Tailer) readWhole(ctx, work context.Context, f *file, size int64) bool {
	if size < f.st.Offset {
		t.log.Info("tail: file shrank; reading it again", "path", f.path, "size", size, "was", f.st.Offset)
		f.restart()
	}
	if size == f.st.Offset {
		f.caughtUp = true
		return false
	}
	lf, err := logs.NewFile(f.path, io.NopCloser(io.NewSectionReader(f.fd, 0, size)))
	if err != nil {
		t.problem(f.path, "tail: cannot read file", "path", f.path, "err", err)
		return false
	}
	defer lf.Close()
	// StartAtEnd: count the events of the file as it was at start, submit
	// none. If it changed since, everything is read: the old events cannot
	// be told from the new.
	count := f.skipTo == size
	f.skipTo = -1
	skip := f.st.Events
	var evs []event.Event
	flush := func() error {
		if len(evs) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := t.sink.Submit(work, evs, true); err != nil {
			return err
		}
		f.st.Events += int64(len(evs))
		evs = nil
		if !f.draining {
			t.save(work, f)
		}
		return nil
	}
	warnings := 0
	in := lf.Input(func(w logs.Warning) {
		if warnings++; warnings <= maxWarnings {
			t.log.Warn("tail: bad input", "path", f.path, "offset", w.Offset, "problem", w.Msg)
		}
	})
	err = f.reader.Read(work, in, func(e *event.Event) error {
		if count {
			f.st.Events++
			return nil
		}
		if skip > 0 {
			skip--
			return nil
		}
		evs = append(evs, *e.Clone())
		if len(evs) >= t.opts.BatchSize {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if warnings > maxWarnings {
		t.log.Warn("tail: more bad input", "path", f.path, "warnings", warnings-maxWarnings)
	}
	if err != nil {
		if count {
			f.st.Events, f.skipTo = 0, size
		}
		t.problem(f.path, "tail: cannot read file; will retry", "path", f.path, "err", err)
		return false
	}
	t.resolved(f.path)
	f.st.Offset = size
	if !f.draining {
		t.save(work, f)
	}
	f.caughtUp = true
	return false
}
