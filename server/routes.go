package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bulwarkhq/bulwark/guard/proxy"
	"github.com/bulwarkhq/bulwark/ingest"
	"github.com/bulwarkhq/bulwark/ingest/hec"
	"github.com/bulwarkhq/bulwark/ingest/otlp"
	"github.com/bulwarkhq/bulwark/ingest/upload"
	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// AnyRole marks routes open to every authenticated caller, whatever its
// role.
const AnyRole store.Role = "any"

// Route is one entry of the HTTP API. The table is data so that tests can
// walk every route (the route-by-role test does).
type Route struct {
	Method  string
	Path    string     // a net/http ServeMux pattern path
	Role    store.Role // the least role allowed; "" means no authentication
	Body    int64      // request body limit in bytes
	Summary string
	handler http.Handler
}

// Routes returns the API's routes.
func (s *Server) Routes() []Route {
	lim := s.cfg.Limits
	ingestBody := lim.IngestBodyBytes
	hecH := hec.New(s.pipe, hec.Options{Limits: ingest.Limits{MaxBodyBytes: ingestBody}})
	otlpH := otlp.New(s.pipe, otlp.Options{Limits: ingest.Limits{MaxBodyBytes: ingestBody}})
	up := upload.New(s.pipe, upload.Options{MaxBodyBytes: lim.UploadBodyBytes})

	r := []Route{
		{"GET", "/healthz", "", 0, "liveness: the process answers", http.HandlerFunc(s.healthz)},
		{"GET", "/readyz", "", 0, "readiness: store open, listeners up", http.HandlerFunc(s.readyz)},
		{"GET", "/metrics", store.RoleViewer, 0, "Prometheus metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})},

		{"POST", "/api/v1/login", "", lim.APIBodyBytes, "log in with user and password; sets the session cookie", s.api(s.login)},
		{"POST", "/api/v1/logout", AnyRole, lim.APIBodyBytes, "end the session", s.api(s.logout)},
		{"GET", "/api/v1/me", AnyRole, 0, "who the caller is", s.api(s.me)},

		{"GET", "/api/v1/events", store.RoleViewer, 0, "search events: q (docs/search.md), limit", s.api(s.searchEvents)},
		{"GET", "/api/v1/hunts", store.RoleViewer, 0, "saved hunts (searches the team keeps)", s.api(s.listHunts)},
		{"POST", "/api/v1/hunts", store.RoleAnalyst, lim.APIBodyBytes, "save a hunt: name and query", s.api(s.createHunt)},
		{"DELETE", "/api/v1/hunts/{name}", store.RoleAnalyst, 0, "delete a saved hunt", s.api(s.deleteHunt)},
		{"GET", "/api/v1/events/{id}", store.RoleViewer, 0, "one event", s.api(s.getEvent)},
		{"GET", "/api/v1/alerts", store.RoleViewer, 0, "alerts, newest first (order=stored with after=ID pages forward through new ones): rule, host, level, from, to, after, limit", s.api(s.listAlerts)},
		{"GET", "/api/v1/alerts/{id}", store.RoleViewer, 0, "one alert", s.api(s.getAlert)},
		{"DELETE", "/api/v1/alerts/{id}", store.RoleAnalyst, 0, "delete an alert", s.api(s.deleter("alert.delete", s.st.DeleteAlert))},
		{"GET", "/api/v1/cases", store.RoleViewer, 0, "cases, highest score first", s.api(s.listCases)},
		{"POST", "/api/v1/cases", store.RoleAnalyst, lim.APIBodyBytes, "open a case (status new)", s.api(s.createCase)},
		{"GET", "/api/v1/cases/{id}", store.RoleViewer, 0, "one case", s.api(s.getCase)},
		{"PATCH", "/api/v1/cases/{id}", store.RoleAnalyst, lim.APIBodyBytes, "update a case: status new, acknowledged, in-progress, closed (with a verdict)", s.api(s.updateCase)},
		{"DELETE", "/api/v1/cases/{id}", store.RoleAnalyst, 0, "delete a case", s.api(s.deleter("case.delete", s.st.DeleteCase))},
		{"GET", "/api/v1/cases/{id}/comments", store.RoleViewer, 0, "a case's comments, oldest first", s.api(s.listCaseComments)},
		{"POST", "/api/v1/cases/{id}/comments", store.RoleAnalyst, lim.APIBodyBytes, "comment on a case", s.api(s.addCaseComment)},
		{"GET", "/api/v1/assets", store.RoleViewer, 0, "the asset list: hosts (or patterns) and their criticality", s.api(s.getAssets)},
		{"PUT", "/api/v1/assets", store.RoleAnalyst, lim.APIBodyBytes, "replace the asset list; cases on critical assets rank higher", s.api(s.putAssets)},
		{"GET", "/api/v1/feedback", store.RoleViewer, 0, "what verdicts taught triage: per rule, the verdicts and the score factor (reopen a case or change its verdict to change it)", s.api(s.getFeedback)},
		{"GET", "/api/v1/suppressions", store.RoleViewer, 0, "live suppressions (expired=1 for all)", s.api(s.listSuppressions)},
		{"POST", "/api/v1/suppressions", store.RoleAnalyst, lim.APIBodyBytes, "keep a rule's alerts (on one entity) out of triage for a while", s.api(s.createSuppression)},
		{"DELETE", "/api/v1/suppressions/{id}", store.RoleAnalyst, 0, "undo a suppression", s.api(s.deleter("suppression.delete", s.st.DeleteSuppression))},
		{"GET", "/api/v1/stats", store.RoleViewer, 0, "counts, queue depth, detection lag", s.api(s.stats)},
		{"GET", "/api/v1/metrics/response", store.RoleViewer, 0, "time to detect, acknowledge and resolve per week: weeks (default 8)", s.api(s.responseMetrics)},

		{"GET", "/api/v1/rules", store.RoleViewer, 0, "the running rule set and its failures", s.api(s.getRules)},
		{"POST", "/api/v1/rules/{rule}/disable", store.RoleAdmin, lim.APIBodyBytes, "turn a rule off (by id) and reload", s.api(s.toggleRule(false))},
		{"POST", "/api/v1/rules/{rule}/enable", store.RoleAdmin, lim.APIBodyBytes, "turn a rule back on and reload", s.api(s.toggleRule(true))},
		{"POST", "/api/v1/rules/reload", store.RoleAdmin, lim.APIBodyBytes, "reload rules; a broken set keeps the running one", s.api(s.reloadRules)},
		{"GET", "/api/v1/users", store.RoleAdmin, 0, "users", s.api(s.listUsers)},
		{"POST", "/api/v1/users", store.RoleAdmin, lim.APIBodyBytes, "create a user", s.api(s.createUser)},
		{"DELETE", "/api/v1/users/{name}", store.RoleAdmin, 0, "delete a user", s.api(s.deleteUser)},
		{"GET", "/api/v1/tokens", store.RoleAdmin, 0, "API tokens", s.api(s.listTokens)},
		{"POST", "/api/v1/tokens", store.RoleAdmin, lim.APIBodyBytes, "create an API token; the secret is shown once", s.api(s.createToken)},
		{"DELETE", "/api/v1/tokens/{id}", store.RoleAdmin, 0, "revoke an API token", s.api(s.deleter("token.delete", s.st.DeleteToken))},
		{"GET", "/api/v1/audit", store.RoleAdmin, 0, "audit log, newest first", s.api(s.listAudit)},
	}
	r = append(r, s.copilotRoutes()...)
	r = append(r, s.supplyRoutes()...)
	r = append(r, []Route{

		{"POST", "/api/v1/ingest", store.RoleIngest, lim.UploadBodyBytes, "upload a log file (format and name query parameters)", up},
		{"POST", "/v1/logs", store.RoleIngest, ingestBody, "OTLP/HTTP logs (protobuf or JSON)", s.shed(otlpBusy, otlpH)},
	}...)
	for _, p := range hecPaths {
		method := "POST"
		if strings.Contains(p, "/health") {
			method = "GET"
		}
		h := s.shed(hecBusy, hecH)
		if method == "GET" {
			// Health says busy while the queue is full, as Splunk's does,
			// so that shippers that check it hold back.
			h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if s.pipe.Full() {
					w.Header().Set("Retry-After", strconv.Itoa(ingest.RetryAfterSeconds))
					hecBusy(w)
					return
				}
				hecH.ServeHTTP(w, r)
			})
		}
		r = append(r, Route{method, p, store.RoleIngest, ingestBody, "Splunk HEC", h})
	}
	r = append(r,
		Route{"GET", "/api/v1/ot/assets", store.RoleViewer, 0, "the OT asset inventory: hosts seen in Modbus and DNP3 traffic, their roles, peers and function codes", s.api(s.listOTAssets)},
		Route{"GET", "/api/v1/intel/sightings", store.RoleViewer, 0, "threat-intel indicators seen in this organisation's events, per indicator: days (default 30)", s.api(s.listSightings)},
		Route{"POST", "/api/v1/intel/sightings/share", store.RoleAnalyst, lim.APIBodyBytes, "share the sightings back as STIX sightings (TLP:AMBER) in a TAXII collection: days, collection", s.api(s.shareSightings)},
	)
	// TAXII 2.1: the server checks each collection's read, write and
	// TLP:AMBER lists itself; these roles are the floor.
	r = append(r,
		Route{"GET", "/taxii2/", store.RoleViewer, 0, "TAXII 2.1 discovery", s.taxii},
		Route{"GET", "/taxii/", store.RoleViewer, 0, "TAXII 2.1 API root: collections, objects (added_after, limit, next, match[...]), manifest, versions, status", s.taxii},
		Route{"POST", "/taxii/", store.RoleAnalyst, 10 << 20, "TAXII 2.1 add objects (202 with a status); indicators are matched against events at once", s.taxii},
		Route{"DELETE", "/taxii/", store.RoleAnalyst, 0, "TAXII 2.1 delete an object", s.taxii},
	)
	for _, g := range guardPaths {
		// The proxy bounds request bodies itself (4 MiB by default) and
		// answers in OpenAI's error shape.
		body := int64(0)
		if g.method == "POST" {
			body = proxy.DefaultMaxRequestBytes
		}
		r = append(r, Route{g.method, guardPrefix + g.path, store.RoleIngest, body, g.summary, s.guard})
	}
	return r
}

