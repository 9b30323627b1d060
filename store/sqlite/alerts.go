package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/store"
)

// AddAlerts inserts the alerts and moves the detection mark to through in
// one transaction: after a crash either both are there or neither.
func (db *DB) AddAlerts(ctx context.Context, alerts []store.StoredAlert, through int64) error {
	docs := make([][]byte, len(alerts))
	for i := range alerts {
		doc, err := json.Marshal(&alerts[i].Alert)
		if err != nil {
			return fmt.Errorf("sqlite: add alerts: encode alert %d: %w", i, err)
		}
		docs[i] = doc
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: add alerts: %w", err)
	}
	defer tx.Rollback()
	ids := make([]int64, len(alerts))
	if len(alerts) > 0 {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO alerts (time, rule_id, host, level, event_id, data) VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("sqlite: add alerts: %w", err)
		}
		defer stmt.Close()
		for i := range alerts {
			a := &alerts[i]
			res, err := stmt.ExecContext(ctx, unixNanos(a.Time), a.Rule.ID, a.Host, a.Rule.Level, a.EventID, docs[i])
			if err != nil {
				return fmt.Errorf("sqlite: add alerts: %w", err)
			}
			if ids[i], err = res.LastInsertId(); err != nil {
				return fmt.Errorf("sqlite: add alerts: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO detection (id, through) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET through = excluded.through`,
		through); err != nil {
		return fmt.Errorf("sqlite: add alerts: record detection mark: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: add alerts: %w", err)
	}
	// Only now, when they are durable, do the alerts get their ids.
	for i := range alerts {
		alerts[i].ID = ids[i]
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
	row := db.read.QueryRowContext(ctx, `SELECT id, event_id, data FROM alerts WHERE id = ?`, id)
	a, err := scanAlert(row)
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
		add("time >= ?", unixNanos(f.From))
	}
	if !f.To.IsZero() {
		add("time < ?", unixNanos(f.To))
	}
	if f.RuleID != "" {
		add("rule_id = ?", f.RuleID)
	}
	if f.Host != "" {
		add("host = ?", f.Host)
	}
	if f.Level != "" {
		add("level = ?", f.Level)
	}
	if f.AfterID > 0 {
		add("id > ?", f.AfterID)
	}
	var q strings.Builder
	q.WriteString("SELECT id, event_id, data FROM alerts")
	if len(where) > 0 {
		q.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	q.WriteString(" ORDER BY time DESC, id DESC")
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
		a, err := scanAlert(rows)
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

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface {
	Scan(dest ...any) error
}

func scanAlert(row rowScanner) (store.StoredAlert, error) {
	var a store.StoredAlert
	var doc []byte
	if err := row.Scan(&a.ID, &a.EventID, &doc); err != nil {
		return a, err
	}
	if err := json.Unmarshal(doc, &a.Alert); err != nil {
		return a, fmt.Errorf("alert %d: decode: %w", a.ID, err)
	}
	utcAlertTimes(&a.Alert)
	return a, nil
}

// utcAlertTimes puts every time in a into UTC, as the store returns all
// times; JSON kept the zone offset each was written with.
func utcAlertTimes(a *alert.Alert) {
	a.Time = a.Time.UTC()
	if c := a.Correlation; c != nil {
		c.First, c.Last = c.First.UTC(), c.Last.UTC()
		for i := range c.Events {
			c.Events[i].Time = c.Events[i].Time.UTC()
		}
	}
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
