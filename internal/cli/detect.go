package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/internal/gctune"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/list"
	"github.com/bulwarkhq/bulwark/output"
	"github.com/bulwarkhq/bulwark/rules"
	"github.com/bulwarkhq/bulwark/sigma"
)

type detectOptions struct {
	rules    ruleFlags
	format   string
	output   string
	write    string
	minLevel string
	failOn   string
	workers  int
	progress string
	color    string
	quiet    bool
	warnings int
	cpuProf  string
	memProf  string
}

func newDetectCmd(e *env) *cobra.Command {
	o := &detectOptions{}
	cmd := &cobra.Command{
		Use:   "detect [flags] PATH...",
		Short: "Run Sigma rules over log files and folders",
		Long: `Detect reads every log file under the given paths (folders are walked
recursively, gzip is decompressed, the format of each file is recognised)
and runs Sigma rules over every event. Each alert names the rule, its level
and ATT&CK techniques, the event's time, host, channel and event id, the file
and record it came from, and the field values that matched.

Formats: Windows EVTX, JSON and NDJSON (Sysmon, Winlogbeat, evtx_dump), syslog
(RFC 3164 and 5424), Suricata EVE, Zeek (TSV and JSON) and AWS CloudTrail.

Rules: Bulwark's built-in rules, plus the SigmaHQ rules once downloaded with
'bulwark rules update', or any folder given with --rules. Rules that cannot
load are counted in the summary; 'bulwark rules lint' says why.

Results go to standard output; the summary, warnings and the progress bar go
to standard error. Exit status: 0 on success, 1 on error, 2 on bad usage, 3
when --fail-on is given and an alert of that level or above fired.`,
		Example: `  # Built-in rules over a folder of event logs
  bulwark detect ./logs

  # All SigmaHQ rules of level medium and above, as JSON Lines
  bulwark rules update
  bulwark detect --min-level medium -o jsonl ./logs > alerts.jsonl

  # Your own rules and a SigmaHQ checkout, CSV to a file
  bulwark detect -r ./my-rules -r ~/src/sigma/rules -o csv -w alerts.csv Security.evtx

  # Fail a pipeline when anything high or critical fires
  bulwark detect --fail-on high ./collected`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDetect(cmd, e, o, args)
		},
	}
	o.rules.register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "auto", "input format: auto, "+strings.Join(list.Names(), ", "))
	f.StringVarP(&o.output, "output", "o", "table", "output format: "+strings.Join(output.Formats, ", "))
	f.StringVarP(&o.write, "write", "w", "", "write results to this file instead of standard output")
	f.StringVar(&o.minLevel, "min-level", "low", "report alerts of this level and above: informational, low, medium, high, critical")
	f.StringVar(&o.failOn, "fail-on", "", "exit with status 3 if an alert of this level or above fires")
	f.IntVarP(&o.workers, "workers", "j", 0, "files read in parallel (default: number of CPUs)")
	f.StringVar(&o.progress, "progress", "auto", "progress bar: auto (on a terminal), always, never")
	f.StringVar(&o.color, "color", "auto", "colour the table: auto (on a terminal, unless NO_COLOR is set), always, never")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print no summary")
	f.IntVar(&o.warnings, "max-warnings", 20, "warnings to print before only counting them (-1: all)")
	f.StringVar(&o.cpuProf, "cpuprofile", "", "write a Go CPU profile of the run to this file (for performance reports)")
	_ = f.MarkHidden("cpuprofile")
	f.StringVar(&o.memProf, "memprofile", "", "write a Go heap profile at the end of the run to this file")
	_ = f.MarkHidden("memprofile")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletion(append([]string{"auto"}, list.Names()...)...))
	_ = cmd.RegisterFlagCompletionFunc("output", fixedCompletion(output.Formats...))
	levels := fixedCompletion("informational", "low", "medium", "high", "critical")
	_ = cmd.RegisterFlagCompletionFunc("min-level", levels)
	_ = cmd.RegisterFlagCompletionFunc("fail-on", levels)
	_ = cmd.RegisterFlagCompletionFunc("progress", fixedCompletion("auto", "always", "never"))
	_ = cmd.RegisterFlagCompletionFunc("color", fixedCompletion("auto", "always", "never"))
	return cmd
}

func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

