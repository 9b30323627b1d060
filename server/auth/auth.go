// Package auth decides who is making a request to the server and what they
// may do.
//
// People log in to the UI with a name and password (argon2id hashes, see
// HashPassword) and get a session cookie; machines send API tokens in the
// Authorization header, as "Bearer <token>" or, for Splunk HEC shippers,
// "Splunk <token>". Only hashes of passwords, tokens and session cookies are
// stored, so a copy of the database logs nobody in.
//
// Browsers send cookies on their own, so requests authenticated by a
// session must also prove they come from the UI: unsafe methods need the
// session's CSRF token and must not be cross-origin. Token requests carry
// their credential explicitly and are exempt.
//
// Require wraps handlers with all of this and a role check; handlers find
// the Principal with FromContext. Failed logins are rate limited per client
// network and per user name, and audited.
package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwarkhq/bulwark/store"
)

// Names the UI uses.
const (
	CookieName = "bulwark_session" // the session cookie
	CSRFHeader = "X-CSRF-Token"    // header carrying the session's CSRF token
	CSRFField  = "csrf_token"      // form field accepted instead of the header
)

// Errors returned by Authenticate and Login; WriteError maps them to HTTP
// statuses. They are deliberately vague: a client learns that it failed,
// not which part was wrong.
var (
	ErrNoCredentials      = errors.New("authentication required")
	ErrInvalidCredentials = errors.New("invalid credentials")
	ErrCSRF               = errors.New("cross-site request refused")
)

// ErrorWriter writes an error response. msg is safe to show to the client.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, status int, msg string)

// Options configure an Authenticator. The zero value is usable behind
// plain HTTP on localhost.
type Options struct {
	// Secure marks the session cookie Secure, so that browsers send it
	// only over TLS. Set it whenever the server (or the proxy in front of
	// it) speaks TLS.
	Secure bool
	// SessionTTL is how long a login lasts. Default 12 hours: a working
	// day, after which a stolen cookie is worthless.
	SessionTTL time.Duration
	// ErrorWriter writes 401, 403, 429 and 500 responses. Default: JSON
	// {"error":"..."}.
	ErrorWriter ErrorWriter
	// RemoteIP returns the client address for rate limiting and the audit
	// log. Default: the host part of r.RemoteAddr. Behind a reverse proxy,
	// set it to read the proxy's header, but only if the proxy overwrites
	// that header, or clients choose their own address.
	RemoteIP func(r *http.Request) string
	// MaxFailures failed logins within FailureWindow lock a client network
	// or user name out, first for FailureWindow, then twice as long each
	// time, up to MaxLockout. Defaults: 5, one minute, 15 minutes.
	MaxFailures   int
	FailureWindow time.Duration
	MaxLockout    time.Duration
	// MaxTracked caps the client networks and the user names whose
	// failures are remembered (each separately). Default 10000.
	MaxTracked int
	// Logger receives errors that do not fail the request (an audit write
	// that failed, say). Default slog.Default(). Secrets are never logged.
	Logger *slog.Logger
}

// touchEvery is how often a token's LastUsed is written at most: often
// enough to tell an idle token from a busy one, rarely enough that a
// shipper posting many batches a second does not add a write to each.
const touchEvery = time.Minute

// maxTouched bounds the memory of when tokens were last touched.
const maxTouched = 10000

// sweepEvery is how often logins trigger the removal of expired sessions.
const sweepEvery = time.Hour

// Authenticator authenticates requests against users, tokens and sessions
// in a store. It is safe for concurrent use.
type Authenticator struct {
	users store.Users
	audit store.Audit
	opts  Options
	*state
}

// state is what copies made by WithErrorWriter share.
type state struct {
	byIP, byUser *limiter
	cop          *http.CrossOriginProtection

	touchMu sync.Mutex
	touched map[int64]time.Time // token id -> when LastUsed was last written

	lastSweep atomic.Int64 // unix seconds

	// Replaced by tests.
	now           func() time.Time
	checkPassword func(ctx context.Context, hash, pw string) (bool, error)
}

