package taxii_test

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bulwarkhq/bulwark/intel"
	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/intel/taxii/sqlitestore"
	"github.com/bulwarkhq/bulwark/intel/taxii/taxiitest"
	"github.com/bulwarkhq/bulwark/internal/testdata"
)

// rawObjects reads the objects of a STIX bundle as raw JSON; keep says
// which to take by their index (nil: all).
func rawObjects(t *testing.T, r io.Reader, keep func(i int) bool) []json.RawMessage {
	t.Helper()
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a bundle: %v %v", tok, err)
	}
	var out []json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		if tok != "objects" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := dec.Token(); err != nil { // [
			t.Fatal(err)
		}
		for i := 0; dec.More(); i++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatalf("objects[%d]: %v", i, err)
			}
			if keep == nil || keep(i) {
				out = append(out, raw)
			}
		}
		if _, err := dec.Token(); err != nil { // ]
			t.Fatal(err)
		}
	}
	return out
}

// versionKey names one version of an object: id and modified (or
// created, or nothing for observables).
func versionKey(m map[string]any) string {
	v, _ := m["modified"].(string)
	if v == "" {
		v, _ = m["created"].(string)
	}
	id, _ := m["id"].(string)
	return id + "@" + v
}

// roundTrip posts objs to a fresh collection of a server over st whose
// pages hold pageSize objects, pulls them back with the client, and
// checks that every exportable object comes back JSON-equal to what was
// posted, across more than one page.
func roundTrip(t *testing.T, st taxii.Store, name string, raws []json.RawMessage, pageSize int) {
	t.Helper()
	var gets atomic.Int64
	srv := taxii.NewServer(taxii.Options{Store: st, Auth: taxiitest.Auth, Root: "api1", MaxContentLength: 1 << 20, PageSize: pageSize})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/objects/") {
			gets.Add(1)
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	coll := taxii.Collection{ID: name, Title: name, Read: []string{"alice"}, Write: []string{"alice"}, Amber: []string{"alice"}}
	if err := st.PutCollection(t.Context(), coll); err != nil {
		t.Fatal(err)
	}
	var objs []stix.Object
	want := map[string]any{} // version key → decoded JSON, first one posted wins
	for i, raw := range raws {
		var o stix.Object
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatalf("%s: objects[%d]: %v", name, i, err)
		}
		objs = append(objs, o)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if e, err := taxii.NewEntry(o, nil); err != nil || e.TLP == intel.TLPRed {
			continue // refused, or never exported
		}
		if k := versionKey(m); want[k] == nil {
			want[k] = m
		}
	}
	c := &taxii.Client{User: "alice", Password: "alice-pw"}
	root := hs.URL + "/api1/"
	s, err := c.Add(t.Context(), root, name, objs)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range s.Failures {
		t.Errorf("%s: %s refused: %s", name, f.ID, f.Message)
	}
	got := 0
	seen := map[string]bool{}
	_, err = c.GetObjects(t.Context(), root, name, url.Values{"match[version]": {"all"}}, func(o stix.Object) error {
		b, err := o.MarshalJSON()
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		k := versionKey(m)
		if seen[k] {
			return fmt.Errorf("%s pulled twice", k)
		}
		seen[k] = true
		got++
		if w, ok := want[k]; !ok {
			t.Errorf("%s: pulled %s, which was not posted or is not exportable", name, k)
		} else if !reflect.DeepEqual(m, w) {
			t.Errorf("%s: %s differs:\n got %s", name, k, b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != len(want) {
		t.Errorf("%s: posted %d objects (%d exportable versions), pulled %d", name, len(raws), len(want), got)
	}
	pages := gets.Load()
	if pages < 2 || pages < int64(len(want)/pageSize) {
		t.Errorf("%s: %d versions in %d pages of %d", name, len(want), pages, pageSize)
	}
	// A second pull starts where the first stopped: nothing new.
	if n, err := c.GetObjects(t.Context(), root, name, url.Values{"match[version]": {"all"}}, func(stix.Object) error { return nil }); err != nil || n != 0 {
		t.Errorf("%s: second pull brought %d objects, %v", name, n, err)
	}
	t.Logf("%s: %d objects posted, %d versions round-tripped in %d pages", name, len(raws), got, pages)
}

// stores are the Store implementations the round trip runs over.
func stores(t *testing.T) map[string]func(t *testing.T) taxii.Store {
	return map[string]func(t *testing.T) taxii.Store{
		"mem": func(*testing.T) taxii.Store { return taxii.NewMemStore() },
		"sqlite": func(t *testing.T) taxii.Store {
			st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "taxii.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
	}
}

// TestRoundTripMISP: every object of the MISP STIX 2.1 bundles, posted to
// our server and pulled back by our client seven to a page.
func TestRoundTripMISP(t *testing.T) {
	dir := testdata.Path(t, "stix", "misp-stix21-bundles")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skip("no MISP bundles in " + dir)
	}
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st := newStore(t)
			for _, f := range files {
				fh, err := os.Open(f)
				if err != nil {
					t.Fatal(err)
				}
				raws := rawObjects(t, fh, nil)
				fh.Close()
				roundTrip(t, st, strings.TrimSuffix(filepath.Base(f), ".json"), raws, 7)
			}
		})
	}
}

// TestRoundTripATTACK: a slice of the enterprise ATT&CK bundle (the first
// 1000 objects and every 25th after), 100 to a page.
func TestRoundTripATTACK(t *testing.T) {
	path := testdata.Path(t, "stix", "enterprise-attack-18.1.stix21.json.gz")
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	raws := rawObjects(t, zr, func(i int) bool { return i < 1000 || i%25 == 0 })
	if len(raws) < 1000 {
		t.Fatalf("only %d objects", len(raws))
	}
	for name, newStore := range stores(t) {
		t.Run(name, func(t *testing.T) { roundTrip(t, newStore(t), "attack", raws, 100) })
	}
}
