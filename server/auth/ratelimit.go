package auth

import (
	"container/list"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// ErrRateLimited is returned (wrapped in a *RateLimitError) by Login when
// the client address or the user name has failed too often lately.
var ErrRateLimited = errors.New("too many failed logins, try again later")

// RateLimitError says how long to wait; it matches ErrRateLimited with
// errors.Is.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", ErrRateLimited, e.RetryAfter)
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// RetryAfterSeconds is e.RetryAfter rounded up to whole seconds, as the
// Retry-After header wants it (rounding down would invite a retry that is
// still refused).
func (e *RateLimitError) RetryAfterSeconds() int {
	return int((e.RetryAfter + time.Second - 1) / time.Second)
}

// limiter counts failed logins per key (a client network or a user name)
// and locks a key out for a while after too many. Lockouts double each time
// a key earns another, up to a maximum, and are forgiven after a quiet
// spell as long as the longest lockout.
//
// Only failures create entries, so ordinary traffic costs no memory, and
// the number of entries is capped: past the cap the least recently failing
// key is forgotten. An attacker spraying many keys can thus push out an
// older lockout, but each of its own keys is still limited.
type limiter struct {
	maxFailures int           // failures allowed within window
	window      time.Duration // counting window, also the first lockout
	maxLockout  time.Duration
	maxEntries  int

	mu      sync.Mutex
	entries map[string]*list.Element // values are *limitEntry
	lru     list.List                // front: most recent failure
}

type limitEntry struct {
	key         string
	windowStart time.Time
	failures    int
	lockouts    int
	lockedUntil time.Time
	lastFail    time.Time
}

func newLimiter(maxFailures int, window, maxLockout time.Duration, maxEntries int) *limiter {
	return &limiter{
		maxFailures: maxFailures,
		window:      window,
		maxLockout:  maxLockout,
		maxEntries:  maxEntries,
		entries:     make(map[string]*list.Element),
	}
}

// begin counts an attempt by key at now as a failure before its outcome is
// known; refund takes it back if it succeeds. Counting first is what makes
// the limit hold against parallel attempts: were failures counted only
// once a password check had failed, a burst of requests would all pass the
// lockout check while the first ones were still hashing.
//
// When key is locked out, begin returns how long it still is and counts
// nothing. Otherwise it returns the lockout this attempt started, if any:
// the attempt itself goes ahead, the ones after it wait.
func (l *limiter) begin(key string, now time.Time) (wait, started time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var e *limitEntry
	if el, ok := l.entries[key]; ok {
		e = el.Value.(*limitEntry)
		if d := e.lockedUntil.Sub(now); d > 0 {
			return d, 0
		}
		l.lru.MoveToFront(el)
	} else {
		for len(l.entries) >= l.maxEntries {
			oldest := l.lru.Back()
			l.lru.Remove(oldest)
			delete(l.entries, oldest.Value.(*limitEntry).key)
		}
		e = &limitEntry{key: key}
		l.entries[key] = l.lru.PushFront(e)
	}
	if e.lockouts > 0 && now.Sub(e.lastFail) > l.maxLockout {
		e.lockouts = 0
	}
	e.lastFail = now
	if now.Sub(e.windowStart) >= l.window {
		e.windowStart, e.failures = now, 0
	}
	e.failures++
	if e.failures < l.maxFailures {
		return 0, 0
	}
	e.lockouts++
	d := l.window
	for i := 1; i < e.lockouts && d < l.maxLockout; i++ {
		d *= 2
	}
	d = min(d, l.maxLockout)
	e.lockedUntil = now.Add(d)
	e.windowStart, e.failures = now, 0
	return 0, d
}

// refund takes back an attempt begin counted, because it succeeded or
// never got to check a password; started says whether that attempt
// started a lockout, which is then lifted.
func (l *limiter) refund(key string, started bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.entries[key]
	if !ok {
		return
	}
	e := el.Value.(*limitEntry)
	switch {
	case started && e.lockouts > 0:
		e.lockouts--
		e.lockedUntil = time.Time{}
		e.failures = l.maxFailures - 1
	case e.failures > 0:
		e.failures--
	}
}

// reset forgets key, after it logged in successfully.
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.entries[key]; ok {
		l.lru.Remove(el)
		delete(l.entries, key)
	}
}

// ipKey is the rate-limiting key of a client address: the address itself
// for IPv4, its /64 for IPv6, since one subscriber commonly holds a whole
// /64 and could otherwise rotate through addresses for fresh allowances.
func ipKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// maxUserKeyLen bounds the memory an attacker's user names take up in the
// limiter; real names are much shorter.
const maxUserKeyLen = 128

// userKey is the rate-limiting key of a user name. Case is folded so that
// "Admin" and "admin" share their allowance whatever the store makes of
// case.
func userKey(name string) string {
	if len(name) > maxUserKeyLen {
		name = name[:maxUserKeyLen]
	}
	return strings.ToLower(name)
}
