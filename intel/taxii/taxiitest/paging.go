package taxiitest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/bulwarkhq/bulwark/intel/taxii"
)

// The paged resources: envelopes (get objects, get an object), manifests
// and versions.
const (
	kindObjects  = "objects"
	kindManifest = "manifest"
	kindVersions = "versions"
)

// How a client walks the pages: by the next parameter the server hands
// out, or by added_after set to the previous X-TAXII-Date-Added-Last.
const (
	viaNext       = "next"
	viaAddedAfter = "added_after"
)

// page is what one answer of a paged endpoint says.
type page struct {
	items       []string
	more        bool
	next        string
	first, last string   // X-TAXII-Date-Added-First and -Last
	dates       []string // date_added of each record (manifests only)
}

// getPage gets one page and reads it as kind.
func (e *Env) getPage(user, path, kind string) page {
	e.T.Helper()
	r := e.Req("GET", path, user, nil)
	p := page{first: r.Header.Get("X-TAXII-Date-Added-First"), last: r.Header.Get("X-TAXII-Date-Added-Last")}
	switch kind {
	case kindObjects:
		var env taxii.Envelope
		e.OK(r, http.StatusOK, &env)
		p.items, p.more, p.next = IDs(e.T, env), env.More, env.Next
	case kindManifest:
		var m taxii.Manifest
		e.OK(r, http.StatusOK, &m)
		p.more, p.next = m.More, m.Next
		for _, rec := range m.Objects {
			p.items = append(p.items, short(rec.ID)+"@"+rec.Version)
			p.dates = append(p.dates, rec.DateAdded)
		}
	case kindVersions:
		var v taxii.Versions
		e.OK(r, http.StatusOK, &v)
		p.items, p.more, p.next = v.Versions, v.More, v.Next
	}
	return p
}

// short abbreviates an id for messages: the indicators of the fixture
// differ only in their first 8 hex digits.
func short(id string) string {
	t, u, ok := strings.Cut(id, "--")
	if !ok || len(u) < 8 {
		return id
	}
	if t == "indicator" {
		return u[:8]
	}
	return strings.TrimSuffix(t, "-definition")
}

// pageAll walks every page from path (whose query sets limit), following
// next or added_after, and checks on each page what section 3.4 asks: at
// most limit items, a non-empty page whenever more is set, next present
// exactly when more is, and date-added headers that bracket the page and
// move forward. It returns the items in order and the number of pages.
func (e *Env) pageAll(user, path, kind string, limit int, via string) ([]string, int) {
	e.T.Helper()
	var all []string
	prevLast := ""
	u, err := url.Parse(path)
	if err != nil {
		e.T.Fatal(err)
	}
	q := u.Query()
	for pages := 1; ; pages++ {
		u.RawQuery = q.Encode()
		p := e.getPage(user, u.String(), kind)
		all = append(all, p.items...)
		switch {
		case len(p.items) > limit:
			e.T.Errorf("%s page %d: %d items over limit %d", path, pages, len(p.items), limit)
		case p.more && len(p.items) == 0:
			e.T.Fatalf("%s page %d: more, but empty", path, pages)
		case p.more != (p.next != ""):
			e.T.Errorf("%s page %d: more=%v with next %q", path, pages, p.more, p.next)
		case len(p.items) == 0 && (p.first != "" || p.last != ""):
			e.T.Errorf("%s page %d: empty, with date-added headers %q %q", path, pages, p.first, p.last)
		case len(p.items) > 0 && (p.first == "" || p.last < p.first || p.first <= prevLast):
			e.T.Errorf("%s page %d: date-added headers %q..%q after %q", path, pages, p.first, p.last, prevLast)
		case len(p.dates) > 0 && (p.dates[0] != p.first || p.dates[len(p.dates)-1] != p.last):
			e.T.Errorf("%s page %d: headers %q..%q, records added %q..%q", path, pages, p.first, p.last, p.dates[0], p.dates[len(p.dates)-1])
		}
		prevLast = p.last
		if !p.more {
			return all, pages
		}
		if pages > 100 {
			e.T.Fatalf("%s: more than 100 pages", path)
		}
		if via == viaNext {
			q.Set("next", p.next)
		} else {
			q.Set("added_after", p.last)
		}
	}
}

// statusKeys are the properties a status resource must carry (4.3.1).
var statusKeys = []string{"id", "status", "total_count", "success_count", "failure_count", "pending_count"}

// hasKeys reports the keys of statusKeys missing from a JSON object.
func missingKeys(b []byte, keys []string) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return keys
	}
	var out []string
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}
