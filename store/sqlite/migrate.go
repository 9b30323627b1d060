package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/bulwarkhq/bulwark/store/internal/codec"
)

// eventMigrations are events.db's schema history, applied in order. Step
// i brings the schema to version i+1. Never edit a step that has shipped: databases in
// the field have run it. Append a new one.
//
// Times are unix nanoseconds (0 for unset). An id is never given out twice,
// even after the newest rows were deleted, because other records refer to
// ids: alerts to events, cases to alerts. Most tables use AUTOINCREMENT for
// that; events keep their own counter in event_ids instead, bumped once per
// batch, because AUTOINCREMENT updates its counter once per inserted row and
// that cost a fifth of ingest throughput.
var eventMigrations = []string{
	// 1: the first schema. Events are kept in blocks (see events.go).
	`
CREATE TABLE event_blocks (
	first_id INTEGER PRIMARY KEY, -- the id the block's event ids count from
	last_id  INTEGER NOT NULL,
	count    INTEGER NOT NULL,
	min_time INTEGER NOT NULL,
	max_time INTEGER NOT NULL,
	data     BLOB NOT NULL
);
CREATE INDEX event_blocks_max_time ON event_blocks (max_time);
CREATE INDEX event_blocks_min_time ON event_blocks (min_time);

-- The hosts each block holds events of, for host filters.
CREATE TABLE event_block_hosts (
	host     TEXT NOT NULL,
	first_id INTEGER NOT NULL,
	PRIMARY KEY (host, first_id)
) WITHOUT ROWID;
CREATE INDEX event_block_hosts_block ON event_block_hosts (first_id);

-- One row: the highest event id given out so far.
CREATE TABLE event_ids (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	last INTEGER NOT NULL
);
INSERT INTO event_ids (id, last) VALUES (1, 0);
`,
}

// migrations are bulwark.db's history, in the same way.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE alerts (
	id       INTEGER PRIMARY KEY, -- given by AddAlerts from alert_ids
	time     INTEGER NOT NULL,
	rule_id  TEXT NOT NULL,
	host     TEXT NOT NULL,
	level    TEXT NOT NULL,
	event_id INTEGER NOT NULL, -- no foreign key: retention deletes events, alerts stay
	detected INTEGER NOT NULL, -- when stored
	rule_key TEXT NOT NULL,    -- the alert's rule in alert_rules
	data     TEXT NOT NULL     -- alert.Alert as JSON, its rule left out
);

-- One row: the highest alert id given out so far (a counter bumped once
-- per batch, for the reason event_ids is).
CREATE TABLE alert_ids (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	last INTEGER NOT NULL
);
INSERT INTO alert_ids (id, last) VALUES (1, 0);

