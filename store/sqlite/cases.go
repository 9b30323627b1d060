package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
)

const caseColumns = `id, title, status, severity, score, reasons, assignee, verdict, alert_ids, rule_ids, entities, first_seen, last_seen, acknowledged, closed, created, updated`

// CreateCase stores c and sets its id, Created and Updated.
func (db *DB) CreateCase(ctx context.Context, c *store.Case) error {
	reasons, alertIDs, ruleIDs, entities, err := caseLists(c)
	if err != nil {
		return fmt.Errorf("sqlite: create case: %w", err)
	}
	at := codec.Now()
	res, err := db.write.ExecContext(ctx,
		`INSERT INTO cases (title, status, severity, score, reasons, assignee, verdict, alert_ids, rule_ids, entities, first_seen, last_seen, acknowledged, closed, created, updated)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Title, c.Status, c.Severity, c.Score, reasons, c.Assignee, c.Verdict, alertIDs, ruleIDs, entities,
		codec.UnixNanos(c.FirstSeen), codec.UnixNanos(c.LastSeen), codec.UnixNanos(c.Acknowledged), codec.UnixNanos(c.Closed), codec.UnixNanos(at), codec.UnixNanos(at))
	if err != nil {
		return fmt.Errorf("sqlite: create case: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("sqlite: create case: %w", err)
	}
	c.ID, c.Created, c.Updated = id, at, at
	return nil
}

// caseLists encodes the case's list and map columns as JSON.
func caseLists(c *store.Case) (reasons, alertIDs, ruleIDs, entities []byte, err error) {
	if reasons, err = json.Marshal(c.Reasons); err != nil {
		return
	}
	if alertIDs, err = json.Marshal(c.AlertIDs); err != nil {
		return
	}
	if ruleIDs, err = json.Marshal(c.RuleIDs); err != nil {
		return
	}
	entities, err = json.Marshal(c.Entities)
	return
}

// GetCase returns the case with the given id, or ErrNotFound.
func (db *DB) GetCase(ctx context.Context, id int64) (store.Case, error) {
	row := db.read.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = ?`, id)
	c, err := scanCase(row)
	if err != nil {
		return store.Case{}, fmt.Errorf("sqlite: get case %d: %w", id, notFound(err))
	}
	return c, nil
}

// ListCases returns the highest score first; among equal scores the newest
// case first.
func (db *DB) ListCases(ctx context.Context, f store.CaseFilter) ([]store.Case, error) {
	q := `SELECT ` + caseColumns + ` FROM cases`
	var args []any
	if f.Status != "" {
		q += ` WHERE status = ?`
		args = append(args, f.Status)
	}
	q += ` ORDER BY score DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(f.Limit)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list cases: %w", err)
	}
	defer rows.Close()
	var out []store.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list cases: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list cases: %w", err)
	}
	return out, nil
}

func scanCase(row codec.Scanner) (store.Case, error) {
	var c store.Case
	var reasons, alertIDs, ruleIDs, entities []byte
	var first, last, acked, closed, created, updated int64
	if err := row.Scan(&c.ID, &c.Title, &c.Status, &c.Severity, &c.Score, &reasons,
		&c.Assignee, &c.Verdict, &alertIDs, &ruleIDs, &entities, &first, &last, &acked, &closed, &created, &updated); err != nil {
		return c, err
	}
	if err := json.Unmarshal(ruleIDs, &c.RuleIDs); err != nil {
		return c, fmt.Errorf("case %d: rule ids: %w", c.ID, err)
	}
	if err := json.Unmarshal(entities, &c.Entities); err != nil {
		return c, fmt.Errorf("case %d: entities: %w", c.ID, err)
	}
	c.FirstSeen, c.LastSeen = codec.FromUnixNanos(first), codec.FromUnixNanos(last)
	c.Acknowledged, c.Closed = codec.FromUnixNanos(acked), codec.FromUnixNanos(closed)
	if err := json.Unmarshal(reasons, &c.Reasons); err != nil {
		return c, fmt.Errorf("case %d: reasons: %w", c.ID, err)
	}
	if err := json.Unmarshal(alertIDs, &c.AlertIDs); err != nil {
		return c, fmt.Errorf("case %d: alert ids: %w", c.ID, err)
	}
	c.Created, c.Updated = codec.FromUnixNanos(created), codec.FromUnixNanos(updated)
	return c, nil
}

// UpdateCase replaces every field but the id and Created, which stay as
// stored, and sets c.Updated (and c.Created, to the stored value).
func (db *DB) UpdateCase(ctx context.Context, c *store.Case) error {
	reasons, alertIDs, ruleIDs, entities, err := caseLists(c)
	if err != nil {
		return fmt.Errorf("sqlite: update case %d: %w", c.ID, err)
	}
	at := codec.Now()
	var created int64
	err = db.write.QueryRowContext(ctx,
		`UPDATE cases SET title = ?, status = ?, severity = ?, score = ?, reasons = ?, assignee = ?, verdict = ?, alert_ids = ?,
		 rule_ids = ?, entities = ?, first_seen = ?, last_seen = ?, acknowledged = ?, closed = ?, updated = ?
		 WHERE id = ? RETURNING created`,
		c.Title, c.Status, c.Severity, c.Score, reasons, c.Assignee, c.Verdict, alertIDs,
		ruleIDs, entities, codec.UnixNanos(c.FirstSeen), codec.UnixNanos(c.LastSeen), codec.UnixNanos(c.Acknowledged), codec.UnixNanos(c.Closed), codec.UnixNanos(at), c.ID).Scan(&created)
	if err != nil {
		return fmt.Errorf("sqlite: update case %d: %w", c.ID, notFound(err))
	}
	c.Created, c.Updated = codec.FromUnixNanos(created), at
	return nil
}

// DeleteCase deletes the case with the given id, or returns ErrNotFound.
func (db *DB) DeleteCase(ctx context.Context, id int64) error {
	if err := expectOne(db.write.ExecContext(ctx, `DELETE FROM cases WHERE id = ?`, id)); err != nil {
		return fmt.Errorf("sqlite: delete case %d: %w", id, err)
	}
	return nil
}

// AddCaseComment stores a comment; the foreign key refuses an unknown case.
func (db *DB) AddCaseComment(ctx context.Context, c *store.CaseComment) error {
	if c.Time.IsZero() {
		c.Time = codec.Now()
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO case_comments (case_id, author, time, text) VALUES (?, ?, ?, ?)`,
		c.CaseID, c.Author, codec.UnixNanos(c.Time), c.Text)
	if err != nil {
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) {
			return fmt.Errorf("sqlite: comment on case %d: %w", c.CaseID, store.ErrNotFound)
		}
		return fmt.Errorf("sqlite: comment on case %d: %w", c.CaseID, err)
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("sqlite: comment on case %d: %w", c.CaseID, err)
	}
	c.Time = c.Time.UTC()
	return nil
}

// ListCaseComments returns the comments oldest first.
func (db *DB) ListCaseComments(ctx context.Context, caseID int64) ([]store.CaseComment, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, case_id, author, time, text FROM case_comments WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list comments of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []store.CaseComment
	for rows.Next() {
		var c store.CaseComment
		var at int64
		if err := rows.Scan(&c.ID, &c.CaseID, &c.Author, &at, &c.Text); err != nil {
			return nil, fmt.Errorf("sqlite: list comments of case %d: %w", caseID, err)
		}
		c.Time = codec.FromUnixNanos(at)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list comments of case %d: %w", caseID, err)
	}
	return out, nil
}