// New returns an Authenticator using users for credentials and audit for
// the log of logins.
func New(users store.Users, audit store.Audit, opts Options) *Authenticator {
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.ErrorWriter == nil {
		opts.ErrorWriter = JSONError
	}
	if opts.RemoteIP == nil {
		opts.RemoteIP = remoteAddrHost
	}
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = 5
	}
	if opts.FailureWindow <= 0 {
		opts.FailureWindow = time.Minute
	}
	if opts.MaxLockout <= 0 {
		opts.MaxLockout = 15 * time.Minute
	}
	if opts.MaxTracked <= 0 {
		opts.MaxTracked = 10000
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Authenticator{
		users: users,
		audit: audit,
		opts:  opts,
		state: &state{
			byIP:          newLimiter(opts.MaxFailures, opts.FailureWindow, opts.MaxLockout, opts.MaxTracked),
			byUser:        newLimiter(opts.MaxFailures, opts.FailureWindow, opts.MaxLockout, opts.MaxTracked),
			cop:           http.NewCrossOriginProtection(),
			touched:       make(map[int64]time.Time),
			now:           time.Now,
			checkPassword: checkPassword,
		},
	}
}

// WithErrorWriter returns an Authenticator that writes errors with ew and
// shares everything else with a, rate limits included. The Splunk HEC
// endpoint uses it to answer in HEC's own error format.
func (a *Authenticator) WithErrorWriter(ew ErrorWriter) *Authenticator {
	b := *a
	b.opts.ErrorWriter = ew
	return &b
}

func remoteAddrHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Authenticate returns who made r. An Authorization header, when present,
// must hold a valid token (a bad one is not excused by a good cookie);
// otherwise the session cookie is used, and for unsafe methods the request
// must also pass the CSRF checks. Errors are ErrNoCredentials,
// ErrInvalidCredentials or ErrCSRF (possibly wrapped), or a store failure.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	ctx := r.Context()
	if vals := r.Header.Values("Authorization"); len(vals) > 0 {
		if len(vals) > 1 {
			return Principal{}, fmt.Errorf("%w: several Authorization headers", ErrInvalidCredentials)
		}
		scheme, secret, _ := strings.Cut(strings.TrimSpace(vals[0]), " ")
		if !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "Splunk") {
			return Principal{}, fmt.Errorf("%w: unsupported authorization scheme", ErrInvalidCredentials)
		}
		return a.authToken(ctx, strings.TrimSpace(secret))
	}
	cookies := r.CookiesNamed(CookieName)
	switch len(cookies) {
	case 0:
		return Principal{}, ErrNoCredentials
	case 1:
	default:
		// A sibling subdomain can plant a second cookie of the same name;
		// rather than guess which one the browser meant, refuse.
		return Principal{}, fmt.Errorf("%w: several session cookies", ErrInvalidCredentials)
	}
	p, err := a.authSession(ctx, cookies[0].Value)
	if err != nil {
		return Principal{}, err
	}
	if err := a.checkCSRF(r, p.Session); err != nil {
		return Principal{}, err
	}
	return p, nil
}

func (a *Authenticator) authToken(ctx context.Context, secret string) (Principal, error) {
	if !wellFormedToken(secret) {
		return Principal{}, fmt.Errorf("%w: malformed token", ErrInvalidCredentials)
	}
	// Looking the hash up in an index is not a timing oracle: an attacker
	// cannot steer the hash of its guesses towards a stored one.
	t, err := a.users.TokenByHash(ctx, HashToken(secret))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, fmt.Errorf("%w: unknown token", ErrInvalidCredentials)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: looking up token: %w", err)
	}
	now := a.now()
	if !t.Expires.IsZero() && !now.Before(t.Expires) {
		return Principal{}, fmt.Errorf("%w: token expired", ErrInvalidCredentials)
	}
	if !ValidRole(t.Role) {
		return Principal{}, fmt.Errorf("%w: token has unknown role", ErrInvalidCredentials)
	}
	a.touch(ctx, t, now)
	return Principal{Name: t.Name, Role: t.Role, Kind: KindToken}, nil
}

// touch records that t was used at now, at most once per touchEvery. The
// stored LastUsed alone would let a burst of concurrent requests, all
// reading the old value, each write; the in-memory record stops that.
func (a *Authenticator) touch(ctx context.Context, t store.Token, now time.Time) {
	if now.Sub(t.LastUsed) < touchEvery {
		return
	}
	a.touchMu.Lock()
	if last, ok := a.touched[t.ID]; ok && now.Sub(last) < touchEvery {
		a.touchMu.Unlock()
		return
	}
	if len(a.touched) >= maxTouched {
		// Forgetting costs at most one extra write per token.
		clear(a.touched)
	}
	a.touched[t.ID] = now
	a.touchMu.Unlock()
	if err := a.users.TouchToken(ctx, t.ID, now); err != nil {
		a.opts.Logger.Warn("auth: recording token use", "token", t.Name, "err", err)
	}
}

