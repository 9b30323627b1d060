// Package codec is how Bulwark's SQL stores (store/sqlite, store/postgres)
// encode what they keep, so that both read back the same values: times as
// nanosecond counts, alerts as JSON documents with their rule kept once
// (store/internal/ruledoc), supply priorities as sortable levels.
package codec

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/store"
)

// The range of times a nanosecond count can hold.
var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// UnixNanos is how times are stored. The zero time is 0 so that "unset"
// survives a round trip; times beyond what int64 nanoseconds can hold
// (before 1678 or after 2262) are clamped, which keeps them in order.
func UnixNanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Before(minNanoTime):
		return math.MinInt64
	case t.After(maxNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// FromUnixNanos reverses UnixNanos, returning times in UTC.
func FromUnixNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// Now is the current time as it will read back from the database.
func Now() time.Time { return FromUnixNanos(time.Now().UnixNano()) }

// PriorityLevels orders supply priorities for sorting (supply/enrich's
// PriorityLevel, kept here so the stores do not depend on enrichment);
// LevelNames reverses it.
var (
	PriorityLevels = map[string]int{"critical": 4, "high": 3, "medium": 2, "low": 1}
	LevelNames     = map[int]string{4: "critical", 3: "high", 2: "medium", 1: "low"}
)

// Scanner is a database row: *sql.Row, *sql.Rows, pgx.Row.
type Scanner interface {
	Scan(dest ...any) error
}

// ScanAlert reads an alert row: id, event id, detection time (nanoseconds),
// the alert's JSON and its rule's JSON (NULL when the rule is missing: a
// LEFT JOIN never hides an alert for want of its rule).
func ScanAlert(row Scanner) (store.StoredAlert, error) {
	var a store.StoredAlert
	var doc, rule []byte
	var detected int64
	if err := row.Scan(&a.ID, &a.EventID, &detected, &doc, &rule); err != nil {
		return a, err
	}
	a.Detected = FromUnixNanos(detected)
	if err := json.Unmarshal(doc, &a.Alert); err != nil {
		return a, fmt.Errorf("alert %d: decode: %w", a.ID, err)
	}
	a.Rule = alert.Rule{}
	if rule != nil {
		if err := json.Unmarshal(rule, &a.Rule); err != nil {
			return a, fmt.Errorf("alert %d: decode its rule: %w", a.ID, err)
		}
	}
	utcAlertTimes(&a.Alert)
	return a, nil
}

// utcAlertTimes puts every time in a into UTC, as the stores return all
// times; JSON kept the zone offset each was written with.
func utcAlertTimes(a *alert.Alert) {
	a.Time = a.Time.UTC()
	if c := a.Correlation; c != nil {
		c.First, c.Last = c.First.UTC(), c.Last.UTC()
		for i := range c.Events {
			c.Events[i].Time = c.Events[i].Time.UTC()
		}
	}
}
