package auth

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/store"
)

func TestLoginAndLogout(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[secure], func(t *testing.T) {
			f := newFixture(t, Options{Secure: secure, SessionTTL: 2 * time.Hour})
			ctx := t.Context()
			f.addUser(t, "alice", store.RoleAnalyst, testPassword)

			w := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "http://bulwark.test/api/login", nil)
			p, err := f.a.Login(ctx, w, r, "alice", testPassword)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != "alice" || p.Role != store.RoleAnalyst || p.Kind != KindUser || p.Session == nil || len(p.Session.CSRF) < 40 {
				t.Fatalf("principal %+v", p)
			}
			cs := w.Result().Cookies()
			if len(cs) != 1 {
				t.Fatalf("cookies %v", cs)
			}
			c := cs[0]
			if c.Name != CookieName || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != secure ||
				c.Path != "/" || c.Domain != "" || c.MaxAge != 7200 {
				t.Errorf("cookie %+v", c)
			}
			// Only the hash is stored; the cookie value itself is not.
			s, err := f.st.SessionByHash(ctx, HashToken(c.Value))
			if err != nil {
				t.Fatal(err)
			}
			if s.User != "alice" || s.Hash == c.Value || s.CSRF != p.Session.CSRF || !s.Expires.Equal(f.clock.Now().Add(2*time.Hour)) {
				t.Errorf("stored session %+v", s)
			}
			if _, err := f.st.SessionByHash(ctx, c.Value); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("session findable by the raw cookie value: %v", err)
			}

			get := httptest.NewRequest("GET", "http://bulwark.test/api/me", nil)
			get.AddCookie(c)
			got, err := f.a.Authenticate(get)
			if err != nil || got.Name != "alice" || got.Kind != KindUser || got.Session.CSRF != p.Session.CSRF {
				t.Fatalf("Authenticate with cookie: %+v, %v", got, err)
			}

			w = httptest.NewRecorder()
			out := httptest.NewRequest("POST", "http://bulwark.test/api/logout", nil)
			out.AddCookie(c)
			if err := f.a.Logout(ctx, w, out); err != nil {
				t.Fatal(err)
			}
			cleared := w.Result().Cookies()
			if len(cleared) != 1 || cleared[0].Name != CookieName || cleared[0].MaxAge >= 0 || cleared[0].Value != "" {
				t.Errorf("logout cookie %v", cleared)
			}
			if _, err := f.a.Authenticate(get); !errors.Is(err, ErrInvalidCredentials) {
				t.Errorf("old cookie after logout: %v", err)
			}
			es := f.audit(t)
			if actions(es) != "login.ok logout" || es[0].Remote != "192.0.2.1" || es[0].Actor != "alice" || es[1].Actor != "alice" {
				t.Errorf("audit %+v", es)
			}
		})
	}
}

func TestLogoutWithoutSession(t *testing.T) {
	f := newFixture(t, Options{})
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "http://bulwark.test/api/logout", nil)
	r.AddCookie(&http.Cookie{Name: CookieName, Value: randomURLToken(sessionRandomBytes)})
	if err := f.a.Logout(t.Context(), w, r); err != nil {
		t.Fatal(err)
	}
	if len(f.audit(t)) != 0 {
		t.Error("logout of no session audited")
	}
}

func TestLoginFailures(t *testing.T) {
	f := newFixture(t, Options{})
	f.addUser(t, "alice", store.RoleAnalyst, testPassword)
	f.addUser(t, "mallory", store.Role("superuser"), testPassword)
	for _, tc := range []struct{ name, user, pw string }{
		{"wrong password", "alice", testPassword + "!"},
		{"unknown user", "bob", testPassword},
		{"empty", "", ""},
		{"unknown role", "mallory", testPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "http://bulwark.test/api/login", nil)
			r.RemoteAddr = "198.51.100.9:4321"
			_, err := f.a.Login(t.Context(), w, r, tc.user, tc.pw)
			// One error for every cause, so the answer does not tell
			// whether the name exists.
			if err != ErrInvalidCredentials {
				t.Errorf("err = %v, want exactly ErrInvalidCredentials", err)
			}
			if len(w.Result().Cookies()) != 0 {
				t.Error("failed login set a cookie")
			}
			es := f.audit(t)
			last := es[len(es)-1]
			if last.Action != "login.fail" || last.Actor != tc.user || last.Remote != "198.51.100.9" {
				t.Errorf("audit entry %+v", last)
			}
			for _, e := range es {
				if strings.Contains(e.Detail+e.Target+e.Actor, testPassword) {
					t.Errorf("password in audit entry %+v", e)
				}
			}
		})
	}
}

