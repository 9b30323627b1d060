package cvss

import (
	"math"
	"strconv"
	"strings"
)

// v4Specs are the v4.0 metrics in the order the specification requires:
// eleven base metrics (mandatory), threat, environmental, supplemental.
var v4Specs = []metricSpec{
	{"AV", []string{"N", "A", "L", "P"}},
	{"AC", []string{"L", "H"}},
	{"AT", []string{"N", "P"}},
	{"PR", []string{"N", "L", "H"}},
	{"UI", []string{"N", "P", "A"}},
	{"VC", []string{"H", "L", "N"}},
	{"VI", []string{"H", "L", "N"}},
	{"VA", []string{"H", "L", "N"}},
	{"SC", []string{"H", "L", "N"}},
	{"SI", []string{"H", "L", "N"}},
	{"SA", []string{"H", "L", "N"}},
	{"E", []string{"X", "A", "P", "U"}},
	{"CR", []string{"X", "H", "M", "L"}},
	{"IR", []string{"X", "H", "M", "L"}},
	{"AR", []string{"X", "H", "M", "L"}},
	{"MAV", []string{"X", "N", "A", "L", "P"}},
	{"MAC", []string{"X", "L", "H"}},
	{"MAT", []string{"X", "N", "P"}},
	{"MPR", []string{"X", "N", "L", "H"}},
	{"MUI", []string{"X", "N", "P", "A"}},
	{"MVC", []string{"X", "H", "L", "N"}},
	{"MVI", []string{"X", "H", "L", "N"}},
	{"MVA", []string{"X", "H", "L", "N"}},
	{"MSC", []string{"X", "H", "L", "N"}},
	{"MSI", []string{"X", "S", "H", "L", "N"}},
	{"MSA", []string{"X", "S", "H", "L", "N"}},
	{"S", []string{"X", "N", "P"}},
	{"AU", []string{"X", "N", "Y"}},
	{"R", []string{"X", "A", "U", "I"}},
	{"V", []string{"X", "D", "C"}},
	{"RE", []string{"X", "L", "M", "H"}},
	{"U", []string{"X", "Clear", "Green", "Amber", "Red"}},
}

// v4Vector holds the metrics of a parsed v4.0 vector.
type v4Vector map[string]string

// effective is the value a metric takes in scoring: a modified metric
// (MAV, ...) overrides its base metric, and an unset threat or security
// requirement assumes the worst case (E:A, CR/IR/AR:H), as the
// specification says.
func (v v4Vector) effective(metric string) string {
	value, set := v[metric]
	if !set || value == "X" {
		switch metric {
		case "E":
			return "A"
		case "CR", "IR", "AR":
			return "H"
		}
	}
	if m, ok := v["M"+metric]; ok && m != "X" {
		return m
	}
	return value
}

// macroVector computes the six equivalence-class levels (specification
// section 8.1, Table 24).
func (v v4Vector) macroVector() [6]int {
	av, pr, ui := v.effective("AV"), v.effective("PR"), v.effective("UI")
	var eq [6]int
	switch {
	case av == "N" && pr == "N" && ui == "N":
		eq[0] = 0
	case (av == "N" || pr == "N" || ui == "N") && av != "P":
		eq[0] = 1
	default:
		eq[0] = 2
	}
	if !(v.effective("AC") == "L" && v.effective("AT") == "N") {
		eq[1] = 1
	}
	vc, vi, va := v.effective("VC"), v.effective("VI"), v.effective("VA")
	switch {
	case vc == "H" && vi == "H":
		eq[2] = 0
	case vc == "H" || vi == "H" || va == "H":
		eq[2] = 1
	default:
		eq[2] = 2
	}
	msi, msa := v.effective("MSI"), v.effective("MSA")
	switch {
	case msi == "S" || msa == "S":
		eq[3] = 0
	case v.effective("SC") == "H" || v.effective("SI") == "H" || v.effective("SA") == "H":
		eq[3] = 1
	default:
		eq[3] = 2
	}
	switch v.effective("E") {
	case "A":
		eq[4] = 0
	case "P":
		eq[4] = 1
	default:
		eq[4] = 2
	}
	if (v.effective("CR") == "H" && vc == "H") || (v.effective("IR") == "H" && vi == "H") || (v.effective("AR") == "H" && va == "H") {
		eq[5] = 0
	} else {
		eq[5] = 1
	}
	return eq
}

func macroKey(eq [6]int) string {
	var b strings.Builder
	for _, level := range eq {
		b.WriteString(strconv.Itoa(level))
	}
	return b.String()
}

// lookupMacro returns the score of a MacroVector and whether it exists.
func lookupMacro(eq [6]int) (float64, bool) {
	for _, level := range eq {
		if level > 9 {
			return 0, false
		}
	}
	s, ok := v4MacroScores[macroKey(eq)]
	return s, ok
}

