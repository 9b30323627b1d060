package cli

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/rules"
	"github.com/bulwarkhq/bulwark/sigma"
)

func newRulesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Download, check and list Sigma rules",
		Example: `  bulwark rules update
  bulwark rules lint -r ./my-rules
  bulwark rules list --min-level high`,
	}
	cmd.AddCommand(newRulesUpdateCmd(e), newRulesLintCmd(e), newRulesListCmd(e))
	return cmd
}

func newRulesUpdateCmd(e *env) *cobra.Command {
	var url, dest string
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the SigmaHQ rule release into the data directory",
		Long: `Update downloads SigmaHQ's release archive of every rule and installs it
where detect finds it by default ($BULWARK_DATA_DIR, else
$XDG_DATA_HOME/bulwark, else ~/.local/share/bulwark, under rules/sigmahq).
The previous rules stay in place until the new ones have been read and
compiled. This is the only command of detect's family that uses the network;
on an air-gapped machine, copy the archive over and pass its path as --url.`,
		Example: `  bulwark rules update
  bulwark rules update --url ./sigma_all_rules.zip
  bulwark rules update --url https://github.com/SigmaHQ/sigma/releases/download/r2026-08-05/sigma_core.zip`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dest == "" {
				d, err := rules.SigmaHQDir()
				if err != nil {
					return err
				}
				dest = d
			}
			fmt.Fprintf(e.stderr, "Downloading %s\n", url)
			tty := isTerminal(e.stderr)
			res, err := rules.Update(cmd.Context(), nil, url, dest, func(done, total int64) {
				if !tty {
					return
				}
				if total > 0 {
					fmt.Fprintf(e.stderr, "\r\x1b[2K%s of %s", humanBytes(done), humanBytes(total))
				} else {
					fmt.Fprintf(e.stderr, "\r\x1b[2K%s", humanBytes(done))
				}
			})
			if tty {
				fmt.Fprint(e.stderr, "\r\x1b[2K")
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Installed %d rule files (%s) in %s: %d load, %d do not ('bulwark rules lint -r %s' says why)\n",
				res.Files, humanBytes(res.Bytes), res.Dir, res.Loaded, res.Failed, res.Dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", rules.DefaultURL, "archive to download (https URL or local zip file)")
	cmd.Flags().StringVar(&dest, "dir", "", "install here instead of the data directory")
	return cmd
}

func newRulesLintCmd(e *env) *cobra.Command {
	var rf ruleFlags
	var asJSON, notes bool
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Report rules that cannot load, and why",
		Long: `Lint loads rules exactly as detect does and lists every document that
cannot be used, with the file, line and reason, and (with --notes) the
warnings of those that load: undefined placeholders, log sources the mapping
does not cover, duplicate ids. It exits with status 1 when a rule fails.`,
		Example: `  bulwark rules lint
  bulwark rules lint -r ~/src/sigma/rules --notes
  bulwark rules lint -r ./my-rules --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, _, err := rf.load()
			if err != nil {
				return err
			}
			failed := rs.Failed()
			if asJSON {
				type item struct {
					sigma.Status
					Error string `json:"error,omitempty"`
				}
				var items []item
				for _, s := range rs.Status {
					if s.Err != nil || (notes && len(s.Notes) > 0) {
						items = append(items, item{s, s.Error()})
					}
				}
				if err := writeJSONTo(e.stdout, map[string]any{"documents": len(rs.Status), "loaded": rs.Loaded(), "failed": len(failed), "problems": items}); err != nil {
					return err
				}
			} else {
				for _, s := range failed {
					fmt.Fprintf(e.stdout, "FAIL %s\n", s.Error())
				}
				if notes {
					for _, s := range rs.Status {
						for _, n := range s.Notes {
							fmt.Fprintf(e.stdout, "NOTE %s: %s\n", s.Path, n)
						}
					}
				}
				pct := 100 * float64(rs.Loaded()) / float64(max(1, len(rs.Status)))
				fmt.Fprintf(e.stdout, "%d documents: %d load (%.2f%%), %d fail\n", len(rs.Status), rs.Loaded(), pct, len(failed))
			}
			if len(failed) > 0 {
				return fmt.Errorf("%d rules cannot load", len(failed))
			}
			return nil
		},
	}
	rf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&notes, "notes", false, "also print warnings about rules that load")
	return cmd
}

func newRulesListCmd(e *env) *cobra.Command {
	var rf ruleFlags
	var minLevel string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the rules detect would run",
		Example: `  bulwark rules list
  bulwark rules list --min-level high -r ~/src/sigma/rules`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			lv, err := sigma.ParseLevel(minLevel)
			if err != nil {
				return usagef("--min-level: %v", err)
			}
			rs, _, err := rf.load()
			if err != nil {
				return err
			}
			type row struct {
				level      sigma.Level
				id, title  string
				attack, ls string
			}
			var rows []row
			for _, r := range rs.Rules {
				if r.Level >= lv {
					rows = append(rows, row{r.Level, r.ID, r.Title, strings.Join(r.Techniques(), " "), r.Logsource.String()})
				}
			}
			for _, c := range rs.Correlations {
				if c.Level >= lv {
					rows = append(rows, row{c.Level, c.ID, c.Title + " (" + c.Type + ")", strings.Join(c.Techniques(), " "), "correlation"})
				}
			}
			sort.SliceStable(rows, func(i, j int) bool { return rows[i].level > rows[j].level })
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "LEVEL\tID\tTITLE\tATT&CK\tLOG SOURCE")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.level, r.id, r.title, r.attack, r.ls)
			}
			return tw.Flush()
		},
	}
	rf.register(cmd)
	cmd.Flags().StringVar(&minLevel, "min-level", "informational", "list rules of this level and above")
	return cmd
}
