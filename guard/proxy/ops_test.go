package proxy

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/guard"
)

func TestAuth(t *testing.T) {
	h := newHarness(t, nil)
	tests := []struct {
		name   string
		key    string
		status int
		code   string
	}{
		{"no key", "", 401, "invalid_api_key"},
		{"wrong key", "key-mallory", 401, "invalid_api_key"},
		{"alice", aliceKey, 200, ""},
		{"bob", bobKey, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := h.do("POST", "/v1/chat/completions", tt.key, chatBody(false, "user", "hi"))
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			if tt.code != "" {
				if _, code, _ := apiError(t, a); code != tt.code {
					t.Errorf("code %q, want %q", code, tt.code)
				}
			}
		})
	}
	if calls, _, _, _ := h.up.seen(); calls != 2 {
		t.Errorf("upstream called %d times, want 2", calls)
	}
}

func TestOpenModeOnlyForLoopback(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Keys = nil })
	if a := h.do("POST", "/v1/chat/completions", "", chatBody(false, "user", "hi")); a.status != 200 {
		t.Fatalf("loopback client in open mode: %d %s", a.status, a.body)
	}
	req := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(chatBody(false, "user", "hi")))
	req.RemoteAddr = "192.0.2.7:40000"
	w := httptest.NewRecorder()
	h.proxy.ServeHTTP(w, req)
	if w.Code != http.StatusForbidden {
		t.Fatalf("remote client in open mode: %d %s", w.Code, w.Body)
	}
}

func TestUpstreamKeyReplacesClientKey(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.UpstreamKey = "sk-upstream" })
	h.do("POST", "/v1/chat/completions", aliceKey, chatBody(false, "user", "hi"))
	if _, _, _, auth := h.up.seen(); auth != "Bearer sk-upstream" {
		t.Errorf("upstream Authorization %q", auth)
	}
}

func TestRateLimitPerKey(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RatePerSecond = 0.5; c.Burst = 2 })
	for i := range 2 {
		if a := h.do("POST", "/v1/embeddings", aliceKey, `{"model":"e","input":"x"}`); a.status != 200 {
			t.Fatalf("request %d: %d", i, a.status)
		}
	}
	a := h.do("POST", "/v1/embeddings", aliceKey, `{"model":"e","input":"x"}`)
	if a.status != http.StatusTooManyRequests {
		t.Fatalf("third request: %d", a.status)
	}
	if secs, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || secs < 1 || secs > 2 {
		t.Errorf("Retry-After %q", a.header.Get("Retry-After"))
	}
	if typ, code, _ := apiError(t, a); typ != "requests" || code != "rate_limit_exceeded" {
		t.Errorf("error %s %s", typ, code)
	}
	if a := h.do("POST", "/v1/embeddings", bobKey, `{"model":"e","input":"x"}`); a.status != 200 {
		t.Errorf("bob limited by alice's use: %d", a.status)
	}
}

func TestLimiterRefills(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(2, 1)
	l.now = func() time.Time { return now }
	if ok, _ := l.allow("k"); !ok {
		t.Fatal("first request refused")
	}
	ok, wait := l.allow("k")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("second request: %v, wait %v", ok, wait)
	}
	now = now.Add(wait)
	if ok, _ := l.allow("k"); !ok {
		t.Fatal("refused after the wait")
	}
}

func TestErrors(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	tests := []struct {
		name   string
		edit   func(*Config)
		up5xx  bool
		method string
		path   string
		body   string
		status int
		code   string
	}{
		{"body too large", func(c *Config) { c.MaxRequestBytes = 1024 }, false, "POST", "/v1/chat/completions",
			chatBody(false, "user", strings.Repeat("a", 2000)), 413, "request_too_large"},
		{"upstream down", func(c *Config) { c.Upstream = downURL }, false, "POST", "/v1/chat/completions",
			chatBody(false, "user", "hi"), 502, "upstream_unavailable"},
		{"upstream 5xx passed on", nil, true, "POST", "/v1/chat/completions", chatBody(false, "user", "hi"), 503, ""},
		{"invalid JSON", nil, false, "POST", "/v1/chat/completions", `{"model":`, 400, "invalid_json"},
		{"not an object", nil, false, "POST", "/v1/responses", `["a"]`, 400, "invalid_json"},
		{"unknown path", nil, false, "POST", "/v1/files", `{}`, 404, "unknown_url"},
		{"stored response not served", nil, false, "GET", "/v1/responses/resp_1", ``, 404, "unknown_url"},
		{"wrong method", nil, false, "GET", "/v1/chat/completions", ``, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.edit)
			if tt.up5xx {
				h.up.status = http.StatusServiceUnavailable
			}
			a := h.do(tt.method, tt.path, aliceKey, tt.body)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			if _, code, _ := apiError(t, a); tt.code != "" && code != tt.code {
				t.Errorf("code %q, want %q", code, tt.code)
			}
		})
	}
}

