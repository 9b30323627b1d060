// Package store defines where the server keeps what it must not lose:
// events, alerts, cases, users and their tokens, the audit log and settings.
//
// Each role is a small interface of its own so that code asks only for what
// it uses (the search API needs Events, login needs Users). Store gathers
// them for the one value the server opens at start. Implementations live in
// sub-packages (sqlite/ is the default) and must pass the conformance suite
// in storetest/.
//
// Every write method is durable when it returns without error: the server
// acknowledges ingest only after AppendEvents returns.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/supply"
	"github.com/bulwarkhq/bulwark/supply/osv"
	"github.com/bulwarkhq/bulwark/supply/version"
)

// ErrNotFound is returned (wrapped) when a record asked for by id or name
// does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) when a create would duplicate a unique
// name.
var ErrConflict = errors.New("already exists")

// Store is every role together, as one database provides them.
type Store interface {
	Events
	Alerts
	Cases
	Users
	Audit
	Settings
	Suppressions
	SupplyFindings
	// Close releases the database. Writes that returned are already durable.
	Close() error
}

// StoredEvent is an event with the id the store gave it. Ids increase in
// the order events were appended and are never reused.
type StoredEvent struct {
	ID int64
	event.Event
}

// EventFilter selects stored events. Zero fields select everything.
type EventFilter struct {
	AfterID  int64     // only ids greater than this
	From, To time.Time // event time in [From, To); zero means unbounded
	Host     string    // exact host name, "" for any
	Desc     bool      // newest first instead of oldest first
	Limit    int       // at most this many; 0 means no limit
}

// Events is the event log: append-only, kept for a retention period.
type Events interface {
	// AppendEvents stores events in order and returns the id of the first;
	// the others follow consecutively. It returns only once the events are
	// on disk.
	AppendEvents(ctx context.Context, evs []event.Event) (firstID int64, err error)
	// ScanEvents calls fn for each event the filter selects, in id order
	// (or reverse with Desc), until fn returns an error or ErrStop.
	// The event passed to fn is only valid during the call.
	ScanEvents(ctx context.Context, f EventFilter, fn func(*StoredEvent) error) error
	// LastEventID returns the highest id given so far, 0 if none.
	LastEventID(ctx context.Context) (int64, error)
	// DeleteEventsBefore removes events whose time is before t and returns
	// how many it removed. Alerts keep their copy of the evidence.
	DeleteEventsBefore(ctx context.Context, t time.Time) (int64, error)
	// CountEvents returns how many events are stored.
	CountEvents(ctx context.Context) (int64, error)
	// EventsPerHour counts the stored events of each hour from since (by
	// event time, hour i of the result starting at since + i hours) up to
	// now. Stores may count a batch of events in the hour its earliest
	// event falls in.
	EventsPerHour(ctx context.Context, since time.Time, hours int) ([]int64, error)
}

// ErrStop ends a scan early without an error.
var ErrStop = errors.New("stop scan")

// StoredAlert is an alert with its id and the id of the event that raised
// it (0 for correlation alerts, which stand on several).
type StoredAlert struct {
	ID int64 `json:"id"`
	// EventID is the stored event's id (not the Windows event id, which
	// the alert's own event_id holds).
	EventID int64 `json:"event"`
	// Detected is when the alert was stored: the time to detect is
	// Detected minus the alert's (event) Time.
	Detected time.Time `json:"detected,omitzero"`
	alert.Alert
}

// AlertFilter selects stored alerts. Zero fields select everything.
type AlertFilter struct {
	From, To time.Time // alert time in [From, To)
	RuleID   string
	Host     string
	Level    string // exact level: "high", "critical", ...
	AfterID  int64
	Limit    int
	// Stored lists in the order the alerts were stored (by id, oldest
	// first) instead of newest alert time first: with AfterID, a client
	// pages forward through new alerts without missing any.
	Stored bool
}

// Alerts are kept until deleted. They are written together with how far
// detection has come through the event log, so that after a crash
// detection resumes exactly where its last committed alerts end.
type Alerts interface {
	// AddAlerts stores alerts and records that every event with an id up
	// to through has been run through detection, in one transaction. It
	// sets the ids of the alerts it stores.
	AddAlerts(ctx context.Context, alerts []StoredAlert, through int64) error
	// DetectedThrough returns the last through recorded by AddAlerts.
	DetectedThrough(ctx context.Context) (int64, error)
	GetAlert(ctx context.Context, id int64) (StoredAlert, error)
	// ListAlerts returns alerts newest first.
	ListAlerts(ctx context.Context, f AlertFilter) ([]StoredAlert, error)
	CountAlerts(ctx context.Context) (int64, error)
	DeleteAlert(ctx context.Context, id int64) error
}

