package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/measure"
	"github.com/bulwarkhq/bulwark/search"
	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting or stopping"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.st.LastEventID(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "store unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// --- sessions ---

type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, err := s.auth.Login(r.Context(), w, r, req.User, req.Password)
	if err != nil {
		// 401 for wrong credentials, 403 for a cross-site post, 429 with
		// Retry-After when rate limited.
		s.auth.WriteError(w, r, err)
		return nil
	}
	writeJSON(w, http.StatusOK, meResponse(p))
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.auth.Logout(r.Context(), w, r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func meResponse(p auth.Principal) map[string]any {
	m := map[string]any{"name": p.Name, "role": p.Role, "kind": p.Kind}
	if p.Session != nil {
		m["csrf_token"] = p.Session.CSRF
	}
	return m
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	writeJSON(w, http.StatusOK, meResponse(p))
	return nil
}

// --- events ---

// maxSearchScan bounds the events one search reads, so that an
// unselective query on a large store returns (marked truncated) instead of
// running for minutes.
const maxSearchScan = 2_000_000

type eventJSON struct {
	ID    int64        `json:"id"`
	Event *event.Event `json:"event"`
}

// eventSearcher is a store that answers event searches itself.
type eventSearcher interface {
	SearchEvents(ctx context.Context, q *search.Query, f store.EventFilter, fn func(*store.StoredEvent) error) error
}

func (s *Server) searchEvents(w http.ResponseWriter, r *http.Request) error {
	qs := r.URL.Query()
	limit, err := intParam(qs.Get("limit"), 100, 1000)
	if err != nil {
		return err
	}
	q, err := search.Parse(qs.Get("q"))
	if err != nil {
		return badRequest("%v", err)
	}
	f := q.Filter()
	f.Desc, f.Limit = true, 0
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	out := struct {
		Query     string      `json:"query"`
		Events    []eventJSON `json:"events"`
		Scanned   int         `json:"scanned"`
		Truncated bool        `json:"truncated,omitempty"`
	}{Query: q.String(), Events: []eventJSON{}}
	// A store with its own search (PostgreSQL's trigram indexes) hands
	// over only events that match; others are scanned and matched here.
	scan, match := s.st.ScanEvents, q.Match
	if ss, ok := s.st.(eventSearcher); ok {
		scan = func(ctx context.Context, f store.EventFilter, fn func(*store.StoredEvent) error) error {
			return ss.SearchEvents(ctx, q, f, fn)
		}
		match = func(*event.Event) bool { return true }
	}
	err = scan(ctx, f, func(se *store.StoredEvent) error {
		out.Scanned++
		if match(&se.Event) {
			out.Events = append(out.Events, eventJSON{ID: se.ID, Event: se.Event.Clone()})
			if len(out.Events) == limit {
				return store.ErrStop
			}
		}
		if out.Scanned >= maxSearchScan {
			out.Truncated = true
			return store.ErrStop
		}
		return nil
	})
	if errors.Is(err, context.DeadlineExceeded) {
		out.Truncated, err = true, nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	var found *eventJSON
	err = s.st.ScanEvents(r.Context(), store.EventFilter{AfterID: id - 1, Limit: 1}, func(se *store.StoredEvent) error {
		if se.ID == id {
			found = &eventJSON{ID: se.ID, Event: se.Event.Clone()}
		}
		return store.ErrStop
	})
	if err != nil {
		return err
	}
	if found == nil {
		return &HTTPError{Status: http.StatusNotFound, Msg: "no such event (never stored, or past retention)"}
	}
	writeJSON(w, http.StatusOK, found)
	return nil
}

// --- alerts ---

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) error {
	qs := r.URL.Query()
	limit, err := intParam(qs.Get("limit"), 100, 10000)
	if err != nil {
		return err
	}
	f := store.AlertFilter{RuleID: qs.Get("rule"), Host: qs.Get("host"), Level: qs.Get("level"), Limit: limit,
		Stored: qs.Get("order") == "stored"}
	if f.From, err = timeParam(qs.Get("from")); err != nil {
		return err
	}
	if f.To, err = timeParam(qs.Get("to")); err != nil {
		return err
	}
	if f.AfterID, err = int64Param(qs.Get("after")); err != nil {
		return err
	}
	alerts, err := s.st.ListAlerts(r.Context(), f)
	if err != nil {
		return err
	}
	writeList(w, "alerts", alerts)
	return nil
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	a, err := s.st.GetAlert(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// --- stats and rules ---

func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	events, err := s.st.CountEvents(r.Context())
	if err != nil {
		return err
	}
	alerts, err := s.st.CountAlerts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"events": events, "alerts": alerts,
		"queue_events": s.pipe.QueueDepth(), "detection_lag_events": s.pipe.Lag(),
		"rules": s.rules.Load().Rules,
	})
	return nil
}

func (s *Server) getRules(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, s.rules.Load())
	return nil
}

func (s *Server) reloadRules(w http.ResponseWriter, r *http.Request) error {
	st, err := s.ReloadRules()
	if err != nil {
		s.audit(r, "rules.reload.fail", "", err.Error())
		return &HTTPError{Status: http.StatusUnprocessableEntity, Msg: "rules not reloaded, the running set stays: " + err.Error()}
	}
	s.audit(r, "rules.reload", "", strconv.Itoa(st.Rules)+" rules")
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) responseMetrics(w http.ResponseWriter, r *http.Request) error {
	weeks, err := intParam(r.URL.Query().Get("weeks"), 8, 104)
	if err != nil {
		return err
	}
	now := time.Now()
	ws, err := measure.Weekly(r.Context(), s.st, now.AddDate(0, 0, -7*(weeks-1)), now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"weeks": ws})
	return nil
}

func (s *Server) getFeedback(w http.ResponseWriter, r *http.Request) error {
	cases, err := s.st.ListCases(r.Context(), store.CaseFilter{Status: "closed"})
	if err != nil {
		return err
	}
	type ruleFeedback struct {
		RuleID        string  `json:"rule_id"`
		TruePositive  int     `json:"true_positive"`
		FalsePositive int     `json:"false_positive"`
		Benign        int     `json:"benign"`
		Factor        float64 `json:"score_factor"`
	}
	out := []ruleFeedback{}
	for id, v := range feedbackOf(cases) {
		out = append(out, ruleFeedback{id, v.truePos, v.falsePos, v.benign, v.factor()})
	}
	slices.SortFunc(out, func(a, b ruleFeedback) int { return strings.Compare(a.RuleID, b.RuleID) })
	writeJSON(w, http.StatusOK, map[string]any{"rules": out})
	return nil
}

// --- parameters ---

func idParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("id %q is not a positive integer", r.PathValue("id"))
	}
	return id, nil
}

func intParam(v string, def, max int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, badRequest("%q is not a positive integer", v)
	}
	return min(n, max), nil
}

func int64Param(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("%q is not a non-negative integer", v)
	}
	return n, nil
}

// timeParam accepts RFC 3339 times and relative ones ("24h": that long ago).
func timeParam(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, err := ParseDuration(strings.TrimPrefix(v, "-")); err == nil {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, badRequest("time %q: use RFC 3339 (2024-05-01T12:00:00Z) or a duration ago (24h, 7d)", v)
}
