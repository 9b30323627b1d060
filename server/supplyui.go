package server

import (
	"net/http"

	"github.com/bulwarkhq/bulwark/store"
)

// dashboardKEV is how many KEV-listed findings the dashboard's exposure
// panel lists; the supply page lists the rest.
const dashboardKEV = 20

// supplyPageLimit bounds the supply page's list so that it stays usable
// on a phone; the API pages through more.
const supplyPageLimit = 500

// supplyPage lists open supply-chain findings, filtered by project and
// KEV.
func (s *Server) supplyPage(w http.ResponseWriter, r *http.Request, v view) error {
	q := r.URL.Query()
	project, kev := q.Get("project"), q.Get("kev") == "1"
	found, err := s.st.ListSupplyFindings(r.Context(), store.SupplyFilter{Project: project, Open: true, KEV: kev, Limit: supplyPageLimit + 1})
	if err != nil {
		return err
	}
	more := len(found) > supplyPageLimit
	if more {
		found = found[:supplyPageLimit]
	}
	projects, err := s.st.ListSupplyProjects(r.Context())
	if err != nil {
		return err
	}
	now := s.now()
	rows := make([]ExposedFinding, 0, len(found))
	for _, f := range found {
		rows = append(rows, exposed(f, now))
	}
	v.Title = "Supply chain"
	v.Data = map[string]any{"Project": project, "KEV": kev, "Findings": rows, "More": more, "Projects": projects}
	s.render(w, http.StatusOK, "supply", v)
	return nil
}
