// Package db is the scanner's offline vulnerability database: Import reads
// OSV exports (per-ecosystem all.zip files or directories of OSV JSON),
// validates them with supply/osv and writes one compact index per
// ecosystem; Open and Match answer which advisories affect a list of
// packages while reading only those packages' records; Status reports each
// imported source (OSV ecosystems, and the KEV and EPSS feeds that
// supply/enrich records through RecordSource) and its age; Download
// refreshes ecosystems from OSV's bucket, the only network use.
//
// Layout of the data directory:
//
//	osv/<Ecosystem>.idx           the index (see format.go)
//	osv/<Ecosystem>.rejects.json  entries or packages that failed validation
//	sources/<name>.json           one record per imported source
package db

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/osv"
	"github.com/bulwarkhq/bulwark/supply/version"
)

// DB is an opened data directory. It holds no file open between calls;
// each Match opens the index files it needs.
type DB struct {
	dir string
}

// Open opens the data directory dir. A directory without data opens
// fine: Match then reports every ecosystem as having no data.
func Open(dir string) (*DB, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("open vulnerability database: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("open vulnerability database: %s is not a directory", dir)
	}
	return &DB{dir: dir}, nil
}

// Result is the outcome of matching.
type Result struct {
	Findings []supply.Finding
	// NoData lists the ecosystems that had packages but no imported
	// database; their packages were not checked.
	NoData []string
	// Warnings name packages that could not be fully evaluated (a version
	// that does not parse in its ecosystem's order, for instance).
	Warnings []string
}

// NoDataError is what Match returns, beside complete findings for every
// other ecosystem, when some ecosystems have no imported database.
type NoDataError struct{ Ecosystems []string }

func (e *NoDataError) Error() string {
	return "no vulnerability data imported for " + strings.Join(e.Ecosystems, ", ") + "; their packages were not checked"
}

// Match returns the advisories that affect the packages. When some
// ecosystems have no data, the findings for the others are returned with a
// *NoDataError; any other error means the findings are unusable.
func (d *DB) Match(pkgs []supply.Package) ([]supply.Finding, error) {
	res, err := d.MatchResult(pkgs)
	if err != nil {
		return nil, err
	}
	if len(res.NoData) > 0 {
		return res.Findings, &NoDataError{Ecosystems: res.NoData}
	}
	return res.Findings, nil
}

// MatchResult is Match with the warnings kept as data.
func (d *DB) MatchResult(pkgs []supply.Package) (*Result, error) {
	byEco := map[string][]int{}
	var ecos []string
	for i, p := range pkgs {
		eco := version.BaseEcosystem(p.Ecosystem)
		if _, ok := byEco[eco]; !ok {
			ecos = append(ecos, eco)
		}
		byEco[eco] = append(byEco[eco], i)
	}
	sort.Strings(ecos)
	res := &Result{}
	for _, eco := range ecos {
		ix, f, err := openIndex(indexPath(d.dir, eco))
		if errors.Is(err, fs.ErrNotExist) {
			res.NoData = append(res.NoData, eco)
			continue
		}
		if err != nil {
			return nil, err
		}
		err = matchEcosystem(ix, pkgs, byEco[eco], res)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	sort.SliceStable(res.Findings, func(i, j int) bool {
		a, b := res.Findings[i], res.Findings[j]
		if a.Package.Ecosystem != b.Package.Ecosystem {
			return a.Package.Ecosystem < b.Package.Ecosystem
		}
		if a.Package.Name != b.Package.Name {
			return a.Package.Name < b.Package.Name
		}
		if a.Package.Version != b.Package.Version {
			return a.Package.Version < b.Package.Version
		}
		return a.ID < b.ID
	})
	return res, nil
}

// matchEcosystem matches the packages at indexes idx, all of one
// ecosystem, reading each distinct package's records once.
func matchEcosystem(ix *index, pkgs []supply.Package, idx []int, res *Result) error {
	records := map[string][]*osv.Record{}
	for _, i := range idx {
		p := pkgs[i]
		key := osv.CanonicalName(p.Ecosystem, p.Name)
		recs, seen := records[key]
		if !seen {
			var err error
			if recs, err = ix.lookup(key); err != nil {
				return err
			}
			records[key] = recs
		}
		if len(recs) == 0 {
			continue
		}
		q := osv.NewQuery(p.Ecosystem, p.Version)
		var problem error
		for _, r := range recs {
			if r.Withdrawn != "" {
				continue
			}
			ok, err := r.Affects(q)
			if err != nil && problem == nil {
				problem = err
			}
			if ok {
				res.Findings = append(res.Findings, finding(p, r))
			}
		}
		if problem != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s %s@%s: not every advisory could be evaluated: %v", p.Ecosystem, p.Name, p.Version, problem))
		}
	}
	return nil
}

func finding(p supply.Package, r *osv.Record) supply.Finding {
	f := supply.Finding{
		Package:   p,
		ID:        r.ID,
		Aliases:   r.Aliases,
		Related:   r.Related,
		Summary:   r.Summary,
		Malicious: r.Malicious,
		Fixed:     r.Fixed(),
	}
	for _, s := range r.Severity {
		f.Severity = append(f.Severity, supply.Severity{Type: s.Type, Vector: s.Score})
	}
	return f
}

// Records returns the stored records of one package, for callers that
// need more than a Finding carries (related ids, ranges).
func (d *DB) Records(ecosystem, name string) ([]*osv.Record, error) {
	ix, f, err := openIndex(indexPath(d.dir, version.BaseEcosystem(ecosystem)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ix.lookup(osv.CanonicalName(ecosystem, name))
}
