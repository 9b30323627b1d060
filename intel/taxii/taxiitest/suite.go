package taxiitest

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
)

// Run runs the suite; newStore returns an empty store for each case.
//
// Each case is named after the section of TAXII 2.1 (OASIS Standard, 10
// June 2021) whose server requirements it checks, and together they cover
// the server-side cases of the TAXII 2.1 Interoperability Test Document;
// testdata/interop.md maps one to the other.
func Run(t *testing.T, newStore func(t *testing.T) taxii.Store) { RunWith(t, newStore, Auth) }

// RunWith runs the suite with another authenticator, which must know the
// fixture's users as Auth does: alice (group partners) and bob with
// passwords "<name>-pw", and alice's bearer token "tok-alice".
func RunWith(t *testing.T, newStore func(t *testing.T) taxii.Store, auth taxii.Authenticator) {
	cases := []struct {
		name string
		fn   func(e *Env)
	}{
		{"MediaTypes", testMediaTypes},
		{"HTTPErrors", testErrors},
		{"3.4_Pagination_Objects", testPagination},
		{"3.4_Pagination_Manifest", testManifestPagination},
		{"3.4_Pagination_Versions", testVersionsPagination},
		{"3.4_Pagination_AnObject", testObjectPagination},
		{"3.4_Pagination_ServerPageSize", testServerPageSize},
		{"3.5_Filtering", testFilters},
		{"3.5_Filtering_SpecVersion", testSpecVersion},
		{"4.1_ServerDiscovery", testDiscovery},
		{"4.2_APIRootInformation", testAPIRoot},
		{"4.3_GetStatus", testStatus},
		{"5.1_GetCollections", testCollections},
		{"5.2_GetACollection", testCollection},
		{"5.3_GetObjectManifests", testManifest},
		{"5.4_GetObjects", testAddStatusGet},
		{"5.5_AddObjects", testAddObjects},
		{"5.6_GetAnObject", testGetAnObject},
		{"5.7_DeleteAnObject", testDelete},
		{"5.8_GetObjectVersions", testVersions},
		{"Bulwark_TLP", testTLP},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := newStore(t)
			c.fn(newEnv(t, st, 64<<10, auth))
		})
	}
	t.Run("4.3_StatusRetention", func(t *testing.T) { testStatusRetention(t, newStore(t)) })
}

func testDiscovery(e *Env) {
	var d taxii.Discovery
	e.OK(e.Req("GET", e.Base+"/taxii2/", "bob", nil), http.StatusOK, &d)
	if d.Title == "" || !slices.Contains(d.APIRoots, e.URL) || d.Default != e.URL {
		e.T.Errorf("discovery %+v, want api root %s", d, e.URL)
	}
	// Accept without the version parameter means the latest, 2.1.
	e.OK(e.Req("GET", e.Base+"/taxii2/", "bob", nil, "Accept", "application/taxii+json"), http.StatusOK, nil)
	// Bearer tokens authenticate too.
	e.OK(e.Req("GET", e.Base+"/taxii2/", "", nil, "Authorization", "Bearer tok-alice"), http.StatusOK, nil)
}

func testAPIRoot(e *Env) {
	var a taxii.APIRoot
	e.OK(e.Req("GET", "", "bob", nil), http.StatusOK, &a)
	if !slices.Contains(a.Versions, taxii.MediaType) || a.MaxContentLength != e.Max {
		e.T.Errorf("api root %+v", a)
	}
	e.OK(e.Req("GET", e.Base+"/nosuchroot/", "bob", nil), http.StatusNotFound, nil)
}

func testCollections(e *Env) {
	var cs taxii.Collections
	e.OK(e.Req("GET", "collections/", "alice", nil), http.StatusOK, &cs)
	if len(cs.Collections) != 2 || cs.Collections[0].ID != Open || !cs.Collections[0].CanRead || !cs.Collections[0].CanWrite {
		e.T.Errorf("alice's collections: %+v", cs)
	}
	e.OK(e.Req("GET", "collections/", "bob", nil), http.StatusOK, &cs)
	var ids []string
	for _, c := range cs.Collections {
		ids = append(ids, c.ID)
		if c.Title == "" || !slices.Contains(c.MediaTypes, taxii.STIXMediaType) {
			e.T.Errorf("collection %+v lacks a title or the STIX media type", c)
		}
	}
	if !slices.Equal(ids, []string{Open, WriteOnly}) {
		e.T.Errorf("bob sees %v, want the open and the write-only collections", ids)
	}
	// can_read and can_write are the caller's rights.
	if cs.Collections[1].CanRead || !cs.Collections[1].CanWrite {
		e.T.Errorf("bob's rights on the drop box: %+v", cs.Collections[1])
	}
}

