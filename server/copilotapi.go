package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/copilot/agent"
	"github.com/bulwarkhq/bulwark/copilot/assist"
	"github.com/bulwarkhq/bulwark/copilot/grammar"
	"github.com/bulwarkhq/bulwark/copilot/offline"
	"github.com/bulwarkhq/bulwark/copilot/provider"
	"github.com/bulwarkhq/bulwark/copilot/spotlight"
	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// The copilot's API. Every call is audited (who asked, which feature,
// which case, where the answer came from and its tokens) but never with
// the question's text, which may hold what an analyst suspects of whom.

// copilotRoutes are the copilot's routes, for the route table. Reading
// answers is a viewer's right; the agent is an analyst's, since it spends
// many tokens and proposes actions.
func (s *Server) copilotRoutes() []Route {
	lim := s.cfg.Limits
	return []Route{
		{"GET", "/api/v1/cases/{id}/summary", store.RoleViewer, 0, "copilot: the case summarized (by the model, or offline with a note why), claims with citations, suspected injection in the evidence, tokens", s.api(s.caseSummaryAPI)},
		{"POST", "/api/v1/cases/{id}/investigate", store.RoleAnalyst, copilotBody, "copilot: the investigation agent answers a question about the case: answer, every tool call, proposed actions (recorded as a comment, never carried out)", s.api(s.investigateAPI)},
		{"POST", "/api/v1/copilot/query", store.RoleViewer, copilotBody, "copilot: a question in words to a search query (model or built-in grammar), with its explanation; not run", s.api(s.copilotQueryAPI)},
		{"POST", "/api/v1/copilot/ask", store.RoleViewer, min(lim.APIBodyBytes, 64<<10), "copilot: answer a question (case_id for one case); Accept: text/event-stream streams it", s.api(s.copilotAskAPI)},
		{"GET", "/api/v1/copilot/usage", store.RoleViewer, 0, "copilot: the model configured (or offline) and its tokens per feature, today and in all, against the daily budget", s.api(s.copilotUsageAPI)},
	}
}

// copilotBody bounds the copilot's request bodies: a question and a case
// id.
const copilotBody = 16 << 10

// auditCopilot records a copilot call.
func (s *Server) auditCopilot(r *http.Request, feature string, caseID int64, detail string) {
	target := ""
	if caseID > 0 {
		target = "case " + strconv.FormatInt(caseID, 10)
	}
	s.audit(r, "copilot."+feature, target, detail)
}

func usageDetail(source, model string, u copilot.Usage) string {
	d := "source " + source
	if model != "" {
		d += ", model " + model
	}
	return d + ", tokens " + strconv.Itoa(u.Total())
}

// question checks a question's length.
func question(q string, required bool) (string, error) {
	q = strings.TrimSpace(q)
	if required && q == "" {
		return "", badRequest("question is required")
	}
	if len(q) > maxQuestion {
		return "", badRequest("question: at most %d bytes", maxQuestion)
	}
	return q, nil
}

func (s *Server) caseSummaryAPI(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	v, err := s.summarize(r.Context(), id, true)
	if err != nil {
		return err
	}
	s.auditCopilot(r, "summary", id, usageDetail(v.Source, v.Model, v.Usage))
	writeJSON(w, http.StatusOK, v)
	return nil
}

// queryView is a question translated to a query.
type queryView struct {
	assist.Query
	// Search is the UI's address that runs it.
	Search string `json:"search"`
}

