// Package scan is the supply-chain scan pipeline that `bulwark scan` and
// the server's scheduled scans share: take the inventory of the paths,
// match the packages against the offline OSV database, enrich the findings
// with KEV and EPSS and rank them. Keeping it in one place means a project
// scanned by the server and the same project scanned in CI give the same
// findings.
package scan

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/bulwarkhq/bulwark/rules"
	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/db"
	"github.com/bulwarkhq/bulwark/supply/enrich"
	"github.com/bulwarkhq/bulwark/supply/inventory"
)

// Result is what one scan found.
type Result struct {
	// Packages are the inventory's packages, deduplicated and sorted.
	Packages []supply.Package
	// Files are the recognised files the inventory read.
	Files []inventory.FileStatus
	// Findings are ranked, most urgent first.
	Findings []supply.Finding
	// FileErrors are the files that could not be read or parsed; every
	// other file was still scanned (partial failure kept as data).
	FileErrors []error
	// NoData lists ecosystems that had packages but no imported database:
	// their packages were not checked.
	NoData []string
	// Warnings say what lowered the scan's quality without stopping it,
	// such as KEV and EPSS being unreadable (ranking by CVSS only).
	Warnings []string
}

// DatabaseError means the vulnerability database is missing or
// unreadable: the scan could not run at all. Its message says how to fix
// it.
type DatabaseError struct {
	Dir string
	Err error
}

func (e *DatabaseError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("no vulnerability database in %s: run 'bulwark db update' (or 'bulwark db import PATH' offline)", e.Dir)
	}
	return fmt.Sprintf("vulnerability database %s: %v", e.Dir, e.Err)
}

func (e *DatabaseError) Unwrap() error { return e.Err }

// CheckDatabase returns a *DatabaseError unless dbDir holds OSV data. It
// is cheap (it reads the source records only), so callers check before a
// long inventory walk.
func CheckDatabase(dbDir string) error {
	statuses, err := db.Status(dbDir)
	if err != nil {
		return &DatabaseError{Dir: dbDir}
	}
	for _, s := range statuses {
		if s.Kind == "osv" && s.Entries > 0 {
			return nil
		}
	}
	return &DatabaseError{Dir: dbDir}
}

// Run scans paths against the database in dbDir. A missing or unreadable
// database is a *DatabaseError; an error walking the paths (a path that
// does not exist, a cancelled ctx) is returned as is. Files that fail to
// parse are reported in Result.FileErrors, not as an error.
func Run(ctx context.Context, paths []string, dbDir string) (*Result, error) {
	if err := CheckDatabase(dbDir); err != nil {
		return nil, err
	}
	inv, err := inventory.Scan(ctx, paths, inventory.Options{})
	if err != nil {
		return nil, err
	}
	res := &Result{Packages: inv.Packages, Files: inv.Files, FileErrors: inv.Errors}
	d, err := db.Open(dbDir)
	if err != nil {
		return nil, &DatabaseError{Dir: dbDir, Err: err}
	}
	m, err := d.MatchResult(inv.Packages)
	if err != nil {
		return nil, &DatabaseError{Dir: dbDir, Err: err}
	}
	res.NoData = m.NoData
	// KEV and EPSS only rank: without them the findings are still right,
	// just ordered by CVSS, so an unreadable feed is a warning.
	intel, err := enrich.Open(dbDir)
	if err != nil {
		res.Warnings = append(res.Warnings, "KEV and EPSS unreadable, ranking by CVSS only: "+err.Error())
		res.Findings = enrich.Apply(m.Findings, nil, nil)
	} else {
		res.Findings = enrich.Apply(m.Findings, intel, intel)
	}
	return res, nil
}

// DBDir is where the vulnerability database lives: override when set, else
// $BULWARK_DATA_DIR/supply (or the user's data directory). The CLI and the
// server both find it here.
func DBDir(override string) (string, error) {
	if override != "" {
		return override, nil
	}
	d, err := rules.DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "supply"), nil
}
