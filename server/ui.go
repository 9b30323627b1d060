package server

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bulwarkhq/bulwark/measure"
	"github.com/bulwarkhq/bulwark/search"
	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// The web UI is rendered on the server from the templates in web/, with
// one stylesheet and no script: every asset is embedded, so the UI works
// offline and makes no request beyond the server. Forms carry the
// session's CSRF token.

//go:embed web
var webFS embed.FS

var pageFuncs = template.FuncMap{
	// spans and cite render text that may come from a model: escaped,
	// with links only to this server's pages (copilotui.go).
	"spans":     textSpans,
	"cite":      citeURL,
	"usageRows": usageRows,
	"dur": func(d time.Duration) string {
		if d <= 0 {
			return "—"
		}
		return d.Round(time.Second).String()
	},
	// heat buckets a count of rules for the coverage cells' shading.
	"heat": func(n int) int {
		switch {
		case n == 0:
			return 0
		case n < 3:
			return 1
		case n < 10:
			return 2
		}
		return 3
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
}

// pages are the parsed templates, each with the layout. They are parsed on
// first use, not at start-up: every bulwark command links this package, and
// a scan or a detect run should not pay 5 MB of heap for pages it never shows.
var pages = sync.OnceValue(func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range []string{"login", "dashboard", "case", "alerts", "search", "event", "error", "coverage", "rules", "admin", "assets", "entity", "investigate", "alert", "supply"} {
		m[name] = template.Must(template.New("").Funcs(pageFuncs).ParseFS(webFS, "web/layout.tmpl", "web/"+name+".tmpl"))
	}
	return m
})

// view is what every page gets.
type view struct {
	Title, User, Role, CSRF, Flash string
	Data                           any
}

// render writes a page, buffering it so that a template error becomes a
// clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, v view) {
	var b bytes.Buffer
	if err := pages()[name].ExecuteTemplate(&b, "layout", v); err != nil {
		s.log.Error("ui: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Nothing but this server: no script, no frames, no outside requests.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// page wraps a UI handler: it needs a session (or sends the browser to
// the login page) with a role that allows need.
func (s *Server) page(need store.Role, h func(w http.ResponseWriter, r *http.Request, v view) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.Authenticate(r)
		if errors.Is(err, auth.ErrNoCredentials) || errors.Is(err, auth.ErrInvalidCredentials) {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
		}
		if err != nil {
			s.auth.WriteError(w, r, err)
			return
		}
		v := view{User: p.Name, Role: string(p.Role)}
		if p.Session != nil {
			v.CSRF = p.Session.CSRF
		}
		if !p.Allows(need) {
			v.Title, v.Data = "Not allowed", "Your role ("+string(p.Role)+") cannot see this page."
			s.render(w, http.StatusForbidden, "error", v)
			return
		}
		r = r.WithContext(auth.NewContext(r.Context(), p))
		if err := h(w, r, v); err != nil {
			he := statusFromStore(err)
			var e *HTTPError
			if errors.As(err, &e) {
				he = e
			}
			if he.Status >= 500 {
				s.log.Error("ui", "path", r.URL.Path, "err", err)
			}
			v.Title, v.Data = http.StatusText(he.Status), he.Msg
			s.render(w, he.Status, "error", v)
		}
	})
}

