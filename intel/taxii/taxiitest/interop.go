package taxiitest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
)

// testMediaTypes checks content negotiation (media types): what Accept and
// Content-Type values are taken, 406 and 415 for the rest, and the media
// type of every answer (checked by Env.OK).
func testMediaTypes(e *Env) {
	objs := "collections/" + Open + "/objects/"
	body := EnvelopeOf(Indicator(1, 0))
	for _, acc := range []string{
		taxii.MediaType,
		"application/taxii+json",                               // no version: the latest, 2.1
		"application/taxii+json; version=2.1",                  // parameter spacing
		"application/json, application/taxii+json;version=2.1", // one of several
		"application/taxii+json;version=2.1;q=0.5",
	} {
		e.OK(e.Req("GET", objs, "bob", nil, "Accept", acc), http.StatusOK, nil)
		e.OK(e.Req("GET", e.Base+"/taxii2/", "bob", nil, "Accept", acc), http.StatusOK, nil)
	}
	// 406: TAXII 2.1 is not among what the client accepts. The STIX media
	// type is refused too: in 2.1 objects travel in TAXII envelopes.
	for _, acc := range []string{"application/json", "application/taxii+json;version=2.0", taxii.STIXMediaType,
		"*/*", "", "application/taxii+json;version=2.1;q=0"} {
		for _, path := range []string{e.Base + "/taxii2/", "", "collections/", objs, "collections/" + Open + "/manifest/"} {
			e.OK(e.Req("GET", path, "bob", nil, "Accept", acc), http.StatusNotAcceptable, nil)
		}
	}
	// Content-Type of an add request.
	for _, ct := range []string{taxii.MediaType, "application/taxii+json", "application/taxii+json; version=2.1; charset=utf-8"} {
		e.OK(e.Req("POST", objs, "alice", body, "Content-Type", ct), http.StatusAccepted, nil)
	}
	for _, ct := range []string{"application/json", taxii.STIXMediaType, "application/taxii+json;version=2.0", "text/plain", ""} {
		e.OK(e.Req("POST", objs, "alice", body, "Content-Type", ct), http.StatusUnsupportedMediaType, nil)
	}
	// The objects inside envelopes and manifests are STIX 2.1.
	var m taxii.Manifest
	e.OK(e.Req("GET", "collections/"+Open+"/manifest/", "bob", nil), http.StatusOK, &m)
	if len(m.Objects) != 1 || m.Objects[0].MediaType != taxii.STIXMediaType {
		e.T.Errorf("manifest %+v", m)
	}
}

// testStatus is 4.3: the status resource of an add request, readable by
// its requester only.
func testStatus(e *Env) {
	bad := Indicator(9, 0)
	delete(bad.Props, "pattern")
	r := e.Req("POST", "collections/"+Open+"/objects/", "alice", EnvelopeOf(Indicator(1, 0), bad))
	var posted taxii.Status
	e.OK(r, http.StatusAccepted, &posted)
	if miss := missingKeys(r.Body, statusKeys); len(miss) > 0 {
		e.T.Errorf("202 status lacks %v: %s", miss, r.Body)
	}
	r = e.Req("GET", "status/"+posted.ID+"/", "alice", nil)
	var got taxii.Status
	e.OK(r, http.StatusOK, &got)
	if miss := missingKeys(r.Body, statusKeys); len(miss) > 0 {
		e.T.Errorf("status lacks %v: %s", miss, r.Body)
	}
	if got.ID != posted.ID || got.Status != "complete" || got.TotalCount != 2 || got.SuccessCount != 1 || got.FailureCount != 1 ||
		got.PendingCount != 0 || got.RequestTimestamp == "" || len(got.Successes) != 1 || got.Successes[0].ID != Indicator(1, 0).ID ||
		got.Successes[0].Version != "2024-01-01T00:00:00.000Z" || len(got.Failures) != 1 || got.Failures[0].Message == "" {
		e.T.Errorf("status %+v", got)
	}
	if _, err := taxii.ParseTime(got.RequestTimestamp); err != nil {
		e.T.Errorf("request_timestamp %q: %v", got.RequestTimestamp, err)
	}
	// Without the trailing slash too; another principal learns nothing.
	e.OK(e.Req("GET", "status/"+posted.ID, "alice", nil), http.StatusOK, nil)
	e.OK(e.Req("GET", "status/"+posted.ID+"/", "bob", nil), http.StatusNotFound, nil)
	e.OK(e.Req("GET", "status/00000000-0000-4000-8000-000000000000/", "alice", nil), http.StatusNotFound, nil)
	e.OK(e.Req("DELETE", "status/"+posted.ID+"/", "alice", nil), http.StatusMethodNotAllowed, nil)
}