func testCollection(e *Env) {
	var c taxii.CollectionInfo
	e.OK(e.Req("GET", "collections/"+Open+"/", "bob", nil), http.StatusOK, &c)
	if c.ID != Open || !c.CanRead || c.CanWrite || c.Title != "Open" || c.Alias != "open" || !slices.Contains(c.MediaTypes, taxii.STIXMediaType) {
		e.T.Errorf("collection %+v", c)
	}
	e.OK(e.Req("GET", "collections/open/", "bob", nil), http.StatusOK, &c) // by alias
	if c.ID != Open {
		e.T.Errorf("by alias: %+v", c)
	}
	e.OK(e.Req("GET", "collections/"+WriteOnly+"/", "bob", nil), http.StatusOK, &c)
	if c.CanRead || !c.CanWrite {
		e.T.Errorf("write-only collection as its writer: %+v", c)
	}
	// A collection the caller can neither read nor write is as unknown as
	// one that does not exist: 404, so its id is not confirmed.
	e.OK(e.Req("GET", "collections/"+Private+"/", "bob", nil), http.StatusNotFound, nil)
	e.OK(e.Req("GET", "collections/no-such/", "bob", nil), http.StatusNotFound, nil)
	// Without the trailing slash too.
	e.OK(e.Req("GET", "collections/"+Open, "bob", nil), http.StatusOK, &c)
}

func testAddStatusGet(e *Env) {
	bad := Indicator(9, 0)
	delete(bad.Props, "pattern")
	st := e.Add(Open, Indicator(1, 0), Indicator(2, 0), bad)
	if st.Status != "complete" || st.TotalCount != 3 || st.SuccessCount != 2 || st.FailureCount != 1 || st.PendingCount != 0 ||
		len(st.Successes) != 2 || len(st.Failures) != 1 || st.Failures[0].ID != bad.ID || st.Failures[0].Message == "" {
		e.T.Fatalf("status %+v", st)
	}
	var got taxii.Status
	e.OK(e.Req("GET", "status/"+st.ID+"/", "alice", nil), http.StatusOK, &got)
	if got.ID != st.ID || got.SuccessCount != 2 {
		e.T.Errorf("status resource %+v", got)
	}
	// A status is its requester's.
	e.OK(e.Req("GET", "status/"+st.ID+"/", "bob", nil), http.StatusNotFound, nil)
	e.OK(e.Req("GET", "status/00000000-0000-4000-8000-000000000000/", "alice", nil), http.StatusNotFound, nil)

	env, r := e.Objects("bob", "collections/"+Open+"/objects/")
	if ids := IDs(e.T, env); !slices.Equal(ids, []string{"00000001@2024-01-01", "00000002@2024-01-01"}) || env.More {
		e.T.Errorf("objects %v more=%v", ids, env.More)
	}
	var o stix.Object
	if err := o.UnmarshalJSON(env.Objects[0]); err != nil || !stix.Equal(o, Indicator(1, 0)) {
		e.T.Errorf("object changed on the way: %s", env.Objects[0])
	}
	first, last := r.Header.Get("X-TAXII-Date-Added-First"), r.Header.Get("X-TAXII-Date-Added-Last")
	if first == "" || last == "" || first >= last {
		e.T.Errorf("date-added headers %q %q", first, last)
	}
	// Adding the same version again succeeds and changes nothing.
	st = e.Add(Open, Indicator(1, 0))
	if st.SuccessCount != 1 {
		e.T.Errorf("re-add status %+v", st)
	}
	if env, _ = e.Objects("bob", "collections/"+Open+"/objects/"); len(env.Objects) != 2 {
		e.T.Errorf("re-add made %d objects", len(env.Objects))
	}
	// An empty collection answers an empty envelope, without the headers.
	env, r = e.Objects("alice", "collections/"+Private+"/objects/")
	if len(env.Objects) != 0 || env.More || r.Header.Get("X-TAXII-Date-Added-First") != "" {
		e.T.Errorf("empty collection: %s %v", r.Body, r.Header)
	}
}

