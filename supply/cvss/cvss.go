// Package cvss computes CVSS scores from vector strings, exactly as the
// FIRST specifications define them: v3.0 and v3.1 (the base equations with
// each version's Roundup), v4.0 (the MacroVector lookup table and the
// interpolation of FIRST's reference calculator) and v2 as a fallback for
// advisories that carry nothing newer.
//
// Parsing is strict: an unknown metric, a value outside a metric's range, a
// repeated or missing mandatory metric is an error that names the metric.
// A score that is silently wrong would rank a finding in the wrong place,
// so a vector we cannot read scores nothing rather than something.
package cvss

import (
	"fmt"
	"math"
	"strings"
)

// Versions, as Score reports them.
const (
	V2  = "2.0"
	V30 = "3.0"
	V31 = "3.1"
	V40 = "4.0"
)

// ParseError says which part of a vector is wrong.
type ParseError struct {
	Vector string
	Metric string // the metric at fault; empty when the fault is the whole vector
	Reason string
}

func (e *ParseError) Error() string {
	if e.Metric == "" {
		return fmt.Sprintf("cvss: %s: %q", e.Reason, e.Vector)
	}
	return fmt.Sprintf("cvss: metric %s: %s in %q", e.Metric, e.Reason, e.Vector)
}

// Score computes the score of a vector and reports its version ("2.0",
// "3.0", "3.1" or "4.0").
//
// For v3.x it is the base score: temporal and environmental metrics are
// checked but do not change it, since advisories publish the base score.
// For v4.0 there is no separate base equation: the score is that of the
// vector as written (CVSS-B for a base vector, CVSS-BT or -BE when threat or
// environmental metrics are present), which is what FIRST's calculator and
// the advisory databases show. Version 2 vectors have no prefix (an optional
// "CVSS:2.0/" or surrounding parentheses are tolerated).
func Score(vector string) (float64, string, error) {
	switch {
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		s, err := scoreV3(vector, V31)
		return s, V31, err
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		s, err := scoreV3(vector, V30)
		return s, V30, err
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		s, err := scoreV4(vector)
		return s, V40, err
	case strings.HasPrefix(vector, "CVSS:2.0/"), strings.HasPrefix(vector, "AV:"), strings.HasPrefix(vector, "(AV:"):
		s, err := scoreV2(vector)
		return s, V2, err
	case strings.HasPrefix(vector, "CVSS:"):
		prefix, _, _ := strings.Cut(vector, "/")
		return 0, "", &ParseError{Vector: vector, Reason: "unsupported version " + strings.TrimPrefix(prefix, "CVSS:")}
	}
	return 0, "", &ParseError{Vector: vector, Reason: "not a CVSS vector (expected CVSS:3.x/, CVSS:4.0/ or a v2 AV:...)"}
}

// Rating is the qualitative severity of a score in the v3 and v4 scale:
// "none" (0), "low" (0.1-3.9), "medium" (4.0-6.9), "high" (7.0-8.9),
// "critical" (9.0-10.0).
func Rating(score float64) string {
	switch {
	case score >= 9.0:
		return "critical"
	case score >= 7.0:
		return "high"
	case score >= 4.0:
		return "medium"
	case score > 0:
		return "low"
	}
	return "none"
}

// metricSpec lists a metric's allowed values.
type metricSpec struct {
	name   string
	values []string
}

// parseMetrics splits "K:V/K:V" into a map, checking every key against
// specs, every value against its key's range, and rejecting repeats. When
// ordered is set the metrics must follow the order of specs (v4.0 requires
// it); mandatory names the specs that must be present.
func parseMetrics(vector, body string, specs []metricSpec, mandatory int, ordered bool) (map[string]string, error) {
	if body == "" {
		return nil, &ParseError{Vector: vector, Reason: "no metrics"}
	}
	index := make(map[string]int, len(specs))
	for i, s := range specs {
		index[s.name] = i
	}
	got := make(map[string]string, len(specs))
	next := 0 // for ordered vectors: the lowest spec index the next metric may have
	for _, part := range strings.Split(body, "/") {
		key, value, ok := strings.Cut(part, ":")
		if !ok || key == "" {
			return nil, &ParseError{Vector: vector, Metric: part, Reason: "not a KEY:VALUE pair"}
		}
		i, known := index[key]
		if !known {
			return nil, &ParseError{Vector: vector, Metric: key, Reason: "unknown metric"}
		}
		if _, dup := got[key]; dup {
			return nil, &ParseError{Vector: vector, Metric: key, Reason: "given more than once"}
		}
		if ordered && i < next {
			return nil, &ParseError{Vector: vector, Metric: key, Reason: "out of order"}
		}
		if !contains(specs[i].values, value) {
			return nil, &ParseError{Vector: vector, Metric: key,
				Reason: fmt.Sprintf("value %q not one of %s", value, strings.Join(specs[i].values, ", "))}
		}
		got[key] = value
		next = i + 1
	}
	for _, s := range specs[:mandatory] {
		if _, ok := got[s.name]; !ok {
			return nil, &ParseError{Vector: vector, Metric: s.name, Reason: "mandatory metric missing"}
		}
	}
	return got, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// roundHalfUp1 rounds to one decimal the way JavaScript's Math.round does
// (halves go up), which FIRST's v4.0 reference and the v2 guide use.
func roundHalfUp1(x float64) float64 {
	return math.Floor(x*10+0.5) / 10
}
