package cvss

import (
	"math"
	"testing"
)

// FuzzScore checks that no input panics and every accepted vector scores
// within [0, 10] on the 0.1 grid.
func FuzzScore(f *testing.F) {
	for _, tt := range scoreTests {
		f.Add(tt.vector)
	}
	f.Add("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSI:S/MSA:S/E:P/U:Red")
	f.Add("CVSS:3.1/")
	f.Add("CVSS:4.0/AV:N/AV:N")
	f.Fuzz(func(t *testing.T, vector string) {
		score, _, err := Score(vector)
		if err != nil {
			return
		}
		if math.IsNaN(score) || score < 0 || score > 10 {
			t.Fatalf("Score(%q) = %v, outside [0,10]", vector, score)
		}
		if math.Abs(score*10-math.Round(score*10)) > 1e-9 {
			t.Fatalf("Score(%q) = %v, not one decimal", vector, score)
		}
	})
}
