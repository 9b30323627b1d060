package auth

import (
	"context"

	"github.com/bulwarkhq/bulwark/store"
)

// Kinds of principal.
const (
	KindUser  = "user"  // a person logged in with a session cookie
	KindToken = "token" // an API token
)

// Principal is who made a request, once authenticated.
type Principal struct {
	Name string     // user name, or the token's name
	Role store.Role // for users, the role they have now, not at login
	Kind string     // KindUser or KindToken
	// Session is the browser session for KindUser; its CSRF field is what
	// the UI must echo in X-CSRF-Token. Nil for tokens.
	Session *store.Session
}

// Allows reports whether the principal's role permits what need requires.
func (p Principal) Allows(need store.Role) bool { return Allows(p.Role, need) }

// Actor is how the audit log names the principal: the user name, or
// "token:<name>" so that a token cannot pass for a user of the same name.
func (p Principal) Actor() string {
	if p.Kind == KindToken {
		return "token:" + p.Name
	}
	return p.Name
}

// rank orders the roles that read and manage; ingest is apart.
var rank = map[store.Role]int{
	store.RoleViewer:  1,
	store.RoleAnalyst: 2,
	store.RoleAdmin:   3,
}

// Allows reports whether a principal with role have may do what needs role
// need. Admin, analyst and viewer are ordered, each allowing what the ones
// below it allow. Ingest stands apart: an ingest token may send events and
// nothing else (it must not read what it sends, so a token leaked from a
// log shipper exposes no data), and of the other roles only admin may
// ingest, since forged events can raise or bury alerts. Unknown roles allow
// nothing and are allowed by nothing.
//
// It is a function rather than a method on store.Role only because methods
// must live in the type's package.
func Allows(have, need store.Role) bool {
	if need == store.RoleIngest {
		return have == store.RoleIngest || have == store.RoleAdmin
	}
	h, n := rank[have], rank[need]
	return h > 0 && n > 0 && h >= n
}

// ValidRole reports whether r is one of the roles store defines.
func ValidRole(r store.Role) bool {
	return r == store.RoleIngest || rank[r] > 0
}

type principalKey struct{}

// NewContext returns ctx carrying p, as Require does for its handler.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal Require put in ctx, and false when
// there is none (the handler was not wrapped in Require).
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
