package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/bulwarkhq/bulwark/copilot/provider"
	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// The copilot in the web UI: a panel on the case page (the summary, its
// citations as links, suspected injection as a warning, the investigate
// form), the investigation's page, the search page's "Ask in words" form
// and the token usage on the admin page.
//
// Everything a model writes is untrusted: templates escape it, and the
// only links drawn from it are to this server's own pages, built from ids
// the evidence holds (see citeURL and textSpans).

// copilotPanel is what the case page's copilot panel shows.
type copilotPanel struct {
	Summary *summaryView
	Error   string
	// Provider names the model; Configured says there is one.
	Provider   string
	Configured bool
	// CanInvestigate: the agent is an analyst's tool.
	CanInvestigate bool
}

// casePanel summarizes the case for its page; the default costs no tokens
// (offline, or the model's summary kept from an earlier request). A failure
// leaves the rest of the case page working.
func (s *Server) casePanel(ctx context.Context, caseID int64, sum *summaryView) copilotPanel {
	p, _ := auth.FromContext(ctx)
	panel := copilotPanel{Provider: s.cop.providerName(), Configured: s.cop.provider != nil, CanInvestigate: p.Allows(store.RoleAnalyst)}
	if sum == nil {
		v, err := s.summarize(ctx, caseID, false)
		if err != nil {
			s.log.Warn("copilot: case summary", "case", caseID, "err", err)
			panel.Error = "The copilot could not summarize this case."
			return panel
		}
		sum = &v
	}
	panel.Summary = sum
	return panel
}

// summaryForm asks the model for the case's summary and shows the case
// page with it.
func (s *Server) summaryForm(w http.ResponseWriter, r *http.Request, v view) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	sum, err := s.summarize(r.Context(), id, true)
	if err != nil {
		return err
	}
	s.auditCopilot(r, "summary", id, usageDetail(sum.Source, sum.Model, sum.Usage))
	return s.renderCase(w, r, v, id, &sum)
}

// investigatePage shows an investigation: the question, the answer,
// every tool call and the proposals.
type investigatePage struct {
	investigation
	Question string
	Case     store.Case
}

func (s *Server) investigateForm(w http.ResponseWriter, r *http.Request, v view) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	q, err := question(r.PostFormValue("question"), false)
	if err != nil {
		return err
	}
	c, err := s.st.GetCase(r.Context(), id)
	if err != nil {
		return err
	}
	inv, err := s.investigate(r, id, q)
	if err != nil {
		return err
	}
	v.Title = "Investigation of case " + strconv.FormatInt(id, 10)
	v.Data = investigatePage{investigation: inv, Question: q, Case: c}
	s.render(w, http.StatusOK, "investigate", v)
	return nil
}

// askForm translates a question into a query and shows it in the search
// box, not run: the analyst reads the query and its explanation, then
// presses Search.
func (s *Server) askForm(w http.ResponseWriter, r *http.Request, v view) error {
	q, err := question(r.PostFormValue("question"), true)
	if err != nil {
		return err
	}
	hunts, err := s.loadHunts(r.Context())
	if err != nil {
		return err
	}
	data := map[string]any{"Hunts": hunts, "Question": q}
	v.Title, v.Data = "Search", data
	out, err := s.translate(r.Context(), q)
	var he *HTTPError
	switch {
	case errors.As(err, &he) && he.Status == http.StatusUnprocessableEntity:
		s.auditCopilot(r, "query", 0, "not translated")
		data["AskError"] = he.Msg
		s.render(w, http.StatusUnprocessableEntity, "search", v)
		return nil
	case err != nil:
		return err
	}
	s.auditCopilot(r, "query", 0, usageDetail(out.Source, out.Model, out.Usage))
	data["Query"], data["Translation"] = out.Query, out
	s.render(w, http.StatusOK, "search", v)
	return nil
}

// alertPage shows one alert, the page that summaries' citations of alerts
// link to.
func (s *Server) alertPage(w http.ResponseWriter, r *http.Request, v view) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	a, err := s.st.GetAlert(r.Context(), id)
	if err != nil {
		return err
	}
	v.Title, v.Data = fmt.Sprintf("Alert %d", id), a
	s.render(w, http.StatusOK, "alert", v)
	return nil
}

// usageRow is one feature's line in the admin page's usage table.
type usageRow struct {
	Feature      string
	Today, InAll provider.FeatureUsage
}

func usageRows(l provider.Ledger) []usageRow {
	var rows []usageRow
	for f, all := range l.AllTime {
		rows = append(rows, usageRow{Feature: f, Today: l.Today[f], InAll: all})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Feature < rows[j].Feature })
	return rows
}

// span is a piece of text as a page shows it: plain, a code span, or a
// citation linking to one of this server's pages.
type span struct {
	Text string
	Code bool
	Link string
}

// textSpans splits text into plain text, `code` spans and citations
// (alert:12, event:345, case:3) for a template to render, escaped. No
// other link is drawn, whatever the text holds.
func textSpans(text string) []span {
	var out []span
	code := false
	for i, part := range strings.Split(text, "`") {
		if i > 0 {
			code = !code
		}
		if part == "" {
			continue
		}
		if code {
			out = append(out, span{Text: part, Code: true})
			continue
		}
		last := 0
		for _, m := range citeRe.FindAllStringSubmatchIndex(part, -1) {
			if m[0] > last {
				out = append(out, span{Text: part[last:m[0]]})
			}
			ref := strings.ToLower(part[m[2]:m[3]]) + ":" + part[m[4]:m[5]]
			out = append(out, span{Text: part[m[0]:m[1]], Link: citeURL(ref)})
			last = m[1]
		}
		if last < len(part) {
			out = append(out, span{Text: part[last:]})
		}
	}
	return out
}

// citeURL is the page of a cited id ("alert:12" → /alerts/12), or "" for
// anything else.
func citeURL(ref string) string {
	kind, id, ok := strings.Cut(ref, ":")
	if n, err := strconv.ParseInt(id, 10, 64); !ok || err != nil || n <= 0 {
		return ""
	}
	switch kind {
	case "alert":
		return "/alerts/" + id
	case "event":
		return "/events/" + id
	case "case":
		return "/cases/" + id
	}
	return ""
}
