package triage

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/internal/logtest"
)

// formatResult renders a result for golden files.
func formatResult(res *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d alerts, %d cases\n", res.Alerts, len(res.Cases))
	for i, c := range res.Cases {
		fmt.Fprintf(&b, "#%d %s score %.2f alerts %d %s..%s entities %v lines %v\n", i+1, c.ID, c.Score, c.Alerts,
			c.FirstSeen.Format(time.RFC3339), c.LastSeen.Format(time.RFC3339), c.Entities, c.Lines)
		for _, r := range c.Reasons {
			fmt.Fprintf(&b, "    %s\n", r)
		}
	}
	return b.String()
}

func TestEngineGolden(t *testing.T) {
	alerts, err := ReadFile("testdata/small.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	res := New(Options{}).Run(alerts)
	logtest.Golden(t, "small.golden", formatResult(res))
	// The attack burst on web must rank first and hold all five steps.
	top := res.Cases[0]
	if top.Entities[Host][0] != "web" || top.Rules < 5 {
		t.Errorf("best case %s: hosts %v, %d rules; want web with the burst", top.ID, top.Entities[Host], top.Rules)
	}
}

func TestDedupAndGroup(t *testing.T) {
	t0 := time.Unix(1700000000, 0).UTC()
	mk := func(line int, sec int, rule string, ents ...string) Alert {
		a := Alert{Line: line, Time: t0.Add(time.Duration(sec) * time.Second), Rule: rule, Entities: map[string]string{}}
		for i := 0; i+1 < len(ents); i += 2 {
			a.Entities[ents[i]] = ents[i+1]
		}
		return a
	}
	tests := []struct {
		name   string
		alerts []Alert
		cases  [][]int // lines per case, in case ID order
	}{
		{"repeats collapse, lines kept", []Alert{mk(0, 0, "r", Host, "a"), mk(1, 10, "r", Host, "a"), mk(2, 20, "r", Host, "a")}, [][]int{{0, 1, 2}}},
		{"shared host joins", []Alert{mk(0, 0, "r1", Host, "a"), mk(1, 60, "r2", Host, "a", User, "bob")}, [][]int{{0, 1}}},
		{"bridge through user", []Alert{mk(0, 0, "r1", Host, "a", User, "bob"), mk(1, 60, "r2", Host, "b", User, "bob"), mk(2, 120, "r3", Host, "b")}, [][]int{{0, 1, 2}}},
		{"gap splits", []Alert{mk(0, 0, "r1", Host, "a"), mk(1, 3*3600, "r2", Host, "a")}, [][]int{{0}, {1}}},
		{"different hosts stay apart", []Alert{mk(0, 0, "r1", Host, "a"), mk(1, 1, "r1", Host, "b")}, [][]int{{0}, {1}}},
		{"no entities group by rule", []Alert{mk(0, 0, "r1"), mk(1, 1, "r2"), mk(2, 2000, "r1")}, [][]int{{0, 2}, {1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := New(Options{}).Run(tt.alerts)
			got := make([][]int, len(res.Cases))
			for _, c := range res.Cases {
				var id int
				fmt.Sscanf(c.ID, "C%d", &id)
				got[id-1] = c.Lines
			}
			if !reflect.DeepEqual(got, tt.cases) {
				t.Errorf("cases %v, want %v", got, tt.cases)
			}
		})
	}
}

// TestDeterministic: the same alerts in any input order give the same cases.
func TestDeterministic(t *testing.T) {
	alerts, err := ReadFile("testdata/small.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := formatResult(New(Options{}).Run(append([]Alert(nil), alerts...)))
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5; i++ {
		shuffled := append([]Alert(nil), alerts...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := formatResult(New(Options{}).Run(shuffled)); got != want {
			t.Fatalf("run %d differs after shuffling input", i)
		}
	}
}

// TestIntelHitRanks checks that a threat-intel hit lifts a case above an
// otherwise identical one and says so in its reasons.
func TestIntelHitRanks(t *testing.T) {
	t0 := time.Unix(1700000000, 0).UTC()
	var in []Alert
	for i, host := range []string{"ws1", "ws2"} {
		a := Alert{Line: i, Time: t0.Add(time.Duration(i) * time.Hour), Rule: "outbound-connection", Entities: map[string]string{Host: host, DstIP: fmt.Sprintf("203.0.113.%d", 10+i)}}
		if host == "ws2" {
			a.Intel = `indicator "C2 server" from isac-feed, confidence 80`
		}
		in = append(in, a)
	}
	res := New(Options{}).Run(in)
	if len(res.Cases) != 2 {
		t.Fatalf("%d cases", len(res.Cases))
	}
	top := res.Cases[0]
	if top.Entities[Host][0] != "ws2" || !strings.Contains(strings.Join(top.Reasons, "; "), "threat-intel hit: indicator \"C2 server\"") {
		t.Errorf("top case %v with reasons %q; want ws2's intel hit", top.Entities[Host], top.Reasons)
	}
	if res.Cases[0].Score <= res.Cases[1].Score {
		t.Errorf("scores %.2f and %.2f", res.Cases[0].Score, res.Cases[1].Score)
	}
}