-- The rules alerts were raised by, each version once: an alert keeps the
-- rule as it was when it fired (title, description, author, link), and
-- thousands of alerts of one rule share the row.
CREATE TABLE alert_rules (
	key  TEXT PRIMARY KEY, -- hash of data
	data TEXT NOT NULL     -- alert.Rule as JSON
) WITHOUT ROWID;
-- Indexes cost every insert on the detection path, which stores an alert
-- for as many as a third of the events of a busy attack: time orders every
-- listing, and host is what an analyst narrows by most. Rule and level are
-- filtered along the time index (an index on rule ids, which are random
-- UUIDs, cost an eighth of the server's ingest rate).
CREATE INDEX alerts_time ON alerts (time);
CREATE INDEX alerts_host_time ON alerts (host, time);

-- One row: how far detection has come through the event log.
CREATE TABLE detection (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	through INTEGER NOT NULL
);

CREATE TABLE cases (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	title     TEXT NOT NULL,
	status    TEXT NOT NULL,
	severity  TEXT NOT NULL,
	score     REAL NOT NULL,
	reasons   TEXT NOT NULL, -- JSON array
	assignee  TEXT NOT NULL,
	verdict   TEXT NOT NULL,
	alert_ids TEXT NOT NULL, -- JSON array
	rule_ids  TEXT NOT NULL, -- JSON array
	entities  TEXT NOT NULL, -- JSON object
	first_seen   INTEGER NOT NULL,
	last_seen    INTEGER NOT NULL,
	acknowledged INTEGER NOT NULL,
	closed       INTEGER NOT NULL,
	created   INTEGER NOT NULL,
	updated   INTEGER NOT NULL
);

CREATE TABLE suppressions (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	rule_id     TEXT NOT NULL,
	entity_kind TEXT NOT NULL,
	entity      TEXT NOT NULL,
	reason      TEXT NOT NULL,
	case_id     INTEGER NOT NULL,
	author      TEXT NOT NULL,
	created     INTEGER NOT NULL,
	expires     INTEGER NOT NULL
);
CREATE INDEX suppressions_expires ON suppressions (expires);

CREATE TABLE case_comments (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
	author  TEXT NOT NULL,
	time    INTEGER NOT NULL,
	text    TEXT NOT NULL
);
CREATE INDEX case_comments_case ON case_comments (case_id, id);
CREATE INDEX cases_score ON cases (score);
CREATE INDEX cases_status_score ON cases (status, score);

CREATE TABLE users (
	name          TEXT PRIMARY KEY,
	role          TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created       INTEGER NOT NULL
) WITHOUT ROWID;

-- No foreign key on owner: deleting a person must not silently cut off the
-- ingest agents whose tokens they once created.
CREATE TABLE tokens (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	name      TEXT NOT NULL,
	role      TEXT NOT NULL,
	hash      TEXT NOT NULL UNIQUE,
	owner     TEXT NOT NULL,
	created   INTEGER NOT NULL,
	expires   INTEGER NOT NULL,
	last_used INTEGER NOT NULL
);

-- A session ends with its user.
CREATE TABLE sessions (
	hash    TEXT PRIMARY KEY,
	user    TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
	csrf    TEXT NOT NULL,
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user);
CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE audit (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	time   INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL,
	detail TEXT NOT NULL,
	remote TEXT NOT NULL
);

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
`,
	// 2: supply-chain findings per project across scans (supply.go).
	`
CREATE TABLE supply_findings (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	project    TEXT NOT NULL,
	ecosystem  TEXT NOT NULL, -- base ecosystem: the key is store.SupplyKey
	name       TEXT NOT NULL, -- canonical package name
	version    TEXT NOT NULL,
	advisory   TEXT NOT NULL,
	kev        INTEGER NOT NULL, -- 1 when KEV-listed: the exposure panel's filter
	level      INTEGER NOT NULL, -- priority, 4 critical to 1 low, for ordering
	epss       REAL NOT NULL,
	cvss       REAL NOT NULL,
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	fixed_at   INTEGER NOT NULL, -- 0 while open
	data       TEXT NOT NULL     -- supply.Finding as JSON, as last seen
);
-- At most one open row per key; a finding that comes back after it was
-- fixed gets a new row.
CREATE UNIQUE INDEX supply_findings_open ON supply_findings (project, ecosystem, name, version, advisory) WHERE fixed_at = 0;
CREATE INDEX supply_findings_project ON supply_findings (project, fixed_at);
CREATE INDEX supply_findings_fixed ON supply_findings (fixed_at, kev);

CREATE TABLE supply_scans (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	project  TEXT NOT NULL,
	scanned  INTEGER NOT NULL,
	findings INTEGER NOT NULL,
	opened   INTEGER NOT NULL,
	fixed    INTEGER NOT NULL
);
CREATE INDEX supply_scans_project ON supply_scans (project, scanned);
`,
}

// migrateTo brings a schema up to date in one transaction, so that a
// crash or a failing step leaves the database as it was.
func migrateTo(ctx context.Context, db *sql.DB, steps []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	applied INTEGER NOT NULL
)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var version int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if version > len(steps) {
		return fmt.Errorf("migrate: database schema version %d is newer than this program's %d", version, len(steps))
	}
	for i := version; i < len(steps); i++ {
		if _, err := tx.ExecContext(ctx, steps[i]); err != nil {
			return fmt.Errorf("migrate: step %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`, i+1, codec.UnixNanos(codec.Now())); err != nil {
			return fmt.Errorf("migrate: step %d: %w", i+1, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
