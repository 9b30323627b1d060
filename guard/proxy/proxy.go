// Package proxy is the guard's OpenAI-compatible reverse proxy. Applications
// point their OpenAI client at it instead of the provider; it checks each
// request's texts by role (system prompt, user turns, tool results, assistant
// turns and tool-call arguments) under the guard's policy, forwards it
// (redacted where the policy says so) and scans the answer, streamed or not,
// before the client sees it.
//
// Endpoints scanned: POST /v1/chat/completions, /v1/responses,
// /v1/completions and /v1/embeddings. GET /v1/models and /v1/models/{id} are
// passed through. Anything else is refused, so no unscanned route reaches
// the model.
//
// A blocked request gets an OpenAI-style error (400, code content_blocked)
// naming the categories found, never the text. A streamed answer that turns
// out to leak a secret or an exfiltration link is cut: the client gets a
// last chunk with finish_reason "content_filter" and the end of the stream.
package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bulwarkhq/bulwark/guard"
)

// Defaults for Config's limits.
const (
	DefaultMaxRequestBytes  = 4 << 20
	DefaultMaxResponseBytes = 32 << 20
	// maxEventBytes bounds one server-sent event of a streamed answer; the
	// last event of the Responses API repeats the whole answer.
	maxEventBytes = 8 << 20
)

// Config configures a Proxy.
type Config struct {
	// Upstream is the provider's base URL, e.g. https://api.openai.com/v1
	// (with or without the trailing /v1).
	Upstream string
	// UpstreamKey, when set, replaces the client's Authorization on the way
	// upstream. When empty the client's own Authorization is forwarded.
	UpstreamKey string
	Guard       *guard.Guard
	// Keys are the client keys accepted. With none the proxy runs open and
	// answers only clients on the loopback interface.
	Keys []Key
	// Identify, when set, replaces the proxy's own key check: the host
	// (bulwark serve) has authenticated the caller and Identify names it.
	// The caller's Authorization is then the host's credential and is never
	// forwarded upstream; UpstreamKey is sent when the upstream needs one.
	Identify func(*http.Request) (Key, bool)
	// RatePerSecond and Burst limit requests per key; zero means no limit.
	RatePerSecond float64
	Burst         int
	// MaxRequestBytes bounds a request body (default 4 MiB) and
	// MaxResponseBytes an answer that is not streamed (default 32 MiB).
	MaxRequestBytes  int64
	MaxResponseBytes int64
	Auditor          Auditor               // nil: no audit trail
	Registerer       prometheus.Registerer // nil: metrics are kept but not registered
	Transport        http.RoundTripper     // nil: a clone of http.DefaultTransport
	Logger           *slog.Logger          // nil: discard
}

// Proxy is an http.Handler guarding an OpenAI-compatible upstream.
type Proxy struct {
	cfg      Config
	upstream *url.URL
	// stripV1 is set when the upstream URL already ends in /v1, so the
	// client's /v1 prefix is not doubled.
	stripV1 bool
	client  *http.Client
	keys    map[[sha256.Size]byte]Key
	limits  *limiter
	metrics *metrics
	log     *slog.Logger
}

// New checks cfg and returns a Proxy.
func New(cfg Config) (*Proxy, error) {
	if cfg.Guard == nil {
		return nil, errors.New("proxy: no guard")
	}
	u, err := url.Parse(cfg.Upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("proxy: upstream %q is not an http(s) URL", cfg.Upstream)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	keys, err := indexKeys(cfg.Keys)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	transport := cfg.Transport
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64 // every request goes to the one upstream host
		transport = t
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Proxy{cfg: cfg, upstream: u, stripV1: strings.HasSuffix(u.Path, "/v1"),
		client: &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect would resend the body unscanned elsewhere
		}},
		keys: keys, limits: newLimiter(cfg.RatePerSecond, cfg.Burst), metrics: newMetrics(), log: log}
	if cfg.Registerer != nil {
		for _, c := range p.metrics.collectors() {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("proxy: metrics: %w", err)
			}
		}
	}
	return p, nil
}

