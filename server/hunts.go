package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/search"
	"github.com/bulwarkhq/bulwark/server/auth"
)

// Hunt is a saved search, shared by the team.
type Hunt struct {
	Name    string    `json:"name"`
	Query   string    `json:"query"`
	Author  string    `json:"author"`
	Created time.Time `json:"created"`
}

// huntsKey is the setting that holds the saved hunts.
const huntsKey = "hunts"

// maxHunts bounds the saved hunts.
const maxHunts = 500

func (s *Server) loadHunts(ctx context.Context) ([]Hunt, error) {
	v, ok, err := s.st.GetSetting(ctx, huntsKey)
	if err != nil || !ok {
		return []Hunt{}, err
	}
	var hs []Hunt
	if err := json.Unmarshal([]byte(v), &hs); err != nil {
		return nil, err
	}
	return hs, nil
}

// saveHunt adds or replaces the hunt of that name. Saves are serialised so
// that two at once do not lose one.
func (s *Server) saveHunt(ctx context.Context, h Hunt, remove bool) error {
	s.huntsMu.Lock()
	defer s.huntsMu.Unlock()
	hs, err := s.loadHunts(ctx)
	if err != nil {
		return err
	}
	kept := hs[:0]
	for _, x := range hs {
		if x.Name != h.Name {
			kept = append(kept, x)
		}
	}
	if !remove {
		if len(kept) >= maxHunts {
			return badRequest("at most %d saved hunts", maxHunts)
		}
		kept = append(kept, h)
	}
	data, err := json.Marshal(kept)
	if err != nil {
		return err
	}
	return s.st.SetSetting(ctx, huntsKey, string(data))
}

func newHunt(name, query, author string) (Hunt, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return Hunt{}, badRequest("name: 1 to 100 characters")
	}
	if _, err := search.Parse(query); err != nil || strings.TrimSpace(query) == "" {
		return Hunt{}, badRequest("query: %v", err)
	}
	return Hunt{Name: name, Query: query, Author: author, Created: time.Now().UTC()}, nil
}

func (s *Server) listHunts(w http.ResponseWriter, r *http.Request) error {
	hs, err := s.loadHunts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"hunts": hs})
	return nil
}

func (s *Server) createHunt(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name  string `json:"name"`
		Query string `json:"query"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, _ := auth.FromContext(r.Context())
	h, err := newHunt(req.Name, req.Query, p.Actor())
	if err != nil {
		return err
	}
	if err := s.saveHunt(r.Context(), h, false); err != nil {
		return err
	}
	s.audit(r, "hunt.save", h.Name, h.Query)
	writeJSON(w, http.StatusCreated, h)
	return nil
}

func (s *Server) deleteHunt(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.saveHunt(r.Context(), Hunt{Name: name}, true); err != nil {
		return err
	}
	s.audit(r, "hunt.delete", name, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) saveHuntForm(w http.ResponseWriter, r *http.Request, v view) error {
	h, err := newHunt(r.PostFormValue("name"), r.PostFormValue("q"), "user:"+v.User)
	if err != nil {
		return err
	}
	if err := s.saveHunt(r.Context(), h, false); err != nil {
		return err
	}
	s.audit(r, "hunt.save", h.Name, h.Query)
	http.Redirect(w, r, "/search?q="+url.QueryEscape(h.Query), http.StatusSeeOther)
	return nil
}
