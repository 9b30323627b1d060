package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/store"
)

const taxiiMedia = "application/taxii+json;version=2.1"

// TestTAXIIInServe pushes an indicator to the server's TAXII collection
// with an analyst token, reads it back with a viewer token, and checks
// that an event touching it raises an intel alert at once.
func TestTAXIIInServe(t *testing.T) {
	s, base := newTestServer(t)
	analyst, viewer, ingest := tokenFor(t, s, store.RoleAnalyst), tokenFor(t, s, store.RoleViewer), tokenFor(t, s, store.RoleIngest)
	do := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", taxiiMedia)
		if body != "" {
			req.Header.Set("Content-Type", taxiiMedia)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := do("GET", "/taxii2/", viewer, ""); code != 200 || !strings.Contains(body, "/taxii/") {
		t.Fatalf("discovery: %d %s", code, body)
	}
	col := "/taxii/collections/" + defaultCollection.ID + "/objects/"
	envelope := `{"objects": [{"type": "indicator", "spec_version": "2.1", "id": "indicator--4f6a2c1e-8b1d-4e8c-9a53-2f1d8a7c9b10",
  "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z", "name": "Peer's C2",
  "pattern": "[ipv4-addr:value = '198.51.100.77']", "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z", "confidence": 90}]}`
	if code, body := do("POST", col, viewer, envelope); code != 403 {
		t.Errorf("viewer add: %d %s, want 403", code, body)
	}
	if code, body := do("POST", col, analyst, envelope); code != 202 || !strings.Contains(body, `"success_count": 1`) && !strings.Contains(body, `"success_count":1`) {
		t.Fatalf("add: %d %s", code, body)
	}
	if code, body := do("GET", col, viewer, ""); code != 200 || !strings.Contains(body, "Peer's C2") {
		t.Fatalf("get: %d %s", code, body)
	}
	uploadNDJSON(t, base, ingest, `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":3,"Computer":"ws3","UtcTime":"2026-11-27 10:00:00.000","DestinationIp":"198.51.100.77"}
`)
	deadline := time.Now().Add(10 * time.Second)
	for s.pipe.Lag() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	alerts, err := s.st.ListAlerts(context.Background(), store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range alerts {
		if a.Rule.ID == "indicator--4f6a2c1e-8b1d-4e8c-9a53-2f1d8a7c9b10" && a.Host == "ws3" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no intel alert for the pushed indicator among %d alerts", len(alerts))
	}

	// The hit is a sighting, and sharing it back puts a STIX sighting in
	// the collection for the peer to pull.
	apiDo := func(method, path, token string) (int, string) {
		req, _ := http.NewRequest(method, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := apiDo("GET", "/api/v1/intel/sightings", viewer); code != 200 || !strings.Contains(body, `"count":1`) && !strings.Contains(body, `"count": 1`) {
		t.Fatalf("sightings: %d %s", code, body)
	}
	if code, body := apiDo("POST", "/api/v1/intel/sightings/share", viewer); code != 403 {
		t.Errorf("viewer share: %d %s", code, body)
	}
	if code, body := apiDo("POST", "/api/v1/intel/sightings/share", analyst); code != 200 {
		t.Fatalf("share: %d %s", code, body)
	}
	// TLP:AMBER: analysts may read it, viewers may not.
	if code, body := do("GET", col+"?match[type]=sighting", viewer, ""); code != 200 || strings.Contains(body, "sighting--") {
		t.Errorf("viewer sees an AMBER sighting: %d %s", code, body)
	}
	if code, body := do("GET", col+"?match[type]=sighting", analyst, ""); code != 200 ||
		!strings.Contains(body, `"sighting_of_ref":"indicator--4f6a2c1e-8b1d-4e8c-9a53-2f1d8a7c9b10"`) && !strings.Contains(body, `"sighting_of_ref": "indicator--4f6a2c1e-8b1d-4e8c-9a53-2f1d8a7c9b10"`) {
		t.Errorf("shared sighting not in the collection: %d %s", code, body)
	}
}

// TestTAXIIAuthError checks the error writer meant for the TAXII routes:
// a TAXII error message, in the TAXII media type.
func TestTAXIIAuthError(t *testing.T) {
	for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		rec := httptest.NewRecorder()
		taxiiAuthError(rec, nil, code, "no")
		var em taxii.ErrorMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &em); err != nil || rec.Code != code || em.HTTPStatus != strconv.Itoa(code) || em.Title == "" ||
			rec.Header().Get("Content-Type") != taxiiMedia {
			t.Errorf("%d: %d %v %s", code, rec.Code, rec.Header(), rec.Body)
		}
	}
}

// TestTAXIIRoutesAnswerInTAXII checks that refusals on the TAXII routes
// of bulwark serve (no credentials, a role too low, a body too large) come
// as TAXII errors in the TAXII media type.
func TestTAXIIRoutesAnswerInTAXII(t *testing.T) {
	s, base := newTestServer(t)
	viewer := tokenFor(t, s, store.RoleViewer)
	analyst := tokenFor(t, s, store.RoleAnalyst)
	big := bytes.Repeat([]byte(" "), 10<<20+1)
	for _, tc := range []struct {
		method, path, token string
		body                []byte
		want                int
	}{
		{"GET", "/taxii2/", "", nil, http.StatusUnauthorized},
		{"POST", "/taxii/collections/" + defaultCollection.ID + "/objects/", viewer, []byte(`{"objects":[]}`), http.StatusForbidden},
		{"POST", "/taxii/collections/" + defaultCollection.ID + "/objects/", analyst, big, http.StatusRequestEntityTooLarge},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, bytes.NewReader(tc.body))
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		req.Header.Set("Accept", taxiiMedia)
		req.Header.Set("Content-Type", taxiiMedia)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var em taxii.ErrorMessage
		if resp.StatusCode != tc.want || resp.Header.Get("Content-Type") != taxiiMedia || json.Unmarshal(raw, &em) != nil || em.Title == "" {
			t.Errorf("%s %s: %d %s %s", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), raw)
		}
	}
}

