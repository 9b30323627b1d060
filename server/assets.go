package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strings"
)

// Asset is an entry of the editable asset list: hosts (a name or a
// shell-style pattern such as "dc*") and how much they matter. Cases on
// critical assets rank higher.
type Asset struct {
	Host        string `json:"host"`
	Criticality string `json:"criticality"` // low, medium, high, critical
	Note        string `json:"note,omitempty"`
}

// assetsKey is the setting holding the asset list.
const assetsKey = "assets"

// assetFactor is how criticality weighs on a case's score.
var assetFactor = map[string]float64{"low": 0.8, "medium": 1, "high": 1.3, "critical": 1.6}

func (s *Server) loadAssets(ctx context.Context) ([]Asset, error) {
	v, ok, err := s.st.GetSetting(ctx, assetsKey)
	if err != nil || !ok {
		return []Asset{}, err
	}
	var as []Asset
	if err := json.Unmarshal([]byte(v), &as); err != nil {
		return nil, err
	}
	return as, nil
}

func checkAssets(as []Asset) error {
	if len(as) > 10000 {
		return badRequest("at most 10000 assets")
	}
	for i, a := range as {
		if _, ok := assetFactor[a.Criticality]; !ok {
			return badRequest("asset %d: criticality %q: use low, medium, high or critical", i, a.Criticality)
		}
		if a.Host == "" {
			return badRequest("asset %d: host is required", i)
		}
		if _, err := path.Match(strings.ToLower(a.Host), ""); err != nil {
			return badRequest("asset %d: host pattern %q: %v", i, a.Host, err)
		}
	}
	return nil
}

// assetOf returns the first entry whose pattern matches host
// (case-insensitively), or false.
func assetOf(as []Asset, host string) (Asset, bool) {
	h := strings.ToLower(host)
	short, _, _ := strings.Cut(h, ".")
	for _, a := range as {
		p := strings.ToLower(a.Host)
		if ok, _ := path.Match(p, h); ok {
			return a, true
		}
		if ok, _ := path.Match(p, short); ok {
			return a, true
		}
	}
	return Asset{}, false
}

// assetAdjust weighs a case by the most critical of its hosts.
func assetAdjust(as []Asset, hosts []string, score float64, reasons []string) (float64, []string) {
	best, which := 1.0, Asset{}
	host := ""
	for _, h := range hosts {
		if a, ok := assetOf(as, h); ok {
			if f := assetFactor[a.Criticality]; host == "" || f > best {
				best, which, host = f, a, h
			}
		}
	}
	if host == "" || best == 1 {
		return score, reasons
	}
	reason := fmt.Sprintf("host %q is a %s asset", host, which.Criticality)
	if which.Note != "" {
		reason += " (" + which.Note + ")"
	}
	return score * best, append(reasons, fmt.Sprintf("%s: score ×%.1f", reason, best))
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
		Assets []Asset `json:"assets"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := checkAssets(req.Assets); err != nil {
		return err
	}
	data, _ := json.Marshal(req.Assets)
	if err := s.st.SetSetting(r.Context(), assetsKey, string(data)); err != nil {
		return err
	}
	s.audit(r, "assets.update", "", fmt.Sprintf("%d assets", len(req.Assets)))
	writeJSON(w, http.StatusOK, map[string]any{"assets": req.Assets})
	return nil
}

// assetsText renders the list as the page's editable lines.
func assetsText(as []Asset) string {
	var b strings.Builder
	for _, a := range as {
		b.WriteString(a.Host + ", " + a.Criticality)
		if a.Note != "" {
			b.WriteString(", " + a.Note)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// parseAssets reads the page's lines: host, criticality, note.
func parseAssets(text string) ([]Asset, error) {
	var as []Asset
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, ",", 3)
		if len(parts) < 2 {
			return nil, badRequest("line %d: want host, criticality[, note]", i+1)
		}
		a := Asset{Host: strings.TrimSpace(parts[0]), Criticality: strings.ToLower(strings.TrimSpace(parts[1]))}
		if len(parts) == 3 {
			a.Note = strings.TrimSpace(parts[2])
		}
		as = append(as, a)
	}
	return as, checkAssets(as)
}

func (s *Server) assetsPage(w http.ResponseWriter, r *http.Request, v view) error {
	as, err := s.loadAssets(r.Context())
	if err != nil {
		return err
	}
	v.Title, v.Data = "Assets", map[string]any{"Text": assetsText(as)}
	s.render(w, http.StatusOK, "assets", v)
	return nil
}

func (s *Server) assetsForm(w http.ResponseWriter, r *http.Request, _ view) error {
	as, err := parseAssets(r.PostFormValue("assets"))
	if err != nil {
		return err
	}
	data, _ := json.Marshal(as)
	if err := s.st.SetSetting(r.Context(), assetsKey, string(data)); err != nil {
		return err
	}
	s.audit(r, "assets.update", "", fmt.Sprintf("%d assets", len(as)))
	http.Redirect(w, r, "/assets", http.StatusSeeOther)
	return nil
}
