// Package tail follows log files like tail -F and hands their events to an
// ingest Sink, remembering in an OffsetStore how far it got in each file so
// that a restart resumes without losing or repeating events.
//
// Files are named by paths or globs and polled (no inotify: one static
// binary, and it works on network filesystems). Each file is parsed by the
// log reader `bulwark detect` would use (logs/list), so its events look the
// same: Source.Path is the file's absolute path, Source.Record its line
// number and Source.Offset the line's byte offset.
//
// Line formats (syslog, jsonl, eve, zeek) are read a complete line at a
// time: a last line without its newline waits for it. Other formats (evtx,
// cloudtrail) and gzip-compressed files are read whole once they have not
// changed for one poll interval, and again, past the events already
// submitted, when they change later.
//
// A file is known by its device and inode plus a fingerprint of its first
// kilobyte. A file renamed away (logrotate's default) is read to its end
// before its replacement is started; a file renamed to another path that the
// globs match is followed there; a file truncated in place (copytruncate) or
// whose first bytes changed is read again from the start.
//
// Progress is saved under "tail:<absolute path>" only after Sink.Submit
// returned nil for the events up to it: a crash at any point re-reads at
// most what was not yet acknowledged, and nothing acknowledged is read
// twice. Two limits remain: lines written to a file after it was copied and
// before it was truncated (copytruncate) are lost, as with any tail; and the
// unread end of a file renamed to a name the globs do not match is lost if
// the process stops before reading it.
package tail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/bulwarkhq/bulwark/ingest"
)

// OffsetStore keeps the progress in each file. store.Settings satisfies it.
type OffsetStore interface {
	GetSetting(ctx context.Context, key string) (string, bool, error)
	SetSetting(ctx context.Context, key, value string) error
}

// Defaults for Options' zero values.
const (
	DefaultPollInterval = 250 * time.Millisecond
	DefaultBatchSize    = 512
)

const (
	// maxSectionBytes bounds the bytes parsed into one batch, so that a
	// batch of long lines is a few megabytes, not BatchSize times the
	// longest line a reader accepts.
	maxSectionBytes = 4 << 20
	// maxSectionsPerPoll bounds the batches read from one file per poll,
	// so that a file with a large backlog does not starve the others; the
	// next poll then starts at once.
	maxSectionsPerPoll = 64
	// stopGrace is how long a Submit or offset write in flight when Run's
	// context ends may still take, so that events stored are also
	// recorded as stored.
	stopGrace = 5 * time.Second
)

// Options configure a Tailer. Zero values take the defaults.
type Options struct {
	// Paths are files or glob patterns (filepath.Match syntax); files
	// that appear later are picked up at the next poll.
	Paths []string
	// Format is a reader name (logs/list.Names); "" or "auto" sniffs each
	// file's first bytes.
	Format string
	// PollInterval is the time between looks at the files (default 250ms).
	PollInterval time.Duration
	// BatchSize is the most events per Sink.Submit (default 512).
	BatchSize int
	// StartAtEnd skips what files hold when they are first seen at start
	// (files without saved progress); files that appear later are always
	// read from their start, as they are new.
	StartAtEnd bool
	// Logger receives problems with files; nil discards them.
	Logger *slog.Logger
}

// Tailer follows files. Create it with New and call Run once.
type Tailer struct {
	sink    ingest.Sink
	offsets OffsetStore
	opts    Options
	log     *slog.Logger

	// files are the files followed, by the path that now names them; each
	// owns the OffsetStore key of its path.
	files map[string]*file
	// draining are files renamed away or deleted, being read to their
	// end. A new file at the path they had waits for them.
	draining []*file
	// orphans are saved states whose path now names another file, by the
	// identity they were saved for: after a restart, a file that was
	// renamed while the process was down is found by its inode.
	orphans map[fileID]*state
	// problems holds the last problem logged per subject, so that a file
	// failing every poll is reported once, not four times a second.
	problems map[string]string
	buf      []byte // scratch for scanning
}

// New returns a Tailer that submits to sink and keeps progress in offsets.
func New(sink ingest.Sink, offsets OffsetStore, opts Options) *Tailer {
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Tailer{
		sink: sink, offsets: offsets, opts: opts, log: opts.Logger,
		files:    map[string]*file{},
		orphans:  map[fileID]*state{},
		problems: map[string]string{},
		buf:      make([]byte, 64<<10),
	}
}