func TestModelsPassThrough(t *testing.T) {
	h := newHarness(t, nil)
	for _, path := range []string{"/v1/models", "/v1/models/gpt-test"} {
		a := h.do("GET", path, aliceKey, "")
		if a.status != 200 || !strings.Contains(a.body, "gpt-test") {
			t.Errorf("%s: %d %s", path, a.status, a.body)
		}
	}
}

func TestUpstreamWithoutV1(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Upstream = strings.TrimSuffix(c.Upstream, "/v1") })
	if a := h.do("POST", "/v1/completions", aliceKey, `{"model":"m","prompt":"hi"}`); a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if _, path, _, _ := h.up.seen(); path != "/v1/completions" {
		t.Errorf("upstream path %s", path)
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t, nil)
	h.do("POST", "/v1/chat/completions", aliceKey, chatBody(false, "user", "hi"))
	h.do("POST", "/v1/chat/completions", aliceKey, chatBody(false, "user", "IGNORE-ALL"))
	h.do("POST", "/v1/chat/completions", "bad", chatBody(false, "user", "hi"))
	h.auditLines(2)
	families, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			// Labels come sorted by name, as in the exposition format.
			var parts []string
			for _, l := range m.GetLabel() {
				parts = append(parts, l.GetName()+`="`+l.GetValue()+`"`)
			}
			name := f.GetName()
			if len(parts) > 0 {
				name += "{" + strings.Join(parts, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				got[name] = m.Counter.GetValue()
			case m.Histogram != nil:
				got[name] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	want := map[string]float64{
		`bulwark_guard_proxy_requests_total{action="allow",endpoint="chat.completions"}`:              1,
		`bulwark_guard_proxy_requests_total{action="block",endpoint="chat.completions"}`:              1,
		`bulwark_guard_proxy_findings_total{action="block",category="injection",direction="request"}`: 1,
		`bulwark_guard_proxy_rejected_total{reason="unauthorized"}`:                                   1,
		`bulwark_guard_proxy_guard_seconds{endpoint="chat.completions"}`:                              2,
		`bulwark_guard_proxy_upstream_seconds{endpoint="chat.completions"}`:                           2,
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %v, want %v", name, got[name], v)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	g := guard.New(nil)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no guard", Config{Upstream: "http://x"}},
		{"bad upstream", Config{Upstream: "ftp://x", Guard: g}},
		{"bad key hash", Config{Upstream: "http://x", Guard: g, Keys: []Key{{Name: "a", SHA256: "abc"}}}},
		{"duplicate name", Config{Upstream: "http://x", Guard: g, Keys: []Key{{Name: "a", SHA256: HashKey("1")}, {Name: "a", SHA256: HashKey("2")}}}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestParseKeys(t *testing.T) {
	yaml := "- name: alice\n  app: chatbot\n  sha256: " + HashKey("k1") + "\n- {name: bob, sha256: " + HashKey("k2") + "}\n"
	json := `[{"name":"alice","sha256":"` + HashKey("k1") + `"}]`
	for _, in := range []string{yaml, json} {
		keys, err := ParseKeys(strings.NewReader(in))
		if err != nil || len(keys) == 0 || keys[0].Name != "alice" {
			t.Errorf("%q: %v %v", in, keys, err)
		}
	}
	if _, err := ParseKeys(strings.NewReader("- name: a\n  key: plain\n")); err == nil {
		t.Error("unknown field accepted")
	}
}
