package taxiitest

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
)

// Run runs the suite; newStore returns an empty store for each case.
func Run(t *testing.T, newStore func(t *testing.T) taxii.Store) {
	cases := []struct {
		name string
		fn   func(e *Env)
	}{
		{"Discovery", testDiscovery},
		{"APIRoot", testAPIRoot},
		{"Collections", testCollections},
		{"AddStatusGet", testAddStatusGet},
		{"Filters", testFilters},
		{"Pagination", testPagination},
		{"ObjectVersionsManifest", testObjectVersionsManifest},
		{"Delete", testDelete},
		{"Errors", testErrors},
		{"TLP", testTLP},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(NewEnv(t, newStore(t), 64<<10)) })
	}
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
	}
	if !slices.Equal(ids, []string{Open, WriteOnly}) {
		e.T.Errorf("bob sees %v, want the open and the write-only collections", ids)
	}
	var c taxii.CollectionInfo
	e.OK(e.Req("GET", "collections/"+Open+"/", "bob", nil), http.StatusOK, &c)
	if c.ID != Open || !c.CanRead || c.CanWrite || c.Title != "Open" || !slices.Contains(c.MediaTypes, taxii.STIXMediaType) {
		e.T.Errorf("collection %+v", c)
	}
	e.OK(e.Req("GET", "collections/open/", "bob", nil), http.StatusOK, &c) // by alias
	e.OK(e.Req("GET", "collections/"+Private+"/", "bob", nil), http.StatusForbidden, nil)
	e.OK(e.Req("GET", "collections/no-such/", "bob", nil), http.StatusNotFound, nil)
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
	for _, q := range []string{"?added_after=yesterday", "?limit=0", "?limit=x", "?match[version]=newest", "?next=abc"} {
		e.OK(e.Req("GET", base+q, "bob", nil), http.StatusBadRequest, nil)
	}
}

func testPagination(e *Env) {
	var objs []stix.Object
	for i := range 23 {
		objs = append(objs, Indicator(100+i, 0))
	}
	e.Add(Open, objs...)
	base := "collections/" + Open + "/objects/?limit=5"
	// Through next.
	var seen []string
	next, pages, prevLast := "", 0, ""
	for {
		env, r := e.Objects("bob", base+next)
		pages++
		seen = append(seen, IDs(e.T, env)...)
		first, last := r.Header.Get("X-TAXII-Date-Added-First"), r.Header.Get("X-TAXII-Date-Added-Last")
		if first <= prevLast || last < first {
			e.T.Errorf("page %d headers %s..%s after %s", pages, first, last, prevLast)
		}
		prevLast = last
		if !env.More {
			if env.Next != "" {
				e.T.Errorf("last page has next %q", env.Next)
			}
			break
		}
		if env.Next == "" || len(env.Objects) != 5 || pages > 10 {
			e.T.Fatalf("page %d: more with next %q and %d objects", pages, env.Next, len(env.Objects))
		}
		next = "&next=" + url.QueryEscape(env.Next)
	}
	if pages != 5 || len(seen) != 23 || len(slices.Compact(slices.Clone(seen))) != 23 {
		e.T.Errorf("%d pages, %d objects: %v", pages, len(seen), seen)
	}
	// Through added_after and X-TAXII-Date-Added-Last, as clients that
	// ignore next do.
	var again []string
	after := ""
	for range 10 {
		env, r := e.Objects("bob", base+after)
		again = append(again, IDs(e.T, env)...)
		if !env.More {
			break
		}
		after = "&added_after=" + url.QueryEscape(r.Header.Get("X-TAXII-Date-Added-Last"))
	}
	if !slices.Equal(again, seen) {
		e.T.Errorf("added_after paging saw %v, next paging %v", again, seen)
	}
	// The manifest pages the same way.
	var m taxii.Manifest
	e.OK(e.Req("GET", "collections/"+Open+"/manifest/?limit=20", "bob", nil), http.StatusOK, &m)
	if !m.More || len(m.Objects) != 20 {
		e.T.Errorf("manifest page: more=%v, %d records", m.More, len(m.Objects))
	}
}

