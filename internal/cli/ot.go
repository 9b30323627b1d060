package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/internal/atomicfile"
	"github.com/bulwarkhq/bulwark/ot/capture"
	"github.com/bulwarkhq/bulwark/ot/detect"
	"github.com/bulwarkhq/bulwark/ot/dnp3"
	"github.com/bulwarkhq/bulwark/ot/modbus"
	"github.com/bulwarkhq/bulwark/ot/monitor"
	"github.com/bulwarkhq/bulwark/ot/stats"
	"github.com/bulwarkhq/bulwark/sigma"
)

// otPorts are the TCP server ports decoded, flags shared by the ot
// commands.
type otPorts struct {
	modbus, dnp3 []uint
}

func (p *otPorts) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.UintSliceVar(&p.modbus, "modbus-port", []uint{uint(capture.PortModbus)}, "TCP ports Modbus/TCP servers listen on")
	f.UintSliceVar(&p.dnp3, "dnp3-port", []uint{uint(capture.PortDNP3)}, "TCP ports DNP3 outstations listen on")
}

// ports checks the flags and returns the Modbus and DNP3 server ports,
// and the capture configuration's ports made of them.
func (p *otPorts) ports() (mb, dn []uint16, ps []capture.Port, err error) {
	for _, l := range []struct {
		flag string
		in   []uint
		out  *[]uint16
	}{{"modbus", p.modbus, &mb}, {"dnp3", p.dnp3, &dn}} {
		for _, n := range l.in {
			if n == 0 || n > 65535 {
				return nil, nil, nil, usagef("--%s-port %d: not a TCP port", l.flag, n)
			}
			*l.out = append(*l.out, uint16(n))
		}
	}
	if ps, err = monitor.Ports(mb, dn); err != nil {
		return nil, nil, nil, usagef("%v", err)
	}
	return mb, dn, ps, nil
}

type otOptions struct {
	ports        otPorts
	format       string
	baseline     string
	saveBaseline string
	learn        time.Duration
	iface        string
	inventory    bool
	failOn       string
}

func newOTCmd(e *env) *cobra.Command {
	o := &otOptions{}
	cmd := &cobra.Command{
		Use:   "ot [flags] FILE...",
		Short: "Watch Modbus/TCP and DNP3 traffic for dangerous operations",
		Long: `OT decodes Modbus/TCP and DNP3 from packet captures (pcap or pcapng, gzip
allowed) or a live interface, learns the plant's normal (which hosts are
masters of which outstations, with which function codes and addresses), and
raises alerts, each with its ATT&CK for ICS technique:

  writes and operates from hosts that are not masters; restarts, stop and
  start application, listen-only and restart diagnostics, file and firmware
  operations, disabled unsolicited responses, initialised data; function-code
  sweeps, device identification, bursts of exceptions; malformed frames (bad
  CRC, invalid length or protocol id); floods.

Without --baseline, the first --learn of capture time (default 10m) is learnt
and only the rules that fire whatever the baseline (restarts, file operations,
malformed frames, ...) can raise alerts meanwhile. With --baseline, a baseline
saved by an earlier run (and perhaps edited: it is JSON) is checked from the
first message, and --learn adds to it first. --save-baseline writes what was
learnt, for review with 'bulwark ot baseline' and for the next run.

Files are read in the order given, as one capture: give them oldest first.
Frames are numbered per file from 1, as Wireshark numbers them; an alert
names the frame that raised it ("frame:1172").

Live capture (--interface) needs root or CAP_NET_RAW:
  sudo setcap cap_net_raw+ep "$(command -v bulwark)"
It runs until interrupted (Ctrl-C), then prints the inventory.

Exit status: 0 on success, 3 with --fail-on when an alert of that level or
above fired, 1 on error (a bad capture names the file and frame), 2 on bad
usage.`,
		Example: `  # Alerts and asset inventory of a capture, learning its first 10 minutes
  bulwark ot plant.pcap

  # Learn from a quiet day, review the baseline, then check new captures against it
  bulwark ot --learn 24h --save-baseline plant.json monday.pcapng
  bulwark ot baseline plant.json
  bulwark ot --baseline plant.json --learn 0 tuesday.pcapng

  # A DNP3 outstation on a non-standard port, alerts as JSON
  bulwark ot --dnp3-port 20000 --dnp3-port 20001 --format json substation.pcap

  # Watch an interface live
  sudo bulwark ot --interface eth1 --baseline plant.json --learn 0`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOT(cmd.Context(), e, o, args)
		},
	}
	o.ports.add(cmd)
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "table", "output format: table, json, or jsonl (one alert per line, as bulwark triage reads)")
	f.StringVar(&o.baseline, "baseline", "", "baseline file to check against (and learn into, with --learn)")
	f.StringVar(&o.saveBaseline, "save-baseline", "", "write the baseline learnt to this file")
	f.DurationVar(&o.learn, "learn", 10*time.Minute, "capture time to learn from the first message before detecting (0: detect at once)")
	f.StringVar(&o.iface, "interface", "", "capture live from this network interface instead of files")
	f.BoolVar(&o.inventory, "inventory", true, "print the asset inventory after the alerts (table and json)")
	f.StringVar(&o.failOn, "fail-on", "", "exit with status 3 if an alert of this level or above fires")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletion("table", "json", "jsonl"))
	cmd.AddCommand(newOTStatsCmd(e), newOTBaselineCmd(e), newOTRulesCmd(e))
	return cmd
}

