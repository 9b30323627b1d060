package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every API token. A fixed, distinctive prefix lets
// secret scanners (GitHub's, gitleaks, trufflehog) recognise a leaked
// Bulwark token with a pattern such as bwk_[a-z2-7]{52}, and lets the
// server turn away anything else without a database lookup.
const TokenPrefix = "bwk_"

// tokenEncoding is lower-case unpadded base32: only letters and digits, so
// a double click selects the whole token and it survives URLs, shells and
// config files unquoted.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

const tokenRandomBytes = 32

// tokenLen is the length of every token NewToken makes.
var tokenLen = len(TokenPrefix) + tokenEncoding.EncodedLen(tokenRandomBytes)

// NewToken returns a new API token secret, to be shown to its owner once,
// and the hash to store in store.Token.Hash.
func NewToken() (secret, hash string) {
	b := make([]byte, tokenRandomBytes)
	rand.Read(b)
	secret = TokenPrefix + tokenEncoding.EncodeToString(b)
	return secret, HashToken(secret)
}

// HashToken returns the hex SHA-256 of a token secret, as stored.
//
// A fast hash is right here, unlike for passwords: a token is 256 random
// bits, so even someone holding the stored hashes cannot guess a secret
// however fast each guess is, and a slow hash would only cost CPU on every
// API request. An unsalted hash also lets the store look a token up by its
// hash directly instead of comparing against each stored one.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// wellFormedToken reports whether s could be a token NewToken made, so that
// garbage is refused without touching the store.
func wellFormedToken(s string) bool {
	body, ok := strings.CutPrefix(s, TokenPrefix)
	if !ok || len(s) != tokenLen {
		return false
	}
	_, err := tokenEncoding.DecodeString(body)
	return err == nil
}

// sessionRandomBytes is the entropy of session cookies and CSRF tokens.
const sessionRandomBytes = 32

// randomURLToken returns n random bytes in unpadded base64url, safe in a
// cookie value and an HTTP header.
func randomURLToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// wellFormedSessionCookie reports whether v could be a cookie value Login
// set.
func wellFormedSessionCookie(v string) bool {
	if len(v) != base64.RawURLEncoding.EncodedLen(sessionRandomBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(v)
	return err == nil
}
