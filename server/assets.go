package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/bulwarkhq/bulwark/triage"
)

// The asset list (triage.Assets) is kept in the settings and edited from
// the API or the assets page.

// assetsKey is the setting holding the asset list.
const assetsKey = "assets"

func (s *Server) loadAssets(ctx context.Context) (triage.Assets, error) {
	v, ok, err := s.st.GetSetting(ctx, assetsKey)
	if err != nil || !ok {
		return triage.Assets{}, err
	}
	var as triage.Assets
	if err := json.Unmarshal([]byte(v), &as); err != nil {
		return nil, err
	}
	return as, nil
}

func (s *Server) saveAssets(r *http.Request, as triage.Assets) error {
	if err := as.Check(); err != nil {
		return badRequest("%v", err)
	}
	data, _ := json.Marshal(as)
	if err := s.st.SetSetting(r.Context(), assetsKey, string(data)); err != nil {
		return err
	}
	s.audit(r, "assets.update", "", fmt.Sprintf("%d assets", len(as)))
	return nil
}

func (s *Server) getAssets(w http.ResponseWriter, r *http.Request) error {
	as, err := s.loadAssets(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"assets": as})
	return nil
}

// putAssets replaces the whole list.
func (s *Server) putAssets(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Assets triage.Assets `json:"assets"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := s.saveAssets(r, req.Assets); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"assets": req.Assets})
	return nil
}

func (s *Server) assetsPage(w http.ResponseWriter, r *http.Request, v view) error {
	as, err := s.loadAssets(r.Context())
	if err != nil {
		return err
	}
	v.Title, v.Data = "Assets", map[string]any{"Text": as.Text()}
	s.render(w, http.StatusOK, "assets", v)
	return nil
}

func (s *Server) assetsForm(w http.ResponseWriter, r *http.Request, _ view) error {
	as, err := triage.ParseAssets(r.PostFormValue("assets"))
	if err != nil {
		return badRequest("%v", err)
	}
	if err := s.saveAssets(r, as); err != nil {
		return err
	}
	http.Redirect(w, r, "/assets", http.StatusSeeOther)
	return nil
}