func runOT(ctx context.Context, e *env, o *otOptions, files []string) error {
	if o.format != "table" && o.format != "json" && o.format != "jsonl" {
		return usagef("--format must be table, json or jsonl, not %q", o.format)
	}
	if (len(files) == 0) == (o.iface == "") {
		return usagef("give capture files or --interface, not both or neither")
	}
	if o.learn < 0 {
		return usagef("--learn must not be negative")
	}
	mbPorts, dnPorts, _, err := o.ports.ports()
	if err != nil {
		return err
	}
	var failOn sigma.Level
	if o.failOn != "" {
		if failOn, err = sigma.ParseLevel(o.failOn); err != nil {
			return usagef("--fail-on: %v", err)
		}
	}
	var base *detect.Baseline
	if o.baseline != "" {
		if base, err = loadBaseline(o.baseline); err != nil {
			return err
		}
	} else if o.learn == 0 {
		return usagef("--learn 0 needs a --baseline to check against")
	}
	cfg := detect.DefaultConfig()
	cfg.Learn = o.learn
	var alerts []*alert.Alert
	var maxLevel sigma.Level
	jsonl := json.NewEncoder(e.stdout)
	emit := func(a *alert.Alert) {
		if l, err := sigma.ParseLevel(a.Rule.Level); err == nil {
			maxLevel = max(maxLevel, l)
		}
		if o.format == "jsonl" {
			_ = jsonl.Encode(a) // as they come: a live run streams
			return
		}
		alerts = append(alerts, a)
	}
	mon, err := monitor.New(monitor.Config{ModbusPorts: mbPorts, DNP3Ports: dnPorts, Detect: cfg, Baseline: base})
	if err != nil {
		return err
	}
	if o.iface != "" {
		src, err := capture.OpenInterface(o.iface, capture.LiveOptions{})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "bulwark: capturing on %s; Ctrl-C to stop\n", o.iface)
		if err := mon.Read(ctx, o.iface, src, emit); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, path := range files {
		src, err := capture.OpenFile(path)
		if err != nil {
			return err
		}
		if err := mon.Read(ctx, path, src, emit); err != nil {
			return err
		}
	}
	var det *detect.Detector
	mon.With(func(d *detect.Detector) { det = d }) // the reading is over
	if o.saveBaseline != "" {
		if err := saveBaseline(o.saveBaseline, det.Baseline()); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "bulwark: baseline written to %s\n", o.saveBaseline)
	}
	switch o.format {
	case "json":
		out := struct {
			Alerts    []*alert.Alert    `json:"alerts"`
			Inventory *detect.Inventory `json:"inventory,omitempty"`
		}{Alerts: alerts}
		if out.Alerts == nil {
			out.Alerts = []*alert.Alert{}
		}
		if o.inventory {
			out.Inventory = det.Inventory()
		}
		if err := writeJSONTo(e.stdout, out); err != nil {
			return err
		}
	case "table":
		if err := writeOTAlerts(e.stdout, alerts); err != nil {
			return err
		}
		if o.inventory {
			fmt.Fprintln(e.stdout)
			if err := det.Inventory().WriteTable(e.stdout); err != nil {
				return err
			}
		}
	}
	if o.failOn != "" && maxLevel >= failOn {
		return findingsError{fmt.Sprintf("alerts at level %s or above (--fail-on %s)", maxLevel, failOn)}
	}
	return nil
}

