package taxiiconf

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestLoadAndAuthenticate(t *testing.T) {
	bc, _ := bcrypt.GenerateFromPassword([]byte("bob-secret"), bcrypt.MinCost)
	tok := sha256.Sum256([]byte("tok-123"))
	yml := "title: Test\nusers:\n" +
		"  - name: alice\n    password: '" + HashPassword("alice-secret") + "'\n    groups: [partners]\n" +
		"  - name: bob\n    password: '" + string(bc) + "'\n    token_sha256: ['" + hex.EncodeToString(tok[:]) + "']\n" +
		"collections:\n  - id: c1\n    title: One\n    read: ['*']\n    write: [alice]\n    amber: ['group:partners']\n"
	path := filepath.Join(t.TempDir(), "taxii.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Collections) != 1 || c.Collections[0].Amber[0] != "group:partners" {
		t.Fatalf("collections %+v", c.Collections)
	}
	a := NewAuthenticator(c)
	for _, tc := range []struct {
		user, pw, bearer, want string
	}{
		{"alice", "alice-secret", "", "alice"},
		{"alice", "alice-secret", "", "alice"}, // remembered
		{"alice", "wrong", "", ""},
		{"bob", "bob-secret", "", "bob"},
		{"carol", "x", "", ""},
		{"", "", "tok-123", "bob"},
		{"", "", "tok-124", ""},
	} {
		r := httptest.NewRequest("GET", "/taxii2/", nil)
		if tc.bearer != "" {
			r.Header.Set("Authorization", "Bearer "+tc.bearer)
		} else if tc.user != "" {
			r.SetBasicAuth(tc.user, tc.pw)
		}
		name, _, ok := a.Authenticate(r)
		if name != tc.want || ok != (tc.want != "") {
			t.Errorf("%+v: got %q %v", tc, name, ok)
		}
	}
	for _, bad := range []string{"users:\n  - name: x\n    password: plain\n", "collections:\n  - id: c\n    title: C\n    wirte: [x]\n", "collections:\n  - id: a/b\n    title: C\n"} {
		_ = os.WriteFile(path, []byte(bad), 0o600)
		if _, err := Load(path); err == nil {
			t.Errorf("accepted %q", strings.TrimSpace(bad))
		}
	}
}
