package enrich

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/internal/atomicfile"
	"github.com/bulwarkhq/bulwark/supply"
)

// Source names.
const (
	SourceKEV  = "kev"
	SourceEPSS = "epss"
)

// Files under the data directory. Each carries its own Source record, so
// an import replaces data and record together with one rename.
const (
	kevFile  = "kev.json"
	epssFile = "epss.tsv.gz"
	// epssHeaderPrefix starts the first line of epssFile; the Source
	// record follows as JSON.
	epssHeaderPrefix = "#bulwark-epss "
	// maxListedRejects bounds the rejects kept by name; all are counted.
	maxListedRejects = 1000
)

// Source records one import, for a status command to show.
type Source struct {
	Name       string    `json:"name"` // "kev" or "epss"
	ImportedAt time.Time `json:"imported_at"`
	// SourceDate is the date the publisher gives the data: KEV's
	// dateReleased, EPSS's score_date (YYYY-MM-DD).
	SourceDate string `json:"source_date,omitempty"`
	// Version is KEV's catalogVersion or the EPSS model version.
	Version    string   `json:"version,omitempty"`
	Entries    int      `json:"entries"`
	Rejects    int      `json:"rejects"`
	RejectList []Reject `json:"reject_list,omitempty"` // the first 1000 rejects
	Notes      []string `json:"notes,omitempty"`
}

// Reject is one entry an import refused.
type Reject struct {
	Index  int    `json:"index,omitempty"` // position in KEV's vulnerabilities array (0-based)
	Line   int    `json:"line,omitempty"`  // line in the EPSS CSV (1-based)
	ID     string `json:"id,omitempty"`    // the CVE id, when one could be read
	Reason string `json:"reason"`
}

func (r Reject) String() string {
	where := "entry " + strconv.Itoa(r.Index)
	if r.Line > 0 {
		where = "line " + strconv.Itoa(r.Line)
	}
	if r.ID != "" {
		where += " (" + r.ID + ")"
	}
	return where + ": " + r.Reason
}

func (s *Source) reject(r Reject) {
	s.Rejects++
	if len(s.RejectList) < maxListedRejects {
		s.RejectList = append(s.RejectList, r)
	}
}

// ImportKEV parses a KEV catalogue and stores it under dir, replacing the
// previous import only when this one succeeds.
func ImportKEV(dir string, r io.Reader, now time.Time) (Source, error) {
	entries, src, err := ParseKEV(r)
	if err != nil {
		return src, err
	}
	src.ImportedAt = now.UTC()
	payload, err := json.Marshal(kevDocument{Source: src, Entries: entries})
	if err != nil {
		return src, fmt.Errorf("kev: encode: %w", err)
	}
	return src, atomicfile.Write(filepath.Join(dir, kevFile), 0o644, func(w io.Writer) error {
		_, err := w.Write(payload)
		return err
	})
}

// ImportEPSS parses EPSS scores (csv or csv.gz) and stores them under dir,
// replacing the previous import only when this one succeeds.
func ImportEPSS(dir string, r io.Reader, now time.Time) (Source, error) {
	entries, src, err := ParseEPSS(r)
	if err != nil {
		return src, err
	}
	src.ImportedAt = now.UTC()
	header, err := json.Marshal(src)
	if err != nil {
		return src, fmt.Errorf("epss: encode: %w", err)
	}
	// A gzip'd TSV: a third of the size of JSON and quick to load.
	return src, atomicfile.Write(filepath.Join(dir, epssFile), 0o644, func(w io.Writer) error {
		gz := gzip.NewWriter(w)
		bw := bufio.NewWriter(gz)
		bw.WriteString(epssHeaderPrefix)
		bw.Write(header)
		bw.WriteByte('\n')
		for _, e := range entries {
			bw.WriteString(e.CVE)
			bw.WriteByte('\t')
			bw.WriteString(strconv.FormatFloat(e.Score, 'g', -1, 64))
			bw.WriteByte('\t')
			bw.WriteString(strconv.FormatFloat(e.Percentile, 'g', -1, 64))
			bw.WriteByte('\n')
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		return gz.Close()
	})
}

// ImportFile imports a KEV (SourceKEV) or EPSS (SourceEPSS) file by path.
func ImportFile(dir, source, path string, now time.Time) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return Source{Name: source}, fmt.Errorf("import %s: %w", source, err)
	}
	defer f.Close()
	var src Source
	switch source {
	case SourceKEV:
		src, err = ImportKEV(dir, f, now)
	case SourceEPSS:
		src, err = ImportEPSS(dir, f, now)
	default:
		return Source{Name: source}, fmt.Errorf("import: unknown source %q (want %s or %s)", source, SourceKEV, SourceEPSS)
	}
	if err != nil {
		return src, fmt.Errorf("import %s from %s: %w", source, path, err)
	}
	return src, nil
}

