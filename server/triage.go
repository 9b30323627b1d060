package server

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/triage"
)

// The server triages the recent alerts into cases every triageEvery, over
// the alerts of the last triageWindow (by event time): the engine scores a
// case against everything else in its input, so it sees a day at a time.
const (
	triageEvery  = 10 * time.Second
	triageWindow = 24 * time.Hour
	// maxTriageAlerts bounds one run's input (the newest are kept): each
	// alert is read and decoded every run, so the bound keeps a day of a
	// noisy network within the memory budget of a small box.
	maxTriageAlerts = 50_000
)

// triageLoop keeps the cases up to date with the alerts.
func (s *Server) triageLoop(ctx context.Context) {
	t := time.NewTicker(triageEvery)
	defer t.Stop()
	var seen int64 = -1
	for {
		// Only when alerts changed since the last run.
		if n, err := s.st.CountAlerts(ctx); err == nil && n != seen {
			if err := s.TriageNow(ctx); err != nil {
				s.log.Warn("triage", "err", err)
			} else {
				seen = n
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// TriageNow runs triage over the recent alerts, less those that live
// suppressions cover and those of closed cases, and records its cases: a
// triage case that shares alerts with a case not yet closed updates that
// case (an analyst's status, assignee and verdict stay); any other becomes
// a new case.
func (s *Server) TriageNow(ctx context.Context) error {
	s.triageMu.Lock()
	defer s.triageMu.Unlock()
	alerts, err := s.st.ListAlerts(ctx, store.AlertFilter{From: time.Now().Add(-triageWindow), Limit: maxTriageAlerts})
	if err != nil {
		return err
	}
	sups, err := s.st.ListSuppressions(ctx, time.Now())
	if err != nil {
		return err
	}
	existing, err := s.st.ListCases(ctx, store.CaseFilter{})
	if err != nil {
		return err
	}
	// Alerts of closed cases were dealt with: they open no case again.
	done := map[int64]bool{}
	for _, c := range existing {
		if c.Status == "closed" {
			for _, id := range c.AlertIDs {
				done[id] = true
			}
		}
	}
	kept := alerts[:0]
	for i := range alerts {
		if !done[alerts[i].ID] && !suppressed(sups, &alerts[i]) {
			kept = append(kept, alerts[i])
		}
	}
	alerts = kept
	if len(alerts) == 0 {
		return nil
	}
	in := make([]triage.Alert, len(alerts))
	for i, a := range alerts {
		in[i] = triage.Alert{Line: i, Time: a.Time, Name: a.Rule.Title, Rule: a.Rule.ID, Severity: a.Rule.Level,
			Entities: map[string]string{}, Source: "alerts"}
		if a.Host != "" {
			in[i].Entities[triage.Host] = a.Host
		}
		in[i].Intel = intelOf(&a.Alert)
		for k, v := range a.Entities {
			in[i].Entities[k] = v
		}
	}
	res := triage.New(triage.Options{}).Run(in)

	learned := feedbackOf(existing)
	assets, err := s.loadAssets(ctx)
	if err != nil {
		return err
	}
	byAlert := map[int64]int{} // alert id → index in existing, for cases not closed
	for i, c := range existing {
		if c.Status == "closed" {
			continue
		}
		for _, id := range c.AlertIDs {
			byAlert[id] = i
		}
	}
	created := 0
	for _, tc := range res.Cases {
		ids := make([]int64, 0, len(tc.Lines))
		severity := "informational"
		for _, line := range tc.Lines {
			a := &alerts[line]
			ids = append(ids, a.ID)
			if levelRank[a.Rule.Level] > levelRank[severity] {
				severity = a.Rule.Level
			}
		}
		slices.Sort(ids)
		c := store.Case{Status: "new"}
		match := -1
		for _, id := range ids {
			if i, ok := byAlert[id]; ok {
				match = i
				break
			}
		}
		if match >= 0 {
			c = existing[match]
			ids = mergeIDs(c.AlertIDs, ids)
		}
		rules := ruleIDsOf(tc, alerts)
		score, reasons := learned.adjust(tc.Score, tc.Reasons, rules, alerts, tc)
		score, reasons = assets.Weigh(tc.Entities[triage.Host], score, reasons)
		score, reasons = statusAdjust(tc, alerts, score, reasons)
		if match >= 0 && slices.Equal(c.AlertIDs, ids) && c.Score == score {
			continue // nothing new
		}
		c.Title = caseTitle(tc, alerts)
		c.Score, c.Reasons, c.Severity, c.AlertIDs, c.RuleIDs = score, reasons, severity, ids, rules
		c.FirstSeen, c.LastSeen = tc.FirstSeen, tc.LastSeen
		c.Entities = map[string]string{}
		for k, vs := range tc.Entities {
			c.Entities[k] = strings.Join(vs, ",")
		}
		if match >= 0 {
			err = s.st.UpdateCase(ctx, &c)
		} else {
			err = s.st.CreateCase(ctx, &c)
			created++
		}
		if err != nil {
			return fmt.Errorf("triage: %w", err)
		}
		if match < 0 {
			s.announce(c, tc.Alerts)
		}
	}
	if created > 0 {
		s.log.Info("triage opened cases", "cases", created, "alerts", len(alerts))
	}
	return nil
}

var levelRank = map[string]int{"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

// mergeIDs returns the sorted union of two sorted id lists.
func mergeIDs(a, b []int64) []int64 {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// caseTitle names a case by its most severe rule and where it happened.
func caseTitle(tc *triage.Case, alerts []store.StoredAlert) string {
	best := -1
	for _, line := range tc.Lines {
		if best < 0 || levelRank[alerts[line].Rule.Level] > levelRank[alerts[best].Rule.Level] {
			best = line
		}
	}
	title := alerts[best].Rule.Title
	if hosts := tc.Entities[triage.Host]; len(hosts) > 0 {
		title += " on " + hosts[0]
		if len(hosts) > 1 {
			title += fmt.Sprintf(" and %d more hosts", len(hosts)-1)
		}
	}
	if tc.Rules > 1 {
		title += fmt.Sprintf(" (+%d rules)", tc.Rules-1)
	}
	return title
}

// ruleIDsOf lists the distinct rules of a triage case's alerts.
func ruleIDsOf(tc *triage.Case, alerts []store.StoredAlert) []string {
	var ids []string
	for _, line := range tc.Lines {
		if id := alerts[line].Rule.ID; id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// verdicts counts the verdicts analysts gave cases of one rule.
type verdicts struct{ truePos, falsePos, benign int }

// feedback is what closed cases taught: verdicts per rule. It is derived
// from the cases each run, so reopening a case or changing its verdict
// changes it; GET /api/v1/feedback shows it.
type feedback map[string]verdicts

func feedbackOf(cases []store.Case) feedback {
	f := feedback{}
	for _, c := range cases {
		if c.Status != "closed" {
			continue
		}
		for _, r := range c.RuleIDs {
			v := f[r]
			switch c.Verdict {
			case "true-positive":
				v.truePos++
			case "false-positive":
				v.falsePos++
			case "benign":
				v.benign++
			}
			f[r] = v
		}
	}
	return f
}

// factor is how much a rule's past verdicts weigh on a new case: each
// false positive or benign verdict halves it (down to a tenth), each true
// positive raises it by a quarter (up to double), so that the same noise
// sinks and what was real before stays in sight.
func (v verdicts) factor() float64 {
	f := 1.0
	for range v.falsePos + v.benign {
		f /= 2
	}
	for range v.truePos {
		f *= 1.25
	}
	return min(max(f, 0.1), 2)
}

// adjust applies the strongest feedback among the case's rules and says so.
func (f feedback) adjust(score float64, reasons []string, rules []string, alerts []store.StoredAlert, tc *triage.Case) (float64, []string) {
	best, which := 1.0, ""
	for _, r := range rules {
		if v, ok := f[r]; ok {
			if k := v.factor(); math.Abs(k-1) > math.Abs(best-1) {
				best, which = k, r
			}
		}
	}
	if which == "" {
		return score, reasons
	}
	v := f[which]
	title := which
	for _, line := range tc.Lines {
		if alerts[line].Rule.ID == which {
			title = alerts[line].Rule.Title
			break
		}
	}
	reason := fmt.Sprintf("analysts judged earlier cases of rule %q: %d true positive, %d false positive, %d benign (score ×%.2f)",
		title, v.truePos, v.falsePos, v.benign, best)
	return score * best, append(slices.Clone(reasons), reason)
}

// statusWeight is how much a rule's maturity is trusted: SigmaHQ marks
// rules experimental until they have proven themselves in the field.
var statusWeight = map[string]float64{"stable": 1.1, "test": 1, "experimental": 0.8, "deprecated": 0.6, "unsupported": 0.6}

// statusAdjust weighs a case by the most mature of its rules: a case that
// only experimental rules raise ranks lower than the same with a stable one.
func statusAdjust(tc *triage.Case, alerts []store.StoredAlert, score float64, reasons []string) (float64, []string) {
	best, status := 0.0, ""
	for _, line := range tc.Lines {
		st := alerts[line].Rule.Status
		if w, ok := statusWeight[st]; ok && w > best {
			best, status = w, st
		}
	}
	if status == "" || best == 1 {
		return score, reasons
	}
	if best > 1 {
		return score * best, append(reasons, fmt.Sprintf("a stable rule fired: score ×%.1f", best))
	}
	return score * best, append(reasons, fmt.Sprintf("only %s rules fired: score ×%.1f", status, best))
}

// intelOf describes a threat-intel alert for triage: alerts raised by an
// indicator match carry the tag "intel" (and "source:...",
// "confidence:N", "tlp:..." tags); others are not intel hits.
func intelOf(a *alert.Alert) string {
	if !slices.Contains(a.Rule.Tags, "intel") {
		return ""
	}
	var source, confidence string
	for _, t := range a.Rule.Tags {
		if v, ok := strings.CutPrefix(t, "source:"); ok {
			source = v
		}
		if v, ok := strings.CutPrefix(t, "confidence:"); ok {
			confidence = v
		}
	}
	text := strconv.Quote(a.Rule.Title)
	if source != "" {
		text += " from " + source
	}
	if confidence != "" {
		text += ", confidence " + confidence
	}
	return text
}
