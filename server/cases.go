package server

import (
	"net/http"
	"strconv"

	"github.com/bulwarkhq/bulwark/store"
)

var caseStatuses = map[string]bool{"open": true, "in-progress": true, "closed": true}
var caseVerdicts = map[string]bool{"": true, "true-positive": true, "false-positive": true, "benign": true}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r.URL.Query().Get("limit"), 100, 1000)
	if err != nil {
		return err
	}
	cs, err := s.st.ListCases(r.Context(), store.CaseFilter{Status: r.URL.Query().Get("status"), Limit: limit})
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []store.Case{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": cs})
	return nil
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	c, err := s.st.GetCase(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// casePatch holds the fields an analyst may change; nil leaves a field.
type casePatch struct {
	Title    *string  `json:"title"`
	Status   *string  `json:"status"`
	Severity *string  `json:"severity"`
	Assignee *string  `json:"assignee"`
	Verdict  *string  `json:"verdict"`
	AlertIDs *[]int64 `json:"alert_ids"`
}

func (p *casePatch) apply(c *store.Case) error {
	if p.Title != nil {
		c.Title = *p.Title
	}
	if p.Status != nil {
		if !caseStatuses[*p.Status] {
			return badRequest("status %q: use open, in-progress or closed", *p.Status)
		}
		c.Status = *p.Status
	}
	if p.Severity != nil {
		c.Severity = *p.Severity
	}
	if p.Assignee != nil {
		c.Assignee = *p.Assignee
	}
	if p.Verdict != nil {
		if !caseVerdicts[*p.Verdict] {
			return badRequest("verdict %q: use true-positive, false-positive or benign", *p.Verdict)
		}
		c.Verdict = *p.Verdict
	}
	if p.AlertIDs != nil {
		c.AlertIDs = *p.AlertIDs
	}
	if c.Title == "" {
		return badRequest("title is required")
	}
	return nil
}

func (s *Server) createCase(w http.ResponseWriter, r *http.Request) error {
	var p casePatch
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	c := store.Case{Status: "open", Severity: "medium"}
	if err := p.apply(&c); err != nil {
		return err
	}
	if err := s.st.CreateCase(r.Context(), &c); err != nil {
		return err
	}
	s.audit(r, "case.create", strconv.FormatInt(c.ID, 10), c.Title)
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) updateCase(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	var p casePatch
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	c, err := s.st.GetCase(r.Context(), id)
	if err != nil {
		return err
	}
	if err := p.apply(&c); err != nil {
		return err
	}
	if err := s.st.UpdateCase(r.Context(), &c); err != nil {
		return err
	}
	s.audit(r, "case.update", strconv.FormatInt(id, 10), "")
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) deleteCase(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteCase(r.Context(), id); err != nil {
		return err
	}
	s.audit(r, "case.delete", strconv.FormatInt(id, 10), "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