// versioned adds objects 1-3 in versions 0, 1, 2 days (object 3 only
// version 0), plus a marking definition, in an order that interleaves
// date_added across objects.
func versioned(e *Env) {
	e.Add(Open, Indicator(1, 0), Indicator(2, 0), Indicator(3, 0))
	e.Add(Open, Indicator(1, 1), Indicator(2, 1))
	e.Add(Open, Indicator(1, 2), Indicator(2, 2))
	m, _ := stix.NewTLPMarking("green")
	e.Add(Open, m)
}

func testFilters(e *Env) {
	versioned(e)
	base := "collections/" + Open + "/objects/"
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{"00000003@2024-01-01", "00000001@2024-01-03", "00000002@2024-01-03", "marking"}},
		{"?match[type]=indicator", []string{"00000003@2024-01-01", "00000001@2024-01-03", "00000002@2024-01-03"}},
		{"?match[type]=marking-definition", []string{"marking"}},
		{"?match[type]=indicator,marking-definition&match[id]=" + Indicator(2, 0).ID, []string{"00000002@2024-01-03"}},
		{"?match[id]=" + Indicator(1, 0).ID + "&match[id]=" + Indicator(3, 0).ID, []string{"00000003@2024-01-01", "00000001@2024-01-03"}},
		{"?match[id]=" + Indicator(1, 0).ID + "&match[version]=first", []string{"00000001@2024-01-01"}},
		{"?match[id]=" + Indicator(1, 0).ID + "&match[version]=last", []string{"00000001@2024-01-03"}},
		{"?match[id]=" + Indicator(1, 0).ID + "&match[version]=first,last", []string{"00000001@2024-01-01", "00000001@2024-01-03"}},
		{"?match[id]=" + Indicator(1, 0).ID + "&match[version]=all", []string{"00000001@2024-01-01", "00000001@2024-01-02", "00000001@2024-01-03"}},
		{"?match[id]=" + Indicator(1, 0).ID + "&match[version]=2024-01-02T00:00:00.000Z", []string{"00000001@2024-01-02"}},
		{"?match[type]=indicator&match[spec_version]=2.1", []string{"00000003@2024-01-01", "00000001@2024-01-03", "00000002@2024-01-03"}},
		{"?match[spec_version]=2.0", nil},
		{"?match[type]=malware", nil},
	}
	for _, c := range cases {
		env, _ := e.Objects("bob", base+c.query)
		got := IDs(e.T, env)
		if !slices.Equal(got, c.want) {
			e.T.Errorf("%s: got %v, want %v", c.query, got, c.want)
		}
	}
	// added_after: strictly after the given date_added.
	all, r := e.Objects("bob", base+"?match[version]=all")
	if len(all.Objects) != 8 {
		e.T.Fatalf("all versions: %d objects", len(all.Objects))
	}
	first := r.Header.Get("X-TAXII-Date-Added-First")
	env, _ := e.Objects("bob", base+"?match[version]=all&added_after="+url.QueryEscape(first))
	if len(env.Objects) != 7 {
		e.T.Errorf("added_after first: %d objects, want 7", len(env.Objects))
	}
}

func testPagination(e *Env) {
	var objs []stix.Object
	for i := range 23 {
		objs = append(objs, Indicator(100+i, 0))
	}
	e.Add(Open, objs[:10]...)
	m, _ := stix.NewTLPMarking("green")
	e.Add(Open, m)
	e.Add(Open, objs[10:]...)
	base := "collections/" + Open + "/objects/"
	whole := e.getPage("bob", base, kindObjects).items
	if len(whole) != 24 {
		e.T.Fatalf("one page holds %d objects, want 24", len(whole))
	}
	for _, via := range []string{viaNext, viaAddedAfter} {
		seen, pages := e.pageAll("bob", base+"?limit=5", kindObjects, 5, via)
		if pages != 5 || !slices.Equal(seen, whole) {
			e.T.Errorf("by %s: %d pages, %v, want 5 pages of %v", via, pages, seen, whole)
		}
	}
	// next carries on with the original filters.
	seen, pages := e.pageAll("bob", base+"?match[type]=indicator&limit=4", kindObjects, 4, viaNext)
	want := slices.DeleteFunc(slices.Clone(whole), func(s string) bool { return s == "marking" })
	if pages != 6 || !slices.Equal(seen, want) {
		e.T.Errorf("indicators by 4: %d pages, %v", pages, seen)
	}
	// A limit that divides the total: the last full page says no more.
	if seen, pages := e.pageAll("bob", base+"?limit=8", kindObjects, 8, viaNext); pages != 3 || len(seen) != 24 {
		e.T.Errorf("limit 8: %d pages, %d objects", pages, len(seen))
	}
}