func testObjectVersionsManifest(e *Env) {
	versioned(e)
	id := Indicator(1, 0).ID
	obj := "collections/" + Open + "/objects/" + id + "/"
	env, r := e.Objects("bob", obj)
	if got := IDs(e.T, env); !slices.Equal(got, []string{"00000001@2024-01-03"}) || r.Header.Get("X-TAXII-Date-Added-Last") == "" {
		e.T.Errorf("get object: %v", got)
	}
	env, _ = e.Objects("bob", obj+"?match[version]=all&limit=2")
	if got := IDs(e.T, env); !slices.Equal(got, []string{"00000001@2024-01-01", "00000001@2024-01-02"}) || !env.More {
		e.T.Errorf("get object, all versions, limit 2: %v more=%v", got, env.More)
	}
	e.OK(e.Req("GET", "collections/"+Open+"/objects/indicator--00000000-0000-4000-8000-00000000abcd/", "bob", nil), http.StatusNotFound, nil)

	var v taxii.Versions
	e.OK(e.Req("GET", obj+"versions/", "bob", nil), http.StatusOK, &v)
	if !slices.Equal(v.Versions, []string{"2024-01-01T00:00:00.000Z", "2024-01-02T00:00:00.000Z", "2024-01-03T00:00:00.000Z"}) || v.More {
		e.T.Errorf("versions %+v", v)
	}
	e.OK(e.Req("GET", obj+"versions/?limit=1", "bob", nil), http.StatusOK, &v)
	if len(v.Versions) != 1 || !v.More {
		e.T.Errorf("versions limit 1: %+v", v)
	}

	var m taxii.Manifest
	e.OK(e.Req("GET", "collections/"+Open+"/manifest/?match[type]=indicator", "bob", nil), http.StatusOK, &m)
	if len(m.Objects) != 3 {
		e.T.Fatalf("manifest %+v", m)
	}
	for _, rec := range m.Objects {
		if rec.DateAdded == "" || rec.MediaType != taxii.STIXMediaType || !strings.HasPrefix(rec.ID, "indicator--") {
			e.T.Errorf("manifest record %+v", rec)
		}
	}
	if m.Objects[1].ID != id || m.Objects[1].Version != "2024-01-03T00:00:00.000Z" {
		e.T.Errorf("manifest record %+v, want %s at its last version", m.Objects[1], id)
	}
	e.OK(e.Req("GET", "collections/"+Open+"/manifest/?match[version]=all", "bob", nil), http.StatusOK, &m)
	if len(m.Objects) != 8 {
		e.T.Errorf("manifest of all versions: %d records", len(m.Objects))
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
	body := EnvelopeOf(Indicator(1, 0))
	// 401: no or bad credentials.
	e.OK(e.Req("GET", "collections/", "", nil), http.StatusUnauthorized, nil)
	e.OK(e.Req("GET", "collections/", "mallory", nil), http.StatusUnauthorized, nil)
	if r := e.Req("GET", "", "", nil); r.Header.Get("WWW-Authenticate") == "" {
		e.T.Error("401 without WWW-Authenticate")
	}
	// 403: reading without read access, writing without write access.
	e.OK(e.Req("GET", "collections/"+WriteOnly+"/objects/", "bob", nil), http.StatusForbidden, nil)
	e.OK(e.Req("GET", "collections/"+WriteOnly+"/manifest/", "bob", nil), http.StatusForbidden, nil)
	e.OK(e.Req("POST", objs, "bob", body), http.StatusForbidden, nil)
	e.OK(e.Req("GET", "collections/"+Private+"/objects/", "bob", nil), http.StatusForbidden, nil)
	// ... but the write-only collection takes bob's objects.
	e.OK(e.Req("POST", "collections/"+WriteOnly+"/objects/", "bob", body), http.StatusAccepted, nil)
	// 404: unknown collection, unknown path.
	e.OK(e.Req("GET", "collections/no-such/objects/", "bob", nil), http.StatusNotFound, nil)
	e.OK(e.Req("GET", "collections/"+Open+"/nothing/", "bob", nil), http.StatusNotFound, nil)
	// 405.
	e.OK(e.Req("PUT", objs, "alice", body), http.StatusMethodNotAllowed, nil)
	// 406: Accept is not TAXII 2.1.
	for _, acc := range []string{"application/json", "application/taxii+json;version=2.0", "*/*", ""} {
		e.OK(e.Req("GET", objs, "bob", nil, "Accept", acc), http.StatusNotAcceptable, nil)
	}
	// 415: Content-Type is not TAXII 2.1.
	e.OK(e.Req("POST", objs, "alice", body, "Content-Type", "application/json"), http.StatusUnsupportedMediaType, nil)
	e.OK(e.Req("POST", objs, "alice", body, "Content-Type", "application/stix+json;version=2.1"), http.StatusUnsupportedMediaType, nil)
	// 413: over max_content_length.
	big := bytes.Repeat([]byte(" "), int(e.Max)+1)
	e.OK(e.Req("POST", objs, "alice", append(big, body...)), http.StatusRequestEntityTooLarge, nil)
	// 400: not an envelope.
	e.OK(e.Req("POST", objs, "alice", []byte(`{"objects":[`)), http.StatusBadRequest, nil)
	e.OK(e.Req("POST", objs, "alice", []byte(`[1,2]`)), http.StatusBadRequest, nil)
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
