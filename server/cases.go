package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// A case is new until someone acknowledges it, then in progress, then
// closed with a verdict (and may be reopened).
var caseStatuses = map[string]bool{"new": true, "acknowledged": true, "in-progress": true, "closed": true}
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
	writeList(w, "cases", cs)
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
			return badRequest("status %q: use new, acknowledged, in-progress or closed", *p.Status)
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
	if c.Status == "closed" && c.Verdict == "" {
		return badRequest("closing a case needs a verdict: true-positive, false-positive or benign")
	}
	return nil
}

// stamp records when a case was first acknowledged and when it was
// closed, the times MTTA and MTTR are measured from.
func stamp(c *store.Case, now time.Time) {
	if c.Status != "new" && c.Acknowledged.IsZero() {
		c.Acknowledged = now
	}
	switch {
	case c.Status == "closed" && c.Closed.IsZero():
		c.Closed = now
	case c.Status != "closed":
		c.Closed = time.Time{} // reopened
	}
}

func (s *Server) createCase(w http.ResponseWriter, r *http.Request) error {
	var p casePatch
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	c := store.Case{Status: "new", Severity: "medium"}
	if err := p.apply(&c); err != nil {
		return err
	}
	stamp(&c, time.Now().UTC())
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
	stamp(&c, time.Now().UTC())
	if err := s.st.UpdateCase(r.Context(), &c); err != nil {
		return err
	}
	s.audit(r, "case.update", strconv.FormatInt(id, 10), "")
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) listCaseComments(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if _, err := s.st.GetCase(r.Context(), id); err != nil {
		return err
	}
	cs, err := s.st.ListCaseComments(r.Context(), id)
	if err != nil {
		return err
	}
	writeList(w, "comments", cs)
	return nil
}

// maxComment bounds a comment's length.
const maxComment = 16 << 10

func (s *Server) addCaseComment(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	var req struct {
		Text string `json:"text"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Text) == "" || len(req.Text) > maxComment {
		return badRequest("text: 1 to %d bytes", maxComment)
	}
	p, _ := auth.FromContext(r.Context())
	c := store.CaseComment{CaseID: id, Author: p.Actor(), Text: req.Text}
	if err := s.st.AddCaseComment(r.Context(), &c); err != nil {
		return err
	}
	s.audit(r, "case.comment", strconv.FormatInt(id, 10), "")
	writeJSON(w, http.StatusCreated, c)
	return nil
}