// route maps a request path to an endpoint.
func route(path string) (endpoint, bool) {
	switch path {
	case "/v1/chat/completions":
		return chatCompletions, true
	case "/v1/responses":
		return responses, true
	case "/v1/completions":
		return completions, true
	case "/v1/embeddings":
		return embeddings, true
	case "/v1/models":
		return models, true
	}
	if id, ok := strings.CutPrefix(path, "/v1/models/"); ok && id != "" {
		return models, true
	}
	return 0, false
}

// ServeHTTP authenticates, rate-limits and routes a request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ep, ok := route(r.URL.Path)
	if !ok {
		p.reject(w, "not_found", http.StatusNotFound, "invalid_request_error", "unknown_url",
			fmt.Sprintf("Unknown request URL: %s %s. The guard proxy serves /v1/chat/completions, /v1/responses, /v1/completions, /v1/embeddings and /v1/models.", r.Method, r.URL.Path))
		return
	}
	want := http.MethodPost
	if ep == models {
		want = http.MethodGet
	}
	if r.Method != want {
		w.Header().Set("Allow", want)
		p.reject(w, "not_found", http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed",
			fmt.Sprintf("%s %s is not supported; use %s.", r.Method, r.URL.Path, want))
		return
	}
	key, ok := p.authenticate(w, r)
	if !ok {
		return
	}
	if ok, wait := p.limits.allow(key.Name); !ok {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		p.reject(w, "rate_limited", http.StatusTooManyRequests, "requests", "rate_limit_exceeded",
			fmt.Sprintf("Rate limit reached for key %q. Try again in %ds.", key.Name, secs))
		return
	}
	x := &exchange{p: p, ep: ep, start: start,
		rec: Record{Time: start.UTC(), Key: key.Name, App: key.app(), Endpoint: ep.String()}}
	if ep == models {
		p.passThrough(w, r, x)
		return
	}
	p.guarded(w, r, x)
}

// authenticate finds the client's key, or answers 401. In open mode (no
// keys) only loopback clients are served.
func (p *Proxy) authenticate(w http.ResponseWriter, r *http.Request) (Key, bool) {
	if p.cfg.Identify != nil {
		k, ok := p.cfg.Identify(r)
		if !ok {
			p.reject(w, "unauthorized", http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
				"The caller could not be identified.")
		}
		return k, ok
	}
	if len(p.keys) == 0 {
		if !remoteIsLoopback(r.RemoteAddr) {
			p.reject(w, "unauthorized", http.StatusForbidden, "invalid_request_error", "forbidden",
				"This guard proxy has no client keys configured and only serves local clients.")
			return Key{}, false
		}
		return Key{}, true
	}
	secret := clientKey(r)
	if secret == "" {
		p.reject(w, "unauthorized", http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
			"You didn't provide an API key. Send it as 'Authorization: Bearer KEY'.")
		return Key{}, false
	}
	k, ok := p.keys[sha256.Sum256([]byte(secret))]
	if !ok {
		p.reject(w, "unauthorized", http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
			"Incorrect API key provided.")
		return Key{}, false
	}
	return k, true
}

func remoteIsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// reject answers a request refused before it was scanned.
func (p *Proxy) reject(w http.ResponseWriter, reason string, status int, typ, code, msg string) {
	p.metrics.rejected.WithLabelValues(reason).Inc()
	writeError(w, status, typ, code, msg)
}

