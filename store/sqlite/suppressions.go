package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
)

// CreateSuppression stores s.
func (db *DB) CreateSuppression(ctx context.Context, s *store.Suppression) error {
	if s.Created.IsZero() {
		s.Created = codec.Now()
	}
	res, err := db.write.ExecContext(ctx,
		`INSERT INTO suppressions (rule_id, entity_kind, entity, reason, case_id, author, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.RuleID, s.EntityKind, s.Entity, s.Reason, s.CaseID, s.Author, codec.UnixNanos(s.Created), codec.UnixNanos(s.Expires))
	if err != nil {
		return fmt.Errorf("sqlite: create suppression: %w", err)
	}
	if s.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("sqlite: create suppression: %w", err)
	}
	s.Created, s.Expires = s.Created.UTC(), s.Expires.UTC()
	return nil
}

// ListSuppressions returns the live suppressions, newest first.
func (db *DB) ListSuppressions(ctx context.Context, at time.Time) ([]store.Suppression, error) {
	q := `SELECT id, rule_id, entity_kind, entity, reason, case_id, author, created, expires FROM suppressions`
	var args []any
	if !at.IsZero() {
		q += ` WHERE expires > ?`
		args = append(args, codec.UnixNanos(at))
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list suppressions: %w", err)
	}
	defer rows.Close()
	var out []store.Suppression
	for rows.Next() {
		var s store.Suppression
		var created, expires int64
		if err := rows.Scan(&s.ID, &s.RuleID, &s.EntityKind, &s.Entity, &s.Reason, &s.CaseID, &s.Author, &created, &expires); err != nil {
			return nil, fmt.Errorf("sqlite: list suppressions: %w", err)
		}
		s.Created, s.Expires = codec.FromUnixNanos(created), codec.FromUnixNanos(expires)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list suppressions: %w", err)
	}
	return out, nil
}

// DeleteSuppression deletes one, or returns ErrNotFound.
func (db *DB) DeleteSuppression(ctx context.Context, id int64) error {
	if err := expectOne(db.write.ExecContext(ctx, `DELETE FROM suppressions WHERE id = ?`, id)); err != nil {
		return fmt.Errorf("sqlite: delete suppression %d: %w", id, err)
	}
	return nil
}
