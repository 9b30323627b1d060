package taxii_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/intel/taxii/taxiitest"
)

// FuzzDecodeEnvelope feeds add-request bodies to the envelope decoder: it
// must not panic, and every object it returns must validate or be refused
// by NewEntry with an error.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(taxiitest.EnvelopeOf(taxiitest.Indicator(1, 0), taxiitest.Indicator(2, 1)))
	f.Add([]byte(`{"objects":[{"type":"x"}],"more":false}`))
	f.Add([]byte(`{"type":"bundle","id":"bundle--1","objects":[]}`))
	f.Add([]byte(`{"objects":[{"type":"indicator","id":1}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, err := taxii.DecodeEnvelope(bytes.NewReader(b), 4096)
		if err != nil {
			return
		}
		for _, o := range objs {
			if e, err := taxii.NewEntry(o, nil); err == nil && e.ID != o.ID {
				t.Fatalf("entry id %q for object %q", e.ID, o.ID)
			}
		}
	})
}

// FuzzParseFilter feeds query strings to the filter parser and the
// selection: neither may panic, and a limit must bound the page.
func FuzzParseFilter(f *testing.F) {
	for _, q := range []string{"", "added_after=2024-01-01T00:00:00Z&limit=2", "match[version]=first,last,2024-01-02T00:00:00.000Z",
		"match[id]=a,b&match[type]=indicator&match[spec_version]=2.1", "next=123", "limit=-1", "next=x"} {
		f.Add(q)
	}
	entries := []taxii.Entry{}
	for i := range 5 {
		e, _ := taxii.NewEntry(taxiitest.Indicator(i%3, i), nil)
		e.DateAdded = e.Version.Add(1)
		entries = append(entries, e)
	}
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		flt, err := taxii.ParseFilter(v, 3, "added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]")
		if err != nil {
			return
		}
		p, err := taxii.Select(entries, flt)
		if err == nil && len(p.Entries) > 3 {
			t.Fatalf("%d entries over limit 3", len(p.Entries))
		}
	})
}

// fixedResponse answers every request with the same TAXII response.
type fixedResponse []byte

func (b fixedResponse) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{"Content-Type": {taxii.MediaType}, "X-Taxii-Date-Added-Last": {"2024-01-01T00:00:00.000000Z"}}
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(bytes.NewReader(b)), Request: r}, nil
}

// FuzzClientGetObjects feeds server responses to the client's pull: it
// must not panic, and must not loop on a server that repeats itself.
func FuzzClientGetObjects(f *testing.F) {
	f.Add(taxiitest.EnvelopeOf(taxiitest.Indicator(1, 0)))
	f.Add([]byte(`{"more":true,"next":"x","objects":[{"type":"indicator","id":"indicator--1"}]}`))
	f.Add([]byte(`{"more":true,"objects":[{}]}`))
	f.Add([]byte(`{"more":true}`))
	f.Add([]byte(`{"objects":[1,"a",null]}`))
	f.Add([]byte(`{"title":"x","http_status":"500"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &taxii.Client{HTTP: &http.Client{Transport: fixedResponse(b)}, MaxResponse: 1 << 16}
		calls := 0
		_, _ = c.GetObjects(t.Context(), "http://taxii.invalid/api1/", "c", nil, func(o stix.Object) error {
			if calls++; calls > 10000 {
				t.Fatal("pull does not end")
			}
			return nil
		})
	})
}