func testDelete(e *Env) {
	versioned(e)
	obj := "collections/" + Open + "/objects/" + Indicator(1, 0).ID + "/"
	e.OK(e.Req("DELETE", obj, "bob", nil), http.StatusForbidden, nil)
	e.OK(e.Req("DELETE", obj+"?match[version]=first", "alice", nil), http.StatusOK, nil)
	var v taxii.Versions
	e.OK(e.Req("GET", obj+"versions/", "bob", nil), http.StatusOK, &v)
	if len(v.Versions) != 2 {
		e.T.Errorf("after deleting the first version: %v", v.Versions)
	}
	e.OK(e.Req("DELETE", obj, "alice", nil), http.StatusOK, nil)
	e.OK(e.Req("GET", obj, "bob", nil), http.StatusNotFound, nil)
	e.OK(e.Req("DELETE", obj, "alice", nil), http.StatusNotFound, nil)
	if env, _ := e.Objects("bob", "collections/"+Open+"/objects/?match[type]=indicator"); len(env.Objects) != 2 {
		e.T.Errorf("delete touched other objects: %d left", len(env.Objects))
	}
}

func testErrors(e *Env) {
	objs := "collections/" + Open + "/objects/"
	obj := objs + Indicator(1, 0).ID + "/"
	body := EnvelopeOf(Indicator(1, 0))
	e.Add(Open, Indicator(1, 0))
	// 401: no or bad credentials, on every endpoint.
	for _, path := range []string{e.Base + "/taxii2/", "", "collections/", objs, obj, obj + "versions/", "collections/" + Open + "/manifest/"} {
		e.OK(e.Req("GET", path, "", nil), http.StatusUnauthorized, nil)
	}
	e.OK(e.Req("GET", "collections/", "mallory", nil), http.StatusUnauthorized, nil)
	e.OK(e.Req("GET", "collections/", "", nil, "Authorization", "Bearer tok-nobody"), http.StatusUnauthorized, nil)
	e.OK(e.Req("POST", objs, "", body), http.StatusUnauthorized, nil)
	if r := e.Req("GET", "", "", nil); r.Header.Get("WWW-Authenticate") == "" {
		e.T.Error("401 without WWW-Authenticate")
	}
	// 403: reading a collection the caller may only write, writing one it
	// may only read.
	wo := "collections/" + WriteOnly + "/"
	for _, path := range []string{wo + "objects/", wo + "manifest/", wo + "objects/" + Indicator(1, 0).ID + "/", wo + "objects/" + Indicator(1, 0).ID + "/versions/"} {
		e.OK(e.Req("GET", path, "bob", nil), http.StatusForbidden, nil)
	}
	e.OK(e.Req("POST", objs, "bob", body), http.StatusForbidden, nil)
	e.OK(e.Req("DELETE", obj, "bob", nil), http.StatusForbidden, nil)
	// ... but the write-only collection takes bob's objects.
	e.OK(e.Req("POST", wo+"objects/", "bob", body), http.StatusAccepted, nil)
	// 404: unknown API root, collection (or one the caller cannot see),
	// object, status, path.
	e.OK(e.Req("GET", e.Base+"/nosuchroot/collections/", "bob", nil), http.StatusNotFound, nil)
	for _, coll := range []string{"no-such", Private} {
		c := "collections/" + coll + "/"
		for _, path := range []string{c, c + "objects/", c + "manifest/", c + "objects/" + Indicator(1, 0).ID + "/"} {
			e.OK(e.Req("GET", path, "bob", nil), http.StatusNotFound, nil)
		}
		e.OK(e.Req("POST", c+"objects/", "bob", body), http.StatusNotFound, nil)
	}
	e.OK(e.Req("GET", objs+Indicator(2, 0).ID+"/", "bob", nil), http.StatusNotFound, nil)
	e.OK(e.Req("GET", objs+Indicator(2, 0).ID+"/versions/", "bob", nil), http.StatusNotFound, nil)
	e.OK(e.Req("DELETE", objs+Indicator(2, 0).ID+"/", "alice", nil), http.StatusNotFound, nil)
	e.OK(e.Req("GET", "collections/"+Open+"/nothing/", "bob", nil), http.StatusNotFound, nil)
	// 405.
	e.OK(e.Req("PUT", objs, "alice", body), http.StatusMethodNotAllowed, nil)
	e.OK(e.Req("POST", "collections/", "alice", body), http.StatusMethodNotAllowed, nil)
	// 406 and 415 are in testMediaTypes. 413: over max_content_length,
	// announced by Content-Length or found while reading a chunked body.
	big := append(bytes.Repeat([]byte(" "), int(e.Max)+1), body...)
	e.OK(e.Req("POST", objs, "alice", big), http.StatusRequestEntityTooLarge, nil)
	e.OK(e.ReqChunked("POST", objs, "alice", big), http.StatusRequestEntityTooLarge, nil)
	// 422: an add request body that is not an envelope. 400: a filter
	// the server cannot read.
	for _, b := range []string{`{"objects":[`, `[1,2]`, `{"objects":{}}`, `"objects"`, `{"objects":[{"type":"indicator"}`} {
		e.OK(e.Req("POST", objs, "alice", []byte(b)), http.StatusUnprocessableEntity, nil)
	}
	for _, q := range []string{"?added_after=yesterday", "?limit=0", "?limit=-3", "?limit=x", "?match[version]=newest", "?next=abc"} {
		e.OK(e.Req("GET", objs+q, "bob", nil), http.StatusBadRequest, nil)
		e.OK(e.Req("GET", "collections/"+Open+"/manifest/"+q, "bob", nil), http.StatusBadRequest, nil)
	}
	e.OK(e.Req("GET", obj+"versions/?limit=0", "bob", nil), http.StatusBadRequest, nil)
}

