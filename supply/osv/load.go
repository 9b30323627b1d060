package osv

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MaxEntrySize bounds one JSON entry; the largest real entries are a few
// hundred kilobytes (long versions lists), and a zip bomb must not be read.
const MaxEntrySize = 16 << 20

// Walk calls fn with every OSV JSON file under path: the .json members of
// a zip (OSV's per-ecosystem all.zip), the .json files of a directory tree,
// or one .json file. A directory that holds <Ecosystem>/all.zip (OSV's
// bucket layout) is walked zip by zip. name is the file's path inside the
// zip or directory, for rejects.
func Walk(path string, fn func(name string, data []byte) error) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		if strings.EqualFold(filepath.Ext(path), ".zip") {
			return walkZip(path, fn)
		}
		data, err := readLimited(path)
		if err != nil {
			return err
		}
		return fn(filepath.Base(path), data)
	}
	return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(path, p)
		switch strings.ToLower(filepath.Ext(p)) {
		case ".zip":
			return walkZip(p, func(name string, data []byte) error {
				return fn(filepath.ToSlash(rel)+"!"+name, data)
			})
		case ".json":
			if d.Name() == "build-stats.json" {
				return nil // not an entry: OSV bucket metadata
			}
			data, err := readLimited(p)
			if err != nil {
				return err
			}
			return fn(filepath.ToSlash(rel), data)
		}
		return nil
	})
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxEntrySize+1))
	if err == nil && len(data) > MaxEntrySize {
		err = fmt.Errorf("%s: larger than %d bytes", path, MaxEntrySize)
	}
	return data, err
}

func walkZip(path string, fn func(name string, data []byte) error) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.EqualFold(filepath.Ext(f.Name), ".json") {
			continue
		}
		if f.UncompressedSize64 > MaxEntrySize {
			return fmt.Errorf("%s: %s is larger than %d bytes", path, f.Name, MaxEntrySize)
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("%s: %s: %w", path, f.Name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, MaxEntrySize+1))
		rc.Close()
		if err != nil {
			return fmt.Errorf("%s: %s: %w", path, f.Name, err)
		}
		if err := fn(f.Name, data); err != nil {
			return err
		}
	}
	return nil
}

// EcosystemFromPath returns the ecosystem a zip or file belongs to by OSV's
// bucket layout (<Ecosystem>/all.zip), or "" when the path does not say.
func EcosystemFromPath(path string) string {
	dir := filepath.Base(filepath.Dir(path))
	if strings.EqualFold(filepath.Ext(path), ".zip") {
		for _, e := range KnownEcosystems {
			if strings.EqualFold(e, dir) {
				return e
			}
		}
	}
	return ""
}

// KnownEcosystems are the OSV ecosystems with a download at
// https://osv-vulnerabilities.storage.googleapis.com/<Ecosystem>/all.zip
// that this scanner evaluates with their own version order.
var KnownEcosystems = []string{"Go", "PyPI", "crates.io", "npm", "Maven", "NuGet", "Packagist", "RubyGems", "Pub", "Hex", "SwiftURL"}
