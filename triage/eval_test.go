package triage

import (
	"compress/gzip"
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
)

// aitScenarios are the AIT Alert Data Set scenarios in the shared data.
// minRecall is the phase recall@10 each reaches today. The goal is 0.9; the
// phase still missed everywhere is the DNS exfiltration, whose alerts are a
// pair of ordinary audit-log alerts at a quiet time (a service start and
// stop) or a rule firing all week: nothing in the alerts singles them out.
var aitScenarios = []struct {
	name      string
	minRecall float64
}{
	{"russellmitchell", 0.875}, // 7 of 8 phases: dnsteal missed
	{"santos", 0.88},           // 8 of 9: dnsteal missed
	{"shaw", 0.875},            // 7 of 8: dnsteal missed
	{"wardbeck", 0.875},        // 7 of 8: dnsteal missed
}

// readLabels returns each input line's event_label, read apart from the
// triage reader so that labels never reach the engine.
func readLabels(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(zr)
	header, err := cr.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := indexOf(header, "event_label")
	if col < 0 {
		t.Fatalf("%s: no event_label column", path)
	}
	var labels []string
	for {
		rec, err := cr.Read()
		if err != nil {
			break
		}
		labels = append(labels, rec[col])
	}
	return labels
}

// evaluation is the figure issue 4 asks for.
type evaluation struct {
	alerts, cases int
	reduction     float64
	recall        float64
	missing       []string
}

func evaluate(res *Result, labels []string, k int) evaluation {
	phases := map[string]bool{}
	for _, l := range labels {
		if l != "-" && l != "" {
			phases[l] = false
		}
	}
	for i, c := range res.Cases {
		if i >= k {
			break
		}
		for _, line := range c.Lines {
			if l := labels[line]; l != "-" && l != "" {
				phases[l] = true
			}
		}
	}
	ev := evaluation{alerts: res.Alerts, cases: len(res.Cases)}
	ev.reduction = float64(ev.alerts) / float64(ev.cases)
	found := 0
	for p, ok := range phases {
		if ok {
			found++
		} else {
			ev.missing = append(ev.missing, p)
		}
	}
	sort.Strings(ev.missing)
	ev.recall = float64(found) / float64(len(phases))
	return ev
}

// TestAITADS runs the engine over each AIT-ADS scenario with the default
// column mapping (time, name, ip, host, short: labels are not read) and
// checks the figures of issue 4: at least 50 times fewer cases than alerts
// (met everywhere), and phase recall@10 no lower than reached so far (the
// goal of 0.9 is not met yet; see aitScenarios).
func TestAITADS(t *testing.T) {
	dir := testdata.Path(t, "alerts", "ait-ads")
	for _, scenario := range aitScenarios {
		sc := scenario.name
		t.Run(sc, func(t *testing.T) {
			path := filepath.Join(dir, sc+"_alerts.csv.gz")
			alerts, err := ReadFile(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			labels := readLabels(t, path)
			res := New(Options{}).Run(alerts)
			ev := evaluate(res, labels, 10)
			t.Logf("%s: alerts %d, cases %d, reduction %.1fx, phase recall@10 %.2f, missing %v",
				sc, ev.alerts, ev.cases, ev.reduction, ev.recall, ev.missing)
			if testing.Verbose() {
				for i, c := range res.Cases[:min(22, len(res.Cases))] {
					ph := map[string]int{}
					for _, l := range c.Lines {
						ph[labels[l]]++
					}
					t.Logf("  #%d %s score %.2f alerts %d %s..%s %v %v\n     %v", i+1, c.ID, c.Score, c.Alerts,
						c.FirstSeen.Format("01-02 15:04"), c.LastSeen.Format("15:04"), c.Entities[Host], ph, c.Reasons)
				}
				for _, p := range ev.missing {
					for i, c := range res.Cases {
						hit := 0
						for _, l := range c.Lines {
							if labels[l] == p {
								hit++
							}
						}
						if hit > 0 {
							t.Logf("  missing %s: first in rank %d (%s score %.2f, %d of its alerts, hosts %v) reasons %v", p, i+1, c.ID, c.Score, hit, c.Entities[Host], c.Reasons)
							break
						}
					}
				}
			}
			if ev.reduction < 50 || ev.recall < scenario.minRecall {
				t.Errorf("reduction %.1fx (want >= 50), phase recall@10 %.2f (want >= %.2f)", ev.reduction, ev.recall, scenario.minRecall)
			}
		})
	}
}

// BenchmarkTriageSantos measures triage throughput on the largest scenario,
// reading excluded: the engine alone, in alerts per second.
func BenchmarkTriageSantos(b *testing.B) {
	path := filepath.Join(testdata.Path(b, "alerts", "ait-ads"), "santos_alerts.csv.gz")
	alerts, err := ReadFile(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	work := make([]Alert, len(alerts))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		copy(work, alerts)
		New(Options{}).Run(work)
	}
	b.ReportMetric(float64(len(alerts))*float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}
