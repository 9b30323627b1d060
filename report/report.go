// Package report writes the one-page summary a team hands to management:
// for a period, how much was watched, what fired, which cases were worked
// and how fast, in plain HTML with no external resources (it opens offline
// and prints well).
package report

import (
	"context"
	"embed"
	"html/template"
	"io"
	"sort"
	"time"

	"github.com/bulwarkhq/bulwark/measure"
	"github.com/bulwarkhq/bulwark/store"
)

//go:embed report.html.tmpl
var files embed.FS

var page = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"dur":  humanDuration,
	"date": func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
	"pct": func(n, of int) int {
		if of == 0 {
			return 0
		}
		return n * 100 / of
	},
}).ParseFS(files, "report.html.tmpl"))

// Source is what a report reads.
type Source interface {
	measure.Source
	CountEvents(ctx context.Context) (int64, error)
}

// Data is everything on the page.
type Data struct {
	Org      string
	From, To time.Time
	Made     time.Time

	Events int64
	Alerts int
	Levels []Count // alerts by level, critical first
	Rules  []Count // the rules that fired most
	Hosts  []Count // the hosts with most alerts

	Cases    int
	Open     int
	Verdicts []Count
	Weeks    []measure.Week
	MTTD     time.Duration
	MTTA     time.Duration
	MTTR     time.Duration
	Tactics  []Count // ATT&CK techniques seen in alerts, by tag
}

// Count is a labelled number.
type Count struct {
	Name string
	N    int
}

var levelOrder = []string{"critical", "high", "medium", "low", "informational"}

// Build gathers the data for the period [from, to).
func Build(ctx context.Context, src Source, org string, from, to time.Time) (*Data, error) {
	d := &Data{Org: org, From: from, To: to, Made: time.Now().UTC()}
	var err error
	if d.Events, err = src.CountEvents(ctx); err != nil {
		return nil, err
	}
	alerts, err := src.ListAlerts(ctx, store.AlertFilter{From: from, To: to})
	if err != nil {
		return nil, err
	}
	d.Alerts = len(alerts)
	levels, rules, hosts, techniques := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for _, a := range alerts {
		levels[a.Rule.Level]++
		rules[a.Rule.Title]++
		if a.Host != "" {
			hosts[a.Host]++
		}
		for _, t := range a.Rule.Attack {
			techniques[t]++
		}
	}
	for _, l := range levelOrder {
		if levels[l] > 0 {
			d.Levels = append(d.Levels, Count{l, levels[l]})
		}
	}
	d.Rules, d.Hosts, d.Tactics = top(rules, 10), top(hosts, 10), top(techniques, 15)

	cases, err := src.ListCases(ctx, store.CaseFilter{})
	if err != nil {
		return nil, err
	}
	verdicts := map[string]int{}
	for _, c := range cases {
		if c.Created.Before(from) || !c.Created.Before(to) {
			continue
		}
		d.Cases++
		if c.Status != "closed" {
			d.Open++
		} else {
			verdicts[c.Verdict]++
		}
	}
	d.Verdicts = top(verdicts, 5)
	if d.Weeks, err = measure.Weekly(ctx, src, from, to.Add(-time.Nanosecond)); err != nil {
		return nil, err
	}
	var td, ta, tr, nd, na, nr time.Duration
	for _, w := range d.Weeks {
		if w.MTTD > 0 {
			td, nd = td+w.MTTD, nd+1
		}
		if w.MTTA > 0 {
			ta, na = ta+w.MTTA, na+1
		}
		if w.MTTR > 0 {
			tr, nr = tr+w.MTTR, nr+1
		}
	}
	if nd > 0 {
		d.MTTD = td / nd
	}
	if na > 0 {
		d.MTTA = ta / na
	}
	if nr > 0 {
		d.MTTR = tr / nr
	}
	return d, nil
}

// top returns the n largest counts, ties by name.
func top(m map[string]int, n int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// Write renders the page.
func (d *Data) Write(w io.Writer) error { return page.Execute(w, d) }

func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return (d / (24 * time.Hour)).String() + " days"
}
