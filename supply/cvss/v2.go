package cvss

import "strings"

// v2Specs are the CVSS v2 metrics: six base (mandatory), then temporal and
// environmental ones, validated but not scored.
var v2Specs = []metricSpec{
	{"AV", []string{"L", "A", "N"}},
	{"AC", []string{"H", "M", "L"}},
	{"Au", []string{"M", "S", "N"}},
	{"C", []string{"N", "P", "C"}},
	{"I", []string{"N", "P", "C"}},
	{"A", []string{"N", "P", "C"}},
	{"E", []string{"U", "POC", "F", "H", "ND"}},
	{"RL", []string{"OF", "TF", "W", "U", "ND"}},
	{"RC", []string{"UC", "UR", "C", "ND"}},
	{"CDP", []string{"N", "L", "LM", "MH", "H", "ND"}},
	{"TD", []string{"N", "L", "M", "H", "ND"}},
	{"CR", []string{"L", "M", "H", "ND"}},
	{"IR", []string{"L", "M", "H", "ND"}},
	{"AR", []string{"L", "M", "H", "ND"}},
}

// Weights from the CVSS v2 guide, section 3.2.1.
var (
	v2AccessVector     = map[string]float64{"L": 0.395, "A": 0.646, "N": 1.0}
	v2AccessComplexity = map[string]float64{"H": 0.35, "M": 0.61, "L": 0.71}
	v2Authentication   = map[string]float64{"M": 0.45, "S": 0.56, "N": 0.704}
	v2Impact           = map[string]float64{"N": 0, "P": 0.275, "C": 0.660}
)

// scoreV2 is the v2 base equation.
func scoreV2(vector string) (float64, error) {
	body := strings.TrimPrefix(vector, "CVSS:2.0/")
	if strings.HasPrefix(body, "(") && strings.HasSuffix(body, ")") {
		body = body[1 : len(body)-1]
	}
	m, err := parseMetrics(vector, body, v2Specs, 6, false)
	if err != nil {
		return 0, err
	}
	impact := 10.41 * (1 - (1-v2Impact[m["C"]])*(1-v2Impact[m["I"]])*(1-v2Impact[m["A"]]))
	exploitability := 20 * v2AccessVector[m["AV"]] * v2AccessComplexity[m["AC"]] * v2Authentication[m["Au"]]
	f := 1.176
	if impact == 0 {
		f = 0
	}
	score := roundHalfUp1((0.6*impact + 0.4*exploitability - 1.5) * f)
	if score < 0 {
		return 0, nil
	}
	return score, nil
}
