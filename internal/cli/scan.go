package cli

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/internal/version"
	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/db"
	"github.com/bulwarkhq/bulwark/supply/enrich"
	"github.com/bulwarkhq/bulwark/supply/report"
	"github.com/bulwarkhq/bulwark/supply/scan"
	supversion "github.com/bulwarkhq/bulwark/supply/version"
)

// supplyDir is where the vulnerability database lives (see scan.DBDir).
func supplyDir(flag string) (string, error) { return scan.DBDir(flag) }

type scanOptions struct {
	format, output, failOn, dbDir string
	// upload sends the findings to a server's supply store.
	upload, token, project string
	insecure               bool
}

func newScanCmd(e *env) *cobra.Command {
	o := &scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan [flags] PATH...",
		Short: "Find vulnerable and malicious dependencies, ranked by real exploitation",
		Long: `Scan takes the inventory of every lockfile, manifest and SBOM under the paths
(directories are walked; node_modules, .git and vendor are skipped), matches
the packages against the offline OSV database with OSV's exact semantics,
and ranks the findings: malicious packages first ("remove now"), then those
in CISA's Known Exploited Vulnerabilities catalogue, then by EPSS, then by
CVSS base score. Each package is shown with the version that fixes all of
its advisories.

The database comes from 'bulwark db update' (or 'bulwark db import' on an
air-gapped site). A malformed file is reported with its position and the
other files are still scanned.

Formats: table (default), json, sarif (2.1.0, for code-scanning upload),
cyclonedx (1.6 VEX) and markdown.

Exit status: 0 clean (or nothing at or above --fail-on), 1 findings at or
above --fail-on, 2 bad usage, 3 database missing or unreadable.`,
		Example: `  bulwark db update                     # once, and then daily
  bulwark scan .
  bulwark scan --fail-on kev --format sarif -o bulwark.sarif .
  bulwark scan --format markdown package-lock.json > comment.md

  # In CI: send the results to the server's Exposure panel
  BULWARK_TOKEN=... bulwark scan --upload https://bulwark.example.org --project shop .`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runScan(cmd, e, o, args) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.format, "format", "f", "table", "output format: "+strings.Join(report.Formats(), ", "))
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of standard output")
	f.StringVar(&o.failOn, "fail-on", "", "exit 1 when a finding is at or above: critical, high, medium, low, kev or malicious")
	f.StringVar(&o.dbDir, "db", "", "database directory (default $BULWARK_DATA_DIR/supply)")
	f.StringVar(&o.upload, "upload", "", "also send the findings to this Bulwark server (https://bulwark.example.org)")
	f.StringVar(&o.token, "token", "", "API token for --upload, role ingest or analyst (default $"+envToken+")")
	f.StringVar(&o.project, "project", "", "project name for --upload (default the base name of the first path)")
	f.BoolVar(&o.insecure, "insecure", false, "allow --upload over plain HTTP beyond loopback")
	return cmd
}

