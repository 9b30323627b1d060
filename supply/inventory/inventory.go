package inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/bulwarkhq/bulwark/supply"
)

// DefaultMaxFileSize bounds memory: larger files are refused with an error.
const DefaultMaxFileSize = 256 << 20

// DefaultSkipDirs are directory names a walk does not enter: installed
// dependencies, version control and virtual environments hold files that
// look like manifests but are not the project's.
var DefaultSkipDirs = []string{
	"node_modules", "bower_components", "jspm_packages",
	".git", ".hg", ".svn", ".bzr",
	"vendor", "third_party_vendor",
	"__pycache__", ".venv", "venv", ".tox", ".nox", ".mypy_cache", "site-packages",
	".gradle", ".m2", ".idea", ".vscode",
	".pub-cache", ".dart_tool", "Pods", "Carthage", ".build", "deps", "_build",
}

// Options tune a scan. The zero value is the default.
type Options struct {
	// SkipDirs replaces DefaultSkipDirs when non-nil (an empty, non-nil
	// slice walks everything).
	SkipDirs []string
	// MaxFileSize is the largest file read; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Extractors replaces Extractors() when non-nil.
	Extractors []Extractor
}

// FileStatus is what one recognised file gave.
type FileStatus struct {
	Path     string `json:"path"`
	Format   string `json:"format"`
	Packages int    `json:"packages"`
	Skipped  int    `json:"skipped,omitempty"`
	Note     string `json:"note,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Result is the inventory of the scanned paths.
type Result struct {
	// Packages are deduplicated per ecosystem, name and version (locations
	// merged) and sorted by ecosystem, name, version.
	Packages []supply.Package `json:"packages"`
	Skipped  []Skipped        `json:"skipped,omitempty"`
	Files    []FileStatus     `json:"files"`
	// Errors are the files that could not be read or parsed; every other
	// file was still scanned.
	Errors []error `json:"-"`
}

// Scan takes the inventory of files and directories. Directories are
// walked recursively; files are recognised by name. A file given
// explicitly in an unknown format is an error in Result.Errors. Scan
// returns a non-nil error only when ctx is done.
func Scan(ctx context.Context, paths []string, opts Options) (Result, error) {
	s := scanner{ctx: ctx, opts: opts, merged: map[pkgKey]int{}}
	if s.opts.MaxFileSize <= 0 {
		s.opts.MaxFileSize = DefaultMaxFileSize
	}
	if s.opts.SkipDirs == nil {
		s.opts.SkipDirs = DefaultSkipDirs
	}
	if s.opts.Extractors == nil {
		s.opts.Extractors = Extractors()
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return s.res, err
		}
		st, err := os.Stat(p)
		if err != nil {
			s.res.Errors = append(s.res.Errors, err)
			continue
		}
		if !st.IsDir() {
			ex := s.extractorFor(p)
			if ex == nil {
				s.res.Errors = append(s.res.Errors, fmt.Errorf("%s: not a lockfile, manifest or SBOM format this scanner knows", p))
				continue
			}
			s.scanFile(p, ex)
			continue
		}
		if err := s.walk(p); err != nil {
			return s.res, err
		}
	}
	s.finish()
	return s.res, nil
}

type pkgKey struct{ ecosystem, name, version string }

type scanner struct {
	ctx    context.Context
	opts   Options
	res    Result
	merged map[pkgKey]int // index into res.Packages
}

func (s *scanner) extractorFor(path string) Extractor {
	for _, ex := range s.opts.Extractors {
		if ex.Matches(path) {
			return ex
		}
	}
	return nil
}

func (s *scanner) walk(root string) error {
	skip := make(map[string]bool, len(s.opts.SkipDirs))
	for _, d := range s.opts.SkipDirs {
		skip[d] = true
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if ctxErr := s.ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err != nil {
			// An unreadable directory is recorded; the walk goes on.
			s.res.Errors = append(s.res.Errors, err)
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if path != root && skip[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		if ex := s.extractorFor(path); ex != nil {
			s.scanFile(path, ex)
		}
		return nil
	})
}

// scanFile reads and extracts one file, recording its status.
func (s *scanner) scanFile(path string, ex Extractor) {
	st := FileStatus{Path: path, Format: ex.Format()}
	out, err := s.extractFile(path, ex)
	if err != nil {
		// Half a file is not an inventory of it: report the error alone.
		out = Extraction{}
		st.Error = err.Error()
		s.res.Errors = append(s.res.Errors, err)
	}
	st.Packages, st.Skipped, st.Note = countDistinct(out.Packages), len(out.Skipped), out.Note
	s.res.Files = append(s.res.Files, st)
	for _, p := range out.Packages {
		s.add(p)
	}
	s.res.Skipped = append(s.res.Skipped, out.Skipped...)
}

func (s *scanner) extractFile(path string, ex Extractor) (out Extraction, err error) {
	// A parser bug must not take the whole scan down: it becomes this
	// file's error.
	defer func() {
		if r := recover(); r != nil {
			out, err = Extraction{}, fmt.Errorf("%s: internal error in the %s parser: %v", path, ex.Format(), r)
		}
	}()
	data, err := s.readFile(path)
	if err != nil {
		return Extraction{}, err
	}
	dir := filepath.Dir(path)
	in := &Input{Path: path, Data: data, ReadSibling: func(rel string) ([]byte, bool, error) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		b, err := s.readFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil
		}
		return b, err == nil, err
	}, HasSibling: func(rel string) bool {
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
		return err == nil && st.Mode().IsRegular()
	}}
	return ex.Extract(in)
}

// readFile reads a regular file of at most MaxFileSize bytes.
func (s *scanner) readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Size() > s.opts.MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes is over the %d-byte limit for one file", path, st.Size(), s.opts.MaxFileSize)
	}
	// Read at most one byte past the limit in case the file grows.
	data, err := io.ReadAll(io.LimitReader(f, s.opts.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > s.opts.MaxFileSize {
		return nil, fmt.Errorf("%s: over the %d-byte limit for one file", path, s.opts.MaxFileSize)
	}
	return data, nil
}

// add merges p into the result: one entry per ecosystem, name and version.
func (s *scanner) add(p supply.Package) {
	k := pkgKey{p.Ecosystem, p.Name, p.Version}
	i, ok := s.merged[k]
	if !ok {
		s.merged[k] = len(s.res.Packages)
		s.res.Packages = append(s.res.Packages, p)
		return
	}
	q := &s.res.Packages[i]
	q.Direct = q.Direct || p.Direct
	// Development-only when every occurrence is.
	q.Dev = q.Dev && p.Dev
	if q.PURL == "" {
		q.PURL = p.PURL
	}
	q.Locations = append(q.Locations, p.Locations...)
}

func (s *scanner) finish() {
	for i := range s.res.Packages {
		s.res.Packages[i].Locations = uniqueLocations(s.res.Packages[i].Locations)
	}
	sort.SliceStable(s.res.Packages, func(i, j int) bool {
		a, b := &s.res.Packages[i], &s.res.Packages[j]
		if a.Ecosystem != b.Ecosystem {
			return a.Ecosystem < b.Ecosystem
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Version < b.Version
	})
	s.merged = nil
}

// countDistinct counts packages by ecosystem, name and version (a lockfile
// lists one package once per install path).
func countDistinct(pkgs []supply.Package) int {
	seen := make(map[pkgKey]bool, len(pkgs))
	for _, p := range pkgs {
		seen[pkgKey{p.Ecosystem, p.Name, p.Version}] = true
	}
	return len(seen)
}

func uniqueLocations(locs []supply.Location) []supply.Location {
	sort.SliceStable(locs, func(i, j int) bool {
		if locs[i].File != locs[j].File {
			return locs[i].File < locs[j].File
		}
		return locs[i].Line < locs[j].Line
	})
	out := locs[:0]
	for _, l := range locs {
		if len(out) > 0 && l == out[len(out)-1] {
			continue
		}
		out = append(out, l)
	}
	return out
}

// ExtractFile runs the matching extractor on data as if it were the file
// at path (no siblings). It is for callers that already hold the bytes.
func ExtractFile(path string, data []byte) (Extraction, error) {
	for _, ex := range Extractors() {
		if ex.Matches(path) {
			return ex.Extract(&Input{Path: path, Data: data})
		}
	}
	return Extraction{}, fmt.Errorf("%s: not a lockfile, manifest or SBOM format this scanner knows", path)
}
