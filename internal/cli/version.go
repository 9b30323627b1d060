package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/internal/version"
)

func newVersionCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of this build",
		Example: `  bulwark version
  bulwark version --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info := version.Get()
			if asJSON {
				return writeJSONTo(e.stdout, info)
			}
			_, err := fmt.Fprintln(e.stdout, info)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