func runDetect(cmd *cobra.Command, e *env, o *detectOptions, paths []string) error {
	minLevel, err := sigma.ParseLevel(o.minLevel)
	if err != nil {
		return usagef("--min-level: %v", err)
	}
	var failOn sigma.Level
	if o.failOn != "" {
		if failOn, err = sigma.ParseLevel(o.failOn); err != nil {
			return usagef("--fail-on: %v", err)
		}
	}
	if o.format != "auto" {
		if _, ok := list.ByName(o.format); !ok {
			return usagef("--format: unknown format %q; use auto or one of %s", o.format, strings.Join(list.Names(), ", "))
		}
	}
	for _, mode := range []struct{ flag, v string }{{"progress", o.progress}, {"color", o.color}} {
		if mode.v != "auto" && mode.v != "always" && mode.v != "never" {
			return usagef("--%s must be auto, always or never, not %q", mode.flag, mode.v)
		}
	}

	stopProfile, err := startCPUProfile(o.cpuProf)
	if err != nil {
		return err
	}
	defer stopProfile()
	loadStart := time.Now()
	rs, sources, err := o.rules.load()
	if err != nil {
		return err
	}
	engine := detect.New(rs, detect.Options{MinLevel: minLevel})
	loadTime := time.Since(loadStart)
	gctune.Tune()

	var out io.Writer = e.stdout
	outIsTerm := isTerminal(e.stdout)
	if o.write != "" {
		f, err := os.Create(o.write)
		if err != nil {
			return err
		}
		defer f.Close()
		out, outIsTerm = f, false
	}
	color := o.color == "always" || (o.color == "auto" && outIsTerm && os.Getenv("NO_COLOR") == "")
	width := 0
	if outIsTerm {
		if w, _, err := term.GetSize(int(e.stdout.(*os.File).Fd())); err == nil {
			width = w
		}
	}
	h, err := output.New(o.output, out, output.Options{Color: color, Width: width})
	if err != nil {
		return usageError{err}
	}

	var stats detect.Stats
	stats.Started = time.Now()
	files, err := logs.Files(paths, func(w logs.Warning) {
		stats.Warnings.Add(1)
		fmt.Fprintln(e.stderr, "warning:", w)
	})
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no files found under %s", strings.Join(paths, ", "))
	}

	var bar *progress
	if o.progress == "always" || (o.progress == "auto" && isTerminal(e.stderr)) {
		bar = startProgress(e.stderr, &stats)
	}
	var warnMu sync.Mutex
	shown := 0
	printWarning := func(w logs.Warning) {
		warnMu.Lock()
		defer warnMu.Unlock()
		if o.warnings >= 0 && shown >= o.warnings {
			return
		}
		shown++
		line := "warning: " + w.String()
		if bar != nil {
			bar.Println(line)
		} else {
			fmt.Fprintln(e.stderr, line)
		}
	}
	var maxLevel sigma.Level
	runErr := engine.RunFiles(cmd.Context(), files, detect.FileOptions{
		Format:   o.format,
		Workers:  o.workers,
		MinLevel: minLevel,
		OnAlert: func(a *alert.Alert) error {
			if lv, err := sigma.ParseLevel(a.Rule.Level); err == nil && lv > maxLevel {
				maxLevel = lv
			}
			return h.Alert(a)
		},
		OnWarning: printWarning,
	}, &stats)
	if bar != nil {
		bar.Stop()
	}
	if err := h.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if o.memProf != "" {
		if err := writeHeapProfile(o.memProf); err != nil && runErr == nil {
			runErr = err
		}
	}
	if !o.quiet {
		printSummary(e.stderr, rs, sources, &stats, loadTime, o.warnings)
	}
	if runErr != nil {
		if errors.Is(runErr, cmd.Context().Err()) {
			return fmt.Errorf("interrupted")
		}
		return runErr
	}
	if o.failOn != "" && stats.Alerts.Load() > 0 && maxLevel >= failOn {
		return findingsError{fmt.Sprintf("alerts at level %s or above (--fail-on %s)", maxLevel, failOn)}
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func printSummary(w io.Writer, rs *sigma.RuleSet, sources []rules.Source, s *detect.Stats, loadTime time.Duration, maxWarnings int) {
	el := time.Since(s.Started)
	rate := float64(s.Events.Load()) / max(el.Seconds(), 1e-9)
	fmt.Fprintf(w, "\nRead %s events from %d files (%s) in %s: %s events/s\n",
		groupDigits(s.Events.Load()), s.Files.Load(), humanBytes(s.BytesTotal), el.Round(time.Millisecond), groupDigits(int64(rate)))
	var src []string
	for _, x := range sources {
		src = append(src, fmt.Sprintf("%d %s", x.Count, x.Name))
	}
	failed := len(rs.Failed())
	fmt.Fprintf(w, "Rules: %s loaded (%s) in %s", groupDigits(int64(rs.Loaded())), strings.Join(src, ", "), loadTime.Round(time.Millisecond))
	if failed > 0 {
		fmt.Fprintf(w, "; %d could not load: run 'bulwark rules lint' to see why", failed)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Alerts: %s", groupDigits(s.Alerts.Load()))
	var parts []string
	for lv := sigma.LevelCritical; lv >= sigma.LevelInformational; lv-- {
		if n := s.ByLevel[lv].Load(); n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", lv, groupDigits(n)))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	if n := s.Warnings.Load(); n > 0 {
		fmt.Fprintf(w, "Warnings: %s", groupDigits(n))
		if maxWarnings >= 0 && n > int64(maxWarnings) {
			fmt.Fprintf(w, " (first %d shown; --max-warnings -1 shows all)", maxWarnings)
		}
		if n := s.Skipped.Load(); n > 0 {
			fmt.Fprintf(w, "; %d files skipped (not logs)", n)
		}
		if f := s.Failed.Load(); f > 0 {
			fmt.Fprintf(w, "; %d files could not be read", f)
		}
		fmt.Fprintln(w)
	}
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.WriteHeapProfile(f)
}