func loadBaseline(path string) (*detect.Baseline, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := detect.Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// saveBaseline writes b to path whole or not at all: a crash never leaves
// half a baseline.
func saveBaseline(path string, b *detect.Baseline) error {
	return atomicfile.Write(path, 0o644, b.Save)
}

func writeOTAlerts(w io.Writer, alerts []*alert.Alert) error {
	if len(alerts) == 0 {
		_, err := fmt.Fprintln(w, "No alerts.")
		return err
	}
	// Frames are numbered per capture: name the capture when there are
	// several.
	paths := map[string]bool{}
	for _, a := range alerts {
		paths[a.Source.Path] = true
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tLEVEL\tALERT\tFROM\tTO\tFRAME\tATT&CK\tDETAIL")
	for _, a := range alerts {
		frame := strings.TrimPrefix(a.EventID, "frame:")
		if len(paths) > 1 {
			frame = filepath.Base(a.Source.Path) + ":" + frame
		}
		var detail []string
		for _, m := range a.Matches {
			if m.Field == "frame" || m.Field == "frame_last" {
				continue
			}
			detail = append(detail, m.Field+"="+m.Value)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			a.Time.UTC().Format("2006-01-02 15:04:05.000"), a.Rule.Level, a.Rule.Title,
			a.Entities[alert.EntitySrcIP], a.Entities[alert.EntityDstIP], frame,
			strings.Join(a.Rule.Attack, ","), strings.Join(detail, " "))
	}
	return tw.Flush()
}

func newOTStatsCmd(e *env) *cobra.Command {
	var ports otPorts
	var format string
	cmd := &cobra.Command{
		Use:   "stats [flags] FILE...",
		Short: "Count Modbus and DNP3 function codes in captures, as tshark counts them",
		Long: `Stats decodes captures and counts, per file: Modbus frames, function codes
(exception bit stripped) overall and by direction (a request goes to the
server port), exception codes, malformed PDUs; DNP3 frames, frames without an
application layer, application function codes (one per reassembled
fragment) and link function codes ("pri 4", "sec 11"). The counts follow
tshark's, so the two tools can be compared on the same capture.`,
		Example: `  bulwark ot stats plant.pcap
  bulwark ot stats --format json --dnp3-port 20001 substation.pcap`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return usagef("--format must be table or json, not %q", format)
			}
			_, _, ps, err := ports.ports()
			if err != nil {
				return err
			}
			var all []stats.Stats
			for _, path := range args {
				s, err := stats.CountFile(cmd.Context(), path, ps)
				if err != nil {
					return err
				}
				all = append(all, s)
			}
			if format == "json" {
				if len(all) == 1 {
					return writeJSONTo(e.stdout, all[0])
				}
				return writeJSONTo(e.stdout, all)
			}
			return writeOTStats(e.stdout, all)
		},
	}
	ports.add(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletion("table", "json"))
	return cmd
}

