package server

// Supply chain: the server keeps each project's dependency findings over
// time, from its own scheduled scans (supply.paths) and from reports CI
// jobs upload, and shows what is exposed: KEV-listed findings still open
// and for how long.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/enrich"
	"github.com/bulwarkhq/bulwark/supply/report"
	"github.com/bulwarkhq/bulwark/supply/scan"
	supversion "github.com/bulwarkhq/bulwark/supply/version"
)

// RoleUploader marks routes open to ingest tokens (what a CI job holds)
// as well as to analysts and admins. Viewers may not: an upload replaces
// what the server believes is exposed.
const RoleUploader store.Role = "ingest or analyst"

// routeAllows reports whether a principal with role have may call a route
// that needs role need, pseudo-roles included.
func routeAllows(have, need store.Role) bool {
	switch need {
	case AnyRole:
		return true
	case RoleUploader:
		return auth.Allows(have, store.RoleIngest) || auth.Allows(have, store.RoleAnalyst)
	}
	return auth.Allows(have, need)
}

// requireRoute authenticates the caller and checks a pseudo-role.
func (s *Server) requireRoute(need store.Role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.Authenticate(r)
		if err != nil {
			s.auth.WriteError(w, r, err)
			return
		}
		if !routeAllows(p.Role, need) {
			auth.JSONError(w, r, http.StatusForbidden, "forbidden: this needs the "+string(need)+" role")
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p)))
	})
}

// Limits of a supply upload: the JSON report of a large monorepo is a few
// MiB; 32 MiB leaves room without letting one request exhaust memory.
const (
	supplyReportBody  = 32 << 20
	maxUploadFindings = 200_000
	maxFieldLen       = 4096
)

func (s *Server) supplyRoutes() []Route {
	return []Route{
		{"POST", "/api/v1/supply/scans", RoleUploader, supplyReportBody, "upload a complete scan of a project (the JSON report of bulwark scan --format json) with ?project=NAME: its findings open, stay open or, when absent, are fixed", s.api(s.uploadSupplyScan)},
		{"GET", "/api/v1/supply/findings", store.RoleViewer, 0, "supply-chain findings, open and most urgent first: project, open=1, kev=1, limit", s.api(s.listSupplyFindings)},
		{"GET", "/api/v1/supply/exposure", store.RoleViewer, 0, "exposure: KEV-listed open findings and how long each has been open, open findings by priority, per project", s.api(s.supplyExposure)},
	}
}

// validProject keeps project names printable and short: they appear in
// URLs, logs and pages.
//
// A loop, not the regular expression it replaces: {0,127} over Unicode
// classes compiled to 5 MB at start-up in every bulwark command.
func validProject(name string) bool {
	n := 0
	for i, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !strings.ContainsRune("._@:+/-", r) && (i == 0 || r != ' ') {
			return false
		}
		n++
	}
	return n >= 1 && n <= 128
}

func (s *Server) uploadSupplyScan(w http.ResponseWriter, r *http.Request) error {
	project := r.URL.Query().Get("project")
	if !validProject(project) {
		return badRequest("project: %q: give ?project=NAME, up to 128 letters, digits, spaces and . _ - / @ : +", project)
	}
	findings, err := decodeSupplyReport(r)
	if err != nil {
		return err
	}
	sum, err := s.st.RecordScan(r.Context(), project, s.now(), findings)
	if err != nil {
		return err
	}
	// The scan is committed: only now is it acknowledged.
	s.audit(r, "supply.upload", project, fmt.Sprintf("%d findings, %d opened, %d fixed", sum.Findings, sum.Opened, sum.Fixed))
	writeJSON(w, http.StatusCreated, sum)
	return nil
}