func (a *Authenticator) authSession(ctx context.Context, value string) (Principal, error) {
	if !wellFormedSessionCookie(value) {
		return Principal{}, fmt.Errorf("%w: malformed session cookie", ErrInvalidCredentials)
	}
	hash := HashToken(value)
	s, err := a.users.SessionByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, fmt.Errorf("%w: unknown session", ErrInvalidCredentials)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: looking up session: %w", err)
	}
	if !a.now().Before(s.Expires) {
		a.deleteSession(ctx, hash)
		return Principal{}, fmt.Errorf("%w: session expired", ErrInvalidCredentials)
	}
	// The role is read now rather than remembered from login, so that
	// demoting or deleting a user takes effect on their next request.
	u, err := a.users.GetUser(ctx, s.User)
	if errors.Is(err, store.ErrNotFound) {
		a.deleteSession(ctx, hash)
		return Principal{}, fmt.Errorf("%w: session user is gone", ErrInvalidCredentials)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: looking up session user: %w", err)
	}
	if !ValidRole(u.Role) {
		return Principal{}, fmt.Errorf("%w: user has unknown role", ErrInvalidCredentials)
	}
	return Principal{Name: u.Name, Role: u.Role, Kind: KindUser, Session: &s}, nil
}

func (a *Authenticator) deleteSession(ctx context.Context, hash string) {
	if err := a.users.DeleteSession(ctx, hash); err != nil && !errors.Is(err, store.ErrNotFound) {
		a.opts.Logger.Warn("auth: deleting session", "err", err)
	}
}

// safeMethod reports whether m is one that must not change state. Anything
// else, including methods we do not know, counts as unsafe.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF guards session-authenticated requests with unsafe methods
// twice over: the browser's own Sec-Fetch-Site or Origin must not name
// another origin, and the request must echo the session's CSRF token,
// which only pages of our own origin can read.
func (a *Authenticator) checkCSRF(r *http.Request, s *store.Session) error {
	if safeMethod(r.Method) {
		return nil
	}
	if err := a.cop.Check(r); err != nil {
		return fmt.Errorf("%w: %v", ErrCSRF, err)
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" && isURLEncodedForm(r) {
		// Only plain forms are read here: parsing a multipart body would
		// swallow uploads before their handler sees them, so multipart
		// requests must send the header.
		got = r.PostFormValue(CSRFField)
	}
	if got == "" || s.CSRF == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) != 1 {
		return fmt.Errorf("%w: missing or wrong CSRF token", ErrCSRF)
	}
	return nil
}

func isURLEncodedForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// Require returns a handler that authenticates each request, checks that
// its principal's role allows need, and calls next with the Principal in
// the request context. It answers 401 (with WWW-Authenticate: Bearer)
// when credentials are missing or invalid, 403 when the role falls short
// or the CSRF checks fail.
func (a *Authenticator) Require(need store.Role, next http.Handler) http.Handler {
	if !ValidRole(need) {
		panic(fmt.Sprintf("auth.Require: unknown role %q", need))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		if !p.Allows(need) {
			a.opts.ErrorWriter(w, r, http.StatusForbidden, "forbidden: this needs the "+string(need)+" role")
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), p)))
	})
}

// WriteError answers an error from Authenticate or Login with the right
// status: 401 for missing or invalid credentials, 403 for CSRF failures,
// 429 with Retry-After when rate limited, and 500 for anything else, whose
// details go to the log rather than the client.
func (a *Authenticator) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var rl *RateLimitError
	switch {
	case errors.Is(err, ErrNoCredentials):
		w.Header().Set("WWW-Authenticate", `Bearer realm="bulwark"`)
		a.opts.ErrorWriter(w, r, http.StatusUnauthorized, ErrNoCredentials.Error())
	case errors.Is(err, ErrInvalidCredentials):
		w.Header().Set("WWW-Authenticate", `Bearer realm="bulwark", error="invalid_token"`)
		a.opts.ErrorWriter(w, r, http.StatusUnauthorized, ErrInvalidCredentials.Error())
	case errors.Is(err, ErrCSRF):
		a.opts.ErrorWriter(w, r, http.StatusForbidden, ErrCSRF.Error())
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds()))
		a.opts.ErrorWriter(w, r, http.StatusTooManyRequests, ErrRateLimited.Error())
	default:
		a.opts.Logger.Error("auth: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		a.opts.ErrorWriter(w, r, http.StatusInternalServerError, "internal error")
	}
}

// JSONError is the default ErrorWriter: {"error":"<msg>"}.
func JSONError(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{msg})
}
