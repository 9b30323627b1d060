package server

import (
	"net/http"
	"time"

	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// --- users ---

type createUserRequest struct {
	Name     string     `json:"name"`
	Role     store.Role `json:"role"`
	Password string     `json:"password,omitempty"` // generated when empty
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := s.st.ListUsers(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var req createUserRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := checkNameRole(req.Name, req.Role); err != nil {
		return err
	}
	pw, generated := req.Password, false
	if pw == "" {
		pw, generated = auth.GeneratePassword(), true
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return badRequest("password: %v", err)
	}
	u := store.User{Name: req.Name, Role: req.Role, PasswordHash: hash, Created: time.Now().UTC()}
	if err := s.st.CreateUser(r.Context(), u); err != nil {
		return err
	}
	s.audit(r, "user.create", u.Name, "role "+string(u.Role))
	out := map[string]any{"user": u}
	if generated {
		out["password"] = pw // shown once
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if p, _ := auth.FromContext(r.Context()); p.Kind == auth.KindUser && p.Name == name {
		return badRequest("you cannot delete yourself")
	}
	if err := s.st.DeleteUser(r.Context(), name); err != nil {
		return err
	}
	s.audit(r, "user.delete", name, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkNameRole checks the name and role of a new user or token.
func checkNameRole(name string, role store.Role) error {
	if !validName(name) {
		return badRequest("name: 1 to 64 letters, digits, '.', '_', '-' or '@'")
	}
	if !auth.ValidRole(role) {
		return badRequest("role %q: use admin, analyst, viewer or ingest", role)
	}
	return nil
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '@'
		if !ok {
			return false
		}
	}
	return true
}

// --- tokens ---

type createTokenRequest struct {
	Name string     `json:"name"`
	Role store.Role `json:"role"`
	// Expires is optional: a duration from now ("90d", "24h").
	Expires string `json:"expires,omitempty"`
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.st.ListTokens(r.Context())
	if err != nil {
		return err
	}
	writeList(w, "tokens", ts)
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req createTokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := checkNameRole(req.Name, req.Role); err != nil {
		return err
	}
	p, _ := auth.FromContext(r.Context())
	secret, hash := auth.NewToken()
	t := store.Token{Name: req.Name, Role: req.Role, Hash: hash, Owner: p.Actor(), Created: time.Now().UTC()}
	if req.Expires != "" {
		d, err := ParseDuration(req.Expires)
		if err != nil || d <= 0 {
			return badRequest("expires %q: use a duration such as 90d or 24h", req.Expires)
		}
		t.Expires = t.Created.Add(d)
	}
	if err := s.st.CreateToken(r.Context(), &t); err != nil {
		return err
	}
	s.audit(r, "token.create", t.Name, "role "+string(t.Role))
	writeJSON(w, http.StatusCreated, map[string]any{"token": t, "secret": secret})
	return nil
}

// --- audit ---

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r.URL.Query().Get("limit"), 200, 10000)
	if err != nil {
		return err
	}
	es, err := s.st.ListAudit(r.Context(), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"audit": es})
	return nil
}