// writeError answers in the OpenAI error shape, which every OpenAI client
// library knows how to surface.
func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	body, _ := encodeObject(map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": nil, "code": code}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// exchange follows one request through the proxy, for metrics and audit.
type exchange struct {
	p        *Proxy
	ep       endpoint
	start    time.Time
	rec      Record
	guard    time.Duration
	upstream time.Duration
}

// timeGuard adds the time since t to the guard's share.
func (x *exchange) timeGuard(t time.Time) { x.guard += time.Since(t) }

// found records a verdict's findings for one direction.
func (x *exchange) found(direction string, v guard.Verdict) {
	for _, f := range v.Findings {
		x.rec.Findings = append(x.rec.Findings, AuditFinding{Direction: direction, Finding: f})
		x.p.metrics.findings.WithLabelValues(string(f.Category), direction, string(f.Action)).Inc()
	}
	act := &x.rec.RequestAction
	if direction == "response" {
		act = &x.rec.ResponseAction
	}
	if *act == "" || v.Action.Stronger(*act) {
		*act = v.Action
	}
}

// upstreamError counts an upstream failure.
func (x *exchange) upstreamError(reason string, err error) {
	x.p.metrics.upstreamErrors.WithLabelValues(x.ep.String(), reason).Inc()
	if err != nil && x.rec.Error == "" {
		x.rec.Error = err.Error()
	}
}

// finish records the exchange in metrics and the audit trail.
func (x *exchange) finish(ctx context.Context, status int) {
	total := time.Since(x.start)
	x.rec.Status = status
	x.rec.Action = guard.Allow
	for _, a := range []guard.Action{x.rec.RequestAction, x.rec.ResponseAction} {
		if a.Stronger(x.rec.Action) {
			x.rec.Action = a
		}
	}
	x.rec.LatencyMS = ms(total)
	x.rec.GuardMS = ms(x.guard)
	x.rec.UpstreamMS = ms(x.upstream)
	m, ep := x.p.metrics, x.ep.String()
	action := string(x.rec.Action)
	if x.rec.Error != "" && x.rec.Action == guard.Allow {
		action = "error"
	}
	m.requests.WithLabelValues(ep, action).Inc()
	m.guardSeconds.WithLabelValues(ep).Observe(seconds(x.guard))
	m.upstreamSecs.WithLabelValues(ep).Observe(seconds(x.upstream))
	m.totalSeconds.WithLabelValues(ep).Observe(seconds(total))
	if a := x.p.cfg.Auditor; a != nil {
		if err := a.Audit(context.WithoutCancel(ctx), x.rec); err != nil {
			m.auditErrors.Inc()
			x.p.log.Error("guard proxy: audit record not written", "err", err)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// guarded handles a scanned endpoint: read, check, forward, scan the answer.
func (p *Proxy) guarded(w http.ResponseWriter, r *http.Request, x *exchange) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, p.cfg.MaxRequestBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			p.reject(w, "too_large", http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large",
				fmt.Sprintf("The request body is larger than %d bytes.", p.cfg.MaxRequestBytes))
			return
		}
		p.reject(w, "bad_request", http.StatusBadRequest, "invalid_request_error", "bad_request", "The request body could not be read.")
		return
	}

	t := time.Now()
	req, err := parseRequest(x.ep, body)
	if err != nil {
		x.timeGuard(t)
		p.reject(w, "bad_request", http.StatusBadRequest, "invalid_request_error", "invalid_json", err.Error())
		return
	}
	x.rec.Model, x.rec.Stream = req.model, req.stream
	v := p.cfg.Guard.Check(x.rec.App, req.segs)
	x.found("request", v)
	switch v.Action {
	case guard.Block:
		x.timeGuard(t)
		writeError(w, http.StatusBadRequest, "invalid_request_error", "content_blocked",
			"The request was blocked by the guard: it contains "+describe(v.Findings, guard.Block)+".")
		x.finish(r.Context(), http.StatusBadRequest)
		return
	case guard.Redact:
		if body, err = req.rewrite(v.Segments); err != nil {
			x.timeGuard(t)
			writeError(w, http.StatusInternalServerError, "server_error", "guard_error", "The guard could not rewrite the request.")
			x.rec.Error = err.Error()
			x.finish(r.Context(), http.StatusInternalServerError)
			return
		}
	}
	x.timeGuard(t)

	resp, ok := p.forward(w, r, x, body)
	if !ok {
		return
	}
	defer resp.Body.Close()
	if mark := guardHeader(v.Action); mark != "" {
		w.Header().Set("X-Bulwark-Guard", mark)
	}
	if resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		p.relayStream(w, r, resp, x)
		return
	}
	p.relayAnswer(w, r, resp, x)
}