// decodeSupplyReport reads a bulwark.supply.report/v1 document and
// validates every finding, naming the field that is wrong.
func decodeSupplyReport(r *http.Request) ([]supply.Finding, error) {
	var doc struct {
		Schema   *string           `json:"schema"`
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.NewDecoder(r.Body).Decode(&doc); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &HTTPError{Status: http.StatusRequestEntityTooLarge, Msg: "request body too large"}
		}
		return nil, badRequest("body: %v", err)
	}
	switch {
	case doc.Schema == nil:
		return nil, badRequest("schema: missing; want %q (bulwark scan --format json)", report.JSONSchema)
	case *doc.Schema != report.JSONSchema:
		return nil, badRequest("schema: %q, want %q", *doc.Schema, report.JSONSchema)
	case doc.Findings == nil:
		return nil, badRequest("findings: missing (an empty list means nothing was found)")
	case len(doc.Findings) > maxUploadFindings:
		return nil, badRequest("findings: %d, over the limit of %d", len(doc.Findings), maxUploadFindings)
	}
	out := make([]supply.Finding, 0, len(doc.Findings))
	for i, raw := range doc.Findings {
		var f supply.Finding
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, badRequest("findings[%d]: %v", i, err)
		}
		if field, msg := checkFinding(&f); field != "" {
			return nil, badRequest("findings[%d].%s: %s", i, field, msg)
		}
		out = append(out, f)
	}
	return out, nil
}

