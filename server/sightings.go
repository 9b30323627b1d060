package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/bulwarkhq/bulwark/intel"
	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/store"
)

// Sightings are indicator hits in this organisation's own events: the
// alerts the intel stage raised, counted per indicator. They can be shared
// back to the peers the indicators came from, as STIX sightings.

// sightingLimit bounds the alerts read to count sightings.
const sightingLimit = 100000

// sightingView is a sighting with the indicator's name, for the API.
type sightingView struct {
	intel.Sighting
	Name string `json:"name"`
}

func (s *Server) sightings(ctx context.Context, since time.Time) ([]sightingView, error) {
	alerts, err := s.st.ListAlerts(ctx, store.AlertFilter{From: since, Limit: sightingLimit})
	if err != nil {
		return nil, err
	}
	by := map[string]*sightingView{}
	for _, a := range alerts {
		if !slices.Contains(a.Rule.Tags, "intel") {
			continue
		}
		v := by[a.Rule.ID]
		if v == nil {
			v = &sightingView{Sighting: intel.Sighting{IndicatorID: a.Rule.ID, FirstSeen: a.Time, LastSeen: a.Time}, Name: a.Rule.Title}
			if len(a.Matches) > 0 {
				v.Observed = a.Matches[0].Field + " = " + a.Matches[0].Value
			}
			by[a.Rule.ID] = v
		}
		v.Count++
		if a.Time.Before(v.FirstSeen) {
			v.FirstSeen = a.Time
		}
		if a.Time.After(v.LastSeen) {
			v.LastSeen = a.Time
		}
		if len(v.EventIDs) < 20 && a.EventID != 0 {
			v.EventIDs = append(v.EventIDs, a.EventID)
		}
	}
	out := make([]sightingView, 0, len(by))
	for _, v := range by {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastSeen.After(out[j].LastSeen) })
	return out, nil
}

func sinceDays(r *http.Request) (time.Time, error) {
	days := 30
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3650 {
			return time.Time{}, badRequest("days: want a number of days from 1 to 3650")
		}
		days = n
	}
	return time.Now().Add(-time.Duration(days) * 24 * time.Hour), nil
}

// listSightings answers GET /api/v1/intel/sightings.
func (s *Server) listSightings(w http.ResponseWriter, r *http.Request) error {
	since, err := sinceDays(r)
	if err != nil {
		return err
	}
	list, err := s.sightings(r.Context(), since)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"since": since.UTC(), "sightings": list})
	return nil
}

// shareSightings answers POST /api/v1/intel/sightings/share: the
// sightings become STIX sighting objects (TLP:AMBER, by this server's
// identity) in the TAXII collection peers pull from.
func (s *Server) shareSightings(w http.ResponseWriter, r *http.Request) error {
	since, err := sinceDays(r)
	if err != nil {
		return err
	}
	col := r.URL.Query().Get("collection")
	if col == "" {
		col = defaultCollection.ID
	}
	list, err := s.sightings(r.Context(), since)
	if err != nil {
		return err
	}
	objs, err := sightingObjects(list, s.cfg.Notify.BaseURL, time.Now().UTC())
	if err != nil {
		return err
	}
	entries := make([]taxii.Entry, 0, len(objs))
	for _, o := range objs {
		e, err := taxii.NewEntry(o, nil)
		if err != nil {
			return err
		}
		entries = append(entries, e)
	}
	if len(entries) > 0 {
		if _, err := s.taxiiStore.Add(r.Context(), col, entries, time.Now()); err != nil {
			return &HTTPError{Status: http.StatusBadRequest, Msg: "collection " + col + ": " + err.Error()}
		}
	}
	s.audit(r, "intel.sightings.share", col, fmt.Sprintf("%d sightings", len(list)))
	writeJSON(w, http.StatusOK, map[string]any{"collection": col, "sightings": len(list)})
	return nil
}

// sightingObjects builds this organisation's identity and one STIX
// sighting per indicator. Ids are derived from the indicator and the
// identity, so sharing again updates the same sighting (a new version).
func sightingObjects(list []sightingView, org string, now time.Time) ([]stix.Object, error) {
	if org == "" {
		org = "Bulwark"
	}
	ts := now.Format("2006-01-02T15:04:05.000Z")
	identityID := "identity--" + stix.UUIDv5(stix.Namespace, []byte("bulwark-identity:"+org))
	identity := map[string]any{"type": "identity", "spec_version": "2.1", "id": identityID, "created": ts, "modified": ts,
		"name": org, "identity_class": "organization"}
	var objs []stix.Object
	add := func(v map[string]any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		var o stix.Object
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		objs = append(objs, o)
		return nil
	}
	if err := add(identity); err != nil {
		return nil, err
	}
	for _, sg := range list {
		err := add(map[string]any{
			"type": "sighting", "spec_version": "2.1",
			"id":      "sighting--" + stix.UUIDv5(stix.Namespace, []byte(sg.IndicatorID+"|"+identityID)),
			"created": ts, "modified": ts, "created_by_ref": identityID,
			"sighting_of_ref":     sg.IndicatorID,
			"first_seen":          sg.FirstSeen.UTC().Format("2006-01-02T15:04:05.000Z"),
			"last_seen":           sg.LastSeen.UTC().Format("2006-01-02T15:04:05.000Z"),
			"count":               sg.Count,
			"where_sighted_refs":  []string{identityID},
			"object_marking_refs": []string{stix.TLP2Amber},
		})
		if err != nil {
			return nil, err
		}
	}
	return objs, nil
}
