// Package sqlitestore is a durable taxii.Store in its own SQLite database
// file: WAL mode with synchronous=FULL, so when Add returns (and the server
// answers 202) the objects are on disk.
package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/bulwarkhq/bulwark/intel"
	"github.com/bulwarkhq/bulwark/intel/taxii"
)

// versionLayout writes versions at a fixed width, so that text order is
// time order and equality is exact at any precision STIX allows.
const versionLayout = "2006-01-02T15:04:05.000000000Z"

const schema = `
CREATE TABLE IF NOT EXISTS collections (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	id  TEXT NOT NULL UNIQUE,
	doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
	coll         TEXT NOT NULL,
	id           TEXT NOT NULL,
	type         TEXT NOT NULL,
	version      TEXT NOT NULL,
	date_added   INTEGER NOT NULL, -- Unix microseconds, unique per collection
	spec_version TEXT NOT NULL,
	tlp          TEXT NOT NULL,
	body         BLOB NOT NULL,
	PRIMARY KEY (coll, id, version)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS objects_added ON objects (coll, date_added);
CREATE INDEX IF NOT EXISTS objects_type ON objects (coll, type);
CREATE TABLE IF NOT EXISTS statuses (
	id      TEXT PRIMARY KEY,
	owner   TEXT NOT NULL,
	created INTEGER NOT NULL,
	doc     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS statuses_created ON statuses (created);
`

// Store is a taxii.Store in SQLite.
type Store struct{ db *sql.DB }

var _ taxii.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{
		"_pragma": {"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)"},
		// Take the write lock at BEGIN, so Add's read of the last
		// date_added and its inserts cannot interleave with another's.
		"_txlock": {"immediate"},
	}
	// A relative path would read as the URI's authority ("file://dir/x").
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One connection: TAXII traffic is modest, and one writer is what
	// SQLite allows anyway.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Collections implements taxii.Store.
func (s *Store) Collections(ctx context.Context) ([]taxii.Collection, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT doc FROM collections ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []taxii.Collection
	for rows.Next() {
		var doc string
		var c taxii.Collection
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(doc), &c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutCollection implements taxii.Store.
func (s *Store) PutCollection(ctx context.Context, c taxii.Collection) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO collections (id, doc) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`, c.ID, string(doc))
	return err
}

func (s *Store) has(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, coll string) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM collections WHERE id = ?`, coll).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return taxii.ErrNotFound
	}
	return nil
}

// Add implements taxii.Store in one transaction.
func (s *Store) Add(ctx context.Context, coll string, entries []taxii.Entry, now time.Time) (added []bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err := s.has(ctx, tx, coll); err != nil {
		return nil, err
	}
	var lastMicro int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(date_added), 0) FROM objects WHERE coll = ?`, coll).Scan(&lastMicro); err != nil {
		return nil, err
	}
	last := time.UnixMicro(lastMicro).UTC()
	added = make([]bool, len(entries))
	for i := range entries {
		e := &entries[i]
		v := e.Version.UTC().Format(versionLayout)
		var held int64
		err := tx.QueryRowContext(ctx, `SELECT date_added FROM objects WHERE coll = ? AND id = ? AND version = ?`, coll, e.ID, v).Scan(&held)
		if err == nil {
			e.DateAdded = time.UnixMicro(held).UTC()
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		e.DateAdded = taxii.NextDateAdded(last, now)
		last = e.DateAdded
		if _, err := tx.ExecContext(ctx, `INSERT INTO objects (coll, id, type, version, date_added, spec_version, tlp, body)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, coll, e.ID, e.Type(), v, e.DateAdded.UnixMicro(), e.SpecVersion, string(e.TLP), []byte(e.Object)); err != nil {
			return nil, err
		}
		added[i] = true
	}
	return added, tx.Commit()
}

func in(col string, vals []string, args *[]any) string {
	if len(vals) == 0 {
		return ""
	}
	for _, v := range vals {
		*args = append(*args, v)
	}
	return " AND " + col + " IN (" + strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",") + ")"
}