// hashCalls replaces the password check with one that records the hashes
// it is given and, without the argon2 work, accepts only pw "right" (for
// hashes that parse).
type hashCalls struct {
	mu     sync.Mutex
	hashes []string
}

func (h *hashCalls) install(a *Authenticator) {
	a.checkPassword = func(_ context.Context, hash, pw string) (bool, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.hashes = append(h.hashes, hash)
		if _, err := parsePHC(hash); err != nil {
			return false, err
		}
		return pw == "right", nil
	}
}

func (h *hashCalls) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.hashes
	h.hashes = nil
	return out
}

// TestUnknownUserSpendsTheHash checks the structure that defeats user
// enumeration by timing: an unknown name still goes through the same
// argon2 check (against a hash with the current parameters), exactly once,
// as a known name with a wrong password does.
func TestUnknownUserSpendsTheHash(t *testing.T) {
	f := newFixture(t, Options{})
	f.addUser(t, "alice", store.RoleViewer, testPassword)
	alice, err := f.st.GetUser(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	bad := alice
	bad.Name, bad.PasswordHash = "broken", "$argon2id$v=19$m=1,t=1,p=1$x$y"
	if err := f.st.CreateUser(t.Context(), bad); err != nil {
		t.Fatal(err)
	}
	var calls hashCalls
	calls.install(f.a)
	for _, tc := range []struct {
		user string
		want []string
	}{
		{"alice", []string{alice.PasswordHash}},
		{"nobody", []string{dummyHash}},
		{"broken", []string{bad.PasswordHash, dummyHash}},
	} {
		_, err := f.a.Login(t.Context(), httptest.NewRecorder(), httptest.NewRequest("POST", "/api/login", nil), tc.user, "wrong")
		if !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("%s: err = %v", tc.user, err)
		}
		if got := calls.take(); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: hashes checked %q, want %q", tc.user, got, tc.want)
		}
	}
	if NeedsRehash(dummyHash) {
		t.Error("dummy hash is cheaper than a real one")
	}
}

func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t, Options{})
	f.addUser(t, "alice", store.RoleViewer, testPassword)
	f.addUser(t, "bob", store.RoleViewer, testPassword)
	var calls hashCalls
	calls.install(f.a)

	try := func(user, pw, addr string) (*httptest.ResponseRecorder, error) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "http://bulwark.test/api/login", nil)
		r.RemoteAddr = addr + ":1000"
		_, err := f.a.Login(t.Context(), w, r, user, pw)
		return w, err
	}
	// Five wrong passwords for alice from five addresses lock the name.
	for i, addr := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"} {
		if _, err := try("alice", "wrong", addr); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	calls.take()
	// Now even the right password is refused, without being checked.
	w, err := try("alice", "right", "192.0.2.99")
	var rl *RateLimitError
	if !errors.Is(err, ErrRateLimited) || !errors.As(err, &rl) || rl.RetryAfter != time.Minute {
		t.Fatalf("locked name: err = %v", err)
	}
	if w.Header().Get("Retry-After") != "60" {
		t.Errorf("Retry-After = %q, want 60", w.Header().Get("Retry-After"))
	}
	if len(calls.take()) != 0 {
		t.Error("password checked during lockout")
	}
	rec := httptest.NewRecorder()
	f.a.WriteError(rec, httptest.NewRequest("POST", "/api/login", nil), err)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "60" {
		t.Errorf("WriteError: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	// Other names are not affected.
	if _, err := try("bob", "right", "192.0.2.99"); err != nil {
		t.Errorf("bob: %v", err)
	}
	// When the lockout ends, the right password works, and the name's
	// count starts over.
	f.clock.Add(time.Minute)
	if _, err := try("alice", "right", "192.0.2.99"); err != nil {
		t.Fatalf("after lockout: %v", err)
	}

	// Five failures from one address, for different names, lock the
	// address, for every name, including right passwords.
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		try(u, "wrong", "203.0.113.5")
	}
	if _, err := try("bob", "right", "203.0.113.5"); !errors.Is(err, ErrRateLimited) {
		t.Errorf("locked address: err = %v", err)
	}
	if _, err := try("bob", "right", "203.0.113.6"); err != nil {
		t.Errorf("other address: err = %v", err)
	}
	lockouts := 0
	for _, e := range f.audit(t) {
		if e.Action == "login.lockout" {
			lockouts++
		}
	}
	if lockouts != 2 {
		t.Errorf("%d lockouts audited, want 2 (alice, 203.0.113.5)", lockouts)
	}
}

