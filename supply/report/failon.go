package report

import (
	"fmt"
	"strings"

	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/enrich"
)

// Exit codes of the scan command: 0 when clean (or below the --fail-on
// threshold), 1 when the threshold is met, 2 for a usage error, 3 when
// the vulnerability database is missing.
const (
	ExitClean         = 0
	ExitThresholdMet  = 1
	ExitUsage         = 2
	ExitDatabaseError = 3
)

// FailOnThresholds are the values --fail-on accepts.
var FailOnThresholds = []string{"critical", "high", "medium", "low", "kev", "malicious"}

// CheckFailOn reports a --fail-on value FailOn does not know (a usage
// error, exit 2).
func CheckFailOn(threshold string) error {
	for _, t := range FailOnThresholds {
		if threshold == t {
			return nil
		}
	}
	return fmt.Errorf("--fail-on %q: want one of %s", threshold, strings.Join(FailOnThresholds, ", "))
}

// FailOn says whether findings meet a --fail-on threshold: a priority
// ("critical", "high", "medium", "low") is met by any finding of that
// priority or worse; "kev" by any finding listed in CISA KEV; "malicious"
// by any malicious package. An unknown threshold is never met; check it
// with CheckFailOn first.
func FailOn(findings []supply.Finding, threshold string) bool {
	want := enrich.PriorityLevel(threshold)
	for _, f := range findings {
		switch threshold {
		case "kev":
			if f.KEV != nil {
				return true
			}
		case "malicious":
			if f.Malicious {
				return true
			}
		default:
			if want > 0 && enrich.PriorityLevel(priority(f)) >= want {
				return true
			}
		}
	}
	return false
}
