package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
)

const caseColumns = `id, title, status, severity, score, reasons, assignee, verdict, alert_ids, rule_ids, entities, first_seen, last_seen, acknowledged, closed, created, updated`

// CreateCase stores c and sets its id, Created and Updated.
func (s *Store) CreateCase(ctx context.Context, c *store.Case) error {
	reasons, alertIDs, ruleIDs, entities, err := caseLists(c)
	if err != nil {
		return fmt.Errorf("postgres: create case: %w", err)
	}
	at := codec.Now()
	var id int64
	err = s.pool.QueryRow(ctx,
		`INSERT INTO cases (title, status, severity, score, reasons, assignee, verdict, alert_ids, rule_ids, entities, first_seen, last_seen, acknowledged, closed, created, updated)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
		bs(c.Title), bs(c.Status), bs(c.Severity), c.Score, reasons, bs(c.Assignee), bs(c.Verdict), alertIDs, ruleIDs, entities,
		codec.UnixNanos(c.FirstSeen), codec.UnixNanos(c.LastSeen), codec.UnixNanos(c.Acknowledged), codec.UnixNanos(c.Closed), codec.UnixNanos(at)).Scan(&id)
	if err != nil {
		return fmt.Errorf("postgres: create case: %w", err)
	}
	c.ID, c.Created, c.Updated = id, at, at
	return nil
}

// caseLists encodes the case's list and map columns as JSON text.
func caseLists(c *store.Case) (reasons, alertIDs, ruleIDs, entities string, err error) {
	var b [4][]byte
	for i, v := range []any{c.Reasons, c.AlertIDs, c.RuleIDs, c.Entities} {
		if b[i], err = json.Marshal(v); err != nil {
			return
		}
	}
	return string(b[0]), string(b[1]), string(b[2]), string(b[3]), nil
}

// GetCase returns the case with the given id, or ErrNotFound.
func (s *Store) GetCase(ctx context.Context, id int64) (store.Case, error) {
	c, err := scanCase(s.pool.QueryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = $1`, id))
	if err != nil {
		return store.Case{}, fmt.Errorf("postgres: get case %d: %w", id, notFound(err))
	}
	return c, nil
}

// ListCases returns the highest score first; among equal scores the newest
// case first.
func (s *Store) ListCases(ctx context.Context, f store.CaseFilter) ([]store.Case, error) {
	q := `SELECT ` + caseColumns + ` FROM cases`
	var args []any
	if f.Status != "" {
		q += ` WHERE status = $1`
		args = append(args, bs(f.Status))
	}
	q += ` ORDER BY score DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(f.Limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list cases: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Case, error) { return scanCase(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list cases: %w", err)
	}
	return out, nil
}

func scanCase(row pgx.Row) (store.Case, error) {
	var c store.Case
	var reasons, alertIDs, ruleIDs, entities string
	var first, last, acked, closed, created, updated int64
	if err := row.Scan(&c.ID, into(&c.Title), into(&c.Status), into(&c.Severity), &c.Score, &reasons,
		into(&c.Assignee), into(&c.Verdict), &alertIDs, &ruleIDs, &entities, &first, &last, &acked, &closed, &created, &updated); err != nil {
		return c, err
	}
	for _, l := range []struct {
		what string
		text string
		dst  any
	}{{"reasons", reasons, &c.Reasons}, {"alert ids", alertIDs, &c.AlertIDs}, {"rule ids", ruleIDs, &c.RuleIDs}, {"entities", entities, &c.Entities}} {
		if err := json.Unmarshal([]byte(l.text), l.dst); err != nil {
			return c, fmt.Errorf("case %d: %s: %w", c.ID, l.what, err)
		}
	}
	c.FirstSeen, c.LastSeen = codec.FromUnixNanos(first), codec.FromUnixNanos(last)
	c.Acknowledged, c.Closed = codec.FromUnixNanos(acked), codec.FromUnixNanos(closed)
	c.Created, c.Updated = codec.FromUnixNanos(created), codec.FromUnixNanos(updated)
	return c, nil
}

// UpdateCase replaces every field but the id and Created, which stay as
// stored, and sets c.Updated (and c.Created, to the stored value).
func (s *Store) UpdateCase(ctx context.Context, c *store.Case) error {
	reasons, alertIDs, ruleIDs, entities, err := caseLists(c)
	if err != nil {
		return fmt.Errorf("postgres: update case %d: %w", c.ID, err)
	}
	at := codec.Now()
	var created int64
	err = s.pool.QueryRow(ctx,
		`UPDATE cases SET title = $1, status = $2, severity = $3, score = $4, reasons = $5, assignee = $6, verdict = $7, alert_ids = $8,
		 rule_ids = $9, entities = $10, first_seen = $11, last_seen = $12, acknowledged = $13, closed = $14, updated = $15
		 WHERE id = $16 RETURNING created`,
		bs(c.Title), bs(c.Status), bs(c.Severity), c.Score, reasons, bs(c.Assignee), bs(c.Verdict), alertIDs,
		ruleIDs, entities, codec.UnixNanos(c.FirstSeen), codec.UnixNanos(c.LastSeen), codec.UnixNanos(c.Acknowledged), codec.UnixNanos(c.Closed), codec.UnixNanos(at), c.ID).Scan(&created)
	if err != nil {
		return fmt.Errorf("postgres: update case %d: %w", c.ID, notFound(err))
	}
	c.Created, c.Updated = codec.FromUnixNanos(created), at
	return nil
}

// DeleteCase deletes the case and, through the foreign key, its comments,
// or returns ErrNotFound.
func (s *Store) DeleteCase(ctx context.Context, id int64) error {
	if err := expectOne(s.pool.Exec(ctx, `DELETE FROM cases WHERE id = $1`, id)); err != nil {
		return fmt.Errorf("postgres: delete case %d: %w", id, err)
	}
	return nil
}

// AddCaseComment stores a comment; the foreign key refuses an unknown case.
func (s *Store) AddCaseComment(ctx context.Context, c *store.CaseComment) error {
	if c.Time.IsZero() {
		c.Time = codec.Now()
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO case_comments (case_id, author, time, text) VALUES ($1, $2, $3, $4) RETURNING id`,
		c.CaseID, bs(c.Author), codec.UnixNanos(c.Time), bs(c.Text)).Scan(&c.ID)
	if isCode(err, codeForeignKey) {
		return fmt.Errorf("postgres: comment on case %d: %w", c.CaseID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: comment on case %d: %w", c.CaseID, err)
	}
	c.Time = c.Time.UTC()
	return nil
}

// ListCaseComments returns the comments oldest first.
func (s *Store) ListCaseComments(ctx context.Context, caseID int64) ([]store.CaseComment, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, case_id, author, time, text FROM case_comments WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list comments of case %d: %w", caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.CaseComment, error) {
		var c store.CaseComment
		var at int64
		err := row.Scan(&c.ID, &c.CaseID, into(&c.Author), &at, into(&c.Text))
		c.Time = codec.FromUnixNanos(at)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list comments of case %d: %w", caseID, err)
	}
	return out, nil
}
