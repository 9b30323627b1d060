package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/attack"
	"github.com/bulwarkhq/bulwark/internal/atomicfile"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/rules"
)

// attackPath is where `bulwark attack import` keeps a matrix's bundle.
func attackPath(matrix string) (string, error) {
	d, err := rules.DataDir()
	if err != nil {
		return "", err
	}
	name := "enterprise-attack.json"
	if strings.Contains(strings.ToLower(matrix), "ics") {
		name = "ics-attack.json"
	}
	return filepath.Join(d, "attack", name), nil
}

func newAttackCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "attack",
		Short: "The MITRE ATT&CK knowledge base: import it, look techniques up",
		Example: `  bulwark attack import enterprise-attack.json
  bulwark attack show T1059.001`,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "import FILE",
		Short: "Import an ATT&CK STIX 2.1 bundle (enterprise or ICS, gzip or not)",
		Long: `Import checks a bundle from MITRE (github.com/mitre-attack/attack-stix-data,
enterprise-attack.json or ics-attack.json) and keeps it in the data directory,
where triage and the dashboard find it. Nothing is downloaded.`,
		Example: "  bulwark attack import ~/Downloads/enterprise-attack-18.1.json",
		Args:    cobra.ExactArgs(1),
		RunE:    func(cmd *cobra.Command, args []string) error { return importAttack(e.stdout, args[0]) },
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "show TECHNIQUE",
		Short:   "Show a technique from the imported enterprise bundle",
		Example: "  bulwark attack show T1003.001",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := attackPath("enterprise")
			if err != nil {
				return err
			}
			if _, err := os.Stat(path); err != nil {
				return usagef("no ATT&CK bundle imported: run 'bulwark attack import FILE' first")
			}
			kb, err := attack.LoadFile(path)
			if err != nil {
				return err
			}
			t, ok := kb.Technique(args[0])
			if !ok {
				return fmt.Errorf("no technique %s in %s", args[0], kb.Matrix)
			}
			return writeJSONTo(e.stdout, t)
		},
	})
	return cmd
}

// importAttack checks an ATT&CK bundle and keeps it in the data directory
// ('bulwark attack import' and 'bulwark db import' share it).
func importAttack(w io.Writer, path string) error {
	kb, err := attack.LoadFile(path)
	if err != nil {
		return err
	}
	dst, err := attackPath(kb.Matrix)
	if err != nil {
		return err
	}
	if err := copyPlain(path, dst); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %d tactics, %d techniques, kept in %s\n", kb.Matrix, len(kb.Tactics()), kb.Techniques(), dst)
	return nil
}

// copyPlain copies a bundle to dst, decompressed, through a temporary file
// so that a failed copy never leaves half a bundle.
func copyPlain(src, dst string) error {
	f, err := logs.Open(src) // decompresses gzip
	if err != nil {
		return err
	}
	defer f.Close()
	return atomicfile.Write(dst, 0o600, func(w io.Writer) error {
		_, err := io.Copy(w, f)
		return err
	})
}
