package auth

import (
	"testing"

	"github.com/bulwarkhq/bulwark/store"
)

func TestAllows(t *testing.T) {
	roles := []store.Role{store.RoleAdmin, store.RoleAnalyst, store.RoleViewer, store.RoleIngest, "root", ""}
	// want[have][need]
	want := map[store.Role]map[store.Role]bool{
		store.RoleAdmin:   {store.RoleAdmin: true, store.RoleAnalyst: true, store.RoleViewer: true, store.RoleIngest: true},
		store.RoleAnalyst: {store.RoleAnalyst: true, store.RoleViewer: true},
		store.RoleViewer:  {store.RoleViewer: true},
		store.RoleIngest:  {store.RoleIngest: true},
	}
	for _, have := range roles {
		for _, need := range roles {
			w := want[have][need]
			if got := Allows(have, need); got != w {
				t.Errorf("Allows(%q, %q) = %v, want %v", have, need, got, w)
			}
			if got := (Principal{Role: have}).Allows(need); got != w {
				t.Errorf("Principal{%q}.Allows(%q) = %v, want %v", have, need, got, w)
			}
		}
	}
}

func TestPrincipalActorAndContext(t *testing.T) {
	u := Principal{Name: "alice", Role: store.RoleAnalyst, Kind: KindUser}
	tok := Principal{Name: "alice", Role: store.RoleIngest, Kind: KindToken}
	if u.Actor() != "alice" || tok.Actor() != "token:alice" {
		t.Errorf("actors %q, %q", u.Actor(), tok.Actor())
	}
	if _, ok := FromContext(t.Context()); ok {
		t.Error("principal in empty context")
	}
	got, ok := FromContext(NewContext(t.Context(), u))
	if !ok || got != u {
		t.Errorf("FromContext = %+v, %v", got, ok)
	}
}
