package logs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// FileInfo is one file found by Files.
type FileInfo struct {
	Path string
	Size int64 // bytes on disk, for progress reporting
}

// Files expands paths into the regular files to read: a file stands for
// itself, a directory for every file beneath it, recursively, in lexical
// order (the order of paths is kept). Symbolic links are followed, but a
// directory reached twice (a link loop, or two links to one place) is read
// once, and so is a file named twice. Nothing is skipped silently: an
// unreadable directory or entry, a link loop, a duplicate or a special file
// (device, socket, pipe) is reported through warn, which may be nil, and
// the walk goes on. A path that does not exist is an error: it is what the
// user typed.
func Files(paths []string, warn func(Warning)) ([]FileInfo, error) {
	w := walker{warn: warn, seen: make(map[string]bool)}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			w.dir(p, w.canonical(p))
			continue
		}
		w.file(p, w.canonical(p), st)
	}
	return w.out, nil
}

type walker struct {
	warn func(Warning)
	seen map[string]bool // canonical paths of directories and files taken
	out  []FileInfo
}

func (w *walker) warnf(path, format string, args ...any) {
	if w.warn != nil {
		w.warn(Warning{Path: path, Offset: -1, Msg: fmt.Sprintf(format, args...)})
	}
}

// canonical resolves links so that one directory or file reached through
// different paths is recognised.
func (w *walker) canonical(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		if abs, err := filepath.Abs(real); err == nil {
			return abs
		}
		return real
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// file takes one file; key is its canonical path.
func (w *walker) file(path, key string, st fs.FileInfo) {
	if !st.Mode().IsRegular() {
		w.warnf(path, "not a regular file (%s); skipped", st.Mode().Type())
		return
	}
	if w.seen[key] {
		w.warnf(path, "already listed (as %s); skipped", key)
		return
	}
	w.seen[key] = true
	w.out = append(w.out, FileInfo{Path: path, Size: st.Size()})
}

// dir walks one directory; key is its canonical path.
func (w *walker) dir(path, key string) {
	if w.seen[key] {
		w.warnf(path, "directory %s already walked (a link loop or a second link to it); skipped", key)
		return
	}
	w.seen[key] = true
	entries, err := os.ReadDir(path)
	if err != nil {
		w.warnf(path, "cannot read directory: %v", err)
		// ReadDir returns what it read before the error; go on with that.
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		p := filepath.Join(path, e.Name())
		st, err := os.Stat(p) // follows links
		if err != nil {
			w.warnf(p, "cannot stat: %v", err)
			continue
		}
		// Only a link needs resolving: below a canonical directory, any
		// other entry's canonical path is the directory's plus its name.
		ckey := filepath.Join(key, e.Name())
		if e.Type()&fs.ModeSymlink != 0 {
			ckey = w.canonical(p)
		}
		if st.IsDir() {
			w.dir(p, ckey)
			continue
		}
		w.file(p, ckey, st)
	}
}
