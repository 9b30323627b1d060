package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/report"
	"github.com/bulwarkhq/bulwark/server"
)

func newReportCmd(e *env) *cobra.Command {
	var dir, org, out, since string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write a one-page HTML summary of a period for management",
		Long: `Report reads the server's data directory and writes a one-page HTML summary:
events watched, alerts by severity, the rules and hosts that fired most, the
ATT&CK techniques seen, cases and how they ended, and the mean times to
detect, acknowledge and resolve, week by week. The page has no external
resources: it opens offline and prints well.`,
		Example: `  bulwark report --since 30d -o report.html
  bulwark report --data /var/lib/bulwark --org "Riverside Water" --since 90d -o q3.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := server.ParseDuration(since)
			if err != nil || d <= 0 {
				return usagef("--since %q: use a duration such as 30d", since)
			}
			st, err := openData(cmd.Context(), dir)
			if err != nil {
				return err
			}
			defer st.Close()
			to := time.Now().UTC()
			data, err := report.Build(cmd.Context(), st, org, to.Add(-d), to)
			if err != nil {
				return err
			}
			var w io.Writer = e.stdout
			if out != "" && out != "-" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			if err := data.Write(w); err != nil {
				return err
			}
			if out != "" && out != "-" {
				fmt.Fprintf(e.stderr, "Wrote %s: %d alerts, %d cases from %s.\n", out, data.Alerts, data.Cases, data.From.Format("2 Jan 2006"))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "data", "", "data directory (default ./bulwark-data)")
	cmd.Flags().StringVar(&org, "org", "", "organisation name for the title")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file (default standard output)")
	cmd.Flags().StringVar(&since, "since", "30d", "the period: this long before now")
	_ = cmd.MarkFlagDirname("data")
	return cmd
}