// uiRoutes registers the web UI on mux.
func (s *Server) uiRoutes(mux *http.ServeMux) {
	static, _ := fs.Sub(webFS, "web")
	mux.Handle("GET /static/style.css", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.Handle("GET /static/icon.svg", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.Handle("GET /favicon.ico", http.RedirectHandler("/static/icon.svg", http.StatusMovedPermanently))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.Handle("POST /login", limitBody(s.cfg.Limits.APIBodyBytes, http.HandlerFunc(s.loginForm)))
	mux.Handle("POST /logout", limitBody(s.cfg.Limits.APIBodyBytes, s.page(AnyRole, s.logoutForm)))
	mux.Handle("GET /{$}", s.page(store.RoleViewer, s.dashboard))
	mux.Handle("GET /cases/{id}", s.page(store.RoleViewer, s.casePage))
	mux.Handle("POST /cases/{id}", limitBody(s.cfg.Limits.APIBodyBytes, s.page(store.RoleAnalyst, s.caseForm)))
	mux.Handle("POST /cases/{id}/comments", limitBody(s.cfg.Limits.APIBodyBytes, s.page(store.RoleAnalyst, s.commentForm)))
	mux.Handle("POST /cases/{id}/suppress", limitBody(s.cfg.Limits.APIBodyBytes, s.page(store.RoleAnalyst, s.suppressForm)))
	// The copilot's forms are POSTs with the CSRF token although they
	// change nothing: they spend tokens.
	mux.Handle("POST /cases/{id}/summary", limitBody(copilotBody, s.page(store.RoleViewer, s.summaryForm)))
	mux.Handle("POST /cases/{id}/investigate", limitBody(copilotBody, s.page(store.RoleAnalyst, s.investigateForm)))
	mux.Handle("GET /alerts", s.page(store.RoleViewer, s.alertsPage))
	mux.Handle("GET /alerts/{id}", s.page(store.RoleViewer, s.alertPage))
	mux.Handle("GET /search", s.page(store.RoleViewer, s.searchPage))
	mux.Handle("POST /search/ask", limitBody(copilotBody, s.page(store.RoleViewer, s.askForm)))
	mux.Handle("POST /hunts", limitBody(s.cfg.Limits.APIBodyBytes, s.page(store.RoleAnalyst, s.saveHuntForm)))
	mux.Handle("GET /events/{id}", s.page(store.RoleViewer, s.eventPage))
	mux.Handle("GET /coverage", s.page(store.RoleViewer, s.coveragePage))
	mux.Handle("GET /supply", s.page(store.RoleViewer, s.supplyPage))
	mux.Handle("GET /rules", s.page(store.RoleViewer, s.rulesPage))
	mux.Handle("GET /admin", s.page(store.RoleAdmin, s.adminPage))
	mux.Handle("GET /assets", s.page(store.RoleViewer, s.assetsPage))
	mux.Handle("GET /entities/{kind}", s.page(store.RoleViewer, s.entityPage))
	mux.Handle("POST /assets", limitBody(s.cfg.Limits.APIBodyBytes, s.page(store.RoleAnalyst, s.assetsForm)))
	mux.Handle("POST /admin/users", limitBody(s.cfg.Limits.APIBodyBytes, s.page(store.RoleAdmin, s.addUserForm)))
	mux.Handle("POST /admin/users/{name}/delete", limitBody(s.cfg.Limits.APIBodyBytes, s.page(store.RoleAdmin, s.deleteUserForm)))
	mux.Handle("POST /admin/tokens", limitBody(s.cfg.Limits.APIBodyBytes, s.page(store.RoleAdmin, s.addTokenForm)))
	mux.Handle("POST /admin/tokens/{id}/delete", limitBody(s.cfg.Limits.APIBodyBytes, s.page(store.RoleAdmin, s.deleteTokenForm)))
	mux.Handle("POST /rules/{rule}/toggle", limitBody(s.cfg.Limits.APIBodyBytes, s.page(store.RoleAdmin, s.ruleToggleForm)))
	mux.Handle("POST /suppressions/{id}/delete", limitBody(s.cfg.Limits.APIBodyBytes, s.page(store.RoleAnalyst, s.unsuppressForm)))
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "login", view{Title: "Log in", Data: map[string]string{"Next": safeNext(r.URL.Query().Get("next"))}})
}

// safeNext keeps redirects after login on this server.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	_, err := s.auth.Login(r.Context(), w, r, r.PostFormValue("user"), r.PostFormValue("password"))
	if err != nil {
		msg, status := "Wrong user or password.", http.StatusUnauthorized
		var rl *auth.RateLimitError
		if errors.As(err, &rl) {
			msg, status = fmt.Sprintf("Too many failed logins: try again in %d seconds.", rl.RetryAfterSeconds()), http.StatusTooManyRequests
		} else if !errors.Is(err, auth.ErrInvalidCredentials) {
			s.auth.WriteError(w, r, err)
			return
		}
		s.render(w, status, "login", view{Title: "Log in", Data: map[string]string{"Next": next, "Error": msg}})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logoutForm(w http.ResponseWriter, r *http.Request, _ view) error {
	if err := s.auth.Logout(r.Context(), w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, v view) error {
	ctx := r.Context()
	all, err := s.st.ListCases(ctx, store.CaseFilter{Limit: 500})
	if err != nil {
		return err
	}
	var open []store.Case
	for _, c := range all {
		if c.Status != "closed" {
			open = append(open, c)
		}
	}
	events, err := s.st.CountEvents(ctx)
	if err != nil {
		return err
	}
	alerts, err := s.st.CountAlerts(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	weeks, err := measure.Weekly(ctx, s.st, now, now)
	if err != nil {
		return err
	}
	var week measure.Week
	if len(weeks) > 0 {
		week = weeks[len(weeks)-1]
	}
	recent, err := s.st.ListAlerts(ctx, store.AlertFilter{From: now.Add(-25 * time.Hour), Limit: 100_000})
	if err != nil {
		return err
	}
	v.Title = "Cases"
	// Events by the hour their batch was written in, from 23 hours before
	// the current hour on.
	hourStart := now.Truncate(time.Hour)
	perHour, err := s.st.EventsPerHour(ctx, hourStart.Add(-23*time.Hour), 24)
	if err != nil {
		return err
	}
	exposure, err := s.exposure(ctx, dashboardKEV)
	if err != nil {
		return err
	}
	v.Data = map[string]any{"Cases": open, "Open": len(open), "Events": events, "Alerts": alerts, "Week": week,
		"Hours": bars(alertsPerHour(recent, now), now), "Ingest": bars(perHour, now), "Exposure": exposure}
	s.render(w, http.StatusOK, "dashboard", v)
	return nil
}

// bar is one column of a chart drawn as SVG on the server.
type bar struct {
	X, Y, H int
	N       int
	Label   string
}

// alertsPerHour counts the alerts detected in each of the last 24 hours.
func alertsPerHour(alerts []store.StoredAlert, now time.Time) []int64 {
	counts := make([]int64, 24)
	for _, a := range alerts {
		t := a.Detected
		if t.IsZero() {
			t = a.Time
		}
		if h := int(now.Sub(t) / time.Hour); h >= 0 && h < 24 {
			counts[23-h]++
		}
	}
	return counts
}

// bars draws hourly counts as bars 100 units high at most, the last hour
// on the right.
func bars(counts []int64, now time.Time) []bar {
	peak := int64(1)
	for _, n := range counts {
		peak = max(peak, n)
	}
	out := make([]bar, len(counts))
	for i, n := range counts {
		h := int(n * 100 / peak)
		if n > 0 && h < 2 {
			h = 2
		}
		out[i] = bar{X: i * 20, Y: 100 - h, H: h, N: int(n), Label: now.Add(time.Duration(i-len(counts)+1) * time.Hour).UTC().Format("15:00")}
	}
	return out
}

type entityLink struct{ Kind, Value, Link string }

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, v view) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	return s.renderCase(w, r, v, id, nil)
}

// renderCase shows a case, with sum in the copilot panel (nil: the
// summary that costs no tokens).
func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, v view, id int64, sum *summaryView) error {
	c, err := s.st.GetCase(r.Context(), id)
	if err != nil {
		return err
	}
	var alerts []store.StoredAlert
	for i, aid := range c.AlertIDs {
		if i == 500 {
			break // the timeline of a huge case shows its first 500 alerts
		}
		if a, err := s.st.GetAlert(r.Context(), aid); err == nil {
			alerts = append(alerts, a)
		}
	}
	comments, err := s.st.ListCaseComments(r.Context(), id)
	if err != nil {
		return err
	}
	var ents []entityLink
	for _, kind := range []string{"host", "user", "src_ip", "dst_ip", "process", "file", "hash"} {
		for _, val := range strings.Split(c.Entities[kind], ",") {
			if val == "" {
				continue
			}
			ents = append(ents, entityLink{kind, val, entityURL(kind, val)})
		}
	}
	type ruleRef struct{ ID, Title string }
	var rules []ruleRef
	seenRule := map[string]bool{}
	for _, a := range alerts {
		if a.Rule.ID != "" && !seenRule[a.Rule.ID] {
			seenRule[a.Rule.ID] = true
			rules = append(rules, ruleRef{a.Rule.ID, a.Rule.Title})
		}
	}
	var hosts []string
	for _, h := range strings.Split(c.Entities["host"], ",") {
		if h != "" {
			hosts = append(hosts, h)
		}
	}
	v.Title = c.Title
	v.Data = map[string]any{"Case": c, "Alerts": alerts, "Comments": comments, "Entities": ents,
		"Rules": rules, "Hosts": hosts, "Copilot": s.casePanel(r.Context(), id, sum),
		"Statuses": []string{"new", "acknowledged", "in-progress", "closed"},
		"Verdicts": []string{"true-positive", "false-positive", "benign"}}
	s.render(w, http.StatusOK, "case", v)
	return nil
}

func (s *Server) caseForm(w http.ResponseWriter, r *http.Request, _ view) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return badRequest("bad form")
	}
	c, err := s.st.GetCase(r.Context(), id)
	if err != nil {
		return err
	}
	status, verdict, assignee := r.PostFormValue("status"), r.PostFormValue("verdict"), r.PostFormValue("assignee")
	p := casePatch{Status: &status, Verdict: &verdict, Assignee: &assignee}
	if err := p.apply(&c); err != nil {
		return err
	}
	stamp(&c, time.Now().UTC())
	if err := s.st.UpdateCase(r.Context(), &c); err != nil {
		return err
	}
	s.audit(r, "case.update", strconv.FormatInt(id, 10), "status "+status)
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) commentForm(w http.ResponseWriter, r *http.Request, _ view) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(r.PostFormValue("text"))
	if text == "" || len(text) > maxComment {
		return badRequest("a comment is 1 to %d bytes", maxComment)
	}
	p, _ := auth.FromContext(r.Context())
	if err := s.st.AddCaseComment(r.Context(), &store.CaseComment{CaseID: id, Author: p.Actor(), Text: text}); err != nil {
		return err
	}
	s.audit(r, "case.comment", strconv.FormatInt(id, 10), "")
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) suppressForm(w http.ResponseWriter, r *http.Request, _ view) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	req := suppressionRequest{RuleID: r.PostFormValue("rule_id"), Reason: r.PostFormValue("reason"),
		CaseID: id, For: r.PostFormValue("for")}
	if kind, val, ok := strings.Cut(r.PostFormValue("entity"), "="); ok {
		req.EntityKind, req.Entity = kind, val
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
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request, v view) error {
	q := r.URL.Query()
	alerts, err := s.st.ListAlerts(r.Context(), store.AlertFilter{Host: q.Get("host"), Level: q.Get("level"), Limit: 200})
	if err != nil {
		return err
	}
	v.Title = "Alerts"
	v.Data = map[string]any{"Alerts": alerts, "Host": q.Get("host"), "Level": q.Get("level"),
		"Levels": []string{"critical", "high", "medium", "low", "informational"}}
	s.render(w, http.StatusOK, "alerts", v)
	return nil
}

