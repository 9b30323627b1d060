package auth

import (
	"regexp"
	"strings"
	"testing"
)

// scannerPattern is what a secret scanner would be configured with.
var scannerPattern = regexp.MustCompile(`\bbwk_[a-z2-7]{52}\b`)

func TestNewToken(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		secret, hash := NewToken()
		if !scannerPattern.MatchString("token=" + secret + ";") {
			t.Fatalf("token %q not found by the scanner pattern", secret)
		}
		if !wellFormedToken(secret) {
			t.Fatalf("token %q not well formed", secret)
		}
		if hash != HashToken(secret) {
			t.Fatal("NewToken hash differs from HashToken")
		}
		if seen[secret] {
			t.Fatal("token repeated")
		}
		seen[secret] = true
	}
}

func TestHashToken(t *testing.T) {
	// sha256("bwk_test"), computed independently with sha256sum.
	const want = "0de3fa8f715fbde078c82cce5b6fa602c72003530011bd88f129262577e5a38d"
	if got := HashToken("bwk_test"); got != want {
		t.Errorf("HashToken = %s, want %s", got, want)
	}
}

func TestWellFormedToken(t *testing.T) {
	good, _ := NewToken()
	for _, tc := range []struct {
		name, s string
		want    bool
	}{
		{"good", good, true},
		{"empty", "", false},
		{"no prefix", strings.TrimPrefix(good, TokenPrefix), false},
		{"other prefix", "ghp_" + strings.TrimPrefix(good, TokenPrefix), false},
		{"short", good[:len(good)-1], false},
		{"long", good + "a", false},
		{"upper case", TokenPrefix + strings.ToUpper(strings.TrimPrefix(good, TokenPrefix)), false},
		{"outside alphabet", good[:len(good)-1] + "1", false},
	} {
		if got := wellFormedToken(tc.s); got != tc.want {
			t.Errorf("%s: wellFormedToken(%q) = %v, want %v", tc.name, tc.s, got, tc.want)
		}
	}
}

func TestSessionCookieFormat(t *testing.T) {
	v := randomURLToken(sessionRandomBytes)
	if !wellFormedSessionCookie(v) {
		t.Fatalf("cookie %q not well formed", v)
	}
	for _, bad := range []string{"", v[:len(v)-1], v + "A", strings.Repeat("!", len(v)), v[:len(v)-1] + "="} {
		if wellFormedSessionCookie(bad) {
			t.Errorf("cookie %q accepted", bad)
		}
	}
}
