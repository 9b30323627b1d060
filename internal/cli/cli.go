// Package cli implements the bulwark command line: one file per subcommand,
// each turning flags into an options struct, calling the library and handing
// the result to an output handler. Errors become exit codes in one place, Run.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1 // the command failed
	exitUsage    = 2 // bad flags or arguments
	exitFindings = 3 // reserved for --fail-on style checks: the command ran and found something
)

// usageError marks errors in how the command was called.
type usageError struct{ error }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// codeError ends the process with a specific exit status, for commands
// whose status codes are part of their interface (scan: 1 for findings,
// 3 for a missing database).
type codeError struct {
	code int
	err  error
}

func (e codeError) Error() string { return e.err.Error() }
func (e codeError) Unwrap() error { return e.err }

// findingsError reports that a check ran and its threshold was met.
type findingsError struct{ msg string }

func (e findingsError) Error() string { return e.msg }

// env is what every command may touch: the process's streams. Commands write
// results to stdout and everything else to stderr.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// Run executes the bulwark command line and returns the process exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "bulwark:", err)
	var ue usageError
	var fe findingsError
	var ce codeError
	switch {
	case errors.As(err, &ce):
		return ce.code
	case errors.As(err, &fe):
		return exitFindings
	case errors.As(err, &ue), isCobraUsageError(err):
		return exitUsage
	}
	return exitError
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "bulwark",
		Short: "Open-source, AI-assisted cyber defense in one binary",
		Long: `Bulwark detects attacks in logs with Sigma rules, and (as it grows) triages
alerts into cases, guards LLM apps, scans the software supply chain, shares
threat intelligence and watches OT networks: one static binary, offline.`,
		Example: `  # Run every built-in Sigma rule over a folder of Windows event logs
  bulwark detect ./logs

  # Use the SigmaHQ rules instead (downloaded once with 'bulwark rules update')
  bulwark detect --rules ~/.local/share/bulwark/rules/sigma ./logs`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})
	root.AddCommand(
		newDetectCmd(e),
		newServeCmd(e),
		newDemoCmd(e),
		newTokenCmd(e),
		newAttackCmd(e),
		newReportCmd(e),
		newUserCmd(e),
		newRulesCmd(e),
		newVersionCmd(e),
		newTriageCmd(e),
		newGuardCmd(e),
		newAskCmd(e),
		newScanCmd(e),
		newDBCmd(e),
		newSBOMCmd(e),
		newIntelCmd(e),
		newOTCmd(e),
	)
	return root
}

// isCobraUsageError recognises the argument errors cobra raises itself
// (unknown command, wrong number of arguments).
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "unknown flag", "unknown shorthand"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// writeJSONTo writes v as indented JSON: every command's --json output.
func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