// candidates loads the metadata of every version of each object that can
// match f. taxii.Select applies the exact semantics; SQL only narrows, by
// id, type and spec_version, and to objects with a version added after the
// cursor, which is what keeps incremental pulls cheap.
func (s *Store) candidates(ctx context.Context, coll string, f taxii.Filter) ([]taxii.Entry, error) {
	args := []any{coll}
	where := in("id", f.IDs, &args) + in("type", f.Types, &args) + in("spec_version", f.SpecVersions, &args)
	after := f.AddedAfter
	if f.Next != "" {
		c, err := taxii.ParseCursor(f.Next)
		if err != nil {
			return nil, err
		}
		if c.After(after) {
			after = c
		}
	}
	if !after.IsZero() {
		where += " AND id IN (SELECT id FROM objects WHERE coll = ? AND date_added > ?)"
		args = append(args, coll, after.UnixMicro())
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, version, date_added, spec_version, tlp FROM objects WHERE coll = ?`+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []taxii.Entry
	for rows.Next() {
		var e taxii.Entry
		var v, tlp string
		var added int64
		if err := rows.Scan(&e.ID, &v, &added, &e.SpecVersion, &tlp); err != nil {
			return nil, err
		}
		if e.Version, err = time.Parse(versionLayout, v); err != nil {
			return nil, fmt.Errorf("object %s: version %q: %w", e.ID, v, err)
		}
		e.DateAdded, e.TLP = time.UnixMicro(added).UTC(), intel.TLP(tlp)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Select implements taxii.Store.
func (s *Store) Select(ctx context.Context, coll string, f taxii.Filter) (taxii.Page, error) {
	if err := s.has(ctx, s.db, coll); err != nil {
		return taxii.Page{}, err
	}
	cands, err := s.candidates(ctx, coll, f)
	if err != nil {
		return taxii.Page{}, err
	}
	p, err := taxii.Select(cands, f)
	if err != nil || f.NoContent || len(p.Entries) == 0 {
		return p, err
	}
	args := []any{coll}
	idx := map[int64]int{}
	for i, e := range p.Entries {
		args = append(args, e.DateAdded.UnixMicro())
		idx[e.DateAdded.UnixMicro()] = i
	}
	rows, err := s.db.QueryContext(ctx, `SELECT date_added, body FROM objects WHERE coll = ? AND date_added IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(p.Entries)), ",")+`)`, args...)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var added int64
		var body []byte
		if err := rows.Scan(&added, &body); err != nil {
			return p, err
		}
		p.Entries[idx[added]].Object = body
	}
	return p, rows.Err()
}

// Delete implements taxii.Store. The selection runs before the
// transaction (the store has one connection, which the transaction would
// hold), so a version added in between is left alone, as if it came after.
func (s *Store) Delete(ctx context.Context, coll string, f taxii.Filter) (n int, err error) {
	f.Limit, f.Next, f.NoContent = 0, "", true
	p, err := s.Select(ctx, coll, f)
	if err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	for _, e := range p.Entries {
		res, err := tx.ExecContext(ctx, `DELETE FROM objects WHERE coll = ? AND id = ? AND version = ?`,
			coll, e.ID, e.Version.UTC().Format(versionLayout))
		if err != nil {
			return 0, err
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, tx.Commit()
}

// PutStatus implements taxii.Store, dropping statuses past retention.
func (s *Store) PutStatus(ctx context.Context, owner string, st taxii.Status, now time.Time) error {
	doc, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM statuses WHERE created < ?`, now.Add(-taxii.StatusRetention).UnixMicro()); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT OR REPLACE INTO statuses (id, owner, created, doc) VALUES (?, ?, ?, ?)`,
		st.ID, owner, now.UnixMicro(), string(doc))
	return err
}

// Status implements taxii.Store.
func (s *Store) Status(ctx context.Context, id string) (string, taxii.Status, error) {
	var owner, doc string
	err := s.db.QueryRowContext(ctx, `SELECT owner, doc FROM statuses WHERE id = ?`, id).Scan(&owner, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", taxii.Status{}, taxii.ErrNotFound
	}
	if err != nil {
		return "", taxii.Status{}, err
	}
	var st taxii.Status
	return owner, st, json.Unmarshal([]byte(doc), &st)
}