// testStatusRetention checks on the store that a status outlives the 24
// hours the specification asks for (4.3), when later adds purge old ones.
func testStatusRetention(t *testing.T, st taxii.Store) {
	if taxii.StatusRetention < 24*time.Hour {
		t.Errorf("StatusRetention %v, below 24 hours", taxii.StatusRetention)
	}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	first := taxii.Status{ID: "00000000-0000-4000-8000-000000000001", Status: "complete", TotalCount: 1, SuccessCount: 1}
	if err := st.PutStatus(t.Context(), "alice", first, t0); err != nil {
		t.Fatal(err)
	}
	later := taxii.Status{ID: "00000000-0000-4000-8000-000000000002", Status: "complete"}
	if err := st.PutStatus(t.Context(), "alice", later, t0.Add(25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	owner, got, err := st.Status(t.Context(), first.ID)
	if err != nil || owner != "alice" || got.SuccessCount != 1 {
		t.Errorf("a status 25 hours old: %q %+v %v", owner, got, err)
	}
	if _, _, err := st.Status(t.Context(), "00000000-0000-4000-8000-00000000ffff"); !errors.Is(err, taxii.ErrNotFound) {
		t.Errorf("unknown status: %v, want ErrNotFound", err)
	}
}

// testAddObjects is 5.5: 202 with a status, per-object failures, objects
// without a version (observables), repeats, bundles and empty envelopes.
func testAddObjects(e *Env) {
	objs := "collections/" + Open + "/objects/"
	noType := Indicator(8, 0)
	delete(noType.Props, "pattern_type")
	badTime := Indicator(7, 0)
	_ = badTime.Set("modified", "yesterday")
	ip, err := stix.New(map[string]any{"type": "ipv4-addr", "spec_version": "2.1",
		"id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3"})
	if err != nil {
		e.T.Fatal(err)
	}
	st := e.Add(Open, Indicator(1, 0), noType, ip, badTime, Indicator(1, 1))
	if st.Status != "complete" || st.TotalCount != 5 || st.SuccessCount != 3 || st.FailureCount != 2 || st.PendingCount != 0 {
		e.T.Errorf("status %+v", st)
	}
	for _, d := range st.Successes {
		if d.ID == "" || d.Version == "" {
			e.T.Errorf("success without id or version: %+v", d)
		}
	}
	var failed []string
	for _, d := range st.Failures {
		failed = append(failed, d.ID)
		if d.Message == "" {
			e.T.Errorf("failure without a message: %+v", d)
		}
	}
	if slices.Sort(failed); !slices.Equal(failed, []string{Indicator(7, 0).ID, Indicator(8, 0).ID}) {
		e.T.Errorf("failures %v", failed)
	}
	// The observable is versioned by its date_added.
	var m taxii.Manifest
	e.OK(e.Req("GET", "collections/"+Open+"/manifest/?match[type]=ipv4-addr", "bob", nil), http.StatusOK, &m)
	if len(m.Objects) != 1 || m.Objects[0].Version == "" || m.Objects[0].ID != ip.ID {
		e.T.Errorf("observable's manifest %+v", m)
	} else if v, d := m.Objects[0].Version, m.Objects[0].DateAdded; !sameTime(v, d) {
		e.T.Errorf("observable version %s, date_added %s", v, d)
	}
	env, _ := e.Objects("bob", objs+ip.ID+"/")
	if len(env.Objects) != 1 {
		e.T.Errorf("observable by id: %d objects", len(env.Objects))
	}
	// The version a manifest shows is one match[version] finds.
	if len(m.Objects) == 1 {
		v := m.Objects[0].Version
		env, _ = e.Objects("bob", objs+ip.ID+"/?match[version]="+url.QueryEscape(v))
		if len(env.Objects) != 1 {
			e.T.Errorf("observable at its version %s: %d objects", v, len(env.Objects))
		}
		var vs taxii.Versions
		e.OK(e.Req("GET", objs+ip.ID+"/versions/", "bob", nil), http.StatusOK, &vs)
		if !slices.Equal(vs.Versions, []string{v}) {
			e.T.Errorf("observable versions %v, manifest %s", vs.Versions, v)
		}
	}
	// Repeating a version succeeds and adds nothing; a bundle is taken
	// as an envelope; an empty envelope is a complete, empty request.
	if st := e.Add(Open, Indicator(1, 0)); st.SuccessCount != 1 || st.FailureCount != 0 {
		e.T.Errorf("re-add %+v", st)
	}
	bundle, _ := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--6f0a2c51-0fd6-4a2e-8d1b-1f2c3d4e5f60", "objects": []stix.Object{Indicator(2, 0)}})
	var bst taxii.Status
	e.OK(e.Req("POST", objs, "alice", bundle), http.StatusAccepted, &bst)
	if bst.SuccessCount != 1 {
		e.T.Errorf("bundle status %+v", bst)
	}
	for _, b := range []string{`{}`, `{"objects":[]}`} {
		var est taxii.Status
		e.OK(e.Req("POST", objs, "alice", []byte(b)), http.StatusAccepted, &est)
		if est.Status != "complete" || est.TotalCount != 0 {
			e.T.Errorf("%s: status %+v", b, est)
		}
	}
	all, _ := e.Objects("bob", objs+"?match[version]=all")
	if got := IDs(e.T, all); len(got) != 4 {
		e.T.Errorf("after the adds: %v", got)
	}
}

func sameTime(a, b string) bool {
	ta, err1 := taxii.ParseTime(a)
	tb, err2 := taxii.ParseTime(b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}

// testManifest is 5.3: one record per selected version, with the filters
// of get objects, and the date-added headers bracketing the records.
func testManifest(e *Env) {
	versioned(e)
	base := "collections/" + Open + "/manifest/"
	id1, id3 := Indicator(1, 0).ID, Indicator(3, 0).ID
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{"00000003@2024-01-01T00:00:00.000Z", "00000001@2024-01-03T00:00:00.000Z", "00000002@2024-01-03T00:00:00.000Z", "marking@2022-10-01T00:00:00.000Z"}},
		{"?match[type]=indicator&match[id]=" + id1, []string{"00000001@2024-01-03T00:00:00.000Z"}},
		{"?match[id]=" + id1 + "," + id3, []string{"00000003@2024-01-01T00:00:00.000Z", "00000001@2024-01-03T00:00:00.000Z"}},
		{"?match[id]=" + id1 + "&match[version]=first", []string{"00000001@2024-01-01T00:00:00.000Z"}},
		{"?match[id]=" + id1 + "&match[version]=all", []string{"00000001@2024-01-01T00:00:00.000Z", "00000001@2024-01-02T00:00:00.000Z", "00000001@2024-01-03T00:00:00.000Z"}},
		{"?match[id]=" + id1 + "&match[version]=2024-01-02T00:00:00Z", []string{"00000001@2024-01-02T00:00:00.000Z"}},
		{"?match[type]=indicator&match[spec_version]=2.1", []string{"00000003@2024-01-01T00:00:00.000Z", "00000001@2024-01-03T00:00:00.000Z", "00000002@2024-01-03T00:00:00.000Z"}},
		{"?match[type]=malware", nil},
	}
	for _, c := range cases {
		p := e.getPage("bob", base+c.query, kindManifest)
		if !slices.Equal(p.items, c.want) || p.more {
			e.T.Errorf("manifest%s: %v more=%v, want %v", c.query, p.items, p.more, c.want)
		}
		if len(p.items) == 0 && (p.first != "" || p.last != "") {
			e.T.Errorf("manifest%s: empty, with headers", c.query)
		}
		if len(p.dates) > 0 && (p.first != p.dates[0] || p.last != p.dates[len(p.dates)-1]) {
			e.T.Errorf("manifest%s: headers %s..%s, records %v", c.query, p.first, p.last, p.dates)
		}
	}
	var m taxii.Manifest
	e.OK(e.Req("GET", base+"?match[version]=all", "bob", nil), http.StatusOK, &m)
	if len(m.Objects) != 8 {
		e.T.Fatalf("manifest of all versions: %d records", len(m.Objects))
	}
	for i, rec := range m.Objects {
		if _, err := taxii.ParseTime(rec.DateAdded); err != nil || rec.MediaType != taxii.STIXMediaType || rec.ID == "" || rec.Version == "" {
			e.T.Errorf("record %+v", rec)
		}
		if i > 0 && rec.DateAdded <= m.Objects[i-1].DateAdded {
			e.T.Errorf("records not in date_added order: %s after %s", rec.DateAdded, m.Objects[i-1].DateAdded)
		}
	}
	// added_after is strictly after.
	after := m.Objects[2].DateAdded
	p := e.getPage("bob", base+"?match[version]=all&added_after="+url.QueryEscape(after), kindManifest)
	if len(p.items) != 5 {
		e.T.Errorf("added_after the third record: %v", p.items)
	}
}

// testManifestPagination pages the manifest (3.4, 5.3) by next and by
// added_after, with and without other filters.
func testManifestPagination(e *Env) {
	var objs []stix.Object
	for i := range 17 {
		objs = append(objs, Indicator(200+i, 0))
	}
	e.Add(Open, objs...)
	versioned(e) // 4 more objects, 8 versions
	base := "collections/" + Open + "/manifest/"
	whole := e.getPage("bob", base, kindManifest).items
	wholeAll := e.getPage("bob", base+"?match[version]=all", kindManifest).items
	if len(whole) != 21 || len(wholeAll) != 25 {
		e.T.Fatalf("unpaged manifest: %d records, %d of all versions", len(whole), len(wholeAll))
	}
	for _, via := range []string{viaNext, viaAddedAfter} {
		if got, pages := e.pageAll("bob", base+"?limit=4", kindManifest, 4, via); pages != 6 || !slices.Equal(got, whole) {
			e.T.Errorf("by %s, 4 a page: %d pages, %v", via, pages, got)
		}
		if got, pages := e.pageAll("bob", base+"?match[version]=all&limit=3", kindManifest, 3, via); pages != 9 || !slices.Equal(got, wholeAll) {
			e.T.Errorf("all versions by %s, 3 a page: %d pages, %v", via, pages, got)
		}
	}
	id1 := Indicator(1, 0).ID
	if got, pages := e.pageAll("bob", base+"?match[id]="+id1+"&match[version]=all&limit=1", kindManifest, 1, viaNext); pages != 3 || len(got) != 3 {
		e.T.Errorf("one object's versions one a page: %d pages, %v", pages, got)
	}
}

// versions12 adds object 1 in twelve versions (days 0-11), three adds of
// four, and another object between them so date_added interleaves.
func versions12(e *Env) {
	for i := range 3 {
		var objs []stix.Object
		for d := range 4 {
			objs = append(objs, Indicator(1, 4*i+d))
		}
		e.Add(Open, objs...)
		e.Add(Open, Indicator(50+i, 0))
	}
}

// testVersionsPagination pages the versions of one object (3.4, 5.8).
func testVersionsPagination(e *Env) {
	versions12(e)
	path := "collections/" + Open + "/objects/" + Indicator(1, 0).ID + "/versions/"
	whole := e.getPage("bob", path, kindVersions)
	if len(whole.items) != 12 || whole.more || whole.next != "" {
		e.T.Fatalf("unpaged versions: %+v", whole)
	}
	for _, via := range []string{viaNext, viaAddedAfter} {
		if got, pages := e.pageAll("bob", path+"?limit=5", kindVersions, 5, via); pages != 3 || !slices.Equal(got, whole.items) {
			e.T.Errorf("by %s, 5 a page: %d pages, %v", via, pages, got)
		}
	}
	if got, pages := e.pageAll("bob", path+"?limit=4", kindVersions, 4, viaNext); pages != 3 || !slices.Equal(got, whole.items) {
		e.T.Errorf("4 a page: %d pages, %v", pages, got)
	}
}

// testObjectPagination pages the versions of get an object (3.4, 5.6).
func testObjectPagination(e *Env) {
	versions12(e)
	path := "collections/" + Open + "/objects/" + Indicator(1, 0).ID + "/"
	whole := e.getPage("bob", path+"?match[version]=all", kindObjects).items
	if len(whole) != 12 {
		e.T.Fatalf("all versions: %v", whole)
	}
	for _, via := range []string{viaNext, viaAddedAfter} {
		if got, pages := e.pageAll("bob", path+"?match[version]=all&limit=5", kindObjects, 5, via); pages != 3 || !slices.Equal(got, whole) {
			e.T.Errorf("by %s: %d pages, %v", via, pages, got)
		}
	}
	if got, pages := e.pageAll("bob", path+"?limit=5", kindObjects, 5, viaNext); pages != 1 || !slices.Equal(got, []string{"00000001@2024-01-12"}) {
		e.T.Errorf("last version: %d pages, %v", pages, got)
	}
}

// testServerPageSize checks that the server may answer fewer than limit
// (3.4): the fixture's page size is 50, whatever the client asks.
func testServerPageSize(e *Env) {
	var objs []stix.Object
	for i := range 60 {
		objs = append(objs, Indicator(300+i, 0))
	}
	e.Add(Open, objs[:30]...)
	e.Add(Open, objs[30:]...)
	base := "collections/" + Open + "/objects/"
	for _, q := range []string{"", "?limit=1000"} {
		p := e.getPage("bob", base+q, kindObjects)
		if len(p.items) != 50 || !p.more || p.next == "" {
			e.T.Errorf("%q: %d objects, more=%v next=%q", q, len(p.items), p.more, p.next)
		}
	}
	if got, pages := e.pageAll("bob", base+"?limit=1000", kindObjects, 50, viaNext); pages != 2 || len(got) != 60 {
		e.T.Errorf("%d pages, %d objects", pages, len(got))
	}
	if got, pages := e.pageAll("bob", "collections/"+Open+"/manifest/?limit=1000", kindManifest, 50, viaNext); pages != 2 || len(got) != 60 {
		e.T.Errorf("manifest: %d pages, %d records", pages, len(got))
	}
}

// testSpecVersion checks match[spec_version] (3.5): without it each
// object in its latest spec_version; with it, only the versions in those.
// STIX 2.0 objects cannot be posted (the server validates as 2.1), so they
// go into the store directly.
func testSpecVersion(e *Env) {
	ctx := e.T.Context()
	raw := func(id, sv string, day int) taxii.Entry {
		mod := time.Date(2024, 1, 1+day, 0, 0, 0, 0, time.UTC)
		b, _ := json.Marshal(map[string]any{"type": "indicator", "id": id, "created": "2024-01-01T00:00:00.000Z",
			"modified": stix.TS(mod), "pattern": "[ipv4-addr:value = '198.51.100.9']", "labels": []string{"x"}, "valid_from": "2024-01-01T00:00:00Z"})
		return taxii.Entry{ID: id, Version: mod, SpecVersion: sv, Object: b}
	}
	x, y := Indicator(1, 0).ID, Indicator(2, 0).ID
	// x: day 0 in 2.0, day 1 in 2.1, day 2 in 2.0 again; y: 2.0 only.
	entries := []taxii.Entry{raw(x, "2.0", 0), raw(x, "2.1", 1), raw(x, "2.0", 2), raw(y, "2.0", 0)}
	if _, err := e.Store.Add(ctx, Open, entries, time.Now()); err != nil {
		e.T.Fatal(err)
	}
	base := "collections/" + Open + "/manifest/"
	cases := []struct{ query, want string }{
		{"", "00000001@2024-01-02T00:00:00.000Z 00000002@2024-01-01T00:00:00.000Z"},
		{"?match[spec_version]=2.1", "00000001@2024-01-02T00:00:00.000Z"},
		{"?match[spec_version]=2.0", "00000001@2024-01-03T00:00:00.000Z 00000002@2024-01-01T00:00:00.000Z"},
		{"?match[spec_version]=2.0&match[version]=all", "00000001@2024-01-01T00:00:00.000Z 00000001@2024-01-03T00:00:00.000Z 00000002@2024-01-01T00:00:00.000Z"},
		{"?match[spec_version]=2.0,2.1&match[version]=first", "00000001@2024-01-01T00:00:00.000Z 00000002@2024-01-01T00:00:00.000Z"},
		{"?match[version]=all", "00000001@2024-01-02T00:00:00.000Z 00000002@2024-01-01T00:00:00.000Z"},
	}
	for _, c := range cases {
		p := e.getPage("bob", base+c.query, kindManifest)
		if got := strings.Join(p.items, " "); got != c.want {
			e.T.Errorf("manifest%s: %s, want %s", c.query, got, c.want)
		}
	}
	var m taxii.Manifest
	e.OK(e.Req("GET", base+"?match[spec_version]=2.0&match[id]="+y, "bob", nil), http.StatusOK, &m)
	if len(m.Objects) != 1 || m.Objects[0].MediaType != "application/stix+json;version=2.0" {
		e.T.Errorf("2.0 record %+v", m)
	}
	var v taxii.Versions
	e.OK(e.Req("GET", "collections/"+Open+"/objects/"+x+"/versions/?match[spec_version]=2.0", "bob", nil), http.StatusOK, &v)
	if !slices.Equal(v.Versions, []string{"2024-01-01T00:00:00.000Z", "2024-01-03T00:00:00.000Z"}) {
		e.T.Errorf("2.0 versions %v", v.Versions)
	}
	e.OK(e.Req("DELETE", "collections/"+Open+"/objects/"+x+"/?match[spec_version]=2.0", "alice", nil), http.StatusOK, nil)
	e.OK(e.Req("GET", "collections/"+Open+"/objects/"+x+"/versions/", "bob", nil), http.StatusOK, &v)
	if !slices.Equal(v.Versions, []string{"2024-01-02T00:00:00.000Z"}) {
		e.T.Errorf("after deleting the 2.0 versions: %v", v.Versions)
	}
}

// testGetAnObject is 5.6: the filters an object takes, its date-added
// headers, and 404 for what is not there.
func testGetAnObject(e *Env) {
	versioned(e)
	id := Indicator(1, 0).ID
	obj := "collections/" + Open + "/objects/" + id + "/"
	cases := []struct{ query, want string }{
		{"", "00000001@2024-01-03"},
		{"?match[version]=last", "00000001@2024-01-03"},
		{"?match[version]=first", "00000001@2024-01-01"},
		{"?match[version]=all", "00000001@2024-01-01 00000001@2024-01-02 00000001@2024-01-03"},
		{"?match[version]=first,2024-01-02T00:00:00.000Z", "00000001@2024-01-01 00000001@2024-01-02"},
		{"?match[spec_version]=2.1", "00000001@2024-01-03"},
		// Parameters get an object does not take are ignored.
		{"?match[type]=malware&match[id]=x", "00000001@2024-01-03"},
	}
	for _, c := range cases {
		env, r := e.Objects("bob", obj+c.query)
		if got := strings.Join(IDs(e.T, env), " "); got != c.want || env.More {
			e.T.Errorf("object%s: %s more=%v, want %s", c.query, got, env.More, c.want)
		}
		if r.Header.Get("X-TAXII-Date-Added-First") == "" || r.Header.Get("X-TAXII-Date-Added-Last") == "" {
			e.T.Errorf("object%s: no date-added headers", c.query)
		}
	}
	// added_after filters the versions by their date_added.
	all := e.getPage("bob", obj+"?match[version]=all", kindObjects)
	env, _ := e.Objects("bob", obj+"?match[version]=all&added_after="+url.QueryEscape(all.first))
	if got := IDs(e.T, env); len(got) != 2 {
		e.T.Errorf("added_after the first version: %v", got)
	}
	var o stix.Object
	if err := o.UnmarshalJSON(env.Objects[1]); err != nil || !stix.Equal(o, Indicator(1, 2)) {
		e.T.Errorf("object changed on the way: %s", env.Objects[1])
	}
	for _, q := range []string{"", "?match[version]=2023-01-01T00:00:00Z", "?match[spec_version]=2.0"} {
		e.OK(e.Req("GET", "collections/"+Open+"/objects/indicator--00000000-0000-4000-8000-00000000abcd/"+q, "bob", nil), http.StatusNotFound, nil)
		if q != "" {
			e.OK(e.Req("GET", obj+q, "bob", nil), http.StatusNotFound, nil)
		}
	}
}

// testVersions is 5.8: every version of an object, oldest added first,
// with added_after, and the date-added headers.
func testVersions(e *Env) {
	versioned(e)
	id := Indicator(1, 0).ID
	path := "collections/" + Open + "/objects/" + id + "/versions/"
	p := e.getPage("bob", path, kindVersions)
	want := []string{"2024-01-01T00:00:00.000Z", "2024-01-02T00:00:00.000Z", "2024-01-03T00:00:00.000Z"}
	if !slices.Equal(p.items, want) || p.more || p.first == "" || p.last <= p.first {
		e.T.Errorf("versions %+v", p)
	}
	// The headers are the date_added of the first and last version.
	all := e.getPage("bob", "collections/"+Open+"/manifest/?match[id]="+id+"&match[version]=all", kindManifest)
	if p.first != all.dates[0] || p.last != all.dates[2] {
		e.T.Errorf("versions headers %s..%s, manifest %v", p.first, p.last, all.dates)
	}
	p = e.getPage("bob", path+"?added_after="+url.QueryEscape(all.dates[0]), kindVersions)
	if !slices.Equal(p.items, want[1:]) {
		e.T.Errorf("versions added after the first: %v", p.items)
	}
	// Each listed version is one match[version] finds, exactly.
	for _, v := range want {
		env, _ := e.Objects("bob", "collections/"+Open+"/objects/"+id+"/?match[version]="+url.QueryEscape(v))
		if got := IDs(e.T, env); len(got) != 1 || !strings.HasSuffix(got[0], v[:10]) {
			e.T.Errorf("object at version %s: %v", v, got)
		}
	}
	// A version filter is not among the parameters versions take: it is
	// ignored, and every version is listed.
	if p := e.getPage("bob", path+"?match[version]=first", kindVersions); len(p.items) != 3 {
		e.T.Errorf("versions with match[version]: %v", p.items)
	}
	v := e.getPage("bob", "collections/"+Open+"/objects/"+Indicator(3, 0).ID+"/versions/", kindVersions)
	if len(v.items) != 1 {
		e.T.Errorf("object 3 versions %v", v.items)
	}
	e.OK(e.Req("GET", "collections/"+Open+"/objects/indicator--00000000-0000-4000-8000-00000000abcd/versions/", "bob", nil), http.StatusNotFound, nil)
}