type kevDocument struct {
	Source  Source            `json:"source"`
	Entries []supply.KEVEntry `json:"entries"`
}

// Store answers KEV and EPSS lookups by CVE id from a data directory.
// A nil *Store answers nothing.
type Store struct {
	kev     map[string]supply.KEVEntry
	epss    map[string]supply.EPSS
	sources []Source
}

// Open loads what has been imported under dir. A source never imported is
// simply absent (Sources says so); a file that cannot be read is an error.
func Open(dir string) (*Store, error) {
	s := &Store{kev: map[string]supply.KEVEntry{}, epss: map[string]supply.EPSS{}}
	if doc, err := readKEV(dir); err == nil {
		for _, e := range doc.Entries {
			s.kev[e.CVE] = e
		}
		s.sources = append(s.sources, doc.Source)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	src, err := readEPSS(dir, func(e supply.EPSS) { s.epss[e.CVE] = e })
	if err == nil {
		s.sources = append(s.sources, src)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return s, nil
}

// KEV returns the catalogue entry of a CVE.
func (s *Store) KEV(cve string) (supply.KEVEntry, bool) {
	if s == nil {
		return supply.KEVEntry{}, false
	}
	e, ok := s.kev[cve]
	return e, ok
}

// EPSS returns the score of a CVE.
func (s *Store) EPSS(cve string) (supply.EPSS, bool) {
	if s == nil {
		return supply.EPSS{}, false
	}
	e, ok := s.epss[cve]
	return e, ok
}

// Sources returns the records of the imports loaded, KEV first.
func (s *Store) Sources() []Source {
	if s == nil {
		return nil
	}
	return append([]Source(nil), s.sources...)
}

// Status reads only the source records under dir, without loading the
// data: what a status command shows. Sources never imported are left out.
func Status(dir string) ([]Source, error) {
	var out []Source
	if f, err := os.Open(filepath.Join(dir, kevFile)); err == nil {
		var doc struct {
			Source Source `json:"source"`
		}
		err = json.NewDecoder(f).Decode(&doc)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", kevFile, err)
		}
		out = append(out, doc.Source)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	src, err := readEPSS(dir, nil)
	if err == nil {
		out = append(out, src)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return out, nil
}

func readKEV(dir string) (kevDocument, error) {
	var doc kevDocument
	data, err := os.ReadFile(filepath.Join(dir, kevFile))
	if err != nil {
		return doc, err
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return doc, fmt.Errorf("read %s: %w", filepath.Join(dir, kevFile), err)
	}
	return doc, nil
}

// readEPSS reads the stored EPSS file: its Source record, then, when each
// is not nil, every row.
func readEPSS(dir string, each func(supply.EPSS)) (Source, error) {
	var src Source
	path := filepath.Join(dir, epssFile)
	f, err := os.Open(path)
	if err != nil {
		return src, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return src, fmt.Errorf("read %s: %w", path, err)
	}
	defer gz.Close()
	scanner := bufio.NewScanner(gz)
	scanner.Buffer(make([]byte, 64*1024), 4*1024*1024)
	if !scanner.Scan() || !strings.HasPrefix(scanner.Text(), epssHeaderPrefix) {
		return src, fmt.Errorf("read %s: missing header", path)
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(scanner.Text(), epssHeaderPrefix)), &src); err != nil {
		return src, fmt.Errorf("read %s: header: %w", path, err)
	}
	if each == nil {
		return src, nil
	}
	line := 1
	for scanner.Scan() {
		line++
		cve, rest, ok1 := strings.Cut(scanner.Text(), "\t")
		score, pct, ok2 := strings.Cut(rest, "\t")
		s, err1 := strconv.ParseFloat(score, 64)
		p, err2 := strconv.ParseFloat(pct, 64)
		if !ok1 || !ok2 || err1 != nil || err2 != nil {
			return src, fmt.Errorf("read %s: line %d is corrupt", path, line)
		}
		each(supply.EPSS{CVE: cve, Score: s, Percentile: p, Date: src.SourceDate})
	}
	if err := scanner.Err(); err != nil {
		return src, fmt.Errorf("read %s: %w", path, err)
	}
	return src, nil
}