// Run follows the files until ctx is done, then returns nil. It returns an
// error at once for an invalid pattern or format.
func (t *Tailer) Run(ctx context.Context) error {
	patterns, err := t.patterns()
	if err != nil {
		return err
	}
	if f := t.opts.Format; f != "" && f != "auto" {
		if _, ok := readerByName(f); !ok {
			return fmt.Errorf("tail: unknown format %q", f)
		}
	}
	// Work started before ctx ends may finish within stopGrace (see
	// stopGrace); nothing new starts after it.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(stopGrace, cancel) })
	defer stop()
	defer t.closeAll()

	timer := time.NewTimer(0)
	defer timer.Stop()
	for first := true; ; first = false {
		more := t.poll(ctx, work, patterns, first)
		if ctx.Err() != nil {
			return nil
		}
		if more {
			continue
		}
		timer.Reset(t.opts.PollInterval)
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
	}
}

// patterns makes the paths absolute (keys and events name absolute paths)
// and checks their syntax.
func (t *Tailer) patterns() ([]string, error) {
	if len(t.opts.Paths) == 0 {
		return nil, errors.New("tail: no paths to follow")
	}
	var out []string
	for _, p := range t.opts.Paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("tail: %s: %w", p, err)
		}
		if _, err := filepath.Match(abs, ""); err != nil {
			return nil, fmt.Errorf("tail: pattern %q: %w", p, err)
		}
		out = append(out, abs)
	}
	return out, nil
}

// scan returns the regular files the patterns match now, with their
// identities.
func (t *Tailer) scan(patterns []string) map[string]fileID {
	seen := map[string]fileID{}
	for _, p := range patterns {
		matches, _ := filepath.Glob(p) // the only error, a bad pattern, was ruled out
		for _, m := range matches {
			fi, err := os.Stat(m)
			if err != nil || !fi.Mode().IsRegular() {
				continue // gone since the glob, or a directory, FIFO, ...
			}
			seen[m] = statID(fi)
		}
	}
	return seen
}

// poll does one round: notices renames, rotations and new files, then
// reads what was appended. It reports whether a file has more to read at
// once. ctx says whether to start new work; work is the context of that
// work.
func (t *Tailer) poll(ctx, work context.Context, patterns []string, first bool) (more bool) {
	seen := t.scan(patterns)
	// Where each inode is now. Hard links give one inode several paths:
	// the first in order is followed.
	where := map[fileID]string{}
	for _, p := range slices.Sorted(maps.Keys(seen)) {
		if id := seen[p]; id.ok {
			if _, dup := where[id]; !dup {
				where[id] = p
			}
		}
	}

	// Follow each open file to where its inode went; a file no longer
	// matched is rotated away or deleted.
	files := make(map[string]*file, len(t.files))
	for _, p := range slices.Sorted(maps.Keys(t.files)) {
		f := t.files[p]
		now, ok := p, true
		if f.id.ok {
			now, ok = where[f.id]
		} else {
			_, ok = seen[p]
		}
		switch {
		case !ok:
			t.log.Info("tail: file rotated or deleted; reading it to its end", "path", p)
			f.startDrain()
			t.draining = append(t.draining, f)
		case now != p:
			t.log.Info("tail: file renamed; following it", "path", p, "new_path", now)
			f.path = now
			files[now] = f
			if f.saved {
				// Save under the new name, and leave a forward at the old
				// one: if the file is renamed again while the process is
				// down, a restart finds its progress from either name,
				// not a stale copy under the old one.
				t.save(work, f)
				fwd := state{Dev: f.st.Dev, Inode: f.st.Inode, MovedTo: now}
				if err := t.offsets.SetSetting(work, KeyPrefix+p, fwd.encode()); err != nil {
					t.problem(p+"\x00save", "tail: cannot save progress; a restart would read events again", "path", p, "err", err)
				}
			}
		default:
			files[p] = f
		}
	}
	t.files = files

	t.draining = slices.DeleteFunc(t.draining, func(f *file) bool {
		if ctx.Err() != nil || !t.drain(ctx, work, f) {
			return false
		}
		f.close()
		return true
	})
	if ctx.Err() != nil {
		return false
	}

	t.openNew(ctx, work, seen, first)

	for _, p := range slices.Sorted(maps.Keys(t.files)) {
		if ctx.Err() != nil {
			return false
		}
		if t.pump(ctx, work, t.files[p]) {
			more = true
		}
	}
	return more
}