func (s *Server) copilotQueryAPI(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Question string `json:"question"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	q, err := question(req.Question, true)
	if err != nil {
		return err
	}
	out, err := s.translate(r.Context(), q)
	if err != nil {
		s.auditCopilot(r, "query", 0, "not translated")
		return err
	}
	s.auditCopilot(r, "query", 0, usageDetail(out.Source, out.Model, out.Usage))
	writeJSON(w, http.StatusOK, queryView{Query: out, Search: "/search?q=" + url.QueryEscape(out.Query)})
	return nil
}

// translate turns a question into a query; the grammar's explanation is
// kept when the grammar answered.
func (s *Server) translate(ctx context.Context, q string) (assist.Query, error) {
	out, err := s.cop.model.ToQuery(ctx, q)
	if err != nil {
		if ctx.Err() != nil {
			return out, err
		}
		// assist's error reads "assist: query: <why the model did not
		// answer>; answered offline; grammar: <why the grammar did not>".
		msg := strings.TrimPrefix(err.Error(), "assist: query: ")
		msg = "the question could not be turned into a query: " + strings.Replace(msg, "; answered offline", "", 1)
		return out, &HTTPError{Status: http.StatusUnprocessableEntity, Msg: msg, Err: err}
	}
	if out.Source == assist.SourceGrammar && out.Explanation == "" {
		if t, ok := grammar.Translate(q, time.Now()); ok && t.Query == out.Query {
			out.Explanation = t.Explanation
		}
	}
	return out, nil
}

// askRequest is a question for Ask.
type askRequest struct {
	Question string            `json:"question"`
	CaseID   int64             `json:"case_id"`
	History  []copilot.Message `json:"history"`
}

// maxHistory bounds the earlier turns a client sends with a question.
const maxHistory = 20

func (s *Server) copilotAskAPI(w http.ResponseWriter, r *http.Request) error {
	var req askRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	q, err := question(req.Question, true)
	if err != nil {
		return err
	}
	if len(req.History) > maxHistory {
		return badRequest("history: at most %d turns", maxHistory)
	}
	areq := assist.AskRequest{Question: q, History: req.History}
	if req.CaseID < 0 {
		return badRequest("case_id %d is not a case", req.CaseID)
	}
	if req.CaseID > 0 {
		ev, err := s.gather(r.Context(), req.CaseID)
		if err != nil {
			return err
		}
		areq.Evidence = &ev
	}
	if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		ans, err := s.cop.model.Ask(r.Context(), areq, nil)
		if err != nil {
			return err
		}
		s.auditCopilot(r, "ask", req.CaseID, usageDetail(ans.Source, ans.Model, ans.Usage))
		writeJSON(w, http.StatusOK, ans)
		return nil
	}
	// Server-sent events: "delta" events carry pieces of the answer as
	// they come, "done" the whole answer, "error" a failure after the
	// stream began.
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no") // proxies must not hold the stream back
	w.WriteHeader(http.StatusOK)
	ans, err := s.cop.model.Ask(r.Context(), areq, func(text string) error {
		if err := writeSSE(w, "delta", map[string]string{"text": text}); err != nil {
			return err
		}
		return rc.Flush()
	})
	if err != nil {
		s.log.Warn("copilot ask failed", "err", err)
		s.auditCopilot(r, "ask", req.CaseID, "failed")
		_ = writeSSE(w, "error", map[string]string{"error": "the answer failed"})
		return nil
	}
	s.auditCopilot(r, "ask", req.CaseID, usageDetail(ans.Source, ans.Model, ans.Usage))
	_ = writeSSE(w, "done", ans)
	_ = rc.Flush()
	return nil
}

// writeSSE writes one server-sent event with a JSON payload, which holds
// no newline, so one data line carries it.
func writeSSE(w http.ResponseWriter, name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
	return err
}

// usageView is the copilot's token accounting.
type usageView struct {
	// Provider names the model ("openai:gpt-4o-mini"), or "offline".
	Provider   string          `json:"provider"`
	Configured bool            `json:"configured"`
	Ledger     provider.Ledger `json:"ledger"`
}

func (s *Server) copilotUsage() usageView {
	u := usageView{Provider: s.cop.providerName(), Configured: s.cop.provider != nil,
		Ledger: provider.Ledger{Today: map[string]provider.FeatureUsage{}, AllTime: map[string]provider.FeatureUsage{}, Remaining: -1}}
	if s.cop.provider != nil {
		u.Ledger = s.cop.provider.Usage()
	}
	return u
}

func (s *Server) copilotUsageAPI(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, s.copilotUsage())
	return nil
}

// --- investigations ---

// investigation is the agent's answer about a case.
type investigation struct {
	CaseID int64  `json:"case_id"`
	Answer string `json:"answer"`
	// Source is "model", or "offline" when the agent could not run (no
	// model, the budget spent, the model failed); Note says why.
	Source     string           `json:"source"`
	Model      string           `json:"model,omitempty"`
	Note       string           `json:"note,omitempty"`
	Transcript agent.Transcript `json:"transcript"`
	// Proposals are actions the agent suggests; they are recorded as a
	// case comment and in the audit log, and never carried out.
	Proposals          []agent.Proposal    `json:"proposals"`
	SuspectedInjection []spotlight.Suspect `json:"suspected_injection"`
	Usage              copilot.Usage       `json:"usage"`
}

func (s *Server) investigateAPI(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	var req struct {
		Question string `json:"question"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	q, err := question(req.Question, false)
	if err != nil {
		return err
	}
	inv, err := s.investigate(r, id, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inv)
	return nil
}