// shed refuses ingest requests while the queue is full, before their
// bodies are read and decoded: under overload the CPU goes to the events
// that can be accepted, not to decoding ones that will be refused.
//
// It also bounds how many ingest requests are decoded and detected at once
// (two per core, which measured best): more only compete with the writer
// for the cores and hold more batches in memory.
func (s *Server) shed(busy func(http.ResponseWriter), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.pipe.Full() {
			w.Header().Set("Retry-After", strconv.Itoa(ingest.RetryAfterSeconds))
			busy(w)
			return
		}
		if !s.decodeSlot(r) {
			w.Header().Set("Retry-After", strconv.Itoa(ingest.RetryAfterSeconds))
			busy(w)
			return
		}
		next.ServeHTTP(w, r)
		<-s.decoding
	})
}

// decodeWait is how long an ingest request waits for a decoding slot
// before it is told to retry: waiting is back-pressure too, but a sender
// that is refused promptly can spread its retries.
const decodeWait = 500 * time.Millisecond

// decodeSlot takes a decoding slot, waiting up to decodeWait, and reports
// whether it got one.
func (s *Server) decodeSlot(r *http.Request) bool {
	select {
	case s.decoding <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(decodeWait)
	defer t.Stop()
	select {
	case s.decoding <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-r.Context().Done():
		return false
	}
}

func hecBusy(w http.ResponseWriter) {
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{"text": "Server is busy", "code": 9})
}

