package taxiiconf_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/intel/taxii/taxiiconf"
	"github.com/bulwarkhq/bulwark/intel/taxii/taxiitest"
)

// TestConformance runs the TAXII suite with the standalone server's
// authenticator (bulwark intel serve): the fixture's users from a
// configuration file, alice with an argon2id password and a bearer token,
// bob with a bcrypt password.
func TestConformance(t *testing.T) {
	bc, err := bcrypt.GenerateFromPassword([]byte("bob-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tok := sha256.Sum256([]byte("tok-alice"))
	yml := "title: Conformance\nusers:\n" +
		"  - name: alice\n    password: '" + taxiiconf.HashPassword("alice-pw") + "'\n    groups: [partners]\n    token_sha256: ['" + hex.EncodeToString(tok[:]) + "']\n" +
		"  - name: bob\n    password: '" + string(bc) + "'\n"
	path := filepath.Join(t.TempDir(), "taxii.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	conf, err := taxiiconf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	taxiitest.RunWith(t, func(*testing.T) taxii.Store { return taxii.NewMemStore() }, taxiiconf.NewAuthenticator(conf))
}
