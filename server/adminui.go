package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// adminPage lists users and tokens. A secret just made (a generated
// password or a token) is shown on the page that answers its form, once,
// and never stored in clear.
func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, v view) error {
	return s.renderAdmin(w, r, v, "", "")
}

func (s *Server) renderAdmin(w http.ResponseWriter, r *http.Request, v view, what, secret string) error {
	users, err := s.st.ListUsers(r.Context())
	if err != nil {
		return err
	}
	tokens, err := s.st.ListTokens(r.Context())
	if err != nil {
		return err
	}
	v.Title = "Users and tokens"
	v.Data = map[string]any{"Users": users, "Tokens": tokens, "Secret": secret, "SecretWhat": what,
		"Roles":   []string{"viewer", "analyst", "admin", "ingest"},
		"Copilot": s.copilotUsage()}
	s.render(w, http.StatusOK, "admin", v)
	return nil
}

func (s *Server) addUserForm(w http.ResponseWriter, r *http.Request, v view) error {
	name, role := r.PostFormValue("name"), store.Role(r.PostFormValue("role"))
	if err := checkNameRole(name, role); err != nil {
		return err
	}
	pw := auth.GeneratePassword()
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	if err := s.st.CreateUser(r.Context(), store.User{Name: name, Role: role, PasswordHash: hash, Created: time.Now().UTC()}); err != nil {
		return err
	}
	s.audit(r, "user.create", name, "role "+string(role))
	return s.renderAdmin(w, r, v, "Password of "+name, pw)
}

func (s *Server) deleteUserForm(w http.ResponseWriter, r *http.Request, v view) error {
	name := r.PathValue("name")
	if name == v.User {
		return badRequest("you cannot delete yourself")
	}
	if err := s.st.DeleteUser(r.Context(), name); err != nil {
		return err
	}
	s.audit(r, "user.delete", name, "")
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
	return nil
}

func (s *Server) addTokenForm(w http.ResponseWriter, r *http.Request, v view) error {
	name, role := r.PostFormValue("name"), store.Role(r.PostFormValue("role"))
	if err := checkNameRole(name, role); err != nil {
		return err
	}
	secret, hash := auth.NewToken()
	t := store.Token{Name: name, Role: role, Hash: hash, Owner: "user:" + v.User, Created: time.Now().UTC()}
	if e := r.PostFormValue("expires"); e != "" {
		d, err := ParseDuration(e)
		if err != nil || d <= 0 {
			return badRequest("expires %q", e)
		}
		t.Expires = t.Created.Add(d)
	}
	if err := s.st.CreateToken(r.Context(), &t); err != nil {
		return err
	}
	s.audit(r, "token.create", name, "role "+string(role))
	return s.renderAdmin(w, r, v, "Token "+name, secret)
}

func (s *Server) deleteTokenForm(w http.ResponseWriter, r *http.Request, _ view) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteToken(r.Context(), id); err != nil {
		return err
	}
	s.audit(r, "token.delete", strconv.FormatInt(id, 10), "")
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
	return nil
}
