package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
)

// AppendAudit stores e; a zero e.Time is set to now. e.ID is ignored: the
// store numbers entries.
func (db *DB) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	at := e.Time
	if at.IsZero() {
		at = codec.Now()
	}
	_, err := db.write.ExecContext(ctx,
		`INSERT INTO audit (time, actor, action, target, detail, remote) VALUES (?, ?, ?, ?, ?, ?)`,
		codec.UnixNanos(at), e.Actor, e.Action, e.Target, e.Detail, e.Remote)
	if err != nil {
		return fmt.Errorf("sqlite: append audit %q: %w", e.Action, err)
	}
	return nil
}

// ListAudit returns the entries appended last first. The order is the order
// of appending, not of the entries' times, so that a clock step back cannot
// bury an entry.
func (db *DB) ListAudit(ctx context.Context, limit int) ([]store.AuditEntry, error) {
	q := `SELECT id, time, actor, action, target, detail, remote FROM audit ORDER BY id DESC`
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list audit: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail, &e.Remote); err != nil {
			return nil, fmt.Errorf("sqlite: list audit: %w", err)
		}
		e.Time = codec.FromUnixNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list audit: %w", err)
	}
	return out, nil
}

// GetSetting returns the value of key and whether it was ever set.
func (db *DB) GetSetting(ctx context.Context, key string) (string, bool, error) {
	var value string
	err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("sqlite: get setting %q: %w", key, err)
	}
	return value, true, nil
}

// SetSetting sets key to value, replacing any earlier value.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	_, err := db.write.ExecContext(ctx,
		`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		key, value)
	if err != nil {
		return fmt.Errorf("sqlite: set setting %q: %w", key, err)
	}
	return nil
}
