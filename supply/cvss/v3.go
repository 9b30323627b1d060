package cvss

import (
	"math"
	"strings"
)

// v3Specs are the v3.0/v3.1 metrics: the eight base metrics (mandatory),
// then temporal and environmental ones, which are validated but do not
// enter the base score.
var v3Specs = []metricSpec{
	{"AV", []string{"N", "A", "L", "P"}},
	{"AC", []string{"L", "H"}},
	{"PR", []string{"N", "L", "H"}},
	{"UI", []string{"N", "R"}},
	{"S", []string{"U", "C"}},
	{"C", []string{"H", "L", "N"}},
	{"I", []string{"H", "L", "N"}},
	{"A", []string{"H", "L", "N"}},
	{"E", []string{"X", "H", "F", "P", "U"}},
	{"RL", []string{"X", "U", "W", "T", "O"}},
	{"RC", []string{"X", "C", "R", "U"}},
	{"CR", []string{"X", "H", "M", "L"}},
	{"IR", []string{"X", "H", "M", "L"}},
	{"AR", []string{"X", "H", "M", "L"}},
	{"MAV", []string{"X", "N", "A", "L", "P"}},
	{"MAC", []string{"X", "L", "H"}},
	{"MPR", []string{"X", "N", "L", "H"}},
	{"MUI", []string{"X", "N", "R"}},
	{"MS", []string{"X", "U", "C"}},
	{"MC", []string{"X", "H", "L", "N"}},
	{"MI", []string{"X", "H", "L", "N"}},
	{"MA", []string{"X", "H", "L", "N"}},
}

// Metric weights from the v3.1 specification, section 7.4 (identical in 3.0).
var (
	v3AttackVector     = map[string]float64{"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
	v3AttackComplexity = map[string]float64{"L": 0.77, "H": 0.44}
	v3UserInteraction  = map[string]float64{"N": 0.85, "R": 0.62}
	v3Impact           = map[string]float64{"H": 0.56, "L": 0.22, "N": 0}
	// Privileges Required weighs more when the scope changes.
	v3PrivilegesUnchanged = map[string]float64{"N": 0.85, "L": 0.62, "H": 0.27}
	v3PrivilegesChanged   = map[string]float64{"N": 0.85, "L": 0.68, "H": 0.5}
)

// scoreV3 is the base score equation of v3.0/v3.1 (specification 7.1).
// The versions differ only in Roundup.
func scoreV3(vector, version string) (float64, error) {
	body := strings.TrimPrefix(vector, "CVSS:"+version+"/")
	m, err := parseMetrics(vector, body, v3Specs, 8, false)
	if err != nil {
		return 0, err
	}
	changed := m["S"] == "C"
	iss := 1 - (1-v3Impact[m["C"]])*(1-v3Impact[m["I"]])*(1-v3Impact[m["A"]])
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	pr := v3PrivilegesUnchanged[m["PR"]]
	if changed {
		pr = v3PrivilegesChanged[m["PR"]]
	}
	exploitability := 8.22 * v3AttackVector[m["AV"]] * v3AttackComplexity[m["AC"]] * pr * v3UserInteraction[m["UI"]]
	if impact <= 0 {
		return 0, nil
	}
	roundup := roundup31
	if version == V30 {
		roundup = roundup30
	}
	if changed {
		return roundup(math.Min(1.08*(impact+exploitability), 10)), nil
	}
	return roundup(math.Min(impact+exploitability, 10)), nil
}

// roundup30 is v3.0's Roundup: the smallest one-decimal number not below x.
func roundup30(x float64) float64 {
	return math.Ceil(x*10) / 10
}

// roundup31 is v3.1's Roundup (specification Appendix A): it works on an
// integer of x*100000 so that floating-point noise such as 4.000000000001
// does not round up to 4.1.
func roundup31(x float64) float64 {
	n := int64(math.Round(x * 100000))
	if n%10000 == 0 {
		return float64(n) / 100000
	}
	return float64(n/10000+1) / 10
}
