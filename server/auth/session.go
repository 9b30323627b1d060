package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/bulwarkhq/bulwark/store"
)

// dummyHash is checked against when a login names no existing user, so
// that the answer takes as long as for a real user with a wrong password
// and response times do not tell which names exist. Its salt and key are
// random rather than derived: only the parameters decide the cost, and no
// password can match a random key.
var dummyHash = func() string {
	salt, key := make([]byte, argonSaltLen), make([]byte, argonKeyLen)
	rand.Read(salt)
	rand.Read(key)
	return formatPHC(argonParams{argonMemory, argonTime, argonThreads, salt, key})
}()

// maxAuditName bounds the attacker-chosen user name written to the audit
// log for failed logins.
const maxAuditName = 128

// Login checks a user name and password from the login form in r. On
// success it starts a session, sets its cookie on w and returns the user's
// principal, whose Session.CSRF the UI must echo on unsafe requests.
//
// Failures are audited as login.fail with the client address and return
// ErrInvalidCredentials whether the name or the password was wrong, after
// the same argon2 work either way. Too many failures return a
// *RateLimitError (errors.Is ErrRateLimited) and set Retry-After on w; a
// cross-origin request (login CSRF) returns ErrCSRF. Pass errors to
// WriteError.
func (a *Authenticator) Login(ctx context.Context, w http.ResponseWriter, r *http.Request, user, password string) (Principal, error) {
	if err := a.cop.Check(r); err != nil {
		// Without this a hostile page could log the victim's browser in
		// as the attacker and read what they then do.
		return Principal{}, fmt.Errorf("%w: %v", ErrCSRF, err)
	}
	remote := a.opts.RemoteIP(r)
	ipK, userK := ipKey(remote), userKey(user)
	now := a.now()
	// A locked-out name is refused before its password is checked, even a
	// right one: otherwise the lockout would not slow guessing at all.
	// The attempt counts as failed until it is known not to be (see
	// limiter.begin).
	waitIP, lockIP := a.byIP.begin(ipK, now)
	if waitIP > 0 {
		return Principal{}, rateLimited(w, waitIP)
	}
	waitUser, lockUser := a.byUser.begin(userK, now)
	if waitUser > 0 {
		a.byIP.refund(ipK, lockIP > 0)
		return Principal{}, rateLimited(w, waitUser)
	}
	// refund takes back the attempt when no password was checked.
	refund := func() {
		a.byIP.refund(ipK, lockIP > 0)
		a.byUser.refund(userK, lockUser > 0)
	}

	u, err := a.users.GetUser(ctx, user)
	ok := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		if _, err := a.checkPassword(ctx, dummyHash, password); err != nil {
			refund()
			return Principal{}, err // only a cancelled ctx
		}
	case err != nil:
		refund()
		return Principal{}, fmt.Errorf("auth: looking up user: %w", err)
	default:
		ok, err = a.checkPassword(ctx, u.PasswordHash, password)
		if errors.Is(err, ErrBadHash) {
			// A broken hash locks its user out; say so to the operator
			// (not the client), and spend the time a check would have.
			a.opts.Logger.Error("auth: stored password hash unusable", "user", u.Name, "err", err)
			if _, err := a.checkPassword(ctx, dummyHash, password); err != nil {
				refund()
				return Principal{}, err
			}
		} else if err != nil {
			refund()
			return Principal{}, err
		}
		ok = ok && ValidRole(u.Role)
	}
	if !ok {
		a.loginFailed(ctx, user, remote, ipK, lockIP, lockUser, now)
		return Principal{}, ErrInvalidCredentials
	}

	// Success forgets the name's failures but only takes this attempt
	// back from the address's: logging in to one's own account must not
	// reset the count of an address spraying guesses at others.
	a.byIP.refund(ipK, lockIP > 0)
	a.byUser.reset(userK)
	// A fresh session every login, and the one the browser held before
	// is ended: a session id planted before login must not become an
	// authenticated one (session fixation).
	for _, c := range r.CookiesNamed(CookieName) {
		if wellFormedSessionCookie(c.Value) {
			a.deleteSession(ctx, HashToken(c.Value))
		}
	}
	value := randomURLToken(sessionRandomBytes)
	s := store.Session{
		Hash:    HashToken(value),
		User:    u.Name,
		CSRF:    randomURLToken(sessionRandomBytes),
		Created: now,
		Expires: now.Add(a.opts.SessionTTL),
	}
	if err := a.users.CreateSession(ctx, s); err != nil {
		return Principal{}, fmt.Errorf("auth: creating session: %w", err)
	}
	http.SetCookie(w, a.cookie(value, a.opts.SessionTTL))
	a.appendAudit(ctx, store.AuditEntry{Time: now, Actor: u.Name, Action: "login.ok", Remote: remote})
	a.upgradeHash(ctx, u, password)
	a.sweepSessions(ctx, now)
	return Principal{Name: u.Name, Role: u.Role, Kind: KindUser, Session: &s}, nil
}

