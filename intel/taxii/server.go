package taxii

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Options configure a Server.
type Options struct {
	Store Store
	// Auth identifies callers; nil serves everyone as an anonymous
	// principal, who can use only collections that list "*".
	Auth                        Authenticator
	Title, Description, Contact string
	// Root is the API root's name, the first path segment (default "api").
	Root string
	// BaseURL is the server's external URL ("https://intel.example.org"),
	// used in discovery; empty derives it from each request.
	BaseURL string
	// MaxContentLength bounds an add request's body (default 10 MiB).
	MaxContentLength int64
	// PageSize is the default and the largest page (default 1000).
	PageSize int
	Log      *slog.Logger
	Now      func() time.Time
}

// Server is a TAXII 2.1 server for one API root.
type Server struct{ o Options }

// NewServer returns a server over opt.Store.
func NewServer(opt Options) *Server {
	if opt.Root == "" {
		opt.Root = "api"
	}
	if opt.Title == "" {
		opt.Title = "Bulwark TAXII"
	}
	if opt.MaxContentLength <= 0 {
		opt.MaxContentLength = 10 << 20
	}
	if opt.PageSize <= 0 {
		opt.PageSize = 1000
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Server{o: opt}
}

// httpError is a failure answered to the client. Title and Description are
// sent; Err is only logged, so store errors never reach the caller.
type httpError struct {
	Status             int
	Title, Description string
	Err                error
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s: %v", e.Status, e.Title, e.Err) }

func fail(status int, title, desc string) *httpError {
	return &httpError{Status: status, Title: title, Description: desc}
}

func internal(err error) *httpError {
	return &httpError{Status: http.StatusInternalServerError, Title: "Internal error", Err: err}
}

// request is one call as the handlers see it.
type request struct {
	r    *http.Request
	p    Principal
	segs []string
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := s.serve(w, r); err != nil {
		var he *httpError
		if !errors.As(err, &he) {
			he = internal(err)
		}
		if he.Status >= 500 {
			s.o.Log.Error("taxii", "method", r.Method, "path", r.URL.Path, "err", he.Err)
		}
		if he.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="taxii", Bearer realm="taxii"`)
		}
		writeJSON(w, he.Status, ErrorMessage{Title: he.Title, Description: he.Description, HTTPStatus: strconv.Itoa(he.Status)}, nil)
	}
}

// WriteError answers a TAXII error message with the TAXII media type, for
// hosts that refuse a request before it reaches the Server (their own
// authentication, role checks or body limits), so TAXII clients still get
// the error shape the specification defines.
func WriteError(w http.ResponseWriter, status int, description string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="taxii", Bearer realm="taxii"`)
	}
	_ = writeJSON(w, status, ErrorMessage{Title: http.StatusText(status), Description: description, HTTPStatus: strconv.Itoa(status)}, nil)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) error {
	var p Principal
	if s.o.Auth != nil {
		name, groups, ok := s.o.Auth.Authenticate(r)
		if !ok {
			return fail(http.StatusUnauthorized, "Authentication required", "")
		}
		p = Principal{Name: name, Groups: groups}
	}
	if !acceptsTAXII(r.Header.Get("Accept")) {
		return fail(http.StatusNotAcceptable, "Not acceptable", "Accept must include "+MediaType)
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	q := &request{r: r, p: p, segs: segs}
	n := len(segs)
	notFound := fail(http.StatusNotFound, "Not found", "")
	switch {
	case n == 1 && segs[0] == "taxii2":
		return s.method(w, r, "GET", s.discovery)
	case segs[0] != s.o.Root:
		return notFound
	case n == 1:
		return s.method(w, r, "GET", s.apiRoot)
	case n == 3 && segs[1] == "status":
		return s.method(w, r, "GET", func(w http.ResponseWriter, _ *http.Request) error { return s.status(w, q) })
	case segs[1] != "collections":
		return notFound
	case n == 2:
		return s.method(w, r, "GET", func(w http.ResponseWriter, _ *http.Request) error { return s.collections(w, q) })
	}
	c, err := s.collection(r.Context(), segs[2])
	if err != nil {
		return err
	}
	// A collection the caller can neither read nor write is left out of
	// the collections resource, so it is not found here either: a 403
	// would confirm that the id exists. The specification allows 404 for
	// "the client does not have access to the collection".
	if !c.CanRead(p) && !c.CanWrite(p) {
		return fail(http.StatusNotFound, "Collection not found", "")
	}
	switch {
	case n == 3:
		return s.method(w, r, "GET", func(w http.ResponseWriter, _ *http.Request) error {
			return writeJSON(w, http.StatusOK, info(c, p), nil)
		})
	case n == 4 && segs[3] == "manifest":
		return s.method(w, r, "GET", func(w http.ResponseWriter, _ *http.Request) error { return s.manifest(w, q, c) })
	case n == 4 && segs[3] == "objects":
		if r.Method == http.MethodPost {
			return s.add(w, q, c)
		}
		return s.method(w, r, "GET, POST", func(w http.ResponseWriter, _ *http.Request) error { return s.objects(w, q, c, "") })
	case n == 5 && segs[3] == "objects":
		if r.Method == http.MethodDelete {
			return s.delete(w, q, c, segs[4])
		}
		return s.method(w, r, "GET, DELETE", func(w http.ResponseWriter, _ *http.Request) error { return s.objects(w, q, c, segs[4]) })
	case n == 6 && segs[3] == "objects" && segs[5] == "versions":
		return s.method(w, r, "GET", func(w http.ResponseWriter, _ *http.Request) error { return s.versions(w, q, c, segs[4]) })
	}
	return notFound
}

// method runs h for GET (and HEAD's sibling methods listed in allow) and
// answers 405 otherwise.
func (s *Server) method(w http.ResponseWriter, r *http.Request, allow string, h func(http.ResponseWriter, *http.Request) error) error {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", allow)
		return fail(http.StatusMethodNotAllowed, "Method not allowed", r.Method+" is not supported here")
	}
	return h(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any, first []time.Time) error {
	b, err := json.Marshal(v)
	if err != nil {
		return internal(err)
	}
	h := w.Header()
	h.Set("Content-Type", MediaType)
	if len(first) == 2 {
		h.Set("X-TAXII-Date-Added-First", FormatTime(first[0]))
		h.Set("X-TAXII-Date-Added-Last", FormatTime(first[1]))
	}
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

func (s *Server) base(r *http.Request) string {
	if s.o.BaseURL != "" {
		return strings.TrimSuffix(s.o.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) error {
	root := s.base(r) + "/" + url.PathEscape(s.o.Root) + "/"
	return writeJSON(w, http.StatusOK, Discovery{
		Title: s.o.Title, Description: s.o.Description, Contact: s.o.Contact,
		Default: root, APIRoots: []string{root},
	}, nil)
}

func (s *Server) apiRoot(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, APIRoot{
		Title: s.o.Title, Description: s.o.Description,
		Versions: []string{MediaType}, MaxContentLength: s.o.MaxContentLength,
	}, nil)
}

func info(c Collection, p Principal) CollectionInfo {
	return CollectionInfo{
		ID: c.ID, Title: c.Title, Description: c.Description, Alias: c.Alias,
		CanRead: c.CanRead(p), CanWrite: c.CanWrite(p), MediaTypes: []string{STIXMediaType},
	}
}

func (s *Server) collections(w http.ResponseWriter, q *request) error {
	cs, err := s.o.Store.Collections(q.r.Context())
	if err != nil {
		return internal(err)
	}
	var out Collections
	for _, c := range cs {
		// Collections the caller can neither read nor write are left
		// out: their names and descriptions can be sensitive too.
		if c.CanRead(q.p) || c.CanWrite(q.p) {
			out.Collections = append(out.Collections, info(c, q.p))
		}
	}
	return writeJSON(w, http.StatusOK, out, nil)
}

func (s *Server) collection(ctx context.Context, id string) (Collection, error) {
	cs, err := s.o.Store.Collections(ctx)
	if err != nil {
		return Collection{}, internal(err)
	}
	for _, c := range cs {
		if c.ID == id || (c.Alias != "" && c.Alias == id) {
			return c, nil
		}
	}
	return Collection{}, fail(http.StatusNotFound, "Collection not found", "")
}

func (s *Server) status(w http.ResponseWriter, q *request) error {
	owner, st, err := s.o.Store.Status(q.r.Context(), q.segs[2])
	// A status is its requester's: another principal learns nothing, not
	// even that it exists.
	if errors.Is(err, ErrNotFound) || (err == nil && owner != q.p.Name) {
		return fail(http.StatusNotFound, "Status not found", "")
	}
	if err != nil {
		return internal(err)
	}
	return writeJSON(w, http.StatusOK, st, nil)
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// readAll reads a request body within the API root's max_content_length.
func (s *Server) body(w http.ResponseWriter, r *http.Request) (io.Reader, error) {
	if r.ContentLength > s.o.MaxContentLength {
		return nil, fail(http.StatusRequestEntityTooLarge, "Request too large",
			fmt.Sprintf("the body exceeds max_content_length (%d bytes)", s.o.MaxContentLength))
	}
	return http.MaxBytesReader(w, r.Body, s.o.MaxContentLength), nil
}

// entryVersion is the version a manifest or status shows for e.
func entryVersion(e Entry) time.Time {
	if e.Version.IsZero() {
		return e.DateAdded
	}
	return e.Version
}