func TestSessionLifetime(t *testing.T) {
	f := newFixture(t, Options{SessionTTL: time.Hour})
	ctx := t.Context()
	f.addUser(t, "alice", store.RoleAnalyst, testPassword)
	cookie, _ := f.login(t, "alice", testPassword)
	authAs := func() (Principal, error) {
		r := httptest.NewRequest("GET", "http://bulwark.test/api/me", nil)
		r.AddCookie(cookie)
		return f.a.Authenticate(r)
	}

	// A role change applies to sessions already open.
	u, _ := f.st.GetUser(ctx, "alice")
	u.Role = store.RoleViewer
	if err := f.st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if p, err := authAs(); err != nil || p.Role != store.RoleViewer {
		t.Errorf("after demotion: %+v, %v", p, err)
	}

	f.clock.Add(time.Hour - time.Second)
	if _, err := authAs(); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	f.clock.Add(time.Second)
	if _, err := authAs(); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("at expiry: %v", err)
	}
	if _, err := f.st.SessionByHash(ctx, HashToken(cookie.Value)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session kept: %v", err)
	}

	// Deleting the user ends their sessions.
	cookie, _ = f.login(t, "alice", testPassword)
	if err := f.st.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := authAs(); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("deleted user: %v", err)
	}

	// Garbage and duplicated cookies are refused.
	for _, cs := range [][]*http.Cookie{
		{{Name: CookieName, Value: "x"}},
		{{Name: CookieName, Value: randomURLToken(sessionRandomBytes)}},
		{cookie, cookie},
	} {
		r := httptest.NewRequest("GET", "http://bulwark.test/api/me", nil)
		for _, c := range cs {
			r.AddCookie(c)
		}
		if _, err := f.a.Authenticate(r); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("cookies %v: %v", cs, err)
		}
	}
}

// TestLoginReplacesSession checks that logging in ends the session the
// browser came with (session fixation), and that logins sweep expired
// sessions from the store.
func TestLoginReplacesSession(t *testing.T) {
	f := newFixture(t, Options{SessionTTL: time.Hour})
	ctx := t.Context()
	f.addUser(t, "alice", store.RoleAnalyst, testPassword)
	old, _ := f.login(t, "alice", testPassword)

	stale := store.Session{Hash: HashToken(randomURLToken(32)), User: "alice", CSRF: "x",
		Created: f.clock.Now().Add(-3 * time.Hour), Expires: f.clock.Now().Add(-2 * time.Hour)}
	if err := f.st.CreateSession(ctx, stale); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(sweepEvery)

	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "http://bulwark.test/api/login", nil)
	r.AddCookie(old)
	if _, err := f.a.Login(ctx, w, r, "alice", testPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SessionByHash(ctx, HashToken(old.Value)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("previous session survived login: %v", err)
	}
	if _, err := f.st.SessionByHash(ctx, stale.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session not swept: %v", err)
	}
}

