package taxii

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/intel"
	"github.com/bulwarkhq/bulwark/intel/stix"
)

// Query parameters, by the endpoints that take them.
const (
	pAddedAfter  = "added_after"
	pLimit       = "limit"
	pNext        = "next"
	pID          = "match[id]"
	pType        = "match[type]"
	pVersion     = "match[version]"
	pSpecVersion = "match[spec_version]"
)

// ParseFilter reads the query parameters named in allowed into a Filter.
// Values may be repeated or comma-separated. Parameters an endpoint does
// not take are ignored, as the specification allows.
func ParseFilter(v map[string][]string, pageSize int, allowed ...string) (Filter, error) {
	f := Filter{Limit: pageSize}
	list := func(name string) []string {
		var out []string
		for _, x := range v[name] {
			for _, p := range strings.Split(x, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
		}
		return out
	}
	for _, name := range allowed {
		vals := list(name)
		if len(vals) == 0 {
			continue
		}
		switch name {
		case pAddedAfter:
			t, err := ParseTime(vals[0])
			if err != nil {
				return f, errors.New("added_after is not an RFC 3339 timestamp")
			}
			f.AddedAfter = t
		case pLimit:
			n, err := strconv.Atoi(vals[0])
			if err != nil || n <= 0 {
				return f, errors.New("limit must be a positive integer")
			}
			f.Limit = min(n, pageSize)
		case pNext:
			if _, err := ParseCursor(vals[0]); err != nil {
				return f, err
			}
			f.Next = vals[0]
		case pID:
			f.IDs = vals
		case pType:
			f.Types = vals
		case pSpecVersion:
			f.SpecVersions = vals
		case pVersion:
			for _, x := range vals {
				switch x {
				case "first":
					f.Versions.First = true
				case "last":
					f.Versions.Last = true
				case "all":
					f.Versions.All = true
				default:
					t, err := ParseTime(x)
					if err != nil {
						return f, errors.New("match[version] takes first, last, all or timestamps")
					}
					f.Versions.At = append(f.Versions.At, t)
				}
			}
		}
	}
	return f, nil
}

func (s *Server) readable(q *request, c Collection, allowed ...string) (Filter, error) {
	if !c.CanRead(q.p) {
		return Filter{}, fail(http.StatusForbidden, "Forbidden", "no read access to this collection")
	}
	f, err := ParseFilter(q.r.URL.Query(), s.o.PageSize, allowed...)
	if err != nil {
		return f, fail(http.StatusBadRequest, "Bad filter", err.Error())
	}
	f.Hide = c.Hidden(q.p)
	return f, nil
}

func (s *Server) selectPage(q *request, c Collection, f Filter) (Page, error) {
	p, err := s.o.Store.Select(q.r.Context(), c.ID, f)
	if err != nil {
		return p, internal(err)
	}
	return p, nil
}

func dateRange(p Page) []time.Time {
	if len(p.Entries) == 0 {
		return nil
	}
	return []time.Time{p.Entries[0].DateAdded, p.Entries[len(p.Entries)-1].DateAdded}
}

// objects answers get objects, or get an object when id is set.
func (s *Server) objects(w http.ResponseWriter, q *request, c Collection, id string) error {
	allowed := []string{pAddedAfter, pLimit, pNext, pVersion, pSpecVersion}
	if id == "" {
		allowed = append(allowed, pID, pType)
	}
	f, err := s.readable(q, c, allowed...)
	if err != nil {
		return err
	}
	if id != "" {
		f.IDs = []string{id}
	}
	p, err := s.selectPage(q, c, f)
	if err != nil {
		return err
	}
	if id != "" && len(p.Entries) == 0 {
		return fail(http.StatusNotFound, "Object not found", "")
	}
	env := Envelope{More: p.More, Next: p.Next}
	for _, e := range p.Entries {
		env.Objects = append(env.Objects, e.Object)
	}
	return writeJSON(w, http.StatusOK, env, dateRange(p))
}

func (s *Server) manifest(w http.ResponseWriter, q *request, c Collection) error {
	f, err := s.readable(q, c, pAddedAfter, pLimit, pNext, pID, pType, pVersion, pSpecVersion)
	if err != nil {
		return err
	}
	f.NoContent = true
	p, err := s.selectPage(q, c, f)
	if err != nil {
		return err
	}
	m := Manifest{More: p.More, Next: p.Next}
	for _, e := range p.Entries {
		m.Objects = append(m.Objects, ManifestRecord{
			ID: e.ID, DateAdded: FormatTime(e.DateAdded), Version: stix.TS(entryVersion(e)).Format(),
			MediaType: "application/stix+json;version=" + e.SpecVersion,
		})
	}
	return writeJSON(w, http.StatusOK, m, dateRange(p))
}

func (s *Server) versions(w http.ResponseWriter, q *request, c Collection, id string) error {
	f, err := s.readable(q, c, pAddedAfter, pLimit, pNext, pSpecVersion)
	if err != nil {
		return err
	}
	f.IDs, f.Versions, f.NoContent = []string{id}, VersionMatch{All: true}, true
	p, err := s.selectPage(q, c, f)
	if err != nil {
		return err
	}
	if len(p.Entries) == 0 {
		return fail(http.StatusNotFound, "Object not found", "")
	}
	v := Versions{More: p.More, Next: p.Next}
	for _, e := range p.Entries {
		v.Versions = append(v.Versions, stix.TS(entryVersion(e)).Format())
	}
	return writeJSON(w, http.StatusOK, v, dateRange(p))
}

func (s *Server) delete(w http.ResponseWriter, q *request, c Collection, id string) error {
	// Deleting needs both rights: the specification asks for write, and
	// without read a caller could probe which ids exist.
	if !c.CanWrite(q.p) || !c.CanRead(q.p) {
		return fail(http.StatusForbidden, "Forbidden", "deleting needs read and write access")
	}
	f, err := ParseFilter(q.r.URL.Query(), s.o.PageSize, pVersion, pSpecVersion)
	if err != nil {
		return fail(http.StatusBadRequest, "Bad filter", err.Error())
	}
	if f.Versions.zero() {
		f.Versions.All = true
	}
	f.IDs, f.Limit = []string{id}, 0
	n, err := s.o.Store.Delete(q.r.Context(), c.ID, f)
	if err != nil {
		return internal(err)
	}
	if n == 0 {
		return fail(http.StatusNotFound, "Object not found", "")
	}
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(http.StatusOK)
	return nil
}

// maxAddObjects bounds the objects of one add request, whatever their size.
const maxAddObjects = 100_000

func (s *Server) add(w http.ResponseWriter, q *request, c Collection) error {
	if !c.CanWrite(q.p) {
		return fail(http.StatusForbidden, "Forbidden", "no write access to this collection")
	}
	if !isTAXII(q.r.Header.Get("Content-Type")) {
		return fail(http.StatusUnsupportedMediaType, "Unsupported media type", "Content-Type must be "+MediaType)
	}
	body, err := s.body(w, q.r)
	if err != nil {
		return err
	}
	now := s.o.Now().UTC()
	objs, err := DecodeEnvelope(body, s.o.MaxContentLength)
	if err != nil {
		// The decoder may stop on its own per-object limit before the
		// reader finds the body too large (a chunked body announces no
		// length); reading on, at most up to the limit, tells a body over
		// max_content_length (413) from a bad one (422).
		_, rest := io.Copy(io.Discard, body)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || errors.As(rest, &mbe) {
			return fail(http.StatusRequestEntityTooLarge, "Request too large", "the body exceeds max_content_length")
		}
		// 422 is what the specification lists for a malformed add
		// request body; objects that are readable but invalid are
		// failures in the status instead.
		return fail(http.StatusUnprocessableEntity, "Invalid envelope", err.Error())
	}
	st := Status{ID: newUUID(), Status: "complete", RequestTimestamp: FormatTime(now), TotalCount: len(objs)}
	known := s.markings(q, c, objs)
	var entries []Entry
	var details []StatusDetail
	for _, o := range objs {
		d := StatusDetail{ID: o.ID, Version: o.String("modified")}
		if d.Version == "" {
			d.Version = o.String("created")
		}
		e, err := NewEntry(o, known)
		if err != nil {
			d.Message = err.Error()
			st.Failures = append(st.Failures, d)
			continue
		}
		entries = append(entries, e)
		details = append(details, d)
	}
	added, err := s.o.Store.Add(q.r.Context(), c.ID, entries, now)
	if err != nil {
		return internal(err)
	}
	for i, d := range details {
		if !added[i] {
			d.Message = "already present"
		}
		// version is required in a status detail; objects without
		// modified or created (cyber observables) are versioned by their
		// date_added, as in manifests.
		if d.Version == "" {
			d.Version = stix.TS(entryVersion(entries[i])).Format()
		}
		st.Successes = append(st.Successes, d)
	}
	st.SuccessCount, st.FailureCount = len(st.Successes), len(st.Failures)
	if err := s.o.Store.PutStatus(q.r.Context(), q.p.Name, st, now); err != nil {
		return internal(err)
	}
	return writeJSON(w, http.StatusAccepted, st, nil)
}

// markings resolves the marking definitions objs reference that are not the
// fixed TLP ones: from the request itself, then from the collection.
func (s *Server) markings(q *request, c Collection, objs []stix.Object) map[string]intel.TLP {
	known := map[string]intel.TLP{}
	var missing []string
	for _, o := range objs {
		if t, ok := stix.MarkingTLP(o); ok && o.Type == "marking-definition" {
			known[o.ID] = t
		}
	}
	for _, o := range objs {
		for _, ref := range markingRefs(o) {
			// Each reference once: thousands of objects referencing one
			// marking must not become thousands of ids to look up (nor
			// exceed SQLite's limit on query parameters).
			if _, fixed := stix.MarkingTLP(stix.Object{ID: ref}); !fixed && known[ref] == "" && !slices.Contains(missing, ref) {
				missing = append(missing, ref)
			}
		}
	}
	if len(missing) == 0 {
		return known
	}
	p, err := s.o.Store.Select(q.r.Context(), c.ID, Filter{IDs: missing})
	if err != nil {
		return known
	}
	for _, e := range p.Entries {
		var o stix.Object
		if json.Unmarshal(e.Object, &o) == nil {
			if t, ok := stix.MarkingTLP(o); ok {
				known[o.ID] = t
			}
		}
	}
	return known
}

// NewEntry validates o and describes it for a Store.
func NewEntry(o stix.Object, known map[string]intel.TLP) (Entry, error) {
	if err := stix.Validate(o); err != nil {
		return Entry{}, err
	}
	raw, err := o.MarshalJSON()
	if err != nil {
		return Entry{}, err
	}
	e := Entry{ID: o.ID, SpecVersion: o.String("spec_version"), TLP: objectTLP(o, known), Object: raw}
	if e.SpecVersion == "" {
		e.SpecVersion = "2.1" // cyber observables may leave it out
	}
	for _, name := range []string{"modified", "created"} {
		if v := o.String(name); v != "" {
			if e.Version, err = ParseTime(v); err != nil {
				return Entry{}, errors.New(name + ": not a timestamp")
			}
			break
		}
	}
	return e, nil
}
