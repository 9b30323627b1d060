package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/internal/version"
	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/inventory"
	"github.com/bulwarkhq/bulwark/supply/sbom"
)

// sbomWriters are the formats 'bulwark sbom' writes.
var sbomWriters = map[string]func(io.Writer, sbom.Meta, []supply.Package) error{
	"cyclonedx": sbom.WriteCycloneDX,
	"spdx":      sbom.WriteSPDX,
	"spdx-tv":   sbom.WriteSPDXTagValue,
}

func newSBOMCmd(e *env) *cobra.Command {
	var format, output, name string
	cmd := &cobra.Command{
		Use:   "sbom [flags] PATH...",
		Short: "Write a software bill of materials (CycloneDX 1.6 or SPDX 2.3) of the dependencies",
		Long: `Sbom takes the same inventory as 'bulwark scan' (every lockfile, manifest
and SBOM below the paths) and writes it as CycloneDX 1.6 JSON or SPDX 2.3
(JSON or tag-value), with package URLs and the file each package came from.
No database and no network are needed.`,
		Example: `  bulwark sbom . > bom.cdx.json
  bulwark sbom --format spdx -o bom.spdx.json .
  bulwark sbom --format spdx-tv --name payroll ./payroll`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			write, ok := sbomWriters[format]
			if !ok {
				return usagef("unknown format %q (want cyclonedx, spdx or spdx-tv)", format)
			}
			inv, err := inventory.Scan(cmd.Context(), args, inventory.Options{})
			if err != nil {
				return err
			}
			for _, ferr := range inv.Errors {
				fmt.Fprintln(e.stderr, "bulwark: skipped:", ferr)
			}
			if name == "" {
				abs, _ := filepath.Abs(args[0])
				name = filepath.Base(abs)
			}
			out := e.stdout
			if output != "" {
				f, err := os.Create(output)
				if err != nil {
					return err
				}
				defer f.Close()
				out = f
			}
			if err := write(out, sbom.Meta{ToolVersion: version.Get().Version, DocumentName: name}, inv.Packages); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "%d packages from %d files\n", len(inv.Packages), len(inv.Files))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&format, "format", "f", "cyclonedx", "cyclonedx (1.6 JSON), spdx (2.3 JSON) or spdx-tv (2.3 tag-value)")
	f.StringVarP(&output, "output", "o", "", "write to this file instead of standard output")
	f.StringVar(&name, "name", "", "name of the project the SBOM describes (default: the first path's name)")
	return cmd
}