func runScan(cmd *cobra.Command, e *env, o *scanOptions, paths []string) error {
	if o.failOn != "" {
		if err := report.CheckFailOn(o.failOn); err != nil {
			return usagef("%v", err)
		}
	}
	if !validFormat(o.format) {
		return usagef("unknown format %q (want %s)", o.format, strings.Join(report.Formats(), ", "))
	}
	var up *uploadTarget
	if o.upload != "" {
		var err error
		if up, err = newUploadTarget(o, paths); err != nil {
			return err
		}
	}
	dir, err := supplyDir(o.dbDir)
	if err != nil {
		return codeError{report.ExitDatabaseError, err}
	}
	res, err := scan.Run(cmd.Context(), paths, dir)
	var dbErr *scan.DatabaseError
	if errors.As(err, &dbErr) {
		return codeError{report.ExitDatabaseError, err}
	}
	if err != nil {
		return err
	}
	for _, ferr := range res.FileErrors {
		fmt.Fprintln(e.stderr, "bulwark: skipped:", ferr)
	}
	if len(res.Files) == 0 && len(res.FileErrors) == 0 {
		fmt.Fprintln(e.stderr, "bulwark: no lockfile, manifest or SBOM found under", strings.Join(paths, ", "))
	}
	for _, eco := range res.NoData {
		fmt.Fprintf(e.stderr, "bulwark: warning: no vulnerability data for %s: its packages were not checked (bulwark db update)\n", eco)
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(e.stderr, "bulwark: warning:", w)
	}
	ranked := res.Findings

	out := e.stdout
	if o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	root, _ := os.Getwd()
	opts := report.Options{ToolVersion: version.Get().Version, Root: root, Compare: ecosystemCompare}
	if err := report.Write(out, o.format, ranked, opts); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d packages in %d files; %s\n", len(res.Packages), len(res.Files), report.Summarize(ranked, opts))
	// Upload before --fail-on decides the exit status: a gate that fails
	// is exactly when the server should know.
	if up != nil {
		if len(res.FileErrors) > 0 {
			return fmt.Errorf("not uploaded: %d files could not be read, and a partial scan would mark their findings fixed", len(res.FileErrors))
		}
		sum, err := up.send(cmd.Context(), ranked, opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "uploaded to %s as project %q: %d findings, %d new, %d fixed\n", up.base, up.project, sum.Findings, sum.Opened, sum.Fixed)
	}
	if o.failOn != "" && report.FailOn(ranked, o.failOn) {
		return codeError{report.ExitThresholdMet, fmt.Errorf("findings at or above %s", o.failOn)}
	}
	return nil
}

// ecosystemCompare orders versions in their ecosystem's own order, falling
// back to the report's generic order for versions that do not parse.
func ecosystemCompare(eco, a, b string) int {
	if c, err := supversion.Compare(eco, a, b); err == nil {
		return c
	}
	return report.CompareVersions(a, b)
}

func validFormat(f string) bool {
	for _, ok := range append(report.Formats(), "vex", "md") {
		if f == ok {
			return true
		}
	}
	return false
}

// Where 'bulwark db update' downloads from; flags override them.
const (
	kevURL  = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	epssURL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
)

func newDBCmd(e *env) *cobra.Command {
	var dbDir string
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the offline vulnerability database (OSV, CISA KEV, EPSS)",
		Long: `The supply-chain scanner works offline from a database under
$BULWARK_DATA_DIR/supply (or --db): OSV's per-ecosystem exports, CISA's
Known Exploited Vulnerabilities catalogue and FIRST's EPSS scores. 'update'
is the only command that uses the network; 'import' takes the same files on
an air-gapped site; 'status' shows each source's age and size.`,
		Example: `  bulwark db update
  bulwark db import ./osv-exports ./known_exploited_vulnerabilities.json ./epss_scores-2026-11-26.csv.gz
  bulwark db status`,
	}
	cmd.PersistentFlags().StringVar(&dbDir, "db", "", "database directory (default $BULWARK_DATA_DIR/supply)")
	cmd.AddCommand(newDBImportCmd(e, &dbDir), newDBUpdateCmd(e, &dbDir), newDBStatusCmd(e, &dbDir))
	return cmd
}