// scoreV4 scores a v4.0 vector: the score of its MacroVector, lowered by
// the mean, over the equivalence classes that have a lower MacroVector, of
// how far the vector sits from its MacroVector's highest-severity vector
// as a share of the score gap to that lower MacroVector. This follows the
// specification (section 8.2) and FIRST's reference implementation,
// including its order of floating-point operations.
func scoreV4(vector string) (float64, error) {
	m, err := parseMetrics(vector, strings.TrimPrefix(vector, "CVSS:4.0/"), v4Specs, 11, true)
	if err != nil {
		return 0, err
	}
	v := v4Vector(m)

	noImpact := true
	for _, metric := range []string{"VC", "VI", "VA", "SC", "SI", "SA"} {
		if v.effective(metric) != "N" {
			noImpact = false
			break
		}
	}
	if noImpact {
		return 0, nil
	}

	eq := v.macroVector()
	value, ok := lookupMacro(eq)
	if !ok {
		// Unreachable for a vector that parsed; refuse rather than guess.
		return 0, &ParseError{Vector: vector, Reason: "no MacroVector " + macroKey(eq)}
	}

	lower := func(i int) [6]int { l := eq; l[i]++; return l }
	scoreEQ1, hasEQ1 := lookupMacro(lower(0))
	scoreEQ2, hasEQ2 := lookupMacro(lower(1))
	var scoreEQ3EQ6 float64
	var hasEQ3EQ6 bool
	eq3, eq6 := eq[2], eq[5]
	switch {
	case eq3 == 0 && eq6 == 0:
		// Two ways down (00 to 01 or to 10): take the higher score.
		left := eq
		left[5]++
		right := eq
		right[2]++
		l, okL := lookupMacro(left)
		r, okR := lookupMacro(right)
		hasEQ3EQ6 = okL && okR
		scoreEQ3EQ6 = math.Max(l, r)
	case eq3 == 1 && eq6 == 0:
		scoreEQ3EQ6, hasEQ3EQ6 = lookupMacro(lower(5))
	case eq3 == 2:
		// 21 has no lower MacroVector (32 does not exist).
		down := eq
		down[2]++
		down[5]++
		scoreEQ3EQ6, hasEQ3EQ6 = lookupMacro(down)
	default: // 01 to 11, 11 to 21
		scoreEQ3EQ6, hasEQ3EQ6 = lookupMacro(lower(2))
	}
	scoreEQ4, hasEQ4 := lookupMacro(lower(3))
	scoreEQ5, hasEQ5 := lookupMacro(lower(4))

	distances := v.distancesFromMax(eq)
	d := func(metric string) float64 { return distances[metric] }
	distEQ1 := d("AV") + d("PR") + d("UI")
	distEQ2 := d("AC") + d("AT")
	distEQ3EQ6 := d("VC") + d("VI") + d("VA") + d("CR") + d("IR") + d("AR")
	distEQ4 := d("SC") + d("SI") + d("SA")

	const step = 0.1
	var sum float64
	var n int
	if hasEQ1 {
		n++
		sum += (value - scoreEQ1) * (distEQ1 / (v4DepthEQ1[eq[0]] * step))
	}
	if hasEQ2 {
		n++
		sum += (value - scoreEQ2) * (distEQ2 / (v4DepthEQ2[eq[1]] * step))
	}
	if hasEQ3EQ6 {
		n++
		sum += (value - scoreEQ3EQ6) * (distEQ3EQ6 / (v4DepthEQ3EQ6[eq3][eq6] * step))
	}
	if hasEQ4 {
		n++
		sum += (value - scoreEQ4) * (distEQ4 / (v4DepthEQ4[eq[3]] * step))
	}
	if hasEQ5 {
		// EQ5 (exploit maturity) has a single value per level: its
		// proportional distance is always 0, but it counts in the mean.
		n++
		sum += (value - scoreEQ5) * 0
	}
	if n > 0 {
		value -= sum / float64(n)
	}
	return roundHalfUp1(math.Max(0, math.Min(10, value))), nil
}

// distancesFromMax finds the first highest-severity vector of the
// MacroVector that is at least as severe as v in every metric, and returns
// v's distance from it per metric. When none qualifies the distances to the
// last candidate are kept, as the reference does.
func (v v4Vector) distancesFromMax(eq [6]int) map[string]float64 {
	var distances map[string]float64
	for _, eq1 := range v4MaxEQ1[eq[0]] {
		for _, eq2 := range v4MaxEQ2[eq[1]] {
			for _, eq36 := range v4MaxEQ3EQ6[eq[2]][eq[5]] {
				for _, eq4 := range v4MaxEQ4[eq[3]] {
					for _, eq5 := range v4MaxEQ5[eq[4]] {
						max := parseMaxVector(eq1 + "/" + eq2 + "/" + eq36 + "/" + eq4 + "/" + eq5)
						distances = make(map[string]float64, len(v4LevelOrder))
						allNonNegative := true
						for _, metric := range v4LevelOrder {
							dist := v4Levels[metric][v.effective(metric)] - v4Levels[metric][max[metric]]
							distances[metric] = dist
							if dist < 0 {
								allNonNegative = false
							}
						}
						if allNonNegative {
							return distances
						}
					}
				}
			}
		}
	}
	return distances
}

func parseMaxVector(s string) map[string]string {
	out := make(map[string]string, 15)
	for _, part := range strings.Split(s, "/") {
		k, val, _ := strings.Cut(part, ":")
		out[k] = val
	}
	return out
}
