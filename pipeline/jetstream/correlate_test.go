package jetstream

import (
	"maps"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/demo"
	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/rules"
	"github.com/bulwarkhq/bulwark/sigma"
)

// builtinCorrelations loads the built-in rules and an engine over them, or
// skips when they have no correlation.
func builtinCorrelations(t *testing.T) (*sigma.RuleSet, *detect.Engine) {
	t.Helper()
	rs, _, err := rules.Selection{}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Correlations) == 0 {
		t.Skip("the built-in rules have no correlation")
	}
	return rs, detect.New(rs, detect.Options{})
}

// TestCorrelationPartitions checks that every standalone correlation runs
// in every partition (each keeping its share of the groups) and every
// chained one in exactly one, whatever their number, with the rules it
// consumes.
func TestCorrelationPartitions(t *testing.T) {
	rs, e := builtinCorrelations(t)
	for parts := 1; parts <= 4; parts++ {
		seen := map[*sigma.CompiledCorrelation]int{}
		for part := range parts {
			sub := correlationEngine(e, part, parts).RuleSet()
			for _, cc := range sub.Correlations {
				seen[cc]++
				for _, in := range cc.Inputs {
					if in.Rule == nil {
						continue
					}
					found := false
					for _, c := range sub.Compiled {
						found = found || c.Rule == in.Rule
					}
					if !found {
						t.Errorf("parts %d: %s runs without its input %s", parts, cc.Title, in.Ref)
					}
				}
			}
			if len(sub.Compiled) >= len(rs.Compiled) && len(rs.Compiled) > 10 {
				t.Errorf("parts %d, partition %d: %d of %d rules: not narrowed", parts, part, len(sub.Compiled), len(rs.Compiled))
			}
		}
		chain := chained(rs.Correlations)
		for _, cc := range rs.Correlations {
			want := parts
			if chain[cc] {
				want = 1
			}
			if seen[cc] != want {
				t.Errorf("parts %d: %s (chained %v) runs in %d partitions, want %d", parts, cc.Title, chain[cc], seen[cc], want)
			}
		}
	}
}

// TestCorrelationGroupsSplit runs the built-in correlations over the demo
// intrusion repeated, once whole and once shared by group among three
// partitions, and expects the same correlation alerts: every window lives
// whole in one partition.
func TestCorrelationGroupsSplit(t *testing.T) {
	_, e := builtinCorrelations(t)
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	var evs []event.Event
	for r := range 6 {
		evs = append(evs, demo.Scenario(start.Add(time.Duration(r)*(demo.Duration+5*time.Minute)))...)
	}
	run := func(part, parts int) map[string]int {
		eng := correlationEngine(e, part, parts)
		corr := eng.NewCorrelations()
		if corr == nil {
			return nil
		}
		if parts > 1 {
			chain := chained(eng.RuleSet().Correlations)
			corr.Partition(func(cc *sigma.CompiledCorrelation, group string) bool {
				return chain[cc] || groupPartition(cc, group, parts) == part
			})
		}
		got := map[string]int{}
		det := eng.NewDetector(corr, sigma.LevelUnknown, func(a *alert.Alert) error {
			if a.Correlation != nil {
				got[correlationKey(a)]++
			}
			return nil
		})
		for i := range evs {
			_ = det.Process(&evs[i])
		}
		_ = det.Expire(evs[len(evs)-1].Time.Add(24 * time.Hour))
		return got
	}
	whole := run(0, 1)
	if len(whole) == 0 {
		t.Fatal("no correlation alert on the demo intrusion")
	}
	split := map[string]int{}
	perPart := make([]int, 3)
	for part := range 3 {
		for k, n := range run(part, 3) {
			split[k] += n
			perPart[part] += n
		}
	}
	if !maps.Equal(whole, split) {
		t.Errorf("split by group: %v\nwhole: %v", split, whole)
	}
	t.Logf("%d correlation alerts; per partition %v", len(whole), perPart)
}