// otlpBusy answers with a google.rpc.Status in its JSON form (code 14,
// UNAVAILABLE); OTLP clients retry on the 503 whatever the body.
func otlpBusy(w http.ResponseWriter) {
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{"code": 14, "message": "server busy: ingest queue is full"})
}

// hecPaths are the Splunk HTTP Event Collector endpoints shippers use.
var hecPaths = []string{
	"/services/collector", "/services/collector/event", "/services/collector/event/1.0",
	"/services/collector/raw", "/services/collector/raw/1.0",
	"/services/collector/health", "/services/collector/health/1.0",
}

// routes builds the handler: every route gets its body limit and, unless
// it is a probe or the login form, authentication and its role check.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	hecAuth := s.auth.WithErrorWriter(hecError)
	guardAuth := s.auth.WithErrorWriter(guardAuthError)
	taxiiAuth := s.auth.WithErrorWriter(taxiiAuthError)
	for _, rt := range s.Routes() {
		h := rt.handler
		switch {
		case rt.Role == "":
		case rt.Role == AnyRole:
			h = s.requireAny(h)
		case rt.Role == RoleUploader:
			h = s.requireRoute(rt.Role, h)
		case strings.HasPrefix(rt.Path, "/services/collector"):
			h = hecAuth.Require(rt.Role, h)
		case strings.HasPrefix(rt.Path, guardPrefix+"/"):
			h = guardAuth.Require(rt.Role, h)
		case strings.HasPrefix(rt.Path, "/taxii"):
			h = taxiiAuth.Require(rt.Role, h) // TAXII clients expect TAXII error bodies
		default:
			h = s.auth.Require(rt.Role, h)
		}
		switch {
		case strings.HasPrefix(rt.Path, "/taxii"):
			// The TAXII server bounds add requests itself, by the
			// max_content_length its API root announces (rt.Body), and
			// answers 413 with a TAXII error; it reads no other body.
		case rt.Body > 0:
			h = limitBody(rt.Body, h)
		default:
			h = limitBody(0, h)
		}
		mux.Handle(rt.Method+" "+rt.Path, h)
	}
	s.uiRoutes(mux)
	return s.logRequests(securityHeaders(mux))
}

