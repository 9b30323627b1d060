package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/time/rate"
)

// Key is a client API key the proxy accepts. Only its SHA-256 is kept, so a
// keys file that leaks gives no one access.
type Key struct {
	Name string `yaml:"name" json:"name"` // who holds it; in audit records and rate limits
	// App selects the policy's per-application rules; empty means Name.
	App    string `yaml:"app,omitempty" json:"app,omitempty"`
	SHA256 string `yaml:"sha256" json:"sha256"` // hex SHA-256 of the key
}

func (k Key) app() string {
	if k.App != "" {
		return k.App
	}
	return k.Name
}

// HashKey returns the hex SHA-256 of a client key, as a keys file holds it.
func HashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ParseKeys reads a keys file: a YAML (or JSON) list of {name, app, sha256}.
func ParseKeys(r io.Reader) ([]Key, error) {
	var keys []Key
	dec := yaml.NewDecoder(io.LimitReader(r, 4<<20))
	dec.KnownFields(true)
	if err := dec.Decode(&keys); err != nil && err != io.EOF {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if _, err := indexKeys(keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// indexKeys checks keys and maps each hash to its key.
func indexKeys(keys []Key) (map[[sha256.Size]byte]Key, error) {
	byHash := make(map[[sha256.Size]byte]Key, len(keys))
	names := map[string]bool{}
	for i, k := range keys {
		if k.Name == "" {
			return nil, fmt.Errorf("keys[%d]: no name", i)
		}
		if names[k.Name] {
			return nil, fmt.Errorf("keys[%d]: name %q used twice", i, k.Name)
		}
		names[k.Name] = true
		raw, err := hex.DecodeString(strings.TrimSpace(k.SHA256))
		if err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("keys[%d] (%s): sha256 must be 64 hex digits (make it with 'bulwark guard proxy --hash-key')", i, k.Name)
		}
		var h [sha256.Size]byte
		copy(h[:], raw)
		if _, dup := byHash[h]; dup {
			return nil, fmt.Errorf("keys[%d] (%s): the same key is listed twice", i, k.Name)
		}
		byHash[h] = k
	}
	return byHash, nil
}

// clientKey returns the key a client sent: "Authorization: Bearer KEY" as
// the OpenAI clients send it, or "api-key: KEY" as Azure clients do.
func clientKey(r *http.Request) string {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, key, ok := strings.Cut(auth, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(key)
		}
		return ""
	}
	return r.Header.Get("api-key")
}

// limiter keeps a token bucket per key name: rate requests per second on
// average, up to burst at once. There is one bucket per configured key (one
// in open mode), so the map stays as small as the keys file.
type limiter struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newLimiter(perSecond float64, burst int) *limiter {
	if burst < 1 {
		burst = max(1, int(perSecond))
	}
	return &limiter{rate: rate.Limit(perSecond), burst: burst, now: time.Now, buckets: map[string]*rate.Limiter{}}
}

// allow takes a token for name, or says how long until one is free.
func (l *limiter) allow(name string) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	l.mu.Lock()
	b := l.buckets[name]
	if b == nil {
		b = rate.NewLimiter(l.rate, l.burst)
		l.buckets[name] = b
	}
	l.mu.Unlock()
	now := l.now()
	r := b.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now) // a refused request does not use up the next token
		return false, wait
	}
	return true, 0
}