// TestTAXIIClientInServe pulls through bulwark serve with our client and
// bearer tokens: an analyst pushes, a viewer pulls in pages of 7 (limit),
// following next, and a second pull starts where the first stopped.
func TestTAXIIClientInServe(t *testing.T) {
	s, base := newTestServer(t)
	analyst := &taxii.Client{Token: tokenFor(t, s, store.RoleAnalyst), PollInterval: 10 * time.Millisecond}
	viewer := &taxii.Client{Token: tokenFor(t, s, store.RoleViewer)}
	root, err := viewer.ResolveRoot(t.Context(), base+"/taxii2/")
	if err != nil || root != base+"/taxii/" {
		t.Fatalf("root %q, %v", root, err)
	}
	var objs []stix.Object
	for i := range 20 {
		o, err := stix.New(map[string]any{"type": "indicator", "spec_version": "2.1",
			"id":      fmt.Sprintf("indicator--%08x-1111-4000-8000-000000000000", i),
			"created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
			"pattern": fmt.Sprintf("[domain-name:value = 'c2-%d.example']", i), "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"})
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	if st, err := analyst.Add(t.Context(), root, defaultCollection.ID, objs); err != nil || st.SuccessCount != 20 {
		t.Fatalf("add: %+v %v", st, err)
	}
	pullAll := func() int {
		n, err := viewer.GetObjects(t.Context(), root, defaultCollection.ID, url.Values{"limit": {"7"}, "match[type]": {"indicator"}}, func(stix.Object) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := pullAll(); n != 20 {
		t.Errorf("first pull: %d indicators", n)
	}
	if n := pullAll(); n != 0 {
		t.Errorf("second pull: %d indicators, want none new", n)
	}
	// A collection the viewer cannot see is not found.
	if _, err := viewer.GetObjects(t.Context(), root, "00000000-0000-4000-8000-000000000000", nil, func(stix.Object) error { return nil }); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown collection: %v", err)
	}
}
