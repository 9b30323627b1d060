package auth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/sqlite"
)

// testClock is a settable clock; the store keeps whole seconds safely, so
// tests move it in whole seconds.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	a     *Authenticator
	st    store.Store
	clock *testClock
}

// newFixture opens a real store in a temporary directory.
func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	db, err := sqlite.Open(t.Context(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var st store.Store = db
	t.Cleanup(func() { st.Close() })
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := New(st, st, opts)
	clock := &testClock{t: time.Now().Truncate(time.Second)}
	a.now = clock.Now
	return &fixture{a: a, st: st, clock: clock}
}

func (f *fixture) addUser(t *testing.T, name string, role store.Role, pw string) {
	t.Helper()
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateUser(t.Context(), store.User{Name: name, Role: role, PasswordHash: h, Created: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) addToken(t *testing.T, name string, role store.Role, expires time.Time) (secret string, id int64) {
	t.Helper()
	secret, hash := NewToken()
	tok := &store.Token{Name: name, Role: role, Hash: hash, Created: f.clock.Now(), Expires: expires}
	if err := f.st.CreateToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	return secret, tok.ID
}

// audit returns the actions in the audit log, oldest first.
func (f *fixture) audit(t *testing.T) []store.AuditEntry {
	t.Helper()
	es, err := f.st.ListAudit(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

func actions(es []store.AuditEntry) string {
	var s []string
	for _, e := range es {
		s = append(s, e.Action)
	}
	return strings.Join(s, " ")
}

const testPassword = "a perfectly good password"

// login logs name in and returns the session cookie and the principal.
func (f *fixture) login(t *testing.T, name, pw string) (*http.Cookie, Principal) {
	t.Helper()
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "http://bulwark.test/api/login", nil)
	p, err := f.a.Login(t.Context(), w, r, name, pw)
	if err != nil {
		t.Fatalf("Login(%s): %v", name, err)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == CookieName {
			return c, p
		}
	}
	t.Fatal("Login set no session cookie")
	return nil, p
}

func bearer(secret string) http.Header { return http.Header{"Authorization": {"Bearer " + secret}} }

func TestTokenAuthentication(t *testing.T) {
	f := newFixture(t, Options{})
	now := f.clock.Now()
	viewer, _ := f.addToken(t, "dashboards", store.RoleViewer, time.Time{})
	ingest, _ := f.addToken(t, "shipper", store.RoleIngest, now.Add(time.Hour))
	expired, _ := f.addToken(t, "old", store.RoleAdmin, now.Add(-time.Second))
	expiringNow, _ := f.addToken(t, "now", store.RoleAdmin, now)
	unknown, _ := NewToken()

	for _, tc := range []struct {
		name     string
		method   string
		header   http.Header
		wantErr  error
		wantName string
		wantRole store.Role
	}{
		{"bearer", "GET", bearer(viewer), nil, "dashboards", store.RoleViewer},
		{"bearer lower case", "GET", http.Header{"Authorization": {"bearer " + viewer}}, nil, "dashboards", store.RoleViewer},
		{"splunk", "POST", http.Header{"Authorization": {"Splunk " + ingest}}, nil, "shipper", store.RoleIngest},
		{"cross-site post needs no CSRF token", "POST", http.Header{"Authorization": {"Bearer " + ingest}, "Sec-Fetch-Site": {"cross-site"}}, nil, "shipper", store.RoleIngest},
		{"no credentials", "GET", http.Header{}, ErrNoCredentials, "", ""},
		{"unknown token", "GET", bearer(unknown), ErrInvalidCredentials, "", ""},
		{"malformed token", "GET", bearer("bwk_nope"), ErrInvalidCredentials, "", ""},
		{"empty token", "GET", http.Header{"Authorization": {"Bearer "}}, ErrInvalidCredentials, "", ""},
		{"basic scheme", "GET", http.Header{"Authorization": {"Basic " + viewer}}, ErrInvalidCredentials, "", ""},
		{"no scheme", "GET", http.Header{"Authorization": {viewer}}, ErrInvalidCredentials, "", ""},
		{"two headers", "GET", http.Header{"Authorization": {"Bearer " + viewer, "Bearer " + ingest}}, ErrInvalidCredentials, "", ""},
		{"expired", "GET", bearer(expired), ErrInvalidCredentials, "", ""},
		{"expires this instant", "GET", bearer(expiringNow), ErrInvalidCredentials, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://bulwark.test/api/x", nil)
			r.Header = tc.header
			p, err := f.a.Authenticate(r)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != tc.wantName || p.Role != tc.wantRole || p.Kind != KindToken || p.Session != nil {
				t.Errorf("principal %+v", p)
			}
		})
	}
}

func TestTokenBeatsCookie(t *testing.T) {
	f := newFixture(t, Options{})
	f.addUser(t, "alice", store.RoleAdmin, testPassword)
	cookie, _ := f.login(t, "alice", testPassword)
	r := httptest.NewRequest("GET", "http://bulwark.test/api/x", nil)
	r.AddCookie(cookie)
	r.Header.Set("Authorization", "Bearer bwk_wrong")
	if _, err := f.a.Authenticate(r); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("bad token with good cookie: err = %v, want ErrInvalidCredentials", err)
	}
}

func TestTokenLastUsedAtMostOncePerMinute(t *testing.T) {
	f := newFixture(t, Options{})
	secret, id := f.addToken(t, "shipper", store.RoleIngest, time.Time{})
	lastUsed := func() time.Time {
		t.Helper()
		tok, err := f.st.TokenByHash(t.Context(), HashToken(secret))
		if err != nil || tok.ID != id {
			t.Fatalf("TokenByHash: %v, %+v", err, tok)
		}
		return tok.LastUsed
	}
	use := func() {
		t.Helper()
		r := httptest.NewRequest("POST", "http://bulwark.test/services/collector", nil)
		r.Header = bearer(secret)
		if _, err := f.a.Authenticate(r); err != nil {
			t.Fatal(err)
		}
	}
	first := f.clock.Now()
	use()
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("LastUsed = %v after first use, want %v", got, first)
	}
	for range 5 {
		f.clock.Add(10 * time.Second)
		use()
	}
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("LastUsed = %v within the minute, want it unchanged at %v", got, first)
	}
	f.clock.Add(10 * time.Second) // 60s after the first use
	use()
	if got := lastUsed(); !got.Equal(f.clock.Now()) {
		t.Errorf("LastUsed = %v a minute on, want %v", got, f.clock.Now())
	}
}

