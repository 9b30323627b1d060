package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/store"
)

func checkUser(t *testing.T, what string, got, want store.User) {
	t.Helper()
	checkTime(t, what, got.Created, want.Created)
	got.Created, want.Created = time.Time{}, time.Time{}
	if got != want {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

func testUsersCRUD(t *testing.T, h *harness) {
	alice := store.User{Name: "alice", Role: store.RoleAdmin, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", Created: base}
	bob := store.User{Name: "bob", Role: store.RoleViewer, PasswordHash: "$argon2id$v=19$bob", Created: base.Add(time.Hour)}
	check(t, "CreateUser", h.s.CreateUser(h.ctx, bob))
	check(t, "CreateUser", h.s.CreateUser(h.ctx, alice))
	checkIs(t, "CreateUser with a taken name", h.s.CreateUser(h.ctx, store.User{Name: "alice", Role: store.RoleViewer}), store.ErrConflict)

	got, err := h.s.GetUser(h.ctx, "alice")
	check(t, "GetUser", err)
	checkUser(t, "alice", got, alice)
	_, err = h.s.GetUser(h.ctx, "Alice")
	checkIs(t, "GetUser is exact", err, store.ErrNotFound)

	list, err := h.s.ListUsers(h.ctx)
	check(t, "ListUsers", err)
	slices.SortFunc(list, func(a, b store.User) int { return strings.Compare(a.Name, b.Name) })
	if len(list) != 2 {
		t.Fatalf("ListUsers returned %d users, want 2", len(list))
	}
	checkUser(t, "listed alice", list[0], alice)
	checkUser(t, "listed bob", list[1], bob)

	// UpdateUser changes the role and the password; the creation time stays.
	bob2 := bob
	bob2.Role, bob2.PasswordHash, bob2.Created = store.RoleAnalyst, "$argon2id$v=19$new", time.Time{}
	check(t, "UpdateUser", h.s.UpdateUser(h.ctx, bob2))
	got, err = h.s.GetUser(h.ctx, "bob")
	check(t, "GetUser", err)
	bob2.Created = bob.Created
	checkUser(t, "updated bob", got, bob2)
	checkIs(t, "UpdateUser unknown", h.s.UpdateUser(h.ctx, store.User{Name: "carol", Role: store.RoleAdmin}), store.ErrNotFound)

	check(t, "DeleteUser", h.s.DeleteUser(h.ctx, "bob"))
	_, err = h.s.GetUser(h.ctx, "bob")
	checkIs(t, "GetUser after delete", err, store.ErrNotFound)
	checkIs(t, "DeleteUser twice", h.s.DeleteUser(h.ctx, "bob"), store.ErrNotFound)
	check(t, "CreateUser after delete", h.s.CreateUser(h.ctx, bob))
}

func checkToken(t *testing.T, what string, got, want store.Token) {
	t.Helper()
	checkTime(t, what+" created", got.Created, want.Created)
	checkTime(t, what+" expires", got.Expires, want.Expires)
	checkTime(t, what+" last used", got.LastUsed, want.LastUsed)
	got.Created, got.Expires, got.LastUsed = time.Time{}, time.Time{}, time.Time{}
	want.Created, want.Expires, want.LastUsed = time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

func testTokens(t *testing.T, h *harness) {
	check(t, "CreateUser", h.s.CreateUser(h.ctx, store.User{Name: "alice", Role: store.RoleAdmin, PasswordHash: "x"}))
	agent := store.Token{Name: "agent-ws1", Role: store.RoleIngest, Hash: strings.Repeat("ab", 32), Owner: "alice", Created: base}
	ci := store.Token{Name: "ci", Role: store.RoleViewer, Hash: strings.Repeat("cd", 32), Created: base, Expires: base.Add(24 * time.Hour)}
	check(t, "CreateToken", h.s.CreateToken(h.ctx, &agent))
	check(t, "CreateToken", h.s.CreateToken(h.ctx, &ci))
	if agent.ID <= 0 || ci.ID <= 0 || agent.ID == ci.ID {
		t.Fatalf("CreateToken set ids %d and %d", agent.ID, ci.ID)
	}
	dup := store.Token{Name: "other", Role: store.RoleAdmin, Hash: agent.Hash, Created: base}
	checkIs(t, "CreateToken with a taken hash", h.s.CreateToken(h.ctx, &dup), store.ErrConflict)

	got, err := h.s.TokenByHash(h.ctx, agent.Hash)
	check(t, "TokenByHash", err)
	checkToken(t, "agent token", got, agent) // zero Expires and LastUsed stay zero
	_, err = h.s.TokenByHash(h.ctx, strings.Repeat("00", 32))
	checkIs(t, "TokenByHash unknown", err, store.ErrNotFound)

	used := base.Add(90 * time.Minute)
	check(t, "TouchToken", h.s.TouchToken(h.ctx, ci.ID, used))
	ci.LastUsed = used
	checkIs(t, "TouchToken unknown", h.s.TouchToken(h.ctx, 424242, used), store.ErrNotFound)

	list, err := h.s.ListTokens(h.ctx)
	check(t, "ListTokens", err)
	slices.SortFunc(list, func(a, b store.Token) int { return int(a.ID - b.ID) })
	if len(list) != 2 {
		t.Fatalf("ListTokens returned %d tokens, want 2", len(list))
	}
	checkToken(t, "listed agent", list[0], agent)
	checkToken(t, "listed ci", list[1], ci)

	check(t, "DeleteToken", h.s.DeleteToken(h.ctx, agent.ID))
	_, err = h.s.TokenByHash(h.ctx, agent.Hash)
	checkIs(t, "TokenByHash after delete", err, store.ErrNotFound)
	checkIs(t, "DeleteToken twice", h.s.DeleteToken(h.ctx, agent.ID), store.ErrNotFound)
}

func checkSession(t *testing.T, what string, got, want store.Session) {
	t.Helper()
	checkTime(t, what+" created", got.Created, want.Created)
	checkTime(t, what+" expires", got.Expires, want.Expires)
	got.Created, got.Expires, want.Created, want.Expires = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

func testSessions(t *testing.T, h *harness) {
	check(t, "CreateUser", h.s.CreateUser(h.ctx, store.User{Name: "alice", Role: store.RoleAdmin, PasswordHash: "x"}))
	check(t, "CreateUser", h.s.CreateUser(h.ctx, store.User{Name: "bob", Role: store.RoleViewer, PasswordHash: "y"}))
	s1 := store.Session{Hash: strings.Repeat("11", 32), User: "alice", CSRF: "csrf-1", Created: base, Expires: base.Add(12 * time.Hour)}
	s2 := store.Session{Hash: strings.Repeat("22", 32), User: "bob", CSRF: "csrf-2", Created: base, Expires: base.Add(12 * time.Hour)}
	check(t, "CreateSession", h.s.CreateSession(h.ctx, s1))
	check(t, "CreateSession", h.s.CreateSession(h.ctx, s2))

	got, err := h.s.SessionByHash(h.ctx, s1.Hash)
	check(t, "SessionByHash", err)
	checkSession(t, "session", got, s1)
	_, err = h.s.SessionByHash(h.ctx, strings.Repeat("33", 32))
	checkIs(t, "SessionByHash unknown", err, store.ErrNotFound)

	check(t, "DeleteSession", h.s.DeleteSession(h.ctx, s1.Hash))
	_, err = h.s.SessionByHash(h.ctx, s1.Hash)
	checkIs(t, "SessionByHash after delete", err, store.ErrNotFound)
	checkIs(t, "DeleteSession twice", h.s.DeleteSession(h.ctx, s1.Hash), store.ErrNotFound)

	// A deleted user is logged out everywhere: a session must not outlive
	// the account it belongs to.
	check(t, "DeleteUser", h.s.DeleteUser(h.ctx, "bob"))
	_, err = h.s.SessionByHash(h.ctx, s2.Hash)
	checkIs(t, "session of a deleted user", err, store.ErrNotFound)
}

// A session expires at its Expires time: DeleteExpiredSessions(now) removes
// those with Expires at or before now and keeps the rest.
func testExpiredSessions(t *testing.T, h *harness) {
	check(t, "CreateUser", h.s.CreateUser(h.ctx, store.User{Name: "alice", Role: store.RoleAdmin, PasswordHash: "x"}))
	now := base
	sessions := []struct {
		expires time.Time
		kept    bool
	}{
		{now.Add(-time.Hour), false},
		{now, false},
		{now.Add(time.Nanosecond), true},
		{now.Add(time.Hour), true},
	}
	for i, s := range sessions {
		check(t, "CreateSession", h.s.CreateSession(h.ctx, store.Session{
			Hash: strings.Repeat(string(rune('a'+i)), 64), User: "alice", CSRF: "c", Created: now.Add(-2 * time.Hour), Expires: s.expires,
		}))
	}
	check(t, "DeleteExpiredSessions", h.s.DeleteExpiredSessions(h.ctx, now))
	for i, s := range sessions {
		_, err := h.s.SessionByHash(h.ctx, strings.Repeat(string(rune('a'+i)), 64))
		switch {
		case s.kept && err != nil:
			t.Errorf("session expiring %v was removed at %v: %v", s.expires, now, err)
		case !s.kept:
			checkIs(t, "expired session", err, store.ErrNotFound)
		}
	}
}