func testTLP(e *Env) {
	red, amber := stix.TLP2Red, stix.TLP2Amber
	strict := stix.TLP2AmberStrict
	// A custom marking definition stating TLP:RED, sent with the objects.
	custom, _ := stix.New(map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--00000000-0000-4000-8000-0000000000ee",
		"created": "2024-01-01T00:00:00.000Z", "definition_type": "tlp", "name": "TLP:RED", "definition": map[string]string{"tlp": "red"},
	})
	granularRed := Indicator(6, 0)
	_ = granularRed.Set("granular_markings", []map[string]any{{"marking_ref": red, "selectors": []string{"description"}}})
	e.Add(Open, Indicator(1, 0), Indicator(2, 0, red), Indicator(3, 0, amber), Indicator(4, 0, stix.TLP2Green, strict),
		Indicator(5, 0, stix.TLP1Red), granularRed, custom, Indicator(7, 0, custom.ID))
	// A later object referencing the custom marking stored earlier.
	e.Add(Open, Indicator(8, 0, custom.ID))
	want := map[string][]string{
		"bob":   {"00000001@2024-01-01"},
		"alice": {"00000001@2024-01-01", "00000003@2024-01-01", "00000004@2024-01-01"},
	}
	for user, w := range want {
		env, _ := e.Objects(user, "collections/"+Open+"/objects/?match[type]=indicator")
		if got := IDs(e.T, env); !slices.Equal(got, w) {
			e.T.Errorf("%s receives %v, want %v", user, got, w)
		}
		var m taxii.Manifest
		e.OK(e.Req("GET", "collections/"+Open+"/manifest/?match[type]=indicator", user, nil), http.StatusOK, &m)
		if len(m.Objects) != len(w) {
			e.T.Errorf("%s's manifest lists %d objects, want %d", user, len(m.Objects), len(w))
		}
	}
	// A red object is not found, even by id, even by its writer.
	e.OK(e.Req("GET", "collections/"+Open+"/objects/"+Indicator(2, 0).ID+"/", "alice", nil), http.StatusNotFound, nil)
	e.OK(e.Req("GET", "collections/"+Open+"/objects/"+Indicator(2, 0).ID+"/versions/", "alice", nil), http.StatusNotFound, nil)
	e.OK(e.Req("GET", "collections/"+Open+"/objects/"+Indicator(3, 0).ID+"/", "bob", nil), http.StatusNotFound, nil)
}
