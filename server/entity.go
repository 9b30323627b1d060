package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/store"
)

// entityKinds are the kinds an entity page can show.
var entityKinds = map[string]bool{"host": true, "user": true, "src_ip": true, "dst_ip": true, "process": true, "file": true, "hash": true}

// entityPage shows what is known of one entity: its cases and its recent
// alerts.
func (s *Server) entityPage(w http.ResponseWriter, r *http.Request, v view) error {
	kind, value := r.PathValue("kind"), r.URL.Query().Get("v")
	if !entityKinds[kind] || value == "" {
		return badRequest("an entity is a kind (host, user, src_ip, dst_ip, process, file, hash) and a value")
	}
	ctx := r.Context()
	f := store.AlertFilter{From: time.Now().Add(-7 * 24 * time.Hour), Limit: 100_000}
	if kind == "host" {
		f.Host, f.Limit = value, 500
	}
	alerts, err := s.st.ListAlerts(ctx, f)
	if err != nil {
		return err
	}
	if kind != "host" {
		kept := alerts[:0]
		for _, a := range alerts {
			if a.Entities[kind] == value {
				kept = append(kept, a)
			}
		}
		alerts = kept
	}
	if len(alerts) > 500 {
		alerts = alerts[:500]
	}
	cases, err := s.st.ListCases(ctx, store.CaseFilter{Limit: 1000})
	if err != nil {
		return err
	}
	var mine []store.Case
	for _, c := range cases {
		for _, x := range strings.Split(c.Entities[kind], ",") {
			if x == value {
				mine = append(mine, c)
				break
			}
		}
	}
	asset := ""
	if kind == "host" {
		if as, err := s.loadAssets(ctx); err == nil {
			if a, ok := as.Lookup(value); ok {
				asset = a.Criticality
			}
		}
	}
	v.Title = kind + " " + value
	v.Data = map[string]any{"Kind": kind, "Value": value, "Alerts": alerts, "Cases": mine, "Asset": asset,
		"Search": "/search?q=" + url.QueryEscape(strconv.Quote(value))}
	s.render(w, http.StatusOK, "entity", v)
	return nil
}

// entityURL is the page of an entity.
func entityURL(kind, value string) string {
	return "/entities/" + kind + "?v=" + url.QueryEscape(value)
}
