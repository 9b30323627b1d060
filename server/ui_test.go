package server

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// browser is a cookie-keeping client that does not follow redirects, so
// that tests see them.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func postForm(t *testing.T, c *http.Client, base, path string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestUIRolesAndForms(t *testing.T) {
	s, base := newTestServer(t)
	ctx := context.Background()
	for name, role := range map[string]store.Role{"ada": store.RoleAdmin, "vic": store.RoleViewer} {
		hash, _ := auth.HashPassword("correct horse battery")
		if err := s.st.CreateUser(ctx, store.User{Name: name, Role: role, PasswordHash: hash, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	anon := browser(t)
	if code, _ := get(t, anon, base+"/admin"); code != http.StatusSeeOther {
		t.Errorf("/admin without a session: %d, want a redirect to the login page", code)
	}
	login := func(user string) *http.Client {
		c := browser(t)
		code, _ := postForm(t, c, base, "/login", url.Values{"user": {user}, "password": {"correct horse battery"}, "next": {"/"}})
		if code != http.StatusSeeOther {
			t.Fatalf("login %s: %d", user, code)
		}
		return c
	}
	if code, body := postForm(t, browser(t), base, "/login", url.Values{"user": {"ada"}, "password": {"wrong"}}); code != http.StatusUnauthorized || !strings.Contains(body, "Wrong user or password") {
		t.Errorf("wrong password: %d", code)
	}
	viewer := login("vic")
	for _, page := range []string{"/", "/alerts", "/search?q=x", "/rules", "/coverage", "/assets", "/entities/host?v=ws1", "/entities/user?v=amy"} {
		if code, _ := get(t, viewer, base+page); code != http.StatusOK {
			t.Errorf("viewer %s: %d", page, code)
		}
	}
	if code, _ := get(t, viewer, base+"/admin"); code != http.StatusForbidden {
		t.Errorf("viewer /admin: %d, want 403", code)
	}
	admin := login("ada")
	code, body := get(t, admin, base+"/admin")
	m := csrfRe.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("/admin: %d", code)
	}
	if code, _ := postForm(t, admin, base, "/admin/tokens", url.Values{"name": {"shipper"}, "role": {"ingest"}}); code != http.StatusForbidden {
		t.Errorf("form without its CSRF token: %d, want 403", code)
	}
	code, body = postForm(t, admin, base, "/admin/tokens", url.Values{"csrf_token": {m[1]}, "name": {"shipper"}, "role": {"ingest"}, "expires": {"30d"}})
	if code != http.StatusOK || !strings.Contains(body, "shown only now: <code>bwk_") {
		t.Errorf("create token: %d", code)
	}
	if code, _ := postForm(t, admin, base, "/assets", url.Values{"csrf_token": {m[1]}, "assets": {"dc*, critical, domain controllers\nkiosk1, low"}}); code != http.StatusSeeOther {
		t.Errorf("save assets: %d", code)
	}
	if as, _ := s.loadAssets(ctx); len(as) != 2 || as[0].Note != "domain controllers" {
		t.Errorf("assets: %+v", as)
	}
	if code, _ := postForm(t, admin, base, "/assets", url.Values{"csrf_token": {m[1]}, "assets": {"dc*, vital"}}); code != http.StatusBadRequest {
		t.Errorf("bad criticality: %d, want 400", code)
	}
	if ts, _ := s.st.ListTokens(ctx); len(ts) != 1 || ts[0].Owner != "user:ada" || ts[0].Expires.IsZero() {
		t.Errorf("tokens: %+v", ts)
	}
}

func TestHunts(t *testing.T) {
	s, base := newTestServer(t)
	analyst := tokenFor(t, s, store.RoleAnalyst)
	call := func(method, path, body string) int {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+analyst)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := call("POST", "/api/v1/hunts", `{"name":"lsass dumps","query":"CommandLine:*comsvcs* AND CommandLine:*minidump*"}`); code != http.StatusCreated {
		t.Fatalf("save: %d", code)
	}
	if code := call("POST", "/api/v1/hunts", `{"name":"broken","query":"Image:("}`); code != http.StatusBadRequest {
		t.Errorf("a query that does not parse: %d, want 400", code)
	}
	hs, _ := s.loadHunts(context.Background())
	if len(hs) != 1 || hs[0].Author != "token:t-analyst" {
		t.Fatalf("hunts: %+v", hs)
	}
	if code := call("DELETE", "/api/v1/hunts/lsass%20dumps", ""); code != http.StatusNoContent {
		t.Errorf("delete: %d", code)
	}
	if hs, _ := s.loadHunts(context.Background()); len(hs) != 0 {
		t.Errorf("after delete: %+v", hs)
	}
}
