package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// Hashes made by the reference C implementation (libargon2 through its
// argon2id_hash_encoded) of "correct horse battery staple", so that hashes
// written by other tools, or by a future version of this code with other
// parameters, keep verifying.
var referenceHashes = []string{
	"$argon2id$v=19$m=19456,t=2,p=1$YnVsd2Fyay1zYWx0LTE2Yg$KsUBcMzJHRoAG34Oay72O+vj5vy0T0iBAuTHRDyE9mw",
	"$argon2id$v=19$m=65536,t=3,p=4$YnVsd2Fyay1zYWx0LTE2Yg$D+Eelk53i689ieKILrFJNIiNpJr0o9bllIq04ixAxSE",
}

const referencePassword = "correct horse battery staple"

var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashPasswordRoundTrip(t *testing.T) {
	h, err := HashPassword(referencePassword)
	if err != nil {
		t.Fatal(err)
	}
	if !phcPattern.MatchString(h) {
		t.Fatalf("hash %q is not argon2id PHC with the default parameters", h)
	}
	if NeedsRehash(h) {
		t.Error("fresh hash needs rehash")
	}
	h2, err := HashPassword(referencePassword)
	if err != nil {
		t.Fatal(err)
	}
	if h == h2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
	for _, tc := range []struct {
		name, hash, pw string
		want           bool
	}{
		{"right", h, referencePassword, true},
		{"wrong", h, "correct horse battery stapler", false},
		{"prefix", h, referencePassword[:len(referencePassword)-1], false},
		{"empty", h, "", false},
		{"case", h, strings.ToUpper(referencePassword), false},
		{"too long", h, strings.Repeat("a", MaxPasswordLen+1), false},
		{"reference default", referenceHashes[0], referencePassword, true},
		{"reference other params", referenceHashes[1], referencePassword, true},
		{"reference wrong", referenceHashes[0], "Correct horse battery staple", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckPassword(tc.hash, tc.pw)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("CheckPassword = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHashPasswordLength(t *testing.T) {
	for _, tc := range []struct {
		n    int
		okay bool
	}{
		{0, false},
		{MinPasswordLen - 1, false},
		{MinPasswordLen, true},
		{MaxPasswordLen, true},
		{MaxPasswordLen + 1, false},
	} {
		_, err := HashPassword(strings.Repeat("x", tc.n))
		if tc.okay != (err == nil) || (err != nil && !errors.Is(err, ErrPasswordLength)) {
			t.Errorf("len %d: err = %v", tc.n, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	for _, tc := range []struct {
		hash string
		want bool
	}{
		{referenceHashes[0], false},
		{referenceHashes[1], true},
		{"garbage", true},
	} {
		if got := NeedsRehash(tc.hash); got != tc.want {
			t.Errorf("NeedsRehash(%q) = %v, want %v", tc.hash, got, tc.want)
		}
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	const salt, key = "YnVsd2Fyay1zYWx0LTE2Yg", "KsUBcMzJHRoAG34Oay72O+vj5vy0T0iBAuTHRDyE9mw"
	for _, tc := range []struct{ name, hash string }{
		{"empty", ""},
		{"bcrypt", "$2b$12$abcdefghijklmnopqrstuuMi/2y2qs0lfhn1gHx0yeuFAOAk2Lg.K"},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=19456,t=2,p=1$" + salt + "$" + key},
		{"no leading dollar", "argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key},
		{"extra field", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "$x"},
		{"params reordered", "$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key},
		{"param missing", "$argon2id$v=19$m=19456,t=2$" + salt + "$" + key},
		{"param extra", "$argon2id$v=19$m=19456,t=2,p=1,keyid=x$" + salt + "$" + key},
		{"param not a number", "$argon2id$v=19$m=lots,t=2,p=1$" + salt + "$" + key},
		{"param negative", "$argon2id$v=19$m=19456,t=-2,p=1$" + salt + "$" + key},
		{"param signed", "$argon2id$v=19$m=+19456,t=2,p=1$" + salt + "$" + key},
		{"param overflows", "$argon2id$v=19$m=4294967296,t=2,p=1$" + salt + "$" + key},
		{"memory absurd", "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key},
		{"memory below 8p", "$argon2id$v=19$m=15,t=1,p=2$" + salt + "$" + key},
		{"time zero", "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key},
		{"time absurd", "$argon2id$v=19$m=19456,t=1000000,p=1$" + salt + "$" + key},
		{"work absurd", "$argon2id$v=19$m=262144,t=8,p=1$" + salt + "$" + key},
		{"lanes zero", "$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key},
		{"lanes absurd", "$argon2id$v=19$m=19456,t=2,p=255$" + salt + "$" + key},
		{"salt padded", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==$" + key},
		{"salt not base64", "$argon2id$v=19$m=19456,t=2,p=1$!!!!!!!!!!!!$" + key},
		{"salt short", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + key},
		{"salt empty", "$argon2id$v=19$m=19456,t=2,p=1$$" + key},
		{"key short", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$a2V5"},
		{"key empty", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$"},
		{"key url alphabet", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + strings.ReplaceAll(key, "+", "-")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := CheckPassword(tc.hash, referencePassword)
			if ok || !errors.Is(err, ErrBadHash) {
				t.Errorf("CheckPassword(%q) = %v, %v; want false, ErrBadHash", tc.hash, ok, err)
			}
		})
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	counts := map[rune]int{}
	for range 200 {
		pw := GeneratePassword()
		if len(pw) < 20 {
			t.Fatalf("password %q shorter than 20", pw)
		}
		if seen[pw] {
			t.Fatalf("password %q generated twice", pw)
		}
		seen[pw] = true
		for _, c := range pw {
			if !strings.ContainsRune(passwordAlphabet, c) {
				t.Fatalf("password %q has %q, outside the alphabet", pw, c)
			}
			counts[c]++
		}
	}
	for _, c := range "0O1lIo" {
		if strings.ContainsRune(passwordAlphabet, c) {
			t.Errorf("alphabet has ambiguous %q", c)
		}
	}
	// 4800 draws from 56 letters: each is expected about 86 times; a
	// letter never drawn would mean the sampling skips part of the
	// alphabet.
	if len(counts) != len(passwordAlphabet) {
		t.Errorf("only %d of %d letters drawn", len(counts), len(passwordAlphabet))
	}
	if _, err := HashPassword(GeneratePassword()); err != nil {
		t.Errorf("generated password refused by HashPassword: %v", err)
	}
}

func TestDummyHashCostsAsMuchAsAReal(t *testing.T) {
	if NeedsRehash(dummyHash) {
		t.Fatalf("dummy hash %q does not use the current parameters", dummyHash)
	}
	if ok, err := CheckPassword(dummyHash, ""); ok || err != nil {
		t.Fatalf("CheckPassword(dummy) = %v, %v", ok, err)
	}
}
