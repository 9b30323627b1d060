package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/guard"
	"github.com/bulwarkhq/bulwark/guard/proxy"
	"github.com/bulwarkhq/bulwark/guard/standard"
	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// guardPrefix is where the guard proxy is mounted: an app's OpenAI base URL
// becomes https://bulwark.example.org/guard/v1.
const guardPrefix = "/guard"

// guardPaths are the proxy's routes under guardPrefix.
var guardPaths = []struct{ method, path, summary string }{
	{"POST", "/v1/chat/completions", "LLM guard: chat completions, scanned both ways (streamed or not)"},
	{"POST", "/v1/responses", "LLM guard: Responses API, scanned both ways"},
	{"POST", "/v1/completions", "LLM guard: legacy completions"},
	{"POST", "/v1/embeddings", "LLM guard: embeddings (inputs scanned as documents)"},
	{"GET", "/v1/models", "LLM guard: the upstream's models"},
	{"GET", "/v1/models/{id}", "LLM guard: one upstream model"},
}

// newGuardHandler builds the guard proxy from the configuration, or a
// handler explaining that it is not configured. Callers are the server's
// ingest tokens: the proxy names them in its audit records and rate-limits
// each, and their credentials never leave for the upstream.
func (s *Server) newGuardHandler() (http.Handler, error) {
	gc := s.cfg.Guard
	if gc.Upstream == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{
				"message": "the LLM guard is not configured on this server: set guard.upstream in the configuration",
				"type":    "invalid_request_error", "param": nil, "code": "guard_not_configured",
			}})
		}), nil
	}
	var policy *guard.Policy
	if gc.Policy != "" {
		var err error
		if policy, err = guard.LoadPolicy(gc.Policy); err != nil {
			return nil, fmt.Errorf("guard: %w", err)
		}
	}
	g, err := standard.New(standard.Options{Policy: policy, AllowedHosts: gc.AllowedHosts})
	if err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	var key string
	if gc.UpstreamKeyEnv != "" {
		if key = os.Getenv(gc.UpstreamKeyEnv); key == "" {
			return nil, fmt.Errorf("guard: upstream_key_env names %s, which is not set", gc.UpstreamKeyEnv)
		}
	}
	p, err := proxy.New(proxy.Config{
		Upstream: gc.Upstream, UpstreamKey: key, Guard: g,
		RatePerSecond: gc.Rate, Burst: gc.Burst,
		Identify: func(r *http.Request) (proxy.Key, bool) {
			pr, ok := auth.FromContext(r.Context())
			return proxy.Key{Name: pr.Actor()}, ok
		},
		Auditor:    storeAuditor{s},
		Registerer: s.reg,
		Logger:     s.log.With("component", "guard"),
	})
	if err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	return http.StripPrefix(guardPrefix, p), nil
}

// storeAuditor writes the proxy's audit records to the server's audit log,
// where the team sees who sent what was blocked or redacted.
type storeAuditor struct{ s *Server }

// Audit implements proxy.Auditor.
func (a storeAuditor) Audit(ctx context.Context, rec proxy.Record) error {
	var cats []string
	for _, f := range rec.Findings {
		c := f.Direction + ":" + string(f.Category)
		if !slices.Contains(cats, c) {
			cats = append(cats, c)
		}
	}
	detail := fmt.Sprintf("status %d, upstream %d, %.1f ms (guard %.2f ms)", rec.Status, rec.UpstreamStatus, rec.LatencyMS, rec.GuardMS)
	if rec.Model != "" {
		detail = "model " + rec.Model + ", " + detail
	}
	if len(cats) > 0 {
		detail += ", findings " + strings.Join(cats, " ")
	}
	if rec.Cut {
		detail += ", stream cut"
	}
	e := store.AuditEntry{Time: rec.Time, Actor: rec.Key, Action: "guard." + string(rec.Action), Target: rec.Endpoint, Detail: detail}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	// The request's context may be gone once the answer is sent; the
	// record must still be written.
	return a.s.st.AppendAudit(context.WithoutCancel(ctx), e)
}
