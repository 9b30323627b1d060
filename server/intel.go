package server

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/bulwarkhq/bulwark/intel"
	"github.com/bulwarkhq/bulwark/intel/match"
	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/logs"
)

// IntelConfig names the threat-intel the server matches every event
// against: STIX 2.1 bundles (JSON, or gzip-compressed), as files or globs,
// read at start and on every reload (SIGHUP, POST /api/v1/rules/reload).
type IntelConfig struct {
	Files []string `yaml:"files"`
	// Feeds are TAXII collections pulled on a schedule.
	Feeds []FeedConfig `yaml:"feeds"`
}

// loadIntel reads the configured bundles, compiles their indicators and
// hands them to the pipeline. A bundle that cannot be read is logged and
// skipped: the others still protect.
func (s *Server) loadIntel() (match.Report, error) {
	var paths []string
	for _, pat := range s.cfg.Intel.Files {
		m, err := filepath.Glob(pat)
		if err != nil {
			return match.Report{}, fmt.Errorf("intel.files: %q: %w", pat, err)
		}
		if m == nil {
			s.log.Warn("intel: no file matches", "pattern", pat)
		}
		paths = append(paths, m...)
	}
	var inds []intel.Indicator
	if s.taxiiStore != nil {
		got, errs, err := taxiiIndicators(context.Background(), s.taxiiStore)
		if err != nil {
			return match.Report{}, fmt.Errorf("intel: reading the TAXII collections: %w", err)
		}
		if len(errs) > 0 {
			s.log.Warn("intel: TAXII objects not imported", "count", len(errs), "first", errs[0])
		}
		inds = append(inds, got...)
	}
	if len(paths) == 0 && len(inds) == 0 {
		s.setIntel(nil)
		return match.Report{}, nil
	}
	for _, path := range paths {
		got, errs, err := readIndicators(path)
		if err != nil {
			s.log.Error("intel: bundle skipped", "file", path, "err", err)
			continue
		}
		if len(errs) > 0 {
			s.log.Warn("intel: indicators not imported", "file", path, "count", len(errs), "first", errs[0])
		}
		inds = append(inds, got...)
	}
	d, rep := match.Compile(inds, time.Now())
	for i, err := range rep.Rejected {
		if i == 20 {
			s.log.Warn("intel: more indicators rejected", "count", len(rep.Rejected)-20)
			break
		}
		s.log.Warn("intel: indicator rejected", "err", err)
	}
	s.setIntel(d)
	s.log.Info("intel: indicators loaded", "files", len(paths), "report", rep.String())
	return rep, nil
}

// maxBundleBytes bounds one bundle file (decompressed).
const maxBundleBytes = 1 << 30

func readIndicators(path string) ([]intel.Indicator, []error, error) {
	f, err := logs.Open(path) // decompresses gzip
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	objs, err := stix.ReadBundle(io.LimitReader(f, maxBundleBytes))
	if err != nil {
		return nil, nil, err
	}
	inds, errs := stix.Indicators(objs, stix.ImportOptions{Source: filepath.Base(path)})
	return inds, errs, nil
}