func TestLoginUpgradesHash(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := t.Context()
	err := f.st.CreateUser(ctx, store.User{Name: "carol", Role: store.RoleViewer, PasswordHash: referenceHashes[1]})
	if err != nil {
		t.Fatal(err)
	}
	f.login(t, "carol", referencePassword)
	u, err := f.st.GetUser(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	if NeedsRehash(u.PasswordHash) {
		t.Errorf("hash not upgraded: %s", u.PasswordHash)
	}
	if ok, err := CheckPassword(u.PasswordHash, referencePassword); !ok || err != nil {
		t.Errorf("upgraded hash does not verify: %v %v", ok, err)
	}
}

func TestCSRF(t *testing.T) {
	f := newFixture(t, Options{})
	f.addUser(t, "alice", store.RoleAnalyst, testPassword)
	cookie, p := f.login(t, "alice", testPassword)
	csrf := p.Session.CSRF
	// wrong differs from csrf in its last character whatever that is.
	wrong := csrf[:len(csrf)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(csrf, "A")]

	form := func(v string) (string, string) {
		return "application/x-www-form-urlencoded", url.Values{CSRFField: {v}}.Encode()
	}
	multi := func(v string) (string, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField(CSRFField, v)
		mw.Close()
		return mw.FormDataContentType(), b.String()
	}
	for _, tc := range []struct {
		name    string
		method  string
		header  map[string]string
		body    func(string) (string, string)
		bodyVal string
		ok      bool
	}{
		{"GET needs nothing", "GET", nil, nil, "", true},
		{"HEAD needs nothing", "HEAD", nil, nil, "", true},
		{"POST without token", "POST", nil, nil, "", false},
		{"PUT without token", "PUT", nil, nil, "", false},
		{"PATCH without token", "PATCH", nil, nil, "", false},
		{"DELETE without token", "DELETE", nil, nil, "", false},
		{"unknown method without token", "PURGE", nil, nil, "", false},
		{"POST with header", "POST", map[string]string{CSRFHeader: csrf}, nil, "", true},
		{"DELETE with header", "DELETE", map[string]string{CSRFHeader: csrf}, nil, "", true},
		{"POST with wrong header", "POST", map[string]string{CSRFHeader: wrong}, nil, "", false},
		{"POST with prefix of token", "POST", map[string]string{CSRFHeader: csrf[:10]}, nil, "", false},
		{"POST with form field", "POST", nil, form, csrf, true},
		{"POST with wrong form field", "POST", nil, form, "nope", false},
		{"POST with multipart field", "POST", nil, multi, csrf, false},
		{"same-origin fetch", "POST", map[string]string{CSRFHeader: csrf, "Sec-Fetch-Site": "same-origin"}, nil, "", true},
		{"cross-site fetch", "POST", map[string]string{CSRFHeader: csrf, "Sec-Fetch-Site": "cross-site"}, nil, "", false},
		{"same-site fetch", "POST", map[string]string{CSRFHeader: csrf, "Sec-Fetch-Site": "same-site"}, nil, "", false},
		{"own origin", "POST", map[string]string{CSRFHeader: csrf, "Origin": "http://bulwark.test"}, nil, "", true},
		{"foreign origin", "POST", map[string]string{CSRFHeader: csrf, "Origin": "https://evil.example"}, nil, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body string
			var ctype string
			if tc.body != nil {
				ctype, body = tc.body(tc.bodyVal)
			}
			r := httptest.NewRequest(tc.method, "http://bulwark.test/api/cases", strings.NewReader(body))
			if ctype != "" {
				r.Header.Set("Content-Type", ctype)
			}
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			r.AddCookie(cookie)
			_, err := f.a.Authenticate(r)
			if tc.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrCSRF) {
				t.Errorf("err = %v, want ErrCSRF", err)
			}
		})
	}

	// The login form itself refuses cross-site posts (login CSRF).
	r := httptest.NewRequest("POST", "http://bulwark.test/api/login", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if _, err := f.a.Login(t.Context(), httptest.NewRecorder(), r, "alice", testPassword); !errors.Is(err, ErrCSRF) {
		t.Errorf("cross-site login: err = %v, want ErrCSRF", err)
	}
}
