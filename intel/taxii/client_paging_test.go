package taxii_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/intel/taxii/taxiitest"
)

// recorder is a TAXII server that logs the query of every get objects
// and can hide next from envelopes, as servers that page only by
// added_after do.
type recorder struct {
	srv      http.Handler
	hideNext bool
	mu       sync.Mutex
	queries  []url.Values
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/objects/") {
		rc.srv.ServeHTTP(w, r)
		return
	}
	rc.mu.Lock()
	rc.queries = append(rc.queries, r.URL.Query())
	rc.mu.Unlock()
	rec := httptest.NewRecorder()
	rc.srv.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if rc.hideNext && rec.Code == http.StatusOK {
		var env taxii.Envelope
		if err := json.Unmarshal(body, &env); err == nil {
			env.Next = ""
			body, _ = json.Marshal(env)
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

// pagingServer serves the fixture collections with pages of pageSize and
// holds n indicators in the open collection.
func pagingServer(t *testing.T, n, pageSize int, hideNext bool) (*recorder, string) {
	t.Helper()
	st := taxii.NewMemStore()
	for _, c := range taxiitest.Collections {
		_ = st.PutCollection(t.Context(), c)
	}
	rc := &recorder{srv: taxii.NewServer(taxii.Options{Store: st, Auth: taxiitest.Auth, Root: "api1", PageSize: pageSize}), hideNext: hideNext}
	hs := httptest.NewServer(rc)
	t.Cleanup(hs.Close)
	var objs []stix.Object
	for i := range n {
		objs = append(objs, taxiitest.Indicator(i, 0))
	}
	m, _ := stix.NewTLPMarking("green")
	objs = append(objs, m)
	c := &taxii.Client{User: "alice", Password: "alice-pw"}
	if _, err := c.Add(t.Context(), hs.URL+"/api1/", taxiitest.Open, objs); err != nil {
		t.Fatal(err)
	}
	return rc, hs.URL + "/api1/"
}

// TestClientFollowsNext checks that the client walks the pages with next,
// keeping its filters on every page, and stops when more is false.
func TestClientFollowsNext(t *testing.T) {
	for _, hide := range []bool{false, true} {
		rc, root := pagingServer(t, 23, 5, hide)
		c := &taxii.Client{User: "bob", Password: "bob-pw"}
		got := pull(t, c, root, taxiitest.Open, url.Values{"match[type]": {"indicator"}})
		if len(got) != 23 {
			t.Fatalf("hideNext=%v: pulled %d indicators", hide, len(got))
		}
		ids := map[string]bool{}
		for _, o := range got {
			ids[o.ID] = true
		}
		if len(ids) != 23 {
			t.Errorf("hideNext=%v: %d distinct of %d", hide, len(ids), len(got))
		}
		if len(rc.queries) != 5 {
			t.Errorf("hideNext=%v: %d requests, want 5", hide, len(rc.queries))
		}
		for i, q := range rc.queries {
			if q.Get("match[type]") != "indicator" {
				t.Errorf("page %d lost the filter: %v", i+1, q)
			}
			switch {
			case i == 0 && (q.Has("next") || q.Has("added_after")):
				t.Errorf("first request %v", q)
			case i > 0 && !hide && !q.Has("next"):
				t.Errorf("page %d without next: %v", i+1, q)
			case i > 0 && hide && (q.Has("next") || !q.Has("added_after")):
				t.Errorf("page %d from a server without next: %v", i+1, q)
			}
		}
	}
}

// TestClientResumes interrupts a pull in its third page and checks that
// the next pull starts after the last page the caller took whole: nothing
// lost, and only that page's part repeated.
func TestClientResumes(t *testing.T) {
	_, root := pagingServer(t, 23, 5, false)
	c := &taxii.Client{User: "bob", Password: "bob-pw"}
	stop := errors.New("stop")
	var first []string
	n, err := c.GetObjects(t.Context(), root, taxiitest.Open, nil, func(o stix.Object) error {
		if len(first) == 12 {
			return stop
		}
		first = append(first, o.ID)
		return nil
	})
	if !errors.Is(err, stop) || n != 12 {
		t.Fatalf("interrupted pull: %d, %v", n, err)
	}
	key := taxii.CollectionURL(root, taxiitest.Open)
	if c.Cursors[key].IsZero() {
		t.Fatal("no cursor after two whole pages")
	}
	var rest []string
	_, err = c.GetObjects(t.Context(), root, taxiitest.Open, nil, func(o stix.Object) error {
		rest = append(rest, o.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Pages of 5: the first two pages (10 objects) were taken whole; the
	// third was cut after 2 and comes again.
	if len(rest) != 14 || !slices.Equal(rest[:2], first[10:]) {
		t.Errorf("resumed pull brought %d objects, starting %v; the cut page began %v", len(rest), rest[:min(2, len(rest))], first[10:])
	}
	all := slices.Concat(first[:10], rest)
	slices.Sort(all)
	if len(slices.Compact(all)) != 24 {
		t.Errorf("%d distinct objects over both pulls, want 24", len(all))
	}
	// And an unchanged collection brings nothing.
	if n, err := c.GetObjects(t.Context(), root, taxiitest.Open, nil, func(stix.Object) error { return nil }); n != 0 || err != nil {
		t.Errorf("third pull: %d, %v", n, err)
	}
}

// TestClientMoreWithoutProgress checks that a server claiming more while
// sending nothing stops the client instead of looping.
func TestClientMoreWithoutProgress(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", taxii.MediaType)
		_, _ = w.Write(bytes.TrimSpace([]byte(`{"more":true,"next":"1"}`)))
	}))
	defer hs.Close()
	c := &taxii.Client{}
	if _, err := c.GetObjects(t.Context(), hs.URL+"/api1/", "x", nil, func(stix.Object) error { return nil }); err == nil {
		t.Error("no error for more without objects")
	}
}

// TestClientRepeatedPage checks that a server handing out the position it
// was just asked for (the same next, or no next and the same date-added
// header) stops the pull with an error instead of a loop.
func TestClientRepeatedPage(t *testing.T) {
	for _, body := range []string{
		`{"more":true,"next":"same","objects":[` + string(taxiitest.EnvelopeOf(taxiitest.Indicator(1, 0))[12:]),
		`{"more":true,"objects":[` + string(taxiitest.EnvelopeOf(taxiitest.Indicator(1, 0))[12:]),
	} {
		calls := 0
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls++
			w.Header().Set("Content-Type", taxii.MediaType)
			w.Header().Set("X-TAXII-Date-Added-Last", "2024-01-01T00:00:00.000000Z")
			_, _ = w.Write([]byte(body))
		}))
		c := &taxii.Client{}
		_, err := c.GetObjects(t.Context(), hs.URL+"/api1/", "x", nil, func(stix.Object) error { return nil })
		hs.Close()
		if err == nil || calls > 3 {
			t.Errorf("%.40s: %d calls, %v", body, calls, err)
		}
	}
}
