package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/attack"
	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/search"
	"github.com/bulwarkhq/bulwark/store"
)

// Backend is what the agent's tools read. It has no method that writes:
// the agent cannot change anything even if a model (or text injected into
// the logs it reads) asks it to.
type Backend interface {
	// SearchEvents returns up to limit events matching q, newest first,
	// and whether there were more (or the scan stopped early).
	SearchEvents(ctx context.Context, q *search.Query, limit int) (evs []store.StoredEvent, truncated bool, err error)
	GetCase(ctx context.Context, id int64) (store.Case, error)
	GetAlert(ctx context.Context, id int64) (store.StoredAlert, error)
	// EntityTimeline returns the alerts and events about one entity
	// (kind "host", "user" or "ip") in [from, to), newest first.
	EntityTimeline(ctx context.Context, kind, value string, from, to time.Time, limit int) (Timeline, error)
	// Technique and Rule return store.ErrNotFound (wrapped) for an unknown
	// id.
	Technique(ctx context.Context, id string) (copilot.TechniqueInfo, error)
	Rule(ctx context.Context, id string) (copilot.RuleInfo, error)
}

// Timeline is what happened to one entity.
type Timeline struct {
	Alerts    []store.StoredAlert
	Events    []store.StoredEvent
	Truncated bool
}

// Intel is what threat intelligence says of an indicator.
type Intel struct {
	Indicator string   `json:"indicator"`
	Kind      string   `json:"kind,omitempty"`    // ip, domain, hash, url
	Verdict   string   `json:"verdict,omitempty"` // malicious, suspicious, unknown
	Sources   []string `json:"sources,omitempty"`
	Detail    string   `json:"detail,omitempty"`
}

// Indicators looks indicators up in threat intelligence. Threat intel
// comes later; a nil Indicators answers "no intel configured".
type Indicators interface {
	Lookup(ctx context.Context, indicator string) ([]Intel, error)
}

// StoreReader is the part of store.Store the store backend reads: any
// store.Store is one, and none of these methods writes.
type StoreReader interface {
	ScanEvents(ctx context.Context, f store.EventFilter, fn func(*store.StoredEvent) error) error
	GetAlert(ctx context.Context, id int64) (store.StoredAlert, error)
	ListAlerts(ctx context.Context, f store.AlertFilter) ([]store.StoredAlert, error)
	GetCase(ctx context.Context, id int64) (store.Case, error)
}

// RuleLookup returns what is known of a loaded rule by id.
type RuleLookup func(id string) (copilot.RuleInfo, bool)

// DefaultMaxScan bounds the events one search or timeline reads, so that
// a model cannot make the agent read the whole event log.
const DefaultMaxScan = 200_000

// StoreBackend is the Backend the server uses: the store, the loaded
// rules and the ATT&CK knowledge base.
type StoreBackend struct {
	st      StoreReader
	rules   RuleLookup
	kb      *attack.KB
	maxScan int
}

// NewStoreBackend returns a Backend over st. rules and kb may be nil; their
// lookups then find nothing.
func NewStoreBackend(st StoreReader, rules RuleLookup, kb *attack.KB) *StoreBackend {
	return &StoreBackend{st: st, rules: rules, kb: kb, maxScan: DefaultMaxScan}
}

var _ Backend = (*StoreBackend)(nil)

// SearchEvents implements Backend the way the search API runs a query.
func (b *StoreBackend) SearchEvents(ctx context.Context, q *search.Query, limit int) ([]store.StoredEvent, bool, error) {
	f := q.Filter()
	f.Desc, f.Limit = true, 0
	var out []store.StoredEvent
	truncated := false
	scanned := 0
	err := b.st.ScanEvents(ctx, f, func(se *store.StoredEvent) error {
		scanned++
		if q.Match(&se.Event) {
			if len(out) == limit {
				truncated = true
				return store.ErrStop
			}
			out = append(out, store.StoredEvent{ID: se.ID, Event: *se.Event.Clone()})
		}
		if scanned >= b.maxScan {
			truncated = true
			return store.ErrStop
		}
		return nil
	})
	return out, truncated, err
}

// GetCase implements Backend.
func (b *StoreBackend) GetCase(ctx context.Context, id int64) (store.Case, error) {
	return b.st.GetCase(ctx, id)
}

// GetAlert implements Backend.
func (b *StoreBackend) GetAlert(ctx context.Context, id int64) (store.StoredAlert, error) {
	return b.st.GetAlert(ctx, id)
}

// Entity kinds of EntityTimeline.
const (
	EntityHost = "host"
	EntityUser = "user"
	EntityIP   = "ip"
)

