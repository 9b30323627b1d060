package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bulwarkhq/bulwark/intel"
)

// ErrNotFound is returned by a Store for a collection or status it does not
// hold.
var ErrNotFound = errors.New("taxii: not found")

// Collection is a collection as the server keeps it: what TAXII shows plus
// who may use it. Entries in Read, Write and Amber name a principal, a group
// as "group:NAME", or "*" for every authenticated caller.
type Collection struct {
	ID          string   `json:"id" yaml:"id"`
	Title       string   `json:"title" yaml:"title"`
	Description string   `json:"description,omitempty" yaml:"description"`
	Alias       string   `json:"alias,omitempty" yaml:"alias"`
	Read        []string `json:"read,omitempty" yaml:"read"`
	Write       []string `json:"write,omitempty" yaml:"write"`
	// Amber may receive objects marked TLP:AMBER and TLP:AMBER+STRICT.
	// Nobody receives TLP:RED.
	Amber []string `json:"amber,omitempty" yaml:"amber"`
}

// Entry is one version of one object in a collection.
type Entry struct {
	ID string
	// Version is the object's modified, else created, else DateAdded
	// (cyber observables have neither).
	Version     time.Time
	DateAdded   time.Time // assigned by the store, unique in the collection
	SpecVersion string
	// TLP is the strictest TLP level the object is marked with, "" if none.
	TLP    intel.TLP
	Object json.RawMessage // nil when a Store is asked for metadata only
}

// Type returns the STIX type from the id ("indicator--..." → "indicator").
func (e Entry) Type() string {
	t, _, _ := strings.Cut(e.ID, "--")
	return t
}

// VersionMatch is match[version]: any combination of the first, the last,
// every version, and versions at given timestamps. The zero value means
// last, the specification's default for get objects.
type VersionMatch struct {
	First, Last, All bool
	At               []time.Time
}

func (m VersionMatch) zero() bool { return !m.First && !m.Last && !m.All && len(m.At) == 0 }

// Filter selects entries: the query parameters of get objects, manifest
// and versions, plus what the server's TLP policy hides.
type Filter struct {
	AddedAfter   time.Time
	IDs, Types   []string
	Versions     VersionMatch
	SpecVersions []string // empty: each object's latest spec_version
	Hide         []intel.TLP
	// Limit bounds the page; 0 means no bound.
	Limit int
	// Next is the cursor from a previous Page.
	Next string
	// NoContent asks for metadata only (manifest, versions).
	NoContent bool
}

// Page is one page of a selection, ordered by DateAdded.
type Page struct {
	Entries []Entry
	More    bool
	Next    string // cursor for the following page, when More
}

// Store keeps collections, object versions and status resources. Add must
// be durable when it returns: the server answers 202 right after it.
type Store interface {
	Collections(ctx context.Context) ([]Collection, error)
	PutCollection(ctx context.Context, c Collection) error
	// Add stores the entries of one add request, assigning each DateAdded
	// (unique and increasing in the collection, not before now). A version
	// already held (same id and version) is kept as it was: its added
	// flag is false and its entry gets the stored DateAdded.
	Add(ctx context.Context, collection string, entries []Entry, now time.Time) (added []bool, err error)
	Select(ctx context.Context, collection string, f Filter) (Page, error)
	// Delete removes the versions f selects (Limit and Next are ignored)
	// and returns how many went.
	Delete(ctx context.Context, collection string, f Filter) (int, error)
	PutStatus(ctx context.Context, owner string, s Status, now time.Time) error
	Status(ctx context.Context, id string) (owner string, s Status, err error)
}

// StatusRetention is how long status resources are kept: the specification
// asks for at least 24 hours.
const StatusRetention = 7 * 24 * time.Hour

// ParseCursor reads a next cursor: the DateAdded, in Unix microseconds, of
// the last entry of the previous page. A cursor and not an offset, so a
// page boundary stays put while objects are added.
func ParseCursor(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, errors.New("invalid next")
	}
	return time.UnixMicro(n).UTC(), nil
}

func cursor(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// Select applies f to the entries of one collection, in any order. Stores
// narrow the candidates as they can (by id, type, date) and leave the exact
// semantics to Select, so that every Store answers alike. The candidates
// must include every version of each object they include, or first and
// last are wrong.
func Select(entries []Entry, f Filter) (Page, error) {
	after := f.AddedAfter
	if f.Next != "" {
		c, err := ParseCursor(f.Next)
		if err != nil {
			return Page{}, err
		}
		if c.After(after) {
			after = c
		}
	}
	byID := map[string][]Entry{}
	for _, e := range entries {
		if len(f.IDs) > 0 && !slices.Contains(f.IDs, e.ID) {
			continue
		}
		if len(f.Types) > 0 && !slices.Contains(f.Types, e.Type()) {
			continue
		}
		if len(f.SpecVersions) > 0 && !slices.Contains(f.SpecVersions, e.SpecVersion) {
			continue
		}
		byID[e.ID] = append(byID[e.ID], e)
	}
	var out []Entry
	for _, vs := range byID {
		if len(f.SpecVersions) == 0 {
			vs = latestSpec(vs)
		}
		for _, e := range pickVersions(vs, f.Versions) {
			if !e.DateAdded.After(after) || slices.Contains(f.Hide, e.TLP) {
				continue
			}
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return a.DateAdded.Compare(b.DateAdded) })
	var p Page
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
		p.More = true
		p.Next = cursor(out[len(out)-1].DateAdded)
	}
	p.Entries = out
	return p, nil
}