// investigate runs the agent on a case. Without a usable model the answer
// is the case's offline summary, with a note. Proposals are recorded, as
// a comment by "copilot" and in the audit log, for a human to decide.
func (s *Server) investigate(r *http.Request, caseID int64, q string) (investigation, error) {
	ctx := r.Context()
	ev, err := s.gather(ctx, caseID)
	if err != nil {
		return investigation{}, err
	}
	inv := investigation{CaseID: caseID, Source: assist.SourceModel, Proposals: []agent.Proposal{}, SuspectedInjection: []spotlight.Suspect{}}
	var runErr error
	if s.cop.provider == nil {
		runErr = copilot.ErrNoProvider
	} else {
		ag, err := agent.New(agent.Config{Provider: s.cop.provider, Spotlight: s.cop.spot,
			Backend: agent.NewStoreBackend(s.st, s.ruleInfo, attackKB())})
		if err != nil {
			return investigation{}, err
		}
		var res agent.Result
		res, runErr = ag.Investigate(ctx, agent.Task{Question: q, Evidence: &ev})
		inv.Answer, inv.Model, inv.Note, inv.Transcript = res.Answer, res.Model, res.Note, res.Transcript
		inv.Proposals = append(inv.Proposals, res.Proposals...)
		inv.Usage = res.Transcript.Usage
		if res.Spotlight.Suspects != nil {
			inv.SuspectedInjection = res.Spotlight.Suspects
		}
	}
	if inv.Transcript.Steps == nil {
		inv.Transcript.Steps = []agent.Step{}
	}
	if runErr != nil {
		if ctx.Err() != nil {
			return investigation{}, ctx.Err()
		}
		inv.Source, inv.Note = assist.SourceOffline, agentFallbackNote(runErr)
		inv.Answer = offline.Summarize(ev).Markdown()
	}
	// Proposals made before a failure were made all the same: record them.
	if err := s.recordProposals(r, caseID, inv.Proposals); err != nil {
		return investigation{}, err
	}
	detail := fmt.Sprintf("%s, %d tool calls, %d proposals", usageDetail(inv.Source, inv.Model, inv.Usage), len(inv.Transcript.Steps), len(inv.Proposals))
	s.auditCopilot(r, "investigate", caseID, detail)
	return inv, nil
}

// agentFallbackNote says why the agent did not answer.
func agentFallbackNote(err error) string {
	switch {
	case errors.Is(err, copilot.ErrNoProvider):
		return "no model configured: the agent needs one; this is the case's offline summary"
	case errors.Is(err, copilot.ErrBudget):
		return "the daily token budget is spent; this is the case's offline summary"
	default:
		return fmt.Sprintf("the model failed (%v); this is the case's offline summary", err)
	}
}

// copilotAuthor is the author of the comments the copilot writes.
const copilotAuthor = "copilot"

// recordProposals writes the agent's proposals as one case comment and one
// audit entry each. Nothing is carried out: a person reads the comment and
// decides.
func (s *Server) recordProposals(r *http.Request, caseID int64, ps []agent.Proposal) error {
	if len(ps) == 0 {
		return nil
	}
	p, _ := auth.FromContext(r.Context())
	var b strings.Builder
	fmt.Fprintf(&b, "The copilot proposed, in an investigation %s asked for (awaiting a decision by an analyst; nothing has been done):\n", p.Actor())
	for _, pr := range ps {
		fmt.Fprintf(&b, "- %s", oneLine(pr.Action))
		if pr.Target != "" {
			fmt.Fprintf(&b, " on %s", oneLine(pr.Target))
		}
		if pr.Reason != "" {
			fmt.Fprintf(&b, ": %s", oneLine(pr.Reason))
		}
		b.WriteString("\n")
		s.auditCopilot(r, "propose", caseID, clipText(oneLine(pr.Action+" "+pr.Target), 300)+" (awaiting approval, not carried out)")
	}
	text := clipText(b.String(), maxComment)
	// The comment is the record an analyst acts on: it must be written
	// even if the client went away.
	ctx := context.WithoutCancel(r.Context())
	return s.st.AddCaseComment(ctx, &store.CaseComment{CaseID: caseID, Author: copilotAuthor, Text: text})
}

// oneLine puts model-written text on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
