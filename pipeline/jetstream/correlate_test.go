package jetstream

import (
	"testing"

	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/rules"
	"github.com/bulwarkhq/bulwark/sigma"
)

// TestCorrelationPartitions checks that every correlation runs in exactly
// one partition, whatever their number, with the rules it consumes.
func TestCorrelationPartitions(t *testing.T) {
	rs, _, err := rules.Selection{}.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := detect.New(rs, detect.Options{})
	if len(rs.Correlations) == 0 {
		t.Skip("the built-in rules have no correlation")
	}
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
		for _, cc := range rs.Correlations {
			if seen[cc] != 1 {
				t.Errorf("parts %d: %s runs in %d partitions", parts, cc.Title, seen[cc])
			}
		}
	}
}
