package db

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/internal/atomicfile"
	"github.com/bulwarkhq/bulwark/supply/osv"
	"github.com/bulwarkhq/bulwark/supply/version"
)

// ImportReport says what an import read and wrote.
type ImportReport struct {
	Sources []Source     `json:"sources"` // one per ecosystem written
	Rejects []osv.Reject `json:"rejects"`
	Elapsed time.Duration
}

// ecosystemImport gathers one ecosystem's records while reading.
type ecosystemImport struct {
	packages map[string][]*osv.Record
	source   Source
	rejects  []osv.Reject
	origins  map[string]bool
}

// Import reads OSV data from each path (a per-ecosystem all.zip, a
// directory of OSV JSON files, or a directory of <Ecosystem>/all.zip),
// validates every entry and writes one index per ecosystem found under
// <dir>/osv, with its rejects beside it and a source record. Each
// ecosystem written replaces its previous index whole; ecosystems not in
// the input are left as they were.
func Import(dir string, paths ...string) (*ImportReport, error) {
	start := time.Now()
	byEco := map[string]*ecosystemImport{}
	get := func(eco string) *ecosystemImport {
		ei := byEco[eco]
		if ei == nil {
			ei = &ecosystemImport{packages: map[string][]*osv.Record{}, origins: map[string]bool{},
				source: Source{Name: "osv/" + eco, Kind: "osv", Ecosystem: eco}}
			byEco[eco] = ei
		}
		return ei
	}
	for _, p := range paths {
		pathEco := osv.EcosystemFromPath(p)
		err := osv.Walk(p, func(name string, data []byte) error {
			importEntry(get, p, pathEco, name, data)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", p, err)
		}
	}
	rep := &ImportReport{}
	now := time.Now().UTC()
	ecos := make([]string, 0, len(byEco))
	for e := range byEco {
		ecos = append(ecos, e)
	}
	sort.Strings(ecos)
	for _, eco := range ecos {
		ei := byEco[eco]
		ei.source.ImportedAt = now
		ei.source.Packages = len(ei.packages)
		for _, r := range ei.rejects {
			if r.Kept {
				ei.source.Warnings++
			} else {
				ei.source.Rejects++
			}
		}
		for o := range ei.origins {
			ei.source.Origin = joinOrigin(ei.source.Origin, o)
		}
		if err := writeEcosystem(dir, eco, ei); err != nil {
			return nil, err
		}
		rep.Sources = append(rep.Sources, ei.source)
		rep.Rejects = append(rep.Rejects, ei.rejects...)
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

func joinOrigin(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}

// importEntry decodes and reduces one file and files its records, rejects
// and counts under their ecosystems.
func importEntry(get func(string) *ecosystemImport, origin, pathEco, name string, data []byte) {
	e, err := osv.Decode(data)
	if err != nil {
		eco := pathEco
		if eco == "" {
			eco = "unknown"
		}
		ei := get(eco)
		ei.origins[origin] = true
		ei.rejects = append(ei.rejects, osv.Reject{File: name, Affected: -1, Range: -1, Reason: "not an OSV entry: " + err.Error()})
		return
	}
	recs, rejects := osv.Records(name, e)
	// The entry counts once in every ecosystem it names.
	ecos := map[string]bool{}
	for _, a := range e.Affected {
		if a.Package.Ecosystem != "" {
			ecos[version.BaseEcosystem(a.Package.Ecosystem)] = true
		}
	}
	if len(ecos) == 0 {
		eco := pathEco
		if eco == "" {
			eco = "unknown"
		}
		ecos[eco] = true
	}
	modified, _ := time.Parse(time.RFC3339, e.Modified)
	for eco := range ecos {
		ei := get(eco)
		ei.origins[origin] = true
		ei.source.Entries++
		if e.Withdrawn != "" {
			ei.source.Withdrawn++
		}
		// A modified time in the future is a typo in the advisory (the
		// shared Maven data has a 9999 one); it must not make the whole
		// ecosystem look fresh.
		if modified.After(ei.source.SourceDate) && modified.Before(time.Now().Add(24*time.Hour)) {
			ei.source.SourceDate = modified.UTC()
		}
	}
	for _, r := range rejects {
		eco := pathEco
		if r.Affected >= 0 {
			eco = version.BaseEcosystem(e.Affected[r.Affected].Package.Ecosystem)
		}
		if !ecos[eco] {
			for e := range ecos {
				eco = e
				break
			}
		}
		get(eco).rejects = append(get(eco).rejects, r)
	}
	if e.Withdrawn != "" {
		return // counted above; a withdrawn entry never matches
	}
	for _, r := range recs {
		eco, key := r.Key()
		ei := get(eco)
		ei.packages[key] = append(ei.packages[key], r)
	}
}

// indexPath is the index file of an ecosystem.
func indexPath(dir, eco string) string {
	return filepath.Join(dir, "osv", fileSafe(eco)+".idx")
}

func rejectsPath(dir, eco string) string {
	return filepath.Join(dir, "osv", fileSafe(eco)+".rejects.json")
}

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, s)
}

func writeEcosystem(dir, eco string, ei *ecosystemImport) error {
	for _, recs := range ei.packages {
		sort.Slice(recs, func(i, j int) bool { return recs[i].ID < recs[j].ID })
	}
	if err := atomicfile.Write(indexPath(dir, eco), 0o644, func(f io.Writer) error {
		return writeIndex(f, ei.packages)
	}); err != nil {
		return err
	}
	rej := ei.rejects
	if rej == nil {
		rej = []osv.Reject{}
	}
	data, err := json.MarshalIndent(rej, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(rejectsPath(dir, eco), 0o644, append(data, '\n')); err != nil {
		return err
	}
	return RecordSource(dir, ei.source)
}

// Rejects returns the rejects recorded by the last import of an ecosystem.
func Rejects(dir, ecosystem string) ([]osv.Reject, error) {
	data, err := os.ReadFile(rejectsPath(dir, ecosystem))
	if err != nil {
		return nil, err
	}
	var out []osv.Reject
	return out, json.Unmarshal(data, &out)
}

// DefaultBaseURL is OSV's public bucket of per-ecosystem exports.
const DefaultBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"

// Download fetches <baseURL>/<Ecosystem>/all.zip for each ecosystem and
// imports it into dir. It is the only network use of the scanner; the zip
// is kept only until it has been imported.
func Download(ctx context.Context, baseURL string, ecosystems []string, dir string) (*ImportReport, error) {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	tmp, err := os.MkdirTemp(dir, ".download-")
	if err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if tmp, err = os.MkdirTemp(dir, ".download-"); err != nil {
			return nil, err
		}
	}
	defer os.RemoveAll(tmp)
	var paths []string
	for _, eco := range ecosystems {
		u := strings.TrimRight(baseURL, "/") + "/" + url.PathEscape(eco) + "/all.zip"
		p := filepath.Join(tmp, fileSafe(eco), "all.zip")
		if err := fetch(ctx, u, p); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	rep, err := Import(dir, paths...)
	if err != nil {
		return nil, err
	}
	for i := range rep.Sources {
		if o := rep.Sources[i].Origin; strings.HasPrefix(o, tmp) {
			rep.Sources[i].Origin = strings.TrimRight(baseURL, "/") + "/" + url.PathEscape(rep.Sources[i].Ecosystem) + "/all.zip"
			if err := RecordSource(dir, rep.Sources[i]); err != nil {
				return nil, err
			}
		}
	}
	return rep, nil
}

func fetch(ctx context.Context, u, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("download %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download %s: %s", u, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("download %s: %w", u, err)
	}
	return f.Close()
}
