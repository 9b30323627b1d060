// Package taxiitest is the black-box conformance suite for TAXII servers
// built on a taxii.Store: every Store implementation runs it, through the
// HTTP API, so they cannot drift apart. The cases follow the server-side
// tests of the OASIS TAXII 2.1 Interoperability Test Document where they
// can be checked without a second implementation: discovery, API root,
// collections, get objects with each filter, pagination with next/more and
// the date-added headers, add → status → get, versions, manifest, delete,
// and the 400/401/403/404/406/413/415 answers; plus Bulwark's TLP policy.
// testdata/interop.md maps the Interoperability Test Document's server
// cases to the suite's.
package taxiitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/intel/taxii"
)

// Collection ids of the suite's fixture.
const (
	Open      = "91a7b528-80eb-42ed-a74d-c6fbd5a26116" // everyone reads, alice writes, partners get amber
	Private   = "52892447-4d7e-4f70-b94d-d7f22742ff63" // alice only
	WriteOnly = "64993447-4d7e-4f70-b94d-d7f22742ff63" // bob writes, nobody reads
)

// Users of the fixture: alice (group partners) and bob; passwords are
// "<name>-pw", and "tok-alice" is alice's bearer token.
var users = map[string][]string{"alice": {"partners"}, "bob": nil}

// Auth is the fixture's authenticator.
var Auth = taxii.AuthFunc(func(r *http.Request) (string, []string, bool) {
	if r.Header.Get("Authorization") == "Bearer tok-alice" {
		return "alice", users["alice"], true
	}
	u, p, ok := r.BasicAuth()
	g, known := users[u]
	if !ok || !known || p != u+"-pw" {
		return "", nil, false
	}
	return u, g, true
})

// Collections of the fixture.
var Collections = []taxii.Collection{
	{ID: Open, Title: "Open", Alias: "open", Read: []string{"*"}, Write: []string{"alice"}, Amber: []string{"group:partners"}},
	{ID: Private, Title: "Private", Read: []string{"alice"}, Write: []string{"alice"}},
	{ID: WriteOnly, Title: "Drop box", Write: []string{"bob"}},
}

// Env is a running server over one store with the fixture loaded.
type Env struct {
	T     *testing.T
	URL   string // the API root URL, with a trailing slash
	Base  string
	Max   int64
	Store taxii.Store // for cases that set up what the API cannot express
}

// NewEnv starts a server over st, loaded with the fixture collections.
func NewEnv(t *testing.T, st taxii.Store, max int64) *Env {
	t.Helper()
	return newEnv(t, st, max, Auth)
}

func newEnv(t *testing.T, st taxii.Store, max int64, auth taxii.Authenticator) *Env {
	t.Helper()
	for _, c := range Collections {
		if err := st.PutCollection(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(taxii.NewServer(taxii.Options{Store: st, Auth: auth, Root: "api1", MaxContentLength: max, PageSize: 50}))
	t.Cleanup(srv.Close)
	return &Env{T: t, URL: srv.URL + "/api1/", Base: srv.URL, Max: max, Store: st}
}

// Resp is an answer.
type Resp struct {
	Code   int
	Header http.Header
	Body   []byte
}

// Req sends a request as user ("" for none) with TAXII's Accept (and
// Content-Type when there is a body) unless hdr overrides them.
func (e *Env) Req(method, path, user string, body []byte, hdr ...string) Resp {
	e.T.Helper()
	return e.do(method, path, user, bytes.NewReader(body), body != nil, hdr)
}

// ReqChunked is Req with a body of unknown length, sent chunked, so the
// server learns its size only by reading it.
func (e *Env) ReqChunked(method, path, user string, body []byte, hdr ...string) Resp {
	e.T.Helper()
	return e.do(method, path, user, struct{ io.Reader }{bytes.NewReader(body)}, true, hdr)
}

func (e *Env) do(method, path, user string, rd io.Reader, hasBody bool, hdr []string) Resp {
	e.T.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.URL + path
	}
	r, err := http.NewRequestWithContext(e.T.Context(), method, u, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	r.Header.Set("Accept", taxii.MediaType)
	if hasBody {
		r.Header.Set("Content-Type", taxii.MediaType)
	}
	if user != "" {
		r.SetBasicAuth(user, user+"-pw")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return Resp{Code: res.StatusCode, Header: res.Header, Body: b}
}

// OK checks the status code and decodes the body into v (when not nil).
func (e *Env) OK(r Resp, code int, v any) {
	e.T.Helper()
	if r.Code != code {
		e.T.Fatalf("status %d, want %d: %s", r.Code, code, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); len(r.Body) > 0 && ct != taxii.MediaType {
		e.T.Errorf("Content-Type %q, want %q", ct, taxii.MediaType)
	}
	if code >= 400 {
		var em taxii.ErrorMessage
		if err := json.Unmarshal(r.Body, &em); err != nil || em.Title == "" || em.HTTPStatus != fmt.Sprint(code) {
			e.T.Errorf("error body is not a TAXII error message: %s", r.Body)
		}
	}
	if v != nil {
		if err := json.Unmarshal(r.Body, v); err != nil {
			e.T.Fatalf("decode %s: %v", r.Body, err)
		}
	}
}

// Indicator returns a valid indicator; n picks the id, mod the modified
// time (days after 2024-01-01), markings its object_marking_refs.
func Indicator(n, mod int, markings ...string) stix.Object {
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	m := map[string]any{
		"type": "indicator", "spec_version": "2.1",
		"id":      fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", n),
		"created": stix.TS(created), "modified": stix.TS(created.AddDate(0, 0, mod)),
		"pattern": fmt.Sprintf("[ipv4-addr:value = '198.51.100.%d']", n%250), "pattern_type": "stix",
		"valid_from": stix.TS(created),
	}
	if len(markings) > 0 {
		m["object_marking_refs"] = markings
	}
	o, err := stix.New(m)
	if err != nil {
		panic(err)
	}
	return o
}

// EnvelopeOf encodes objects as an add request body.
func EnvelopeOf(objs ...stix.Object) []byte {
	b, err := json.Marshal(map[string]any{"objects": objs})
	if err != nil {
		panic(err)
	}
	return b
}

// Add posts objects as alice to coll and returns the status.
func (e *Env) Add(coll string, objs ...stix.Object) taxii.Status {
	e.T.Helper()
	var st taxii.Status
	e.OK(e.Req("POST", "collections/"+coll+"/objects/", "alice", EnvelopeOf(objs...)), http.StatusAccepted, &st)
	return st
}

// Objects gets an envelope as user.
func (e *Env) Objects(user, path string) (taxii.Envelope, Resp) {
	e.T.Helper()
	var env taxii.Envelope
	r := e.Req("GET", path, user, nil)
	e.OK(r, http.StatusOK, &env)
	return env, r
}

// IDs lists the id and modified time of each object of an envelope.
func IDs(t *testing.T, env taxii.Envelope) []string {
	t.Helper()
	var out []string
	for _, raw := range env.Objects {
		var o stix.Object
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		if o.Type != "indicator" {
			out = append(out, strings.TrimSuffix(o.Type, "-definition"))
			continue
		}
		out = append(out, fmt.Sprintf("%s@%s", o.ID[len(o.ID)-36:len(o.ID)-28], o.String("modified")[:10]))
	}
	return out
}