func newDBImportCmd(e *env, dbDir *string) *cobra.Command {
	return &cobra.Command{
		Use:   "import PATH...",
		Short: "Import OSV exports, the KEV catalogue, EPSS scores or an ATT&CK bundle from files",
		Long: `Import recognises what each path holds: an OSV per-ecosystem all.zip, a
directory of them (<Ecosystem>/all.zip) or of OSV JSON files; the KEV
catalogue (known_exploited_vulnerabilities.json); EPSS scores
(epss_scores-*.csv or .csv.gz); an ATT&CK STIX bundle (enterprise-attack*.json
or ics-attack*.json, gzip or not), which becomes the knowledge base of
techniques, tactics and mitigations the UI, triage and the copilot use. A directory holding osv/ and kev/ folders,
as the shared test data does, imports both. Every entry is validated:
rejects are counted and listed ('bulwark db status'), never dropped
silently.`,
		Example: `  bulwark db import ../shared/data/supply
  bulwark db import npm-all.zip PyPI-all.zip known_exploited_vulnerabilities.json
  bulwark db import enterprise-attack-18.1.stix21.json.gz`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := supplyDir(*dbDir)
			if err != nil {
				return err
			}
			var osvPaths []string
			for _, p := range args {
				kind, paths := classify(p)
				switch kind {
				case "kev", "epss":
					if err := importFeed(e, dir, kind, p); err != nil {
						return err
					}
				case "attack":
					if err := importAttack(e.stderr, p); err != nil {
						return err
					}
				case "bundle":
					osvPaths = append(osvPaths, paths["osv"]...)
					for _, k := range paths["kev"] {
						if err := importFeed(e, dir, "kev", k); err != nil {
							return err
						}
					}
					for _, k := range paths["epss"] {
						if err := importFeed(e, dir, "epss", k); err != nil {
							return err
						}
					}
				default:
					osvPaths = append(osvPaths, p)
				}
			}
			if len(osvPaths) > 0 {
				rep, err := db.Import(dir, osvPaths...)
				if err != nil {
					return err
				}
				printImport(e, rep)
			}
			return nil
		},
	}
}

// classify says what a path holds, by name: a KEV catalogue, EPSS scores,
// a folder holding osv/ and kev/ (a "bundle"), or OSV data.
func classify(p string) (string, map[string][]string) {
	base := strings.ToLower(filepath.Base(p))
	switch {
	case strings.Contains(base, "known_exploited") && strings.HasSuffix(base, ".json"):
		return "kev", nil
	case strings.HasPrefix(base, "epss") && (strings.HasSuffix(base, ".csv") || strings.HasSuffix(base, ".csv.gz")):
		return "epss", nil
	case strings.Contains(base, "attack") && (strings.HasSuffix(base, ".json") || strings.HasSuffix(base, ".json.gz")):
		return "attack", nil
	}
	if st, err := os.Stat(filepath.Join(p, "osv")); err == nil && st.IsDir() {
		paths := map[string][]string{"osv": {filepath.Join(p, "osv")}}
		kevs, _ := filepath.Glob(filepath.Join(p, "kev", "known_exploited_vulnerabilities.json"))
		epss, _ := filepath.Glob(filepath.Join(p, "epss", "epss_scores-*.csv*"))
		paths["kev"], paths["epss"] = kevs, epss
		return "bundle", paths
	}
	return "osv", nil
}