// userFields and ipFields name an event's accounts and addresses.
var (
	userFields = []string{"TargetUserName", "SubjectUserName", "User", "user.name", "AccountName", "UserName", "user"}
	ipFields   = []string{"IpAddress", "SourceIp", "DestinationIp", "src_ip", "dest_ip", "source.ip", "destination.ip", "ClientIP", "c-ip"}
)

// EntityTimeline implements Backend.
func (b *StoreBackend) EntityTimeline(ctx context.Context, kind, value string, from, to time.Time, limit int) (Timeline, error) {
	var tl Timeline
	var matchEvent func(e *event.Event) bool
	var matchAlert func(a *store.StoredAlert) bool
	af := store.AlertFilter{From: from, To: to, Limit: limit}
	ef := store.EventFilter{From: from, To: to, Desc: true}
	switch kind {
	case EntityHost:
		af.Host, ef.Host = value, value
		matchEvent = func(*event.Event) bool { return true }
		matchAlert = func(*store.StoredAlert) bool { return true }
	case EntityUser:
		matchEvent = func(e *event.Event) bool { return anyField(e, userFields, value, sameUser) }
		matchAlert = func(a *store.StoredAlert) bool { return entityHas(a.Entities["user"], value, sameUser) }
	case EntityIP:
		matchEvent = func(e *event.Event) bool { return anyField(e, ipFields, value, strings.EqualFold) }
		matchAlert = func(a *store.StoredAlert) bool {
			return entityHas(a.Entities["src_ip"], value, strings.EqualFold) || entityHas(a.Entities["dst_ip"], value, strings.EqualFold)
		}
	default:
		return tl, fmt.Errorf("unknown entity kind %q (want host, user or ip)", kind)
	}
	if kind != EntityHost {
		af.Limit = 0 // filtered below; the store cannot filter on entities
	}
	alerts, err := b.st.ListAlerts(ctx, af)
	if err != nil {
		return tl, err
	}
	for i := range alerts {
		if matchAlert(&alerts[i]) {
			if len(tl.Alerts) == limit {
				tl.Truncated = true
				break
			}
			tl.Alerts = append(tl.Alerts, alerts[i])
		}
	}
	scanned := 0
	err = b.st.ScanEvents(ctx, ef, func(se *store.StoredEvent) error {
		scanned++
		if matchEvent(&se.Event) {
			if len(tl.Events) == limit {
				tl.Truncated = true
				return store.ErrStop
			}
			tl.Events = append(tl.Events, store.StoredEvent{ID: se.ID, Event: *se.Event.Clone()})
		}
		if scanned >= b.maxScan {
			tl.Truncated = true
			return store.ErrStop
		}
		return nil
	})
	return tl, err
}

func anyField(e *event.Event, names []string, value string, same func(a, b string) bool) bool {
	for _, n := range names {
		if v, ok := e.Get(n); ok && v.Str != "" && same(v.Str, value) {
			return true
		}
	}
	return false
}

// entityHas reports whether a comma-separated entity list holds value.
func entityHas(list, value string, same func(a, b string) bool) bool {
	for _, v := range strings.Split(list, ",") {
		if v = strings.TrimSpace(v); v != "" && same(v, value) {
			return true
		}
	}
	return false
}

// sameUser compares account names ignoring case and a DOMAIN\ prefix on
// either side, as logs write them both ways.
func sameUser(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	strip := func(s string) string {
		if i := strings.LastIndexByte(s, '\\'); i >= 0 {
			return s[i+1:]
		}
		return s
	}
	return strings.EqualFold(strip(a), strip(b))
}

// Technique implements Backend.
func (b *StoreBackend) Technique(_ context.Context, id string) (copilot.TechniqueInfo, error) {
	if b.kb == nil {
		return copilot.TechniqueInfo{}, errors.New("no ATT&CK knowledge base loaded")
	}
	t, ok := b.kb.Technique(id)
	if !ok {
		return copilot.TechniqueInfo{}, fmt.Errorf("technique %q: %w", id, store.ErrNotFound)
	}
	info := copilot.TechniqueInfo{ID: t.ID, Name: t.Name, Tactics: t.Tactics, Description: t.Description, Detection: t.Detection}
	for _, m := range t.Mitigations {
		s := m.ID + " " + m.Name
		if m.Description != "" {
			s += ": " + m.Description
		}
		info.Mitigations = append(info.Mitigations, s)
	}
	return info, nil
}

// Rule implements Backend.
func (b *StoreBackend) Rule(_ context.Context, id string) (copilot.RuleInfo, error) {
	if b.rules != nil {
		if r, ok := b.rules(id); ok {
			return r, nil
		}
	}
	return copilot.RuleInfo{}, fmt.Errorf("rule %q: %w", id, store.ErrNotFound)
}