type eventRow struct {
	ID      int64
	Time    time.Time
	Summary string
}

func (s *Server) searchPage(w http.ResponseWriter, r *http.Request, v view) error {
	qs := r.URL.Query().Get("q")
	hunts, err := s.loadHunts(r.Context())
	if err != nil {
		return err
	}
	data := map[string]any{"Query": qs, "Hunts": hunts}
	v.Title, v.Data = "Search", data
	if qs == "" {
		s.render(w, http.StatusOK, "search", v)
		return nil
	}
	q, perr := search.Parse(qs)
	if perr != nil {
		data["Error"] = perr.Error()
		s.render(w, http.StatusBadRequest, "search", v)
		return nil
	}
	f := q.Filter()
	f.Desc = true
	var rows []eventRow
	scanned := 0
	err = s.st.ScanEvents(r.Context(), f, func(se *store.StoredEvent) error {
		if scanned++; scanned > maxSearchScan {
			return store.ErrStop
		}
		if !q.Match(&se.Event) {
			return nil
		}
		var b strings.Builder
		for i, fld := range se.Fields {
			if i == 6 {
				break
			}
			fmt.Fprintf(&b, "%s=%s  ", fld.Name, fld.Value.Str)
		}
		rows = append(rows, eventRow{se.ID, se.Time, b.String()})
		if len(rows) == 100 {
			return store.ErrStop
		}
		return nil
	})
	if err != nil {
		return err
	}
	data["Events"] = rows
	s.render(w, http.StatusOK, "search", v)
	return nil
}

func (s *Server) eventPage(w http.ResponseWriter, r *http.Request, v view) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	var found *store.StoredEvent
	err = s.st.ScanEvents(r.Context(), store.EventFilter{AfterID: id - 1, Limit: 1}, func(se *store.StoredEvent) error {
		if se.ID == id {
			found = &store.StoredEvent{ID: se.ID, Event: *se.Event.Clone()}
		}
		return store.ErrStop
	})
	if err != nil {
		return err
	}
	if found == nil {
		return &HTTPError{Status: http.StatusNotFound, Msg: "No such event (never stored, or past retention)."}
	}
	v.Title, v.Data = fmt.Sprintf("Event %d", id), found
	s.render(w, http.StatusOK, "event", v)
	return nil
}
