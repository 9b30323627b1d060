package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// newTestServer starts a Server (built-in rules, store in a temp dir) with
// its pipeline running, and returns it with the address of an httptest
// server in front of its handler.
func newTestServer(t *testing.T) (*Server, string) {
	t.Helper()
	return newTestServerWith(t, nil)
}

// newTestServerWith is newTestServer with a chance to change the
// configuration first.
func newTestServerWith(t *testing.T, configure func(*Config)) (*Server, string) {
	t.Helper()
	cfg := Config{DataDir: t.TempDir()}
	cfg.Rules.NoBuiltin = false
	if configure != nil {
		configure(&cfg)
	}
	t.Setenv("BULWARK_DATA_DIR", t.TempDir()) // no downloaded rules
	s, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.pipe.Run(ctx) }()
	<-s.pipe.Started()
	s.ready.Store(true)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		cancel()
		<-done
		s.st.Close()
	})
	return s, hs.URL
}

// tokenFor stores a token with role and returns its secret.
func tokenFor(t *testing.T, s *Server, role store.Role) string {
	t.Helper()
	secret, hash := auth.NewToken()
	tok := store.Token{Name: "t-" + string(role), Role: role, Hash: hash, Created: time.Now()}
	if err := s.st.CreateToken(context.Background(), &tok); err != nil {
		t.Fatal(err)
	}
	return secret
}

// concrete fills the path's wildcards with ids that do not exist, so that
// the walk deletes nothing (such as its own tokens).
func concrete(path string) string {
	r := strings.NewReplacer("{id}", "999999", "{name}", "nobody", "{rule}", "no-such-rule")
	return r.Replace(path)
}

// TestRouteRoles walks every route of the API and checks that a request
// without a token, with a wrong token, and with a token of each role that
// lacks the right is refused, while one with the right role passes
// authentication.
func TestRouteRoles(t *testing.T) {
	s, base := newTestServer(t)
	roles := []store.Role{store.RoleIngest, store.RoleViewer, store.RoleAnalyst, store.RoleAdmin}
	tokens := map[store.Role]string{}
	for _, r := range roles {
		tokens[r] = tokenFor(t, s, r)
	}
	do := func(rt Route, authz string) *http.Response {
		req, _ := http.NewRequest(rt.Method, base+concrete(rt.Path), strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	routes := s.Routes()
	if len(routes) < 30 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, rt := range routes {
		name := rt.Method + " " + rt.Path
		if rt.Path == "/api/v1/login" {
			continue // open, and answers 401 to the wrong password
		}
		if rt.Role == "" {
			if resp := do(rt, ""); resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
				t.Errorf("%s: open route answered %d", name, resp.StatusCode)
			}
			continue
		}
		if resp := do(rt, ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d, want 401", name, resp.StatusCode)
		}
		if resp := do(rt, "Bearer bwk_notarealtokenatallnotarealtokenatallnotarealtoken"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: %d, want 401", name, resp.StatusCode)
		}
		for _, role := range roles {
			resp := do(rt, "Bearer "+tokens[role])
			allowed := routeAllows(role, rt.Role)
			switch {
			case allowed && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
				t.Errorf("%s as %s: %d, want the request let through", name, role, resp.StatusCode)
			case !allowed && resp.StatusCode != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403", name, role, resp.StatusCode)
			}
		}
	}
}

// TestLoopbackUnlessTLS checks the listen rule.
func TestLoopbackUnlessTLS(t *testing.T) {
	for _, tc := range []struct {
		listen, cert string
		insecure, ok bool
	}{
		{"127.0.0.1:8080", "", false, true},
		{"localhost:8080", "", false, true},
		{"[::1]:8080", "", false, true},
		{"0.0.0.0:8080", "", false, false},
		{":8080", "", false, false},
		{"10.1.2.3:8080", "", false, false},
		{"0.0.0.0:8080", "", true, true},
		{"0.0.0.0:8443", "c.pem", false, true},
	} {
		c := Config{Listen: tc.listen, TLSCert: tc.cert, Insecure: tc.insecure}
		if tc.cert != "" {
			c.TLSKey = "k.pem"
		}
		c.Defaults()
		err := c.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("listen %s cert %q insecure %v: %v, want ok=%v", tc.listen, tc.cert, tc.insecure, err, tc.ok)
		}
	}
}

// TestBodyLimit checks that an API route refuses a body over its limit.
func TestBodyLimit(t *testing.T) {
	s, base := newTestServer(t)
	tok := tokenFor(t, s, store.RoleAdmin)
	big := strings.Repeat("x", int(s.cfg.Limits.APIBodyBytes)+1)
	req, _ := http.NewRequest("POST", base+"/api/v1/cases", strings.NewReader(`{"title":"`+big+`"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", resp.StatusCode)
	}
}