// Case groups alerts an analyst works as one. Triage fills in the score
// and its reasons; this is the part every store keeps.
type Case struct {
	ID       int64    `json:"id"`
	Title    string   `json:"title"`
	Status   string   `json:"status"` // new, acknowledged, in-progress, closed
	Severity string   `json:"severity"`
	Score    float64  `json:"score"`
	Reasons  []string `json:"reasons,omitempty"`
	Assignee string   `json:"assignee,omitempty"`
	Verdict  string   `json:"verdict,omitempty"` // true-positive, false-positive, benign
	AlertIDs []int64  `json:"alert_ids,omitempty"`
	// RuleIDs are the rules of the case's alerts: a verdict on the case is
	// feedback on them.
	RuleIDs []string `json:"rule_ids,omitempty"`
	// Entities are what the case is about: host, user, src_ip, ... (each
	// kind may hold several values, comma-separated).
	Entities map[string]string `json:"entities,omitempty"`
	// FirstSeen and LastSeen span the case's alerts.
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	// Acknowledged and Closed are when the case left new and when it was
	// closed: with Created they give the times to acknowledge and resolve.
	Acknowledged time.Time `json:"acknowledged,omitzero"`
	Closed       time.Time `json:"closed,omitzero"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
}

// CaseComment is an analyst's note on a case.
type CaseComment struct {
	ID     int64     `json:"id"`
	CaseID int64     `json:"case_id"`
	Author string    `json:"author"`
	Time   time.Time `json:"time"`
	Text   string    `json:"text"`
}

// CaseFilter selects cases. Zero fields select everything.
type CaseFilter struct {
	Status string
	Limit  int
}

// Cases are kept until deleted.
type Cases interface {
	// CreateCase stores c, setting its id and times.
	CreateCase(ctx context.Context, c *Case) error
	GetCase(ctx context.Context, id int64) (Case, error)
	// ListCases returns cases with the highest score first.
	ListCases(ctx context.Context, f CaseFilter) ([]Case, error)
	// UpdateCase replaces the stored case with c (matched by id) and sets
	// c.Updated.
	UpdateCase(ctx context.Context, c *Case) error
	// DeleteCase deletes a case and its comments.
	DeleteCase(ctx context.Context, id int64) error
	// AddCaseComment stores a comment on an existing case (ErrNotFound
	// otherwise), setting its id and, when zero, its time.
	AddCaseComment(ctx context.Context, c *CaseComment) error
	// ListCaseComments returns a case's comments, oldest first.
	ListCaseComments(ctx context.Context, caseID int64) ([]CaseComment, error)
}

// Role is what a user or token may do. admin, analyst and viewer are
// ordered: each can do everything the ones after it can. ingest stands
// apart: it may only send events, and only ingest and admin may send them
// (forged events can raise or bury alerts).
type Role string

const (
	RoleAdmin   Role = "admin"   // users, tokens, settings, rules, and all below
	RoleAnalyst Role = "analyst" // work alerts and cases, search, and all below
	RoleViewer  Role = "viewer"  // read alerts, cases, events
	RoleIngest  Role = "ingest"  // send events, nothing else
)

// User is a person who logs in to the UI.
type User struct {
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"-"` // argon2id, in the PHC string format
	Created      time.Time `json:"created"`
}

// Token is an API token. Only a hash of the secret is stored.
type Token struct {
	ID       int64     `json:"id"`
	Name     string    `json:"name"`
	Role     Role      `json:"role"`
	Hash     string    `json:"-"` // hex SHA-256 of the secret
	Owner    string    `json:"owner,omitempty"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires,omitzero"`
	LastUsed time.Time `json:"last_used,omitzero"`
}

// Session is a logged-in browser. Only a hash of the cookie is stored.
type Session struct {
	Hash    string // hex SHA-256 of the cookie value
	User    string
	CSRF    string // the token forms and fetches must echo
	Created time.Time
	Expires time.Time
}

// Users holds people, API tokens and browser sessions.
type Users interface {
	CreateUser(ctx context.Context, u User) error // ErrConflict if the name is taken
	GetUser(ctx context.Context, name string) (User, error)
	ListUsers(ctx context.Context) ([]User, error)
	UpdateUser(ctx context.Context, u User) error
	DeleteUser(ctx context.Context, name string) error

	CreateToken(ctx context.Context, t *Token) error // sets t.ID
	TokenByHash(ctx context.Context, hash string) (Token, error)
	ListTokens(ctx context.Context) ([]Token, error)
	TouchToken(ctx context.Context, id int64, at time.Time) error
	DeleteToken(ctx context.Context, id int64) error

	CreateSession(ctx context.Context, s Session) error
	SessionByHash(ctx context.Context, hash string) (Session, error)
	DeleteSession(ctx context.Context, hash string) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) error
}

