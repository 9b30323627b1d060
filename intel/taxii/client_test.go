package taxii_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/intel"
	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/intel/taxii/taxiitest"
	"github.com/bulwarkhq/bulwark/internal/testdata"
)

func newServer(t *testing.T, st taxii.Store, max int64) string {
	t.Helper()
	srv := httptest.NewServer(taxii.NewServer(taxii.Options{Store: st, Auth: taxiitest.Auth, Root: "api1", MaxContentLength: max, PageSize: 7}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func pull(t *testing.T, c *taxii.Client, root, coll string, q url.Values) []stix.Object {
	t.Helper()
	var got []stix.Object
	if _, err := c.GetObjects(t.Context(), root, coll, q, func(o stix.Object) error {
		got = append(got, o)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestClientIncremental pushes in two rounds and checks that the second
// pull brings only the second round, across pages and envelope splits.
func TestClientIncremental(t *testing.T) {
	st := taxii.NewMemStore()
	for _, col := range taxiitest.Collections {
		_ = st.PutCollection(t.Context(), col)
	}
	base := newServer(t, st, 4096) // a few indicators per envelope
	c := &taxii.Client{User: "alice", Password: "alice-pw"}
	root, err := c.ResolveRoot(t.Context(), base+"/taxii2/")
	if err != nil || root != base+"/api1/" {
		t.Fatalf("root %q, %v", root, err)
	}
	cols, err := c.Collections(t.Context(), root)
	if err != nil || len(cols) != 2 {
		t.Fatalf("collections %+v, %v", cols, err)
	}
	var round1, round2 []stix.Object
	for i := range 20 {
		round1 = append(round1, taxiitest.Indicator(i, 0))
		round2 = append(round2, taxiitest.Indicator(100+i, 0))
	}
	s, err := c.Add(t.Context(), root, taxiitest.Open, round1)
	if err != nil || s.SuccessCount != 20 || s.FailureCount != 0 {
		t.Fatalf("add: %+v, %v", s, err)
	}
	if got := pull(t, c, root, taxiitest.Open, nil); len(got) != 20 {
		t.Fatalf("first pull: %d objects", len(got))
	}
	if _, err := c.Add(t.Context(), root, taxiitest.Open, round2); err != nil {
		t.Fatal(err)
	}
	got := pull(t, c, root, taxiitest.Open, nil)
	if len(got) != 20 || got[0].ID != round2[0].ID {
		t.Fatalf("incremental pull: %d objects", len(got))
	}
	if got := pull(t, c, root, taxiitest.Open, nil); len(got) != 0 {
		t.Errorf("nothing new, but pulled %d", len(got))
	}
	// Errors come back as TAXII error messages.
	bob := &taxii.Client{User: "bob", Password: "bob-pw"}
	_, err = bob.Add(t.Context(), root, taxiitest.Open, round1[:1])
	if em := (*taxii.ErrorMessage)(nil); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("bob's add: %v %v", err, em)
	}
}

// TestMISPRoundTrip pushes every object of the MISP STIX 2.1 bundles and
// pulls them back equal in meaning.
func TestMISPRoundTrip(t *testing.T) {
	dir := testdata.Path(t, "stix", "misp-stix21-bundles")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skip("no MISP bundles")
	}
	st := taxii.NewMemStore()
	base := newServer(t, st, 1<<20)
	c := &taxii.Client{User: "alice", Password: "alice-pw"}
	root := base + "/api1/"
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := stix.ReadBundle(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		coll := strings.TrimSuffix(filepath.Base(f), ".json")
		_ = st.PutCollection(t.Context(), taxii.Collection{ID: coll, Title: coll, Read: []string{"alice"}, Write: []string{"alice"}, Amber: []string{"alice"}})
		s, err := c.Add(t.Context(), root, coll, objs)
		if err != nil {
			t.Fatal(err)
		}
		for _, fl := range s.Failures {
			t.Errorf("%s: %s refused: %s", coll, fl.ID, fl.Message)
		}
		got := pull(t, c, root, coll, url.Values{"match[version]": {"all"}})
		want := map[string]stix.Object{}
		for _, o := range objs {
			if e, err := taxii.NewEntry(o, nil); err == nil && e.TLP != intel.TLPRed {
				want[o.ID+"@"+o.String("modified")] = o
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: pushed %d objects (%d exportable), pulled %d", coll, len(objs), len(want), len(got))
		}
		for _, o := range got {
			if w, ok := want[o.ID+"@"+o.String("modified")]; !ok || !stix.Equal(o, w) {
				b, _ := json.Marshal(o)
				t.Errorf("%s: pulled object differs: %s", coll, b)
			}
		}
		t.Logf("%s: %d objects round-tripped", coll, len(got))
	}
}