// checkFinding validates an uploaded finding and fills its priority when
// the report left it out. It returns the bad field and why.
func checkFinding(f *supply.Finding) (field, msg string) {
	for _, c := range []struct{ field, v string }{
		{"package.ecosystem", f.Package.Ecosystem}, {"package.name", f.Package.Name},
		{"package.version", f.Package.Version}, {"id", f.ID},
	} {
		if strings.TrimSpace(c.v) == "" {
			return c.field, "empty"
		}
		if len(c.v) > maxFieldLen || strings.ContainsFunc(c.v, isControl) {
			return c.field, "too long or holds control characters"
		}
	}
	if len(f.Summary) > 64<<10 {
		return "summary", "over 64 KiB"
	}
	if f.CVSS < 0 || f.CVSS > 10 || math.IsNaN(f.CVSS) {
		return "cvss", "not a score from 0 to 10"
	}
	if f.EPSS != nil && (f.EPSS.Score < 0 || f.EPSS.Score > 1) {
		return "epss.score", "not a probability"
	}
	if f.KEV != nil && f.KEV.CVE == "" {
		return "kev.cve", "empty"
	}
	if f.Rank < 0 {
		return "rank", "negative"
	}
	switch f.Priority {
	case "":
		f.Priority = enrich.PriorityOf(*f)
	case enrich.Critical, enrich.High, enrich.Medium, enrich.Low:
	default:
		return "priority", fmt.Sprintf("%q: want critical, high, medium or low", f.Priority)
	}
	return "", ""
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func (s *Server) listSupplyFindings(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"), 500, 10_000)
	if err != nil {
		return err
	}
	f := store.SupplyFilter{Project: q.Get("project"), Open: q.Get("open") == "1", KEV: q.Get("kev") == "1", Limit: limit}
	found, err := s.st.ListSupplyFindings(r.Context(), f)
	if err != nil {
		return err
	}
	writeList(w, "findings", found)
	return nil
}

// ExposedFinding is an open finding as the exposure view shows it.
type ExposedFinding struct {
	ID         int64            `json:"id"`
	Project    string           `json:"project"`
	Ecosystem  string           `json:"ecosystem"`
	Package    string           `json:"package"`
	Version    string           `json:"version"`
	Advisory   string           `json:"advisory"`
	CVEs       []string         `json:"cves,omitempty"`
	Summary    string           `json:"summary,omitempty"`
	Priority   string           `json:"priority"`
	KEV        *supply.KEVEntry `json:"kev,omitempty"`
	FixVersion string           `json:"fix_version,omitempty"`
	FirstSeen  time.Time        `json:"first_seen"`
	LastSeen   time.Time        `json:"last_seen"`
	OpenDays   int              `json:"open_days"`
}

// Exposure is what the dashboard's panel and the exposure API show.
type Exposure struct {
	Now        time.Time             `json:"now"`
	Open       int                   `json:"open"`
	OpenKEV    int                   `json:"open_kev"`
	ByPriority map[string]int        `json:"by_priority"`
	KEV        []ExposedFinding      `json:"kev"`
	Projects   []store.SupplyProject `json:"projects"`
}

// exposure gathers the KEV-listed open findings (at most limit) and the
// open counts.
func (s *Server) exposure(ctx context.Context, limit int) (Exposure, error) {
	now := s.now().UTC()
	x := Exposure{Now: now, ByPriority: map[string]int{enrich.Critical: 0, enrich.High: 0, enrich.Medium: 0, enrich.Low: 0}}
	projects, err := s.st.ListSupplyProjects(ctx)
	if err != nil {
		return x, err
	}
	x.Projects = projects
	for _, p := range projects {
		x.Open += p.Open
		x.OpenKEV += p.OpenKEV
		for k, n := range p.ByPriority {
			x.ByPriority[k] += n
		}
	}
	kev, err := s.st.ListSupplyFindings(ctx, store.SupplyFilter{Open: true, KEV: true, Limit: limit})
	if err != nil {
		return x, err
	}
	for _, f := range kev {
		x.KEV = append(x.KEV, exposed(f, now))
	}
	if x.KEV == nil {
		x.KEV = []ExposedFinding{}
	}
	if x.Projects == nil {
		x.Projects = []store.SupplyProject{}
	}
	return x, nil
}

// exposed flattens a stored finding for display; OpenDays counts whole
// days since it was first seen.
func exposed(f store.SupplyFinding, now time.Time) ExposedFinding {
	sf := f.Finding
	e := ExposedFinding{ID: f.ID, Project: f.Project, Ecosystem: sf.Package.Ecosystem, Package: sf.Package.Name,
		Version: sf.Package.Version, Advisory: sf.ID, Summary: sf.Summary, Priority: sf.Priority, KEV: sf.KEV,
		FixVersion: fixVersion(sf), FirstSeen: f.FirstSeen, LastSeen: f.LastSeen}
	for _, a := range sf.Aliases {
		if strings.HasPrefix(a, "CVE-") {
			e.CVEs = append(e.CVEs, a)
		}
	}
	if sf.KEV != nil && len(e.CVEs) == 0 {
		e.CVEs = []string{sf.KEV.CVE}
	}
	if d := now.Sub(f.FirstSeen); d > 0 {
		e.OpenDays = int(d / (24 * time.Hour))
	}
	return e
}

// fixVersion is the lowest fixing version above the one in use, in the
// ecosystem's order: an advisory fixed on several branches lists versions
// below the one installed too.
func fixVersion(f supply.Finding) string {
	for _, v := range f.Fixed {
		if c, err := supversion.Compare(f.Package.Ecosystem, v, f.Package.Version); err == nil && c > 0 {
			return v
		}
	}
	return ""
}

func (s *Server) supplyExposure(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r.URL.Query().Get("limit"), 500, 10_000)
	if err != nil {
		return err
	}
	x, err := s.exposure(r.Context(), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

// supplyDBDir is where scheduled scans read the vulnerability database.
func (s *Server) supplyDBDir() (string, error) { return scan.DBDir(s.cfg.Supply.DBDir) }

// supplyLoop scans the configured paths at start and every interval.
func (s *Server) supplyLoop(ctx context.Context) {
	t := time.NewTicker(time.Duration(s.cfg.Supply.Interval))
	defer t.Stop()
	for {
		s.scanSupply(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// scanSupply scans every configured project once and records each
// complete scan. A scan with files that failed to parse is not recorded:
// it would mark those files' findings fixed.
func (s *Server) scanSupply(ctx context.Context) {
	dir, err := s.supplyDBDir()
	if err != nil {
		s.log.Error("supply scan: no database directory", "err", err)
		return
	}
	for _, p := range s.cfg.Supply.Paths {
		name := p.project()
		res, err := scan.Run(ctx, []string{p.Path}, dir)
		var dbErr *scan.DatabaseError
		if errors.As(err, &dbErr) {
			// Every project would fail the same way: say it once.
			s.log.Warn("supply scan skipped: "+err.Error(), "db", dir)
			return
		}
		if err != nil {
			s.log.Error("supply scan failed", "project", name, "path", p.Path, "err", err)
			continue
		}
		for _, eco := range res.NoData {
			s.log.Warn("supply scan: no vulnerability data for an ecosystem; its packages were not checked (bulwark db update)", "project", name, "ecosystem", eco)
		}
		for _, w := range res.Warnings {
			s.log.Warn("supply scan: "+w, "project", name)
		}
		if len(res.FileErrors) > 0 {
			s.log.Error("supply scan not recorded: files failed to parse", "project", name, "err", errors.Join(res.FileErrors...))
			continue
		}
		sum, err := s.st.RecordScan(ctx, name, s.now(), res.Findings)
		if err != nil {
			s.log.Error("supply scan not recorded", "project", name, "err", err)
			continue
		}
		s.log.Info("supply scan", "project", name, "packages", len(res.Packages), "findings", sum.Findings, "opened", sum.Opened, "fixed", sum.Fixed)
	}
}