// requireAny authenticates the caller without asking for a role.
func (s *Server) requireAny(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.Authenticate(r)
		if err != nil {
			s.auth.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p)))
	})
}

// limitBody caps the request body; 0 means no body is expected (a small
// cap still applies, so a client cannot stream an endless body).
func limitBody(n int64, next http.Handler) http.Handler {
	if n <= 0 {
		n = 4 << 10
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			writeError(w, r, &HTTPError{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("request body over %d bytes", n)})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

// hecError answers authentication failures on the HEC endpoints the way
// Splunk does, so shippers log an error they recognise.
// guardAuthError answers authentication failures on the guard's routes in
// OpenAI's error shape, which the apps calling it understand.
func guardAuthError(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	code := "invalid_api_key"
	switch status {
	case http.StatusForbidden:
		code = "forbidden"
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		code = "rate_limit_exceeded"
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error", "param": nil, "code": code}})
}

func hecError(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	code := 4 // Invalid token
	switch status {
	case http.StatusUnauthorized:
		code, msg = 2, "Token is required"
	case http.StatusForbidden:
		msg = "Invalid token"
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		code = 9
	default:
		code = 8 // Internal server error
	}
	writeJSON(w, status, map[string]any{"text": msg, "code": code})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		level := slog.LevelDebug
		if sw.status >= 500 {
			level = slog.LevelWarn
		}
		s.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "remote", r.RemoteAddr)
	})
}

// HTTPError is an error with the status and the message the client gets;
// Err, if set, is logged but not sent.
type HTTPError struct {
	Status int
	Msg    string
	Err    error
}

func (e *HTTPError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Msg, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Msg)
}

func (e *HTTPError) Unwrap() error { return e.Err }

func badRequest(format string, args ...any) error {
	return &HTTPError{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

// deleter answers DELETE …/{id}: it deletes through del and audits the
// action.
func (s *Server) deleter(action string, del func(context.Context, int64) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := idParam(r)
		if err != nil {
			return err
		}
		if err := del(r.Context(), id); err != nil {
			return err
		}
		s.audit(r, action, strconv.FormatInt(id, 10), "")
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// api adapts a handler that returns an error.
func (s *Server) api(f func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			var he *HTTPError
			if !errors.As(err, &he) {
				he = statusFromStore(err)
			}
			if he.Status >= 500 {
				s.log.Error("request failed", "path", r.URL.Path, "err", err)
			}
			writeError(w, r, he)
		}
	})
}

// statusFromStore maps store errors to responses.
func statusFromStore(err error) *HTTPError {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &HTTPError{Status: http.StatusNotFound, Msg: "not found"}
	case errors.Is(err, store.ErrConflict):
		return &HTTPError{Status: http.StatusConflict, Msg: "already exists"}
	case errors.As(err, &mbe):
		return &HTTPError{Status: http.StatusRequestEntityTooLarge, Msg: "request body too large"}
	}
	return &HTTPError{Status: http.StatusInternalServerError, Msg: "internal error", Err: err}
}

func writeError(w http.ResponseWriter, _ *http.Request, he *HTTPError) {
	writeJSON(w, he.Status, map[string]string{"error": he.Msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeList answers {"key": [...]}, an empty list rather than null when
// there is nothing, so clients need not tell the two apart.
func writeList[T any](w http.ResponseWriter, key string, items []T) {
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, map[string]any{key: items})
}

// decodeJSON reads a JSON request body into v, refusing unknown fields.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &HTTPError{Status: http.StatusRequestEntityTooLarge, Msg: "request body too large"}
		}
		return badRequest("body: %v", err)
	}
	return nil
}

// audit records a change; failing to audit is logged, the change stands.
func (s *Server) audit(r *http.Request, action, target, detail string) {
	p, _ := auth.FromContext(r.Context())
	e := store.AuditEntry{Time: time.Now().UTC(), Actor: p.Actor(), Action: action, Target: target, Detail: detail, Remote: r.RemoteAddr}
	if err := s.st.AppendAudit(r.Context(), e); err != nil {
		s.log.Error("audit write failed", "action", action, "err", err)
	}
}