func importFeed(e *env, dir, kind, path string) error {
	src, err := enrich.ImportFile(dir, kind, path, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var date time.Time
	if t, err := time.Parse("2006-01-02", src.SourceDate); err == nil {
		date = t
	} else if t, err := time.Parse(time.RFC3339, src.SourceDate); err == nil {
		date = t
	}
	if err := db.RecordSource(dir, db.Source{Name: kind, Kind: kind, Origin: path, ImportedAt: src.ImportedAt,
		SourceDate: date, Entries: src.Entries, Rejects: src.Rejects}); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%s: %d entries imported, %d rejected (source date %s)\n", kind, src.Entries, src.Rejects, src.SourceDate)
	for i, r := range src.RejectList {
		if i == 10 {
			fmt.Fprintf(e.stderr, "  ... and %d more (bulwark db status --json)\n", len(src.RejectList)-10)
			break
		}
		fmt.Fprintln(e.stderr, "  rejected:", r)
	}
	return nil
}

func printImport(e *env, rep *db.ImportReport) {
	for _, s := range rep.Sources {
		fmt.Fprintf(e.stderr, "%s: %d entries (%d withdrawn) for %d packages, %d rejected\n", s.Name, s.Entries, s.Withdrawn, s.Packages, s.Rejects)
	}
	for i, r := range rep.Rejects {
		if i == 10 {
			fmt.Fprintf(e.stderr, "  ... and %d more (bulwark db status --json)\n", len(rep.Rejects)-10)
			break
		}
		fmt.Fprintln(e.stderr, "  rejected:", r)
	}
	fmt.Fprintf(e.stderr, "imported in %s\n", rep.Elapsed.Round(time.Millisecond))
}

func newDBUpdateCmd(e *env, dbDir *string) *cobra.Command {
	var ecosystems []string
	var osvBase, kev, epss string
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download OSV exports, the KEV catalogue and EPSS scores (the only network use)",
		Example: `  bulwark db update
  bulwark db update --ecosystem npm --ecosystem PyPI`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := supplyDir(*dbDir)
			if err != nil {
				return err
			}
			var errs []error
			rep, err := db.Download(cmd.Context(), osvBase, ecosystems, dir)
			if err != nil {
				errs = append(errs, fmt.Errorf("osv: %w", err))
			}
			if rep != nil {
				printImport(e, rep)
			}
			for _, feed := range []struct{ kind, url string }{{"kev", kev}, {"epss", epss}} {
				if feed.url == "" {
					continue
				}
				if err := downloadFeed(cmd, e, dir, feed.kind, feed.url); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", feed.kind, err))
				}
			}
			return errors.Join(errs...)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&ecosystems, "ecosystem", []string{supply.Npm, supply.PyPI, supply.Go, supply.CratesIO, supply.Maven, supply.NuGet, supply.Packagist, supply.RubyGems, supply.Pub, supply.Hex},
		"OSV ecosystems to download")
	f.StringVar(&osvBase, "osv-url", db.DefaultBaseURL, "base URL of OSV's per-ecosystem exports")
	f.StringVar(&kev, "kev-url", kevURL, "URL of the KEV catalogue (empty: skip)")
	f.StringVar(&epss, "epss-url", epssURL, "URL of the current EPSS scores (empty: skip)")
	return cmd
}

func newDBStatusCmd(e *env, dbDir *string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each source's age, entries and rejects",
		Example: `  bulwark db status
  bulwark db status --json | jq '.[] | select(.rejects > 0)'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := supplyDir(*dbDir)
			if err != nil {
				return err
			}
			st, err := db.Status(dir)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONTo(e.stdout, st)
			}
			if len(st) == 0 {
				fmt.Fprintf(e.stdout, "no sources in %s: run 'bulwark db update' or 'bulwark db import PATH'\n", dir)
				return nil
			}
			fmt.Fprintf(e.stdout, "%-16s %10s %8s %8s  %-20s %s\n", "SOURCE", "ENTRIES", "REJECTS", "AGE", "SOURCE DATE", "IMPORTED")
			for _, s := range st {
				date := "-"
				if !s.SourceDate.IsZero() {
					date = s.SourceDate.UTC().Format("2006-01-02 15:04")
				}
				fmt.Fprintf(e.stdout, "%-16s %10d %8d %8s  %-20s %s\n", s.Name, s.Entries, s.Rejects, humanAge(s.Age), date, s.ImportedAt.UTC().Format("2006-01-02 15:04"))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the sources as JSON")
	return cmd
}

func humanAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
}

// downloadFeed fetches a KEV or EPSS file to a temporary file beside the
// database and imports it; the download is bounded (256 MiB) and removed
// afterwards.
func downloadFeed(cmd *cobra.Command, e *env, dir, kind, url string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name := "known_exploited_vulnerabilities.json"
	if kind == "epss" {
		name = "epss_scores-current.csv.gz"
	}
	tmp, err := os.MkdirTemp(dir, "download-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, name)
	req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	const maxFeed = 256 << 20
	n, err := io.Copy(f, io.LimitReader(resp.Body, maxFeed+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n > maxFeed {
		return fmt.Errorf("GET %s: larger than %d MiB", url, maxFeed>>20)
	}
	return importFeed(e, dir, kind, path)
}
