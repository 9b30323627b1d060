package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwarkhq/bulwark/triage"
)

type triageOptions struct {
	mapping string
	format  string
	top     int
	assets  string
}

func newTriageCmd(e *env) *cobra.Command {
	o := &triageOptions{}
	cmd := &cobra.Command{
		Use:   "triage [flags] FILE...",
		Short: "Group alerts into ranked cases, each with its reasons",
		Long: `Triage reads alerts exported from any tool (CSV with a header, or NDJSON;
gzip is decompressed) and turns them into a short list of cases, best first.

Repeats of one rule on the same entities collapse into one finding. Findings
that share an entity (host, user, source or destination IP, process, file
hash) within a time window form a case. A case's score adds up the rarity of
its rules over the whole input (rules that fire all the time weigh little),
rules and (rule, entity) pairs never seen before, the number of distinct
rules in a short time, severity when the input has it, threat-intel hits,
and cases running at the same time as a stronger one. Each case lists its reasons in words.

Columns are mapped with --map field=column,...; fields are time, name, rule
(or short), severity (or level), host, user, src_ip (or ip), dst_ip,
process, hash, tactics and intel (a column that, when not empty, names a
threat-intel hit: it weighs like a rare rule and shows in the reasons). For
NDJSON, a column is a dotted path such as
rule.description. Without --map, columns named like a field are used, and
NDJSON from Wazuh (alerts.json), Suricata (EVE; records other than alerts
are skipped) and Bulwark (detect -o jsonl, the API) is recognised.
Columns that are not mapped (labels in evaluation data, for example) are
never read. Time is unix seconds, unix milliseconds or RFC 3339; without
--map, a column named timestamp, @timestamp, ts or date also serves.

In --format json, a case's "alerts" are the 0-based record numbers (header
excluded) of every alert in the case, repeats included, within the file the
alert came from: give one file per run when you need them unambiguous.

Exit status: 0 on success, 1 on error (bad input names the file and line),
2 on bad usage.`,
		Example: `  # AIT-ADS style CSV (time,name,ip,host,short columns), ten best cases
  bulwark triage --top 10 santos_alerts.csv.gz

  # A SIEM export with other column names, as JSON
  bulwark triage --map time=ts,name=rule,src_ip=src,dst_ip=dst,user=account,severity=level \
      --format json export.csv > cases.json

  # Cases on domain controllers first (assets.txt: "dc*, critical, domain controllers")
  bulwark triage --assets assets.txt alerts.json

  # Wazuh-like NDJSON with nested fields
  bulwark triage --map time=timestamp,name=rule.description,rule=rule.id,severity=rule.level,host=agent.name alerts.ndjson`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTriage(e, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.mapping, "map", "", "map fields to columns: field=column,... (default: columns named like fields)")
	f.StringVar(&o.format, "format", "table", "output format: table or json")
	f.StringVar(&o.assets, "assets", "", "asset list file: lines of host (or pattern such as dc*), criticality (low, medium, high, critical), note")
	f.IntVar(&o.top, "top", -1, "print the N best cases (default: 20 for table, all for json; 0: all)")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletion("table", "json"))
	return cmd
}

func runTriage(e *env, o *triageOptions, files []string) error {
	if o.format != "table" && o.format != "json" {
		return usagef("--format must be table or json, not %q", o.format)
	}
	if o.top < -1 {
		return usagef("--top must be 0 or more, not %d", o.top)
	}
	var m triage.Mapping
	if o.mapping != "" {
		var err error
		if m, err = triage.ParseMapping(o.mapping); err != nil {
			return usagef("--map: %v", err)
		}
	}
	var alerts []triage.Alert
	for _, path := range files {
		a, err := triage.ReadFile(path, m)
		if err != nil {
			return err
		}
		alerts = append(alerts, a...)
	}
	res := triage.New(triage.Options{}).Run(alerts)
	if o.assets != "" {
		as, err := triage.ReadAssets(o.assets)
		if err != nil {
			return usagef("--assets: %v", err)
		}
		res.WeighCases(as)
	}
	cases := res.Cases
	top := o.top
	if top == -1 && o.format == "table" {
		top = 20
	}
	if top > 0 && top < len(cases) {
		cases = cases[:top]
	}
	if o.format == "json" {
		return writeTriageJSON(e, cases)
	}
	return writeTriageTable(e, res, cases)
}

// triageCase is the JSON form of a case; the field set is fixed by issue 4.
type triageCase struct {
	ID        string              `json:"id"`
	Score     float64             `json:"score"`
	Reasons   []string            `json:"reasons"`
	Entities  map[string][]string `json:"entities"`
	FirstSeen time.Time           `json:"first_seen"`
	LastSeen  time.Time           `json:"last_seen"`
	Alerts    []int               `json:"alerts"`
}

func writeTriageJSON(e *env, cases []*triage.Case) error {
	out := struct {
		Cases []triageCase `json:"cases"`
	}{Cases: make([]triageCase, 0, len(cases))}
	for _, c := range cases {
		out.Cases = append(out.Cases, triageCase{ID: c.ID, Score: c.Score, Reasons: c.Reasons, Entities: c.Entities,
			FirstSeen: c.FirstSeen, LastSeen: c.LastSeen, Alerts: c.Lines})
	}
	return writeJSONTo(e.stdout, out)
}

func writeTriageTable(e *env, res *triage.Result, cases []*triage.Case) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tCASE\tSCORE\tALERTS\tFIRST SEEN\tSPAN\tENTITIES\tREASONS")
	for i, c := range cases {
		reasons := c.Reasons
		if len(reasons) > 3 {
			reasons = reasons[:3]
		}
		fmt.Fprintf(tw, "%d\t%s\t%.1f\t%d\t%s\t%s\t%s\t%s\n", i+1, c.ID, c.Score, c.Alerts,
			c.FirstSeen.Format("2006-01-02 15:04"), spanText(c.LastSeen.Sub(c.FirstSeen)), entitiesText(c.Entities), strings.Join(reasons, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	ratio := 0.0
	if len(res.Cases) > 0 {
		ratio = float64(res.Alerts) / float64(len(res.Cases))
	}
	fmt.Fprintf(e.stderr, "%d alerts in %d cases (%.1fx fewer); %d shown\n", res.Alerts, len(res.Cases), ratio, len(cases))
	return nil
}

func spanText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%.1fh", d.Hours())
}

// entitiesText lists up to three entity values, then how many more.
func entitiesText(ents map[string][]string) string {
	var parts []string
	n := 0
	for _, k := range triage.EntityKinds {
		for _, v := range ents[k] {
			if len(parts) < 3 {
				parts = append(parts, k+"="+v)
			}
			n++
		}
	}
	if n > len(parts) {
		parts = append(parts, fmt.Sprintf("+%d more", n-len(parts)))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}
