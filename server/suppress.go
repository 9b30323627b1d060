package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// maxSuppression is the longest a suppression may last: what was benign
// once is checked again within the year.
const maxSuppression = 365 * 24 * time.Hour

type suppressionRequest struct {
	RuleID     string `json:"rule_id"`
	EntityKind string `json:"entity_kind,omitempty"`
	Entity     string `json:"entity,omitempty"`
	Reason     string `json:"reason"`
	CaseID     int64  `json:"case_id,omitempty"`
	For        string `json:"for"` // how long: "30d"
}

// newSuppression checks a request and builds the suppression.
func newSuppression(req suppressionRequest, author string, now time.Time) (store.Suppression, error) {
	d, err := ParseDuration(req.For)
	if err != nil || d <= 0 || d > maxSuppression {
		return store.Suppression{}, badRequest("for %q: a duration up to 365d, such as 30d", req.For)
	}
	if req.RuleID == "" || strings.TrimSpace(req.Reason) == "" {
		return store.Suppression{}, badRequest("rule_id and reason are required")
	}
	if (req.EntityKind == "") != (req.Entity == "") {
		return store.Suppression{}, badRequest("entity_kind and entity go together")
	}
	return store.Suppression{RuleID: req.RuleID, EntityKind: req.EntityKind, Entity: req.Entity, Reason: req.Reason,
		CaseID: req.CaseID, Author: author, Created: now, Expires: now.Add(d)}, nil
}

func (s *Server) listSuppressions(w http.ResponseWriter, r *http.Request) error {
	var at time.Time
	if r.URL.Query().Get("expired") == "" {
		at = time.Now()
	}
	ss, err := s.st.ListSuppressions(r.Context(), at)
	if err != nil {
		return err
	}
	writeList(w, "suppressions", ss)
	return nil
}

func (s *Server) createSuppression(w http.ResponseWriter, r *http.Request) error {
	var req suppressionRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, _ := auth.FromContext(r.Context())
	sup, err := newSuppression(req, p.Actor(), time.Now().UTC())
	if err != nil {
		return err
	}
	if err := s.st.CreateSuppression(r.Context(), &sup); err != nil {
		return err
	}
	s.audit(r, "suppression.create", strconv.FormatInt(sup.ID, 10), sup.RuleID+" "+sup.EntityKind+"="+sup.Entity+": "+sup.Reason)
	writeJSON(w, http.StatusCreated, sup)
	return nil
}

// suppressed reports whether a live suppression covers the alert.
func suppressed(sups []store.Suppression, a *store.StoredAlert) bool {
	for i := range sups {
		sp := &sups[i]
		if sp.RuleID != a.Rule.ID {
			continue
		}
		switch {
		case sp.EntityKind == "":
			return true
		case sp.EntityKind == "host" && sp.Entity == a.Host:
			return true
		case a.Entities[sp.EntityKind] == sp.Entity:
			return true
		}
	}
	return false
}
