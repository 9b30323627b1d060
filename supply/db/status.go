package db

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/internal/atomicfile"
)

// Source describes one imported data set: an OSV ecosystem, or a feed that
// supply/enrich imports (CISA KEV, FIRST EPSS). Each is stored in its own
// file under <dir>/sources, so importers of different sources never write
// the same file.
type Source struct {
	// Name identifies the source: "osv/npm", "kev", "epss".
	Name string `json:"name"`
	Kind string `json:"kind"` // "osv", "kev", "epss"
	// Ecosystem is the OSV ecosystem of an "osv" source.
	Ecosystem  string    `json:"ecosystem,omitempty"`
	Origin     string    `json:"origin,omitempty"` // path or URL it was imported from
	ImportedAt time.Time `json:"imported_at"`
	// SourceDate is how current the data is: the newest "modified" time of
	// an OSV ecosystem, the catalogue date of KEV, the score date of EPSS.
	SourceDate time.Time `json:"source_date,omitzero"`
	Entries    int       `json:"entries"`
	Withdrawn  int       `json:"withdrawn,omitempty"`
	Rejects    int       `json:"rejects"`            // entries, packages or ranges left out
	Warnings   int       `json:"warnings,omitempty"` // problems reported but kept (bad timestamps)
	Packages   int       `json:"packages,omitempty"`
}

// SourceStatus is a source and how old it is.
type SourceStatus struct {
	Source
	// Age is the time since SourceDate (since ImportedAt when the source
	// has no date of its own).
	Age time.Duration `json:"age"`
}

const sourcesDir = "sources"

// sourceFile is where a source's record lives; "osv/npm" becomes
// sources/osv_npm.json.
func sourceFile(dir, name string) string {
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '_'
	}, name)
	return filepath.Join(dir, sourcesDir, safe+".json")
}

// RecordSource writes a source's record, replacing the previous one
// atomically. supply/enrich calls it after importing KEV or EPSS.
func RecordSource(dir string, s Source) error {
	if s.Name == "" {
		return errors.New("source without a name")
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(sourceFile(dir, s.Name), 0o644, append(data, '\n'))
}

// Status lists every recorded source, sorted by name, with its age at now.
// A data directory that does not exist yet has no sources.
func Status(dir string) ([]SourceStatus, error) {
	return statusAt(dir, time.Now())
}

func statusAt(dir string, now time.Time) ([]SourceStatus, error) {
	files, err := filepath.Glob(filepath.Join(dir, sourcesDir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []SourceStatus
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var s Source
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		since := s.SourceDate
		if since.IsZero() {
			since = s.ImportedAt
		}
		out = append(out, SourceStatus{Source: s, Age: now.Sub(since)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
