package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/bulwarkhq/bulwark/intel"
	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/intel/taxii/sqlitestore"
	"github.com/bulwarkhq/bulwark/server/auth"
	"github.com/bulwarkhq/bulwark/store"
)

// TAXIIConfig configures the TAXII 2.1 server inside bulwark serve. Its
// collections name who may read, write and receive TLP:AMBER: a principal
// ("token:ci", "alice"), a role as a group ("group:viewer",
// "group:analyst", "group:admin"; a role includes those below it) or "*".
type TAXIIConfig struct {
	Collections []taxii.Collection `yaml:"collections"`
}

// taxiiRoot is the API root's path segment: https://host/taxii/.
const taxiiRoot = "taxii"

// defaultCollection is the one collection a server has when the
// configuration names none: the team's shared intel, readable by viewers,
// writable by analysts.
var defaultCollection = taxii.Collection{
	ID: "0c1ac3ad-5a0e-4b53-9a3c-4b1f7e6d2a11", Alias: "shared", Title: "Shared intel",
	Description: "Indicators and sightings this team shares; pushed indicators are matched against every event.",
	Read:        []string{"group:viewer"}, Write: []string{"group:analyst"}, Amber: []string{"group:analyst"},
}

// newTAXII opens the TAXII store in the data directory, writes the
// configured collections and returns the handler for /taxii2/ and
// /taxii/. A successful add reloads the indicators, so what a peer pushes
// is a detection at once.
func (s *Server) newTAXII(ctx context.Context) (http.Handler, taxii.Store, error) {
	st, err := sqlitestore.Open(ctx, filepath.Join(s.cfg.DataDir, "taxii.db"))
	if err != nil {
		return nil, nil, fmt.Errorf("taxii: %w", err)
	}
	cols := s.cfg.TAXII.Collections
	if len(cols) == 0 {
		cols = []taxii.Collection{defaultCollection}
	}
	for _, c := range cols {
		if err := st.PutCollection(ctx, c); err != nil {
			return nil, nil, fmt.Errorf("taxii: collection %s: %w", c.ID, err)
		}
	}
	srv := taxii.NewServer(taxii.Options{
		Store: st, Root: taxiiRoot, Title: "Bulwark TAXII", Log: s.log.With("component", "taxii"),
		BaseURL: s.cfg.Notify.BaseURL,
		Auth: taxii.AuthFunc(func(r *http.Request) (string, []string, bool) {
			p, ok := auth.FromContext(r.Context())
			if !ok {
				return "", nil, false
			}
			return p.Actor(), roleGroups(p.Role), true
		}),
	})
	var reload sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			srv.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		srv.ServeHTTP(rec, r)
		if rec.status == http.StatusAccepted {
			reload.Lock()
			defer reload.Unlock()
			if _, err := s.loadIntel(); err != nil {
				s.log.Error("intel reload after a TAXII add failed", "err", err)
			}
			s.audit(r, "taxii.add", r.URL.Path, "")
		}
	})
	return h, st, nil
}

// roleGroups lists the groups a role belongs to: a role includes those
// below it, as everywhere in the server.
func roleGroups(r store.Role) []string {
	var gs []string
	for _, g := range []store.Role{store.RoleViewer, store.RoleAnalyst, store.RoleAdmin, store.RoleIngest} {
		if auth.Allows(r, g) {
			gs = append(gs, string(g))
		}
	}
	return gs
}

// taxiiAuthError is an auth.ErrorWriter for the /taxii2/ and /taxii/
// routes: refusals by authentication or the role floor come as TAXII
// error messages (application/taxii+json;version=2.1), which TAXII
// clients expect. Wire it in routes() as the HEC and guard writers are:
// s.auth.WithErrorWriter(taxiiAuthError) for paths under /taxii.
func taxiiAuthError(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	taxii.WriteError(w, status, msg)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// taxiiIndicators reads the latest version of every indicator (and the
// marking definitions they refer to) in the TAXII collections.
func taxiiIndicators(ctx context.Context, st taxii.Store) ([]intel.Indicator, []error, error) {
	cols, err := st.Collections(ctx)
	if err != nil {
		return nil, nil, err
	}
	var inds []intel.Indicator
	var errs []error
	for _, c := range cols {
		var objs []stix.Object
		f := taxii.Filter{Types: []string{"indicator", "marking-definition", "identity", "attack-pattern", "relationship"}, Limit: 10000}
		for {
			page, err := st.Select(ctx, c.ID, f)
			if err != nil {
				return nil, nil, err
			}
			for _, e := range page.Entries {
				var o stix.Object
				if err := json.Unmarshal(e.Object, &o); err != nil {
					errs = append(errs, fmt.Errorf("taxii %s %s: %w", c.ID, e.ID, err))
					continue
				}
				objs = append(objs, o)
			}
			if !page.More {
				break
			}
			f.Next = page.Next
		}
		got, ierrs := stix.Indicators(objs, stix.ImportOptions{Source: "taxii:" + cmp.Or(c.Alias, c.Title, c.ID)})
		inds = append(inds, got...)
		errs = append(errs, ierrs...)
	}
	return inds, errs, nil
}