func writeOTStats(w io.Writer, all []stats.Stats) error {
	for i, s := range all {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s: %d frames\n", s.File, s.Frames)
		if err := writeOTStatsOf(w, &s); err != nil {
			return err
		}
	}
	return nil
}

// writeOTStatsOf writes one capture's counts: a table per protocol.
func writeOTStatsOf(w io.Writer, s *stats.Stats) error {
	if s.Modbus.Frames > 0 || s.Modbus.Malformed > 0 {
		fmt.Fprintf(w, "  Modbus: %d frames, %d PDUs, %d malformed\n", s.Modbus.Frames, s.Modbus.PDUs, s.Modbus.Malformed)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "    FUNCTION\tREQUESTS\tRESPONSES\tTOTAL")
		for _, fc := range sortedCodes(s.Modbus.FuncCode) {
			n, _ := strconv.Atoi(fc)
			fmt.Fprintf(tw, "    %s %s\t%d\t%d\t%d\n", fc, modbus.FuncName(uint8(n)), s.Modbus.Requests[fc], s.Modbus.Responses[fc], s.Modbus.FuncCode[fc])
		}
		for _, c := range sortedCodes(s.Modbus.Exceptions) {
			n, _ := strconv.Atoi(c)
			fmt.Fprintf(tw, "    exception %s %s\t\t%d\t\n", c, modbus.ExceptionName(uint8(n)), s.Modbus.Exceptions[c])
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if s.DNP3.Frames > 0 {
		fmt.Fprintf(w, "  DNP3: %d frames, %d without application layer, %d link frames, %d malformed\n",
			s.DNP3.Frames, s.DNP3.FramesWithoutApp, s.DNP3.LinkFrames, s.DNP3.Malformed)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "    FUNCTION\tFRAGMENTS")
		for _, fc := range sortedCodes(s.DNP3.AppFunc) {
			n, _ := strconv.Atoi(fc)
			fmt.Fprintf(tw, "    %s %s\t%d\n", fc, dnp3.FuncName(uint8(n)), s.DNP3.AppFunc[fc])
		}
		for _, k := range slices.Sorted(maps.Keys(s.DNP3.LinkFunc)) {
			fmt.Fprintf(tw, "    link %s\t%d\n", k, s.DNP3.LinkFunc[k])
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// sortedCodes orders decimal code keys numerically.
func sortedCodes(m map[string]int64) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	return keys
}

func newOTBaselineCmd(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "baseline [flags] FILE",
		Short: "Review a baseline saved by 'bulwark ot --save-baseline'",
		Long: `Baseline prints a saved baseline for review: per outstation, its masters
with the function codes and address ranges they use, and the other flows of
OT assets. The file is JSON and meant to be edited: add a master, widen a
range, remove what should not be there; 'bulwark ot --baseline FILE' checks
it when loading and names the entry at fault.`,
		Example: `  bulwark ot baseline plant.json
  bulwark ot baseline --format json plant.json | jq '.pairs | length'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return usagef("--format must be table or json, not %q", format)
			}
			b, err := loadBaseline(args[0])
			if err != nil {
				return err
			}
			if format == "json" {
				return b.Save(e.stdout)
			}
			return b.Review(e.stdout)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table (for people) or json (the file's own form, normalised)")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletion("table", "json"))
	return cmd
}

func newOTRulesCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "List the OT detections with their levels and ATT&CK for ICS techniques",
		Long: `Rules lists every detection 'bulwark ot' can raise: its id (as in alerts),
level, whether it fires whatever the baseline says (always), its ATT&CK for
ICS techniques and title.`,
		Example: `  bulwark ot rules
  bulwark ot rules | grep dnp3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tLEVEL\tALWAYS\tATT&CK\tTITLE")
			for _, r := range detect.Rules() {
				always := ""
				if r.Always {
					always = "yes"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Level, always, strings.Join(r.Attack, ","), r.Title)
			}
			return tw.Flush()
		},
	}
}
