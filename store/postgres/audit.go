package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
)

// AppendAudit stores e; a zero e.Time is set to now. e.ID is ignored: the
// store numbers entries.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	at := e.Time
	if at.IsZero() {
		at = codec.Now()
	}
	_, err := s.pool.Exec(ctx,
		`INSERT INTO audit (time, actor, action, target, detail, remote) VALUES ($1, $2, $3, $4, $5, $6)`,
		codec.UnixNanos(at), bs(e.Actor), bs(e.Action), bs(e.Target), bs(e.Detail), bs(e.Remote))
	if err != nil {
		return fmt.Errorf("postgres: append audit %q: %w", e.Action, err)
	}
	return nil
}

// ListAudit returns the entries appended last first: the order of
// appending, not of the entries' times, so that a clock step back cannot
// bury an entry.
func (s *Store) ListAudit(ctx context.Context, limit int) ([]store.AuditEntry, error) {
	q := `SELECT id, time, actor, action, target, detail, remote FROM audit ORDER BY id DESC`
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.AuditEntry, error) {
		var e store.AuditEntry
		var at int64
		err := row.Scan(&e.ID, &at, into(&e.Actor), into(&e.Action), into(&e.Target), into(&e.Detail), into(&e.Remote))
		e.Time = codec.FromUnixNanos(at)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit: %w", err)
	}
	return out, nil
}

// GetSetting returns the value of key and whether it was ever set.
func (s *Store) GetSetting(ctx context.Context, key string) (string, bool, error) {
	var value string
	err := s.pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, bs(key)).Scan(into(&value))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("postgres: get setting %q: %w", key, err)
	}
	return value, true, nil
}

// SetSetting sets key to value, replacing any earlier value.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.pool.Exec(ctx,
		`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, bs(key), bs(value))
	if err != nil {
		return fmt.Errorf("postgres: set setting %q: %w", key, err)
	}
	return nil
}

// CreateSuppression stores s.
func (s *Store) CreateSuppression(ctx context.Context, sup *store.Suppression) error {
	if sup.Created.IsZero() {
		sup.Created = codec.Now()
	}
	err := s.pool.QueryRow(ctx,
		`INSERT INTO suppressions (rule_id, entity_kind, entity, reason, case_id, author, created, expires) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		bs(sup.RuleID), bs(sup.EntityKind), bs(sup.Entity), bs(sup.Reason), sup.CaseID, bs(sup.Author), codec.UnixNanos(sup.Created), codec.UnixNanos(sup.Expires)).Scan(&sup.ID)
	if err != nil {
		return fmt.Errorf("postgres: create suppression: %w", err)
	}
	sup.Created, sup.Expires = sup.Created.UTC(), sup.Expires.UTC()
	return nil
}

// ListSuppressions returns the live suppressions, newest first.
func (s *Store) ListSuppressions(ctx context.Context, at time.Time) ([]store.Suppression, error) {
	q := `SELECT id, rule_id, entity_kind, entity, reason, case_id, author, created, expires FROM suppressions`
	var args []any
	if !at.IsZero() {
		q += ` WHERE expires > $1`
		args = append(args, codec.UnixNanos(at))
	}
	rows, err := s.pool.Query(ctx, q+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list suppressions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Suppression, error) {
		var sup store.Suppression
		var created, expires int64
		err := row.Scan(&sup.ID, into(&sup.RuleID), into(&sup.EntityKind), into(&sup.Entity), into(&sup.Reason), &sup.CaseID, into(&sup.Author), &created, &expires)
		sup.Created, sup.Expires = codec.FromUnixNanos(created), codec.FromUnixNanos(expires)
		return sup, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list suppressions: %w", err)
	}
	return out, nil
}

// DeleteSuppression deletes one, or returns ErrNotFound.
func (s *Store) DeleteSuppression(ctx context.Context, id int64) error {
	if err := expectOne(s.pool.Exec(ctx, `DELETE FROM suppressions WHERE id = $1`, id)); err != nil {
		return fmt.Errorf("postgres: delete suppression %d: %w", id, err)
	}
	return nil
}