// AuditEntry records who did what.
type AuditEntry struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`  // user name or "token:<name>"
	Action string    `json:"action"` // "user.create", "rules.reload", "login.fail", ...
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
	Remote string    `json:"remote,omitempty"` // client address
}

// Audit is the append-only audit log.
type Audit interface {
	AppendAudit(ctx context.Context, e AuditEntry) error
	// ListAudit returns entries newest first, at most limit (0: all).
	ListAudit(ctx context.Context, limit int) ([]AuditEntry, error)
}

// Suppression keeps alerts of a rule (on one entity, or everywhere) out of
// triage until it expires: an analyst's "this is known and benign". The
// alerts are still stored and searchable; deleting the suppression undoes
// it.
type Suppression struct {
	ID     int64  `json:"id"`
	RuleID string `json:"rule_id"`
	// EntityKind and Entity narrow it to one host, user, ...; empty means
	// every alert of the rule.
	EntityKind string    `json:"entity_kind,omitempty"`
	Entity     string    `json:"entity,omitempty"`
	Reason     string    `json:"reason"`
	CaseID     int64     `json:"case_id,omitempty"` // the case it was learned from
	Author     string    `json:"author"`
	Created    time.Time `json:"created"`
	Expires    time.Time `json:"expires"`
}

// Suppressions are what analysts taught triage to leave out.
type Suppressions interface {
	// CreateSuppression stores s, setting its id and, when zero, Created.
	CreateSuppression(ctx context.Context, s *Suppression) error
	// ListSuppressions returns the suppressions that have not expired at
	// now (all of them when now is zero), newest first.
	ListSuppressions(ctx context.Context, now time.Time) ([]Suppression, error)
	DeleteSuppression(ctx context.Context, id int64) error
}

// SupplyFinding is one advisory affecting one package version of a
// project, as tracked across scans. It stays open while scans keep finding
// it and is closed (Fixed set) by the first scan of the project that does
// not. If it comes back later it is a new exposure: a new row with a new
// id and FirstSeen, so that "open for N days" never counts the time it was
// gone and the history of the old one is kept.
type SupplyFinding struct {
	ID      int64  `json:"id"`
	Project string `json:"project"`
	// Finding is as the latest scan that saw it reported it, enrichment
	// (KEV, EPSS, CVSS, priority, rank) included.
	Finding   supply.Finding `json:"finding"`
	FirstSeen time.Time      `json:"first_seen"`
	LastSeen  time.Time      `json:"last_seen"`
	Fixed     time.Time      `json:"fixed,omitzero"` // zero while open
}

// Open reports whether the finding is still open.
func (f SupplyFinding) Open() bool { return f.Fixed.IsZero() }

// SupplyKey is what identifies a finding across scans of one project:
// the ecosystem (without its release suffix), the package's canonical
// name, its version and the advisory id. Canonical names make "Django"
// and "django" one package, as OSV matching does.
func SupplyKey(f supply.Finding) [4]string {
	eco := f.Package.Ecosystem
	return [4]string{version.BaseEcosystem(eco), osv.CanonicalName(eco, f.Package.Name), f.Package.Version, f.ID}
}

// SupplyFilter selects supply findings. Zero fields select everything.
type SupplyFilter struct {
	Project string // exact project name
	Open    bool   // only open findings
	KEV     bool   // only KEV-listed findings
	Limit   int
}

// SupplyScan is what recording one scan changed.
type SupplyScan struct {
	Project  string    `json:"project"`
	Scanned  time.Time `json:"scanned"`
	Findings int       `json:"findings"` // distinct findings in the scan
	Opened   int       `json:"opened"`   // new open findings
	Fixed    int       `json:"fixed"`    // open findings the scan no longer has
	// Stale is set when the scan is older than the project's latest one:
	// it is recorded but opens and closes nothing, so that a delayed
	// upload cannot undo what a newer scan found.
	Stale bool `json:"stale,omitempty"`
}

// SupplyProject summarises one project's scans and open findings.
type SupplyProject struct {
	Name     string    `json:"name"`
	LastScan time.Time `json:"last_scan"`
	Scans    int       `json:"scans"`
	Open     int       `json:"open"`
	OpenKEV  int       `json:"open_kev"`
	// ByPriority counts open findings per priority (critical, high,
	// medium, low).
	ByPriority map[string]int `json:"by_priority"`
}

// SupplyFindings keeps each project's supply-chain findings over time:
// what is exposed now and since when.
type SupplyFindings interface {
	// RecordScan applies one complete scan of a project, in one
	// transaction: findings already open (by SupplyKey) keep FirstSeen and
	// get LastSeen and the finding's enrichment updated; new ones open with
	// FirstSeen = scanned; the project's open findings absent from the
	// scan are fixed at scanned. Duplicates in findings count once.
	RecordScan(ctx context.Context, project string, scanned time.Time, findings []supply.Finding) (SupplyScan, error)
	// ListSupplyFindings returns findings open first, then the most urgent
	// (KEV-listed, then by priority, EPSS and CVSS), then the longest open.
	ListSupplyFindings(ctx context.Context, f SupplyFilter) ([]SupplyFinding, error)
	// ListSupplyProjects returns every project scanned, by name.
	ListSupplyProjects(ctx context.Context) ([]SupplyProject, error)
}

// Settings is a small key/value table for server state that must survive
// restarts (file tail offsets, the first-start marker, ...).
type Settings interface {
	// GetSetting returns the value and whether it was set.
	GetSetting(ctx context.Context, key string) (string, bool, error)
	SetSetting(ctx context.Context, key, value string) error
}
