package inventory

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/bulwarkhq/bulwark/supply"
)

// Extractor reads one file format. The core walks the disk and reads the
// file; an extractor only parses bytes, so each is easy to fuzz.
type Extractor interface {
	// Format names the format in file statuses ("package-lock.json").
	Format() string
	// Matches reports whether the file at path (slash or OS separators)
	// is in this format, judging by its name only.
	Matches(path string) bool
	// Extract parses in. A malformed file gives a *ParseError.
	Extract(in *Input) (Extraction, error)
}

// Input is one file handed to an extractor.
type Input struct {
	Path string // as reported in locations
	Data []byte
	// ReadSibling reads another file relative to Path's directory (go.sum
	// beside go.mod, -r includes in requirements files); nil when there is
	// no file system (fuzzing). ok is false when the file does not exist.
	ReadSibling func(rel string) (data []byte, ok bool, err error)
	// HasSibling reports whether a regular file exists at rel; nil like
	// ReadSibling.
	HasSibling func(rel string) bool
}

func (in *Input) hasSibling(rel string) bool {
	return in.HasSibling != nil && in.HasSibling(rel)
}

func (in *Input) sibling(rel string) ([]byte, bool, error) {
	if in.ReadSibling == nil {
		return nil, false, nil
	}
	return in.ReadSibling(rel)
}

// Extraction is what one file yields.
type Extraction struct {
	Packages []supply.Package
	// Skipped are dependencies the file names but whose exact version it
	// does not give (ranges, versions managed by a parent POM, local paths).
	Skipped []Skipped
	// Note explains a file that yields nothing on purpose (a package.json
	// beside its lockfile).
	Note string
}

// Skipped is a dependency that was seen but not reported as a package.
type Skipped struct {
	Ecosystem   string          `json:"ecosystem"`
	Name        string          `json:"name"`
	Requirement string          `json:"requirement,omitempty"` // the range or expression as written
	Reason      string          `json:"reason"`
	Location    supply.Location `json:"location"`
}

// ParseError is a malformed file. Line and Column are 1-based when known;
// Path is a JSON path or similar when the format has one.
type ParseError struct {
	File   string
	Line   int
	Column int
	Offset int64 // byte offset, -1 when unknown
	Path   string
	Msg    string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	switch {
	case e.Line > 0 && e.Column > 0:
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	case e.Line > 0:
		fmt.Fprintf(&b, ":%d", e.Line)
	case e.Offset >= 0:
		fmt.Fprintf(&b, ": byte %d", e.Offset)
	}
	if e.Path != "" {
		fmt.Fprintf(&b, ": at %s", e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// baseName returns the last element of a slash or OS path.
func baseName(path string) string {
	return filepath.Base(filepath.FromSlash(path))
}

// byName is an Extractor matched by exact base names.
type byName struct {
	format  string
	names   []string
	extract func(in *Input) (Extraction, error)
}

func (e byName) Format() string { return e.format }

func (e byName) Matches(path string) bool {
	b := baseName(path)
	for _, n := range e.names {
		if b == n {
			return true
		}
	}
	return false
}

func (e byName) Extract(in *Input) (Extraction, error) { return checked(e.extract(in)) }

// byFunc is an Extractor matched by a predicate on the base name.
type byFunc struct {
	format  string
	match   func(base string) bool
	extract func(in *Input) (Extraction, error)
}

func (e byFunc) Format() string                        { return e.format }
func (e byFunc) Matches(path string) bool              { return e.match(baseName(path)) }
func (e byFunc) Extract(in *Input) (Extraction, error) { return checked(e.extract(in)) }

// checked moves packages without a name or version (hostile or odd input
// that a parser let through) to Skipped, so every reported package can be
// matched.
func checked(ex Extraction, err error) (Extraction, error) {
	if err != nil {
		return ex, err
	}
	kept := ex.Packages[:0]
	for _, p := range ex.Packages {
		if strings.TrimSpace(p.Name) == "" || strings.TrimSpace(p.Version) == "" {
			var loc supply.Location
			if len(p.Locations) > 0 {
				loc = p.Locations[0]
			}
			ex.Skipped = append(ex.Skipped, Skipped{Ecosystem: p.Ecosystem, Name: p.Name, Requirement: p.Version, Reason: "empty name or version", Location: loc})
			continue
		}
		kept = append(kept, p)
	}
	ex.Packages = kept
	return ex, nil
}