// openNew starts following the matched files not followed yet, resuming
// from saved progress when it belongs to them.
func (t *Tailer) openNew(ctx, work context.Context, seen map[string]fileID, first bool) {
	followed := map[fileID]bool{}
	for _, f := range t.files {
		followed[f.id] = true
	}
	blocked := map[string]bool{}
	for _, f := range t.draining {
		followed[f.id] = true
		blocked[f.path] = true
	}
	var fresh []string
	for _, p := range slices.Sorted(maps.Keys(seen)) {
		id := seen[p]
		if t.files[p] != nil || blocked[p] || id.ok && followed[id] {
			continue
		}
		fresh = append(fresh, p)
	}
	// Load every key first: the state of a file renamed while the process
	// was down is under its old name, which may sort after its new one.
	saved := map[string]*state{}
	for _, p := range fresh {
		if ctx.Err() != nil {
			return
		}
		own, err := t.load(work, p)
		if err != nil {
			t.problem(p, "tail: cannot read saved progress; will retry", "path", p, "err", err)
			continue
		}
		saved[p] = own
	}
	for _, p := range fresh {
		st, loaded := saved[p]
		if !loaded {
			continue // its key could not be read: try again next poll
		}
		f, err := openFile(p)
		if err != nil {
			t.problem(p, "tail: cannot open file; will retry", "path", p, "err", err)
			continue
		}
		if f.id.ok && followed[f.id] {
			f.close() // replaced by a file followed under another name since the scan
			continue
		}
		t.resolved(p)
		t.resume(f, st, first)
		followed[f.id] = true
		t.files[p] = f
	}
}

// load returns the state saved under p's key, unless it is a forward
// (MovedTo) or unreadable. Every state found, forwards followed, is also
// kept in t.orphans by the identity it was saved for.
func (t *Tailer) load(work context.Context, p string) (*state, error) {
	var own *state
	key, want := p, fileID{}
	visited := map[string]bool{}
	for hop := 0; hop <= maxMoves && !visited[key]; hop++ {
		visited[key] = true
		v, ok, err := t.offsets.GetSetting(work, KeyPrefix+key)
		if err != nil {
			if hop == 0 {
				return nil, err
			}
			break // only a forward is lost: the file may be read again
		}
		if !ok {
			break
		}
		st, err := decodeState(v)
		if err != nil {
			t.problem(key+"\x00load", "tail: ignoring unreadable saved progress", "path", key, "err", err)
			break
		}
		if hop > 0 && st.id() != want {
			break // the forward's target has since been taken by another file
		}
		if st.MovedTo == "" {
			if hop == 0 {
				own = st
			}
			if o := t.orphans[st.id()]; o == nil || st.newer(o) {
				t.orphans[st.id()] = st
			}
			break
		}
		key, want = st.MovedTo, st.id()
	}
	return own, nil
}

// resume sets where reading f starts: its own saved state, the state of a
// file saved under another name with its inode, or the start (or end).
func (t *Tailer) resume(f *file, own *state, first bool) {
	var st *state
	switch {
	case own != nil && own.sameFile(f.id) && f.verify(t.buf, own):
		st = own
	case f.id.ok:
		if o := t.orphans[f.id]; o != nil && o != own && f.verify(t.buf, o) {
			st = o
		}
	}
	if f.id.ok {
		delete(t.orphans, f.id)
	}
	if st != nil {
		f.st = *st
		f.saved = true
		t.log.Info("tail: resuming file", "path", f.path, "offset", st.Offset, "line", st.Line)
		return
	}
	f.st = state{Dev: f.id.Dev, Inode: f.id.Ino}
	if first && t.opts.StartAtEnd && f.openSize > 0 {
		f.skipTo = f.openSize
	}
	t.log.Info("tail: following new file", "path", f.path, "skip_to", max(f.skipTo, 0))
}

// closeAll closes every open file.
func (t *Tailer) closeAll() {
	for _, f := range t.files {
		f.close()
	}
	for _, f := range t.draining {
		f.close()
	}
	clear(t.files)
	t.draining = nil
}

// save records f's progress. It runs after the Sink stored the events it
// covers; a failure only means a restart re-reads them.
func (t *Tailer) save(work context.Context, f *file) {
	if err := t.offsets.SetSetting(work, KeyPrefix+f.path, f.st.encode()); err != nil {
		t.problem(f.path+"\x00save", "tail: cannot save progress; a restart would read events again", "path", f.path, "err", err)
		return
	}
	t.resolved(f.path + "\x00save")
	f.saved = true
}

// problem logs a warning about subject unless the same one was the last
// logged for it.
func (t *Tailer) problem(subject, msg string, args ...any) {
	key := fmt.Sprint(msg, args)
	if t.problems[subject] == key {
		return
	}
	t.problems[subject] = key
	t.log.Warn(msg, args...)
}

// resolved forgets subject's last problem, so that it is logged again if it
// comes back.
func (t *Tailer) resolved(subject string) { delete(t.problems, subject) }