// latestSpec keeps the versions with the object's highest spec_version
// ("2.1" > "2.0"; a plain string order holds for every STIX version so far).
func latestSpec(vs []Entry) []Entry {
	top := ""
	for _, e := range vs {
		top = max(top, e.SpecVersion)
	}
	return slices.DeleteFunc(slices.Clone(vs), func(e Entry) bool { return e.SpecVersion != top })
}

func pickVersions(vs []Entry, m VersionMatch) []Entry {
	if len(vs) == 0 {
		return nil
	}
	if m.zero() {
		m.Last = true
	}
	if m.All {
		return vs
	}
	// Versions as TAXII shows them: an object without modified or created
	// (an observable) is versioned by its date_added, so the version a
	// manifest lists is one match[version] finds.
	first, last := entryVersion(vs[0]), entryVersion(vs[0])
	for _, e := range vs[1:] {
		v := entryVersion(e)
		if v.Before(first) {
			first = v
		}
		if v.After(last) {
			last = v
		}
	}
	var out []Entry
	for _, e := range vs {
		v := entryVersion(e)
		if (m.First && v.Equal(first)) || (m.Last && v.Equal(last)) || slices.ContainsFunc(m.At, v.Equal) {
			out = append(out, e)
		}
	}
	return out
}

// MemStore is an in-memory Store, for tests and for a server that need
// not survive a restart.
type MemStore struct {
	mu       sync.Mutex
	colls    []Collection
	entries  map[string][]Entry
	last     map[string]time.Time
	statuses map[string]memStatus
}

type memStatus struct {
	owner string
	s     Status
	at    time.Time
}

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	return &MemStore{entries: map[string][]Entry{}, last: map[string]time.Time{}, statuses: map[string]memStatus{}}
}

// Collections implements Store.
func (m *MemStore) Collections(context.Context) ([]Collection, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.colls), nil
}

// PutCollection implements Store.
func (m *MemStore) PutCollection(_ context.Context, c Collection) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i := slices.IndexFunc(m.colls, func(x Collection) bool { return x.ID == c.ID }); i >= 0 {
		m.colls[i] = c
	} else {
		m.colls = append(m.colls, c)
	}
	return nil
}

func (m *MemStore) has(coll string) bool {
	return slices.ContainsFunc(m.colls, func(x Collection) bool { return x.ID == coll })
}

// NextDateAdded returns the date_added for the next entry of a collection
// whose previous one got last: now at microsecond resolution, moved past
// last when the clock has not advanced (or went back).
func NextDateAdded(last, now time.Time) time.Time {
	t := now.UTC().Truncate(time.Microsecond)
	if !t.After(last) {
		t = last.Add(time.Microsecond)
	}
	return t
}

// Add implements Store.
func (m *MemStore) Add(_ context.Context, coll string, entries []Entry, now time.Time) ([]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.has(coll) {
		return nil, ErrNotFound
	}
	added := make([]bool, len(entries))
	for i := range entries {
		e := &entries[i]
		held := m.entries[coll]
		if j := slices.IndexFunc(held, func(x Entry) bool { return x.ID == e.ID && x.Version.Equal(e.Version) }); j >= 0 {
			e.DateAdded = held[j].DateAdded
			continue
		}
		e.DateAdded = NextDateAdded(m.last[coll], now)
		m.last[coll] = e.DateAdded
		cp := *e
		cp.Object = slices.Clone(e.Object)
		m.entries[coll] = append(held, cp)
		added[i] = true
	}
	return added, nil
}

// Select implements Store.
func (m *MemStore) Select(_ context.Context, coll string, f Filter) (Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.has(coll) {
		return Page{}, ErrNotFound
	}
	p, err := Select(m.entries[coll], f)
	if f.NoContent {
		for i := range p.Entries {
			p.Entries[i].Object = nil
		}
	}
	return p, err
}

// Delete implements Store.
func (m *MemStore) Delete(_ context.Context, coll string, f Filter) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.has(coll) {
		return 0, ErrNotFound
	}
	f.Limit, f.Next = 0, ""
	p, err := Select(m.entries[coll], f)
	if err != nil {
		return 0, err
	}
	gone := func(x Entry) bool {
		return slices.ContainsFunc(p.Entries, func(e Entry) bool { return e.ID == x.ID && e.Version.Equal(x.Version) })
	}
	m.entries[coll] = slices.DeleteFunc(m.entries[coll], gone)
	return len(p.Entries), nil
}

// PutStatus implements Store, dropping statuses older than StatusRetention.
func (m *MemStore) PutStatus(_ context.Context, owner string, s Status, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, st := range m.statuses {
		if now.Sub(st.at) > StatusRetention {
			delete(m.statuses, id)
		}
	}
	m.statuses[s.ID] = memStatus{owner: owner, s: s, at: now}
	return nil
}

// Status implements Store.
func (m *MemStore) Status(_ context.Context, id string) (string, Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.statuses[id]
	if !ok {
		return "", Status{}, ErrNotFound
	}
	return st.owner, st.s, nil
}
