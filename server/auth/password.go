package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters for new hashes: OWASP's Password Storage Cheat Sheet
// recommends m=19 MiB, t=2, p=1 as the minimum for argon2id. One login then
// costs about 19 MiB and a few tens of milliseconds of one core, which a
// two-core server can afford while an attacker with a stolen database pays
// the same for each guess.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonSaltLen = 16
	argonKeyLen  = 32
)

// Bounds on parameters read back from a stored hash. The hash string comes
// from the database; a tampered or corrupted one must not make a single
// login allocate gigabytes or spin for minutes. They leave room to raise the
// defaults severalfold.
const (
	maxArgonMemory = 256 * 1024 // KiB
	maxArgonTime   = 10
	maxArgonWork   = 1 << 20 // memory (KiB) times passes
	maxArgonLanes  = 8
	minSaltLen     = 8
	maxSaltLen     = 64
	minKeyLen      = 16
	maxKeyLen      = 64
)

// Password length limits. The minimum follows NIST SP 800-63B; the maximum
// only stops absurd inputs (argon2 reads the whole password).
const (
	MinPasswordLen = 8
	MaxPasswordLen = 1024
)

// ErrPasswordLength is returned by HashPassword for passwords shorter than
// MinPasswordLen or longer than MaxPasswordLen bytes.
var ErrPasswordLength = fmt.Errorf("password must be %d to %d bytes long", MinPasswordLen, MaxPasswordLen)

// ErrBadHash is returned (wrapped) by CheckPassword when the stored hash is
// not an argon2id PHC string within the accepted parameter bounds.
var ErrBadHash = errors.New("malformed password hash")

// hashSlots bounds how many argon2 computations run at once. Each holds
// argonMemory of RAM, so a burst of logins (or a flood of bad ones from
// many addresses, which the rate limiter cannot stop) queues here instead
// of exhausting memory. More slots than cores would not finish any sooner.
var hashSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

func acquireHashSlot(ctx context.Context) error {
	select {
	case hashSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func releaseHashSlot() { <-hashSlots }

// argonParams is what a PHC string says about how its key was derived.
type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// HashPassword derives an argon2id key from pw with a fresh random salt and
// returns it in the PHC string format:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// with salt and key in unpadded standard base64, as the PHC format and
// other argon2 implementations expect.
func HashPassword(pw string) (string, error) {
	return hashPassword(context.Background(), pw)
}

func hashPassword(ctx context.Context, pw string) (string, error) {
	if len(pw) < MinPasswordLen || len(pw) > MaxPasswordLen {
		return "", ErrPasswordLength
	}
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	if err := acquireHashSlot(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	releaseHashSlot()
	return formatPHC(argonParams{argonMemory, argonTime, argonThreads, salt, key}), nil
}

func formatPHC(p argonParams) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(p.salt), b64.EncodeToString(p.key))
}

// CheckPassword reports whether pw matches hash, a PHC string made by
// HashPassword (possibly with other parameters, within bounds). It returns
// an error wrapping ErrBadHash when hash cannot be used, which is a server
// problem rather than a wrong password.
func CheckPassword(hash, pw string) (bool, error) {
	return checkPassword(context.Background(), hash, pw)
}

func checkPassword(ctx context.Context, hash, pw string) (bool, error) {
	p, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	if len(pw) > MaxPasswordLen {
		// Could never have been set; refuse before spending the work.
		// The length is the caller's own input, so answering faster for
		// it reveals nothing about accounts.
		return false, nil
	}
	if err := acquireHashSlot(ctx); err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	releaseHashSlot()
	return subtle.ConstantTimeCompare(key, p.key) == 1, nil
}

// NeedsRehash reports whether hash was made with other parameters than
// HashPassword uses now, so that a successful login can upgrade it.
func NeedsRehash(hash string) bool {
	p, err := parsePHC(hash)
	if err != nil {
		return true
	}
	return p.memory != argonMemory || p.time != argonTime || p.threads != argonThreads ||
		len(p.salt) != argonSaltLen || len(p.key) != argonKeyLen
}

// parsePHC reads an argon2id PHC string strictly: only this one algorithm
// and version, parameters in the order m,t,p, all within bounds.
func parsePHC(s string) (argonParams, error) {
	var p argonParams
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, fmt.Errorf("%w: want 5 '$'-separated fields", ErrBadHash)
	}
	if parts[1] != "argon2id" {
		return p, fmt.Errorf("%w: algorithm %q is not argon2id", ErrBadHash, parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, fmt.Errorf("%w: version %q is not v=%d", ErrBadHash, parts[2], argon2.Version)
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, fmt.Errorf("%w: want parameters m,t,p", ErrBadHash)
	}
	var vals [3]uint64
	for i, name := range [3]string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(kv[i], name+"=")
		if !ok {
			return p, fmt.Errorf("%w: parameter %d is not %s=", ErrBadHash, i+1, name)
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, fmt.Errorf("%w: parameter %s: not a number", ErrBadHash, name)
		}
		vals[i] = n
	}
	m, t, lanes := vals[0], vals[1], vals[2]
	switch {
	case lanes < 1 || lanes > maxArgonLanes:
		return p, fmt.Errorf("%w: p=%d outside 1..%d", ErrBadHash, lanes, maxArgonLanes)
	case m < 8*lanes || m > maxArgonMemory:
		return p, fmt.Errorf("%w: m=%d outside %d..%d", ErrBadHash, m, 8*lanes, maxArgonMemory)
	case t < 1 || t > maxArgonTime:
		return p, fmt.Errorf("%w: t=%d outside 1..%d", ErrBadHash, t, maxArgonTime)
	case m*t > maxArgonWork:
		return p, fmt.Errorf("%w: m*t=%d above %d", ErrBadHash, m*t, maxArgonWork)
	}
	b64 := base64.RawStdEncoding.Strict()
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return p, fmt.Errorf("%w: salt must be %d to %d bytes of unpadded base64", ErrBadHash, minSaltLen, maxSaltLen)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return p, fmt.Errorf("%w: key must be %d to %d bytes of unpadded base64", ErrBadHash, minKeyLen, maxKeyLen)
	}
	return argonParams{uint32(m), uint32(t), uint8(lanes), salt, key}, nil
}

// passwordAlphabet leaves out characters that are easily mistaken for one
// another when a password is read off a terminal and typed: 0/O/o, 1/l/I.
const passwordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"

// generatedPasswordLen characters of a 56-letter alphabet carry about 139
// bits, far beyond guessing even with the hash in hand.
const generatedPasswordLen = 24

// GeneratePassword returns a random password of 24 characters from an
// alphabet without look-alike characters, for the first administrator.
func GeneratePassword() string {
	out := make([]byte, 0, generatedPasswordLen)
	// Rejection sampling keeps every letter equally likely: bytes at or
	// above the largest multiple of the alphabet size are drawn again.
	limit := byte(256 - 256%len(passwordAlphabet))
	var buf [32]byte
	for len(out) < generatedPasswordLen {
		rand.Read(buf[:])
		for _, b := range buf {
			if b < limit && len(out) < generatedPasswordLen {
				out = append(out, passwordAlphabet[int(b)%len(passwordAlphabet)])
			}
		}
	}
	return string(out)
}
