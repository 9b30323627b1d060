// Package taxiiconf is the configuration of the standalone TAXII server
// (bulwark intel serve): a small YAML file of users, each with an argon2id
// or bcrypt password hash, optional bearer tokens (stored as SHA-256) and
// groups, and of collections with their read, write and amber lists. It
// turns that file into a taxii.Authenticator.
package taxiiconf

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/bulwarkhq/bulwark/intel/taxii"
)

// Config is the YAML file.
type Config struct {
	Title       string             `yaml:"title"`
	Description string             `yaml:"description"`
	Contact     string             `yaml:"contact"`
	Root        string             `yaml:"api_root"`
	Users       []User             `yaml:"users"`
	Collections []taxii.Collection `yaml:"collections"`
}

// User is one account.
type User struct {
	Name string `yaml:"name"`
	// Password is an argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$key)
	// or a bcrypt hash ($2a$, $2b$, $2y$).
	Password string   `yaml:"password"`
	Groups   []string `yaml:"groups"`
	// Tokens are the hex SHA-256 of bearer tokens: a token is random and
	// long, so a fast hash suffices and keeps each request cheap.
	Tokens []string `yaml:"token_sha256"`
}

// Load reads and checks a configuration file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a misspelt "wirte:" must not silently grant nothing
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

func (c *Config) check() error {
	seen := map[string]bool{}
	for i, u := range c.Users {
		if u.Name == "" || seen[u.Name] {
			return fmt.Errorf("users[%d]: missing or repeated name %q", i, u.Name)
		}
		seen[u.Name] = true
		if u.Password != "" {
			if _, err := verify(u.Password, ""); errors.Is(err, errBadHash) {
				return fmt.Errorf("users[%d] (%s): %w", i, u.Name, err)
			}
		}
		for _, t := range u.Tokens {
			if b, err := hex.DecodeString(t); err != nil || len(b) != sha256.Size {
				return fmt.Errorf("users[%d] (%s): token_sha256 must be 64 hex digits", i, u.Name)
			}
		}
	}
	ids := map[string]bool{}
	for i, col := range c.Collections {
		if col.ID == "" || ids[col.ID] || strings.Contains(col.ID, "/") {
			return fmt.Errorf("collections[%d]: missing, repeated or invalid id %q", i, col.ID)
		}
		ids[col.ID] = true
		if col.Title == "" {
			return fmt.Errorf("collections[%d]: missing title", i)
		}
	}
	return nil
}

var errBadHash = errors.New("password is not an argon2id or bcrypt hash")

// HashPassword returns an argon2id PHC string for pw, with the parameters
// OWASP recommends as a minimum (m=19 MiB, t=2, p=1).
func HashPassword(pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, 2, 19*1024, 1, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, 19*1024, 2, 1, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// verify checks pw against hash. Parameters are bounded so that a hash in
// the file cannot make each login take minutes or gigabytes.
func verify(hash, pw string) (bool, error) {
	if strings.HasPrefix(hash, "$2") {
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return false, fmt.Errorf("%w: %v", errBadHash, err)
		}
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil, nil
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return false, errBadHash
	}
	var m, t, p uint64
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil ||
		p < 1 || p > 8 || m < 8*p || m > 256*1024 || t < 1 || t > 10 {
		return false, fmt.Errorf("%w: parameters %q", errBadHash, parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return false, fmt.Errorf("%w: salt or key", errBadHash)
	}
	got := argon2.IDKey([]byte(pw), salt, uint32(t), uint32(m), uint8(p), uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// Authenticator checks HTTP Basic credentials and bearer tokens against
// the users. A successful Basic check is remembered for a few minutes (by
// a SHA-256 of the credentials): a pull makes a request per page, and
// argon2 per request would make paging slow and the server easy to load.
type Authenticator struct {
	users map[string]User
	mu    sync.Mutex
	ok    map[[32]byte]time.Time
}

var _ taxii.Authenticator = (*Authenticator)(nil)

// NewAuthenticator returns an authenticator over c's users.
func NewAuthenticator(c *Config) *Authenticator {
	a := &Authenticator{users: map[string]User{}, ok: map[[32]byte]time.Time{}}
	for _, u := range c.Users {
		a.users[u.Name] = u
	}
	return a
}

const rememberFor = 5 * time.Minute

// Authenticate implements taxii.Authenticator.
func (a *Authenticator) Authenticate(r *http.Request) (string, []string, bool) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		for _, u := range a.users {
			for _, t := range u.Tokens {
				want, _ := hex.DecodeString(t)
				if subtle.ConstantTimeCompare(sum[:], want) == 1 {
					return u.Name, u.Groups, true
				}
			}
		}
		return "", nil, false
	}
	name, pw, ok := r.BasicAuth()
	u, known := a.users[name]
	if !ok || !known || u.Password == "" || len(pw) > 1024 {
		return "", nil, false
	}
	key := sha256.Sum256([]byte(u.Password + "\x00" + pw))
	now := time.Now()
	a.mu.Lock()
	at, hit := a.ok[key]
	a.mu.Unlock()
	if hit && now.Sub(at) < rememberFor {
		return u.Name, u.Groups, true
	}
	if good, err := verify(u.Password, pw); err != nil || !good {
		return "", nil, false
	}
	a.mu.Lock()
	for k, t := range a.ok {
		if now.Sub(t) >= rememberFor {
			delete(a.ok, k)
		}
	}
	a.ok[key] = now
	a.mu.Unlock()
	return u.Name, u.Groups, true
}