func rateLimited(w http.ResponseWriter, d time.Duration) error {
	e := &RateLimitError{RetryAfter: d}
	w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfterSeconds()))
	return e
}

// loginFailed audits a failed login and the lockouts it started.
// Lockouts are audited once each, not every refused attempt after them, so
// that a flood of guesses cannot flood the audit log too.
func (a *Authenticator) loginFailed(ctx context.Context, user, remote, ipK string, lockIP, lockUser time.Duration, now time.Time) {
	name := user
	if len(name) > maxAuditName {
		name = name[:maxAuditName]
	}
	a.appendAudit(ctx, store.AuditEntry{Time: now, Actor: name, Action: "login.fail", Remote: remote})
	if lockIP > 0 {
		a.appendAudit(ctx, store.AuditEntry{Time: now, Actor: name, Action: "login.lockout",
			Target: "address " + ipK, Detail: "locked out for " + lockIP.String(), Remote: remote})
	}
	if lockUser > 0 {
		a.appendAudit(ctx, store.AuditEntry{Time: now, Actor: name, Action: "login.lockout",
			Target: "user " + userKey(name), Detail: "locked out for " + lockUser.String(), Remote: remote})
	}
}

// upgradeHash rehashes the password of u with the current parameters when
// its stored hash used others; only at login is the password at hand.
func (a *Authenticator) upgradeHash(ctx context.Context, u store.User, password string) {
	if !NeedsRehash(u.PasswordHash) {
		return
	}
	h, err := hashPassword(ctx, password)
	if err != nil {
		return // a password set under another length policy stays as is
	}
	u.PasswordHash = h
	if err := a.users.UpdateUser(ctx, u); err != nil {
		a.opts.Logger.Warn("auth: upgrading password hash", "user", u.Name, "err", err)
	}
}

// sweepSessions deletes expired sessions at most once per sweepEvery, so
// that abandoned ones do not pile up in the store.
func (a *Authenticator) sweepSessions(ctx context.Context, now time.Time) {
	last := a.lastSweep.Load()
	if now.Unix()-last < int64(sweepEvery/time.Second) || !a.lastSweep.CompareAndSwap(last, now.Unix()) {
		return
	}
	if err := a.users.DeleteExpiredSessions(ctx, now); err != nil {
		a.opts.Logger.Warn("auth: deleting expired sessions", "err", err)
	}
}

func (a *Authenticator) appendAudit(ctx context.Context, e store.AuditEntry) {
	if a.audit == nil {
		return
	}
	if err := a.audit.AppendAudit(ctx, e); err != nil {
		a.opts.Logger.Error("auth: writing audit log", "action", e.Action, "actor", e.Actor, "err", err)
	}
}

// cookie returns the session cookie holding value for ttl, or one that
// deletes it when ttl is negative. HttpOnly keeps it from scripts, so an
// XSS cannot carry it off; SameSite=Strict keeps browsers from sending it
// with requests started by other sites; no Domain keeps it to this host.
func (a *Authenticator) cookie(value string, ttl time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   a.opts.Secure,
		SameSite: http.SameSiteStrictMode,
	}
	if ttl < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(ttl / time.Second)
	}
	return c
}

// Logout ends the session of r, if any, and tells the browser to drop its
// cookie. Serve it behind Require so that the CSRF checks apply.
func (a *Authenticator) Logout(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, a.cookie("", -1))
	var errs []error
	for _, c := range r.CookiesNamed(CookieName) {
		if !wellFormedSessionCookie(c.Value) {
			continue
		}
		hash := HashToken(c.Value)
		s, err := a.users.SessionByHash(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err == nil {
			err = a.users.DeleteSession(ctx, hash)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, fmt.Errorf("auth: ending session: %w", err))
			continue
		}
		a.appendAudit(ctx, store.AuditEntry{Time: a.now(), Actor: s.User, Action: "logout", Remote: a.opts.RemoteIP(r)})
	}
	return errors.Join(errs...)
}