// describe names the categories of findings with action a, for an error
// message: what was found, never the text.
func describe(fs []guard.Finding, a guard.Action) string {
	var cats []string
	for _, f := range fs {
		if f.Action == a && !slices.Contains(cats, string(f.Category)) {
			cats = append(cats, string(f.Category))
		}
	}
	if len(cats) == 0 {
		return "content the policy does not allow"
	}
	return strings.Join(cats, ", ")
}

func guardHeader(a guard.Action) string {
	switch a {
	case guard.Flag:
		return "flagged"
	case guard.Redact:
		return "redacted"
	case guard.Block:
		return "blocked"
	}
	return ""
}

// hopHeaders are meaningful for one connection only and never forwarded.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// forward sends the request upstream. On failure it answers the client
// (502) and returns false.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, x *exchange, body []byte) (*http.Response, bool) {
	target := *p.upstream
	path := r.URL.Path
	if p.stripV1 {
		path = strings.TrimPrefix(path, "/v1")
	}
	target.Path += path
	target.RawPath = ""
	target.RawQuery = r.URL.RawQuery
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	up, err := http.NewRequestWithContext(r.Context(), r.Method, target.String(), rd)
	if err != nil {
		x.upstreamError("unreachable", err)
		writeError(w, http.StatusBadGateway, "server_error", "upstream_error", "The guard proxy could not build the upstream request.")
		x.finish(r.Context(), http.StatusBadGateway)
		return nil, false
	}
	copyHeaders(up.Header, r.Header)
	// Content-Length follows the (possibly rewritten) body; compression is
	// left to the transport, which then hands back plain text to scan.
	for _, h := range []string{"Content-Length", "Accept-Encoding", "Host", "Authorization", "Api-Key"} {
		up.Header.Del(h)
	}
	switch {
	case p.cfg.UpstreamKey != "":
		up.Header.Set("Authorization", "Bearer "+p.cfg.UpstreamKey)
	case p.cfg.Identify != nil:
		// The client's credential is the host's; it never leaves.
	case r.Header.Get("Authorization") != "":
		up.Header.Set("Authorization", r.Header.Get("Authorization"))
	case r.Header.Get("Api-Key") != "":
		up.Header.Set("Api-Key", r.Header.Get("Api-Key"))
	}
	t := time.Now()
	resp, err := p.client.Do(up)
	x.upstream += time.Since(t)
	if err != nil {
		if r.Context().Err() != nil {
			x.rec.Error = "client went away"
			x.finish(r.Context(), 499) // nobody is left to answer
			return nil, false
		}
		x.upstreamError("unreachable", err)
		p.log.Warn("guard proxy: upstream unreachable", "endpoint", x.ep.String(), "err", err)
		writeError(w, http.StatusBadGateway, "server_error", "upstream_unavailable", "The upstream model API could not be reached.")
		x.finish(r.Context(), http.StatusBadGateway)
		return nil, false
	}
	x.rec.UpstreamStatus = resp.StatusCode
	if resp.StatusCode >= 500 {
		x.upstreamError("status_5xx", nil)
	}
	return resp, true
}

func copyHeaders(dst, src http.Header) {
	for k, vs := range src {
		dst[k] = slices.Clone(vs)
	}
	for _, c := range src.Values("Connection") {
		for _, h := range strings.Split(c, ",") {
			dst.Del(strings.TrimSpace(h))
		}
	}
	for _, h := range hopHeaders {
		dst.Del(h)
	}
}

// passThrough forwards a request that carries no text to scan (the model
// list) and copies the answer back.
func (p *Proxy) passThrough(w http.ResponseWriter, r *http.Request, x *exchange) {
	resp, ok := p.forward(w, r, x, nil)
	if !ok {
		return
	}
	defer resp.Body.Close()
	copyHeaders(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	_, err := io.Copy(w, io.LimitReader(resp.Body, p.cfg.MaxResponseBytes))
	if err != nil {
		x.upstreamError("bad_stream", err)
	}
	x.finish(r.Context(), resp.StatusCode)
}
