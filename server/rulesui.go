package server

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/store"
)

// disabledKey is the setting that lists the rule ids turned off.
const disabledKey = "rules.disabled"

func disabledRules(ctx context.Context, st store.Settings) (map[string]bool, error) {
	v, ok, err := st.GetSetting(ctx, disabledKey)
	if err != nil || !ok {
		return nil, err
	}
	var ids []string
	if err := json.Unmarshal([]byte(v), &ids); err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m, nil
}

// setRuleEnabled turns a rule on or off and reloads the rules; if the
// reload fails the change is kept for the next one.
func (s *Server) setRuleEnabled(ctx context.Context, id string, enabled bool) error {
	m, err := disabledRules(ctx, s.st)
	if err != nil {
		return err
	}
	if m == nil {
		m = map[string]bool{}
	}
	if enabled {
		delete(m, id)
	} else {
		m[id] = true
	}
	ids := make([]string, 0, len(m))
	for k := range m {
		ids = append(ids, k)
	}
	sort.Strings(ids)
	data, _ := json.Marshal(ids)
	if err := s.st.SetSetting(ctx, disabledKey, string(data)); err != nil {
		return err
	}
	_, err = s.ReloadRules()
	return err
}

type ruleRow struct {
	ID, Title, Level, Path string
	Hits                   int
}

// maxRuleRows bounds the rules listed: the busiest first.
const maxRuleRows = 300

func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request, v view) error {
	ctx := r.Context()
	hits := map[string]int{}
	recent, err := s.st.ListAlerts(ctx, store.AlertFilter{From: time.Now().Add(-7 * 24 * time.Hour), Limit: 200_000})
	if err != nil {
		return err
	}
	for _, a := range recent {
		hits[a.Rule.ID]++
	}
	filter := strings.ToLower(r.URL.Query().Get("q"))
	var rows []ruleRow
	for _, rl := range s.pipe.Engine().RuleSet().Rules {
		if filter != "" && !strings.Contains(strings.ToLower(rl.Title), filter) && !strings.Contains(rl.ID, filter) {
			continue
		}
		rows = append(rows, ruleRow{rl.ID, rl.Title, rl.Level.String(), rl.Path, hits[rl.ID]})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Hits > rows[j].Hits })
	more := 0
	if len(rows) > maxRuleRows {
		more, rows = len(rows)-maxRuleRows, rows[:maxRuleRows]
	}
	disabled, err := disabledRules(ctx, s.st)
	if err != nil {
		return err
	}
	var off []string
	for id := range disabled {
		off = append(off, id)
	}
	sort.Strings(off)
	sups, err := s.st.ListSuppressions(ctx, time.Now())
	if err != nil {
		return err
	}
	v.Title = "Rules"
	v.Data = map[string]any{"Status": s.rules.Load(), "Rules": rows, "More": more, "Query": r.URL.Query().Get("q"),
		"Disabled": off, "Suppressions": sups, "Admin": v.Role == string(store.RoleAdmin)}
	s.render(w, http.StatusOK, "rules", v)
	return nil
}

func (s *Server) ruleToggleForm(w http.ResponseWriter, r *http.Request, _ view) error {
	id := r.PathValue("rule")
	enable := r.PostFormValue("enable") == "1"
	if err := s.setRuleEnabled(r.Context(), id, enable); err != nil {
		return err
	}
	action := "rule.disable"
	if enable {
		action = "rule.enable"
	}
	s.audit(r, action, id, "")
	http.Redirect(w, r, "/rules", http.StatusSeeOther)
	return nil
}

func (s *Server) unsuppressForm(w http.ResponseWriter, r *http.Request, _ view) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteSuppression(r.Context(), id); err != nil {
		return err
	}
	s.audit(r, "suppression.delete", r.PathValue("id"), "")
	http.Redirect(w, r, "/rules", http.StatusSeeOther)
	return nil
}

func (s *Server) toggleRule(enable bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("rule")
		if err := s.setRuleEnabled(r.Context(), id, enable); err != nil {
			return err
		}
		action := "rule.disable"
		if enable {
			action = "rule.enable"
		}
		s.audit(r, action, id, "")
		writeJSON(w, http.StatusOK, s.rules.Load())
		return nil
	}
}