// TestRequire runs the middleware over the role matrix and the ways of
// failing, checking statuses, headers and bodies.
func TestRequire(t *testing.T) {
	f := newFixture(t, Options{})
	admin, _ := f.addToken(t, "admin", store.RoleAdmin, time.Time{})
	analyst, _ := f.addToken(t, "analyst", store.RoleAnalyst, time.Time{})
	viewer, _ := f.addToken(t, "viewer", store.RoleViewer, time.Time{})
	ingest, _ := f.addToken(t, "ingest", store.RoleIngest, time.Time{})
	f.addUser(t, "alice", store.RoleAnalyst, testPassword)
	cookie, _ := f.login(t, "alice", testPassword)

	var seen Principal
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := FromContext(r.Context())
		if !ok {
			t.Error("no principal in the handler's context")
		}
		seen = p
		w.WriteHeader(http.StatusNoContent)
	})
	hec := f.a.WithErrorWriter(func(w http.ResponseWriter, _ *http.Request, status int, _ string) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"text": "Invalid token", "code": 4})
	})

	for _, tc := range []struct {
		name       string
		a          *Authenticator
		need       store.Role
		method     string
		secret     string
		cookie     bool
		wantStatus int
		wantBody   string
		wantName   string
	}{
		{"admin reads", f.a, store.RoleViewer, "GET", admin, false, 204, "", "admin"},
		{"admin administers", f.a, store.RoleAdmin, "POST", admin, false, 204, "", "admin"},
		{"admin ingests", f.a, store.RoleIngest, "POST", admin, false, 204, "", "admin"},
		{"analyst analyses", f.a, store.RoleAnalyst, "POST", analyst, false, 204, "", "analyst"},
		{"analyst does not administer", f.a, store.RoleAdmin, "POST", analyst, false, 403, `{"error":"forbidden: this needs the admin role"}`, ""},
		{"viewer does not analyse", f.a, store.RoleAnalyst, "GET", viewer, false, 403, "", ""},
		{"viewer does not ingest", f.a, store.RoleIngest, "POST", viewer, false, 403, "", ""},
		{"ingest ingests", f.a, store.RoleIngest, "POST", ingest, false, 204, "", "ingest"},
		{"ingest does not read", f.a, store.RoleViewer, "GET", ingest, false, 403, "", ""},
		{"nothing", f.a, store.RoleViewer, "GET", "", false, 401, `{"error":"authentication required"}`, ""},
		{"bad token", f.a, store.RoleViewer, "GET", "bwk_bad", false, 401, `{"error":"invalid credentials"}`, ""},
		{"session reads", f.a, store.RoleViewer, "GET", "", true, 204, "", "alice"},
		{"session post without CSRF token", f.a, store.RoleViewer, "POST", "", true, 403, `{"error":"cross-site request refused"}`, ""},
		{"hec bad token", hec, store.RoleIngest, "POST", "bwk_bad", false, 401, `{"code":4,"text":"Invalid token"}`, ""},
		{"hec wrong role", hec, store.RoleIngest, "POST", viewer, false, 403, `{"code":4,"text":"Invalid token"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen = Principal{}
			r := httptest.NewRequest(tc.method, "http://bulwark.test/api/x", nil)
			if tc.secret != "" {
				r.Header.Set("Authorization", "Bearer "+tc.secret)
			}
			if tc.cookie {
				r.AddCookie(cookie)
			}
			w := httptest.NewRecorder()
			tc.a.Require(tc.need, next).ServeHTTP(w, r)
			if w.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.wantStatus, w.Body)
			}
			if tc.wantBody != "" && strings.TrimSpace(w.Body.String()) != tc.wantBody {
				t.Errorf("body %s, want %s", w.Body, tc.wantBody)
			}
			if tc.wantStatus == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
			}
			if tc.wantStatus >= 400 && tc.a == f.a && w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", w.Header().Get("Content-Type"))
			}
			if seen.Name != tc.wantName {
				t.Errorf("handler saw %q, want %q", seen.Name, tc.wantName)
			}
		})
	}
}

func TestRequireUnknownRolePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Require with an unknown role did not panic")
		}
	}()
	New(nil, nil, Options{}).Require("superuser", http.NotFoundHandler())
}

func TestWriteError(t *testing.T) {
	a := New(nil, nil, Options{Logger: slog.New(slog.DiscardHandler)})
	for _, tc := range []struct {
		err        error
		status     int
		retryAfter string
	}{
		{ErrNoCredentials, 401, ""},
		{ErrInvalidCredentials, 401, ""},
		{ErrCSRF, 403, ""},
		{&RateLimitError{RetryAfter: 90*time.Second + time.Millisecond}, 429, "91"},
		{context.Canceled, 500, ""},
	} {
		w := httptest.NewRecorder()
		a.WriteError(w, httptest.NewRequest("GET", "/", nil), tc.err)
		if w.Code != tc.status || w.Header().Get("Retry-After") != tc.retryAfter {
			t.Errorf("%v: status %d Retry-After %q", tc.err, w.Code, w.Header().Get("Retry-After"))
		}
		if tc.status == 500 && strings.Contains(w.Body.String(), "canceled") {
			t.Errorf("internal error detail leaked: %s", w.Body)
		}
	}
}

func TestBootstrap(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := t.Context()
	pw, created, err := Bootstrap(ctx, f.st)
	if err != nil || !created {
		t.Fatalf("first Bootstrap: %v, created %v", err, created)
	}
	if len(pw) < 20 {
		t.Errorf("password %q too short", pw)
	}
	u, err := f.st.GetUser(ctx, BootstrapUser)
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != store.RoleAdmin || u.PasswordHash == pw || strings.Contains(u.PasswordHash, pw) {
		t.Errorf("bootstrap user %+v", u)
	}
	if ok, err := CheckPassword(u.PasswordHash, pw); !ok || err != nil {
		t.Errorf("returned password does not match: %v %v", ok, err)
	}
	pw2, created, err := Bootstrap(ctx, f.st)
	if err != nil || created || pw2 != "" {
		t.Errorf("second Bootstrap: %q, %v, %v", pw2, created, err)
	}
	after, err := f.st.GetUser(ctx, BootstrapUser)
	if err != nil || after.PasswordHash != u.PasswordHash {
		t.Errorf("second Bootstrap changed the admin: %v", err)
	}
}

func TestBootstrapSkipsWhenAnyUserExists(t *testing.T) {
	f := newFixture(t, Options{})
	f.addUser(t, "alice", store.RoleViewer, testPassword)
	pw, created, err := Bootstrap(t.Context(), f.st)
	if err != nil || created || pw != "" {
		t.Errorf("Bootstrap = %q, %v, %v", pw, created, err)
	}
	if _, err := f.st.GetUser(t.Context(), BootstrapUser); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("admin created beside an existing user: %v", err)
	}
}

// touchCounter passes everything to the real store and counts TouchToken.
type touchCounter struct {
	store.Users
	mu    sync.Mutex
	calls int
}

func (c *touchCounter) TouchToken(ctx context.Context, id int64, at time.Time) error {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	return c.Users.TouchToken(ctx, id, at)
}

// TestConcurrentUse hits one token from many goroutines at once, as a busy
// shipper does: one LastUsed write. Alongside, a burst of parallel guesses
// at one name from many addresses gets exactly the five password checks
// the limit allows, not one per request that arrived before the first
// failure was known.
func TestConcurrentUse(t *testing.T) {
	f := newFixture(t, Options{})
	secret, _ := f.addToken(t, "shipper", store.RoleIngest, time.Time{})
	counter := &touchCounter{Users: f.st}
	a := New(counter, f.st, f.a.opts)
	a.now = f.clock.Now
	var calls hashCalls
	calls.install(a)

	var wg sync.WaitGroup
	var limited sync.Map
	for i := range 16 {
		wg.Go(func() {
			r := httptest.NewRequest("POST", "http://bulwark.test/services/collector", nil)
			r.Header.Set("Authorization", "Splunk "+secret)
			if _, err := a.Authenticate(r); err != nil {
				t.Error(err)
			}
			lr := httptest.NewRequest("POST", "http://bulwark.test/api/login", nil)
			lr.RemoteAddr = "192.0.2." + strconv.Itoa(i) + ":1"
			_, err := a.Login(t.Context(), httptest.NewRecorder(), lr, "nobody", "wrong")
			if errors.Is(err, ErrRateLimited) {
				limited.Store(i, true)
			} else if !errors.Is(err, ErrInvalidCredentials) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if counter.calls != 1 {
		t.Errorf("%d LastUsed writes for one burst, want 1", counter.calls)
	}
	n, refused := len(calls.take()), 0
	limited.Range(func(_, _ any) bool { refused++; return true })
	if n != 5 || refused != 11 {
		t.Errorf("%d password checks and %d refusals, want 5 and 11", n, refused)
	}
}
