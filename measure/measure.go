// Package measure computes the defense metrics a small team reports on:
// mean time to detect (from an event to its alert), to acknowledge (from a
// case opening to someone taking it) and to resolve (from opening to
// closing), per week.
package measure

import (
	"context"
	"time"

	"github.com/bulwarkhq/bulwark/store"
)

// Source is what the metrics read.
type Source interface {
	ListAlerts(ctx context.Context, f store.AlertFilter) ([]store.StoredAlert, error)
	ListCases(ctx context.Context, f store.CaseFilter) ([]store.Case, error)
}

// Week is one week's figures. Durations are zero when nothing was measured.
type Week struct {
	Start        time.Time     `json:"start"` // Monday 00:00 UTC
	Alerts       int           `json:"alerts"`
	MTTD         time.Duration `json:"mttd_ns"`
	Opened       int           `json:"cases_opened"`
	Acknowledged int           `json:"cases_acknowledged"`
	MTTA         time.Duration `json:"mtta_ns"`
	Closed       int           `json:"cases_closed"`
	MTTR         time.Duration `json:"mttr_ns"`
}

// Stale is how old an event may be when its alert is raised and still count
// towards the time to detect: older ones come from logs uploaded or
// replayed after the fact, whose delay says nothing about detection.
const Stale = 7 * 24 * time.Hour

// weekStart returns the Monday 00:00 UTC that starts t's week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	d := (int(t.Weekday()) + 6) % 7 // days since Monday
	return time.Date(t.Year(), t.Month(), t.Day()-d, 0, 0, 0, 0, time.UTC)
}

// mean accumulates durations.
type mean struct {
	sum time.Duration
	n   int
}

func (m *mean) add(d time.Duration) { m.sum += d; m.n++ }

func (m mean) value() time.Duration {
	if m.n == 0 {
		return 0
	}
	return m.sum / time.Duration(m.n)
}

// Weekly returns the figures of the weeks from the one holding from to the
// one holding to, oldest first.
func Weekly(ctx context.Context, src Source, from, to time.Time) ([]Week, error) {
	first, last := weekStart(from), weekStart(to)
	n := int(last.Sub(first)/(7*24*time.Hour)) + 1
	if n <= 0 || n > 520 {
		return nil, nil
	}
	weeks := make([]Week, n)
	for i := range weeks {
		weeks[i].Start = first.AddDate(0, 0, 7*i)
	}
	index := func(t time.Time) int {
		if t.IsZero() {
			return -1
		}
		i := int(weekStart(t).Sub(first) / (7 * 24 * time.Hour))
		if i < 0 || i >= n {
			return -1
		}
		return i
	}
	end := last.AddDate(0, 0, 7)

	// Alerts by detection time; an alert's Time is its event's, so the
	// window reaches back by Stale.
	alerts, err := src.ListAlerts(ctx, store.AlertFilter{From: first.Add(-Stale), To: end})
	if err != nil {
		return nil, err
	}
	detect := make([]mean, n)
	for _, a := range alerts {
		i := index(a.Detected)
		if i < 0 {
			continue
		}
		weeks[i].Alerts++
		if delay := a.Detected.Sub(a.Time); !a.Time.IsZero() && delay >= 0 && delay <= Stale {
			detect[i].add(delay)
		}
	}
	cases, err := src.ListCases(ctx, store.CaseFilter{})
	if err != nil {
		return nil, err
	}
	ack, resolve := make([]mean, n), make([]mean, n)
	for _, c := range cases {
		if i := index(c.Created); i >= 0 {
			weeks[i].Opened++
		}
		if i := index(c.Acknowledged); i >= 0 {
			weeks[i].Acknowledged++
			ack[i].add(c.Acknowledged.Sub(c.Created))
		}
		if i := index(c.Closed); i >= 0 {
			weeks[i].Closed++
			resolve[i].add(c.Closed.Sub(c.Created))
		}
	}
	for i := range weeks {
		weeks[i].MTTD, weeks[i].MTTA, weeks[i].MTTR = detect[i].value(), ack[i].value(), resolve[i].value()
	}
	return weeks, nil
}
