package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
	"github.com/bulwarkhq/bulwark/store/internal/ruledoc"
)

// AddAlerts inserts the alerts and moves the detection mark to through in
// one transaction: after a crash either both are there or neither.
func (db *DB) AddAlerts(ctx context.Context, alerts []store.StoredAlert, through int64) error {
	type row struct {
		rule *ruledoc.Doc
		doc  []byte
	}
	rows := make([]row, len(alerts))
	for i := range alerts {
		var err error
		rows[i].rule, rows[i].doc, err = db.rules.Encode(alerts[i].Alert)
		if err != nil {
			return fmt.Errorf("sqlite: add alerts: encode alert %d: %w", i, err)
		}
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: add alerts: %w", err)
	}
	defer tx.Rollback()
	var added []*ruledoc.Doc
	var first int64
	detectedAt := codec.Now()
	detected := codec.UnixNanos(detectedAt)
	if len(alerts) > 0 {
		var last int64
		err := tx.QueryRowContext(ctx, `UPDATE alert_ids SET last = last + ? WHERE id = 1 RETURNING last`, len(alerts)).Scan(&last)
		if err != nil {
			return fmt.Errorf("sqlite: add alerts: reserve ids: %w", err)
		}
		first = last - int64(len(alerts)) + 1
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO alerts (id, time, rule_id, host, level, event_id, detected, rule_key, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("sqlite: add alerts: %w", err)
		}
		defer stmt.Close()
		for i := range alerts {
			a, r := &alerts[i], rows[i].rule
			if !r.Stored.Load() {
				if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO alert_rules (key, data) VALUES (?, ?)`, r.Key, r.JSON); err != nil {
					return fmt.Errorf("sqlite: add alerts: store rule: %w", err)
				}
				r.Stored.Store(true) // undone below if the transaction fails
				added = append(added, r)
			}
			if _, err := stmt.ExecContext(ctx, first+int64(i), codec.UnixNanos(a.Time), a.Rule.ID, a.Host, a.Rule.Level, a.EventID, detected, r.Key, rows[i].doc); err != nil {
				ruledoc.Undo(added)
				return fmt.Errorf("sqlite: add alerts: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO detection (id, through) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET through = excluded.through`,
		through); err != nil {
		ruledoc.Undo(added)
		return fmt.Errorf("sqlite: add alerts: record detection mark: %w", err)
	}
	if err := tx.Commit(); err != nil {
		ruledoc.Undo(added)
		return fmt.Errorf("sqlite: add alerts: %w", err)
	}
	// Only now, when they are durable, do the alerts get their ids.
	for i := range alerts {
		alerts[i].ID = first + int64(i)
		alerts[i].Detected = detectedAt
	}
	return nil
}

// DetectedThrough returns 0 until the first AddAlerts.
func (db *DB) DetectedThrough(ctx context.Context) (int64, error) {
	var through int64
	err := db.read.QueryRowContext(ctx, `SELECT through FROM detection WHERE id = 1`).Scan(&through)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("sqlite: detected through: %w", err)
	}
	return through, nil
}

// GetAlert returns the alert with the given id, or ErrNotFound.
func (db *DB) GetAlert(ctx context.Context, id int64) (store.StoredAlert, error) {
	row := db.read.QueryRowContext(ctx, `SELECT a.id, a.event_id, a.detected, a.data, r.data FROM alerts a LEFT JOIN alert_rules r ON r.Key = a.rule_key WHERE a.id = ?`, id)
	a, err := codec.ScanAlert(row)
	if err != nil {
		return store.StoredAlert{}, fmt.Errorf("sqlite: get alert %d: %w", id, notFound(err))
	}
	return a, nil
}

// ListAlerts returns the newest alerts first: by alert time, and among
// alerts of the same time the one stored last first.
func (db *DB) ListAlerts(ctx context.Context, f store.AlertFilter) ([]store.StoredAlert, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if !f.From.IsZero() {
		add("a.time >= ?", codec.UnixNanos(f.From))
	}
	if !f.To.IsZero() {
		add("a.time < ?", codec.UnixNanos(f.To))
	}
	if f.RuleID != "" {
		add("a.rule_id = ?", f.RuleID)
	}
	if f.Host != "" {
		add("a.host = ?", f.Host)
	}
	if f.Level != "" {
		add("a.level = ?", f.Level)
	}
	if f.AfterID > 0 {
		add("a.id > ?", f.AfterID)
	}
	var q strings.Builder
	q.WriteString("SELECT a.id, a.event_id, a.detected, a.data, r.data FROM alerts a LEFT JOIN alert_rules r ON r.Key = a.rule_key")
	if len(where) > 0 {
		q.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	if f.Stored {
		q.WriteString(" ORDER BY a.id")
	} else {
		q.WriteString(" ORDER BY a.time DESC, a.id DESC")
	}
	if f.Limit > 0 {
		q.WriteString(" LIMIT " + strconv.Itoa(f.Limit))
	}
	rows, err := db.read.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list alerts: %w", err)
	}
	defer rows.Close()
	var out []store.StoredAlert
	for rows.Next() {
		a, err := codec.ScanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list alerts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list alerts: %w", err)
	}
	return out, nil
}

// CountAlerts returns how many alerts are stored.
func (db *DB) CountAlerts(ctx context.Context) (int64, error) {
	var n int64
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM alerts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count alerts: %w", err)
	}
	return n, nil
}

// DeleteAlert deletes the alert with the given id, or returns ErrNotFound.
// Its id is not given out again.
func (db *DB) DeleteAlert(ctx context.Context, id int64) error {
	if err := expectOne(db.write.ExecContext(ctx, `DELETE FROM alerts WHERE id = ?`, id)); err != nil {
		return fmt.Errorf("sqlite: delete alert %d: %w", id, err)
	}
	return nil
}
