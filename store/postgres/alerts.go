package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
	"github.com/bulwarkhq/bulwark/store/internal/ruledoc"
)

// AddAlerts inserts the alerts and moves the detection mark to through in
// one transaction: after a crash either both are there or neither.
func (s *Store) AddAlerts(ctx context.Context, alerts []store.StoredAlert, through int64) error {
	type row struct {
		rule *ruledoc.Doc
		doc  []byte
	}
	rows := make([]row, len(alerts))
	for i := range alerts {
		var err error
		rows[i].rule, rows[i].doc, err = s.rules.Encode(alerts[i].Alert)
		if err != nil {
			return fmt.Errorf("postgres: add alerts: encode alert %d: %w", i, err)
		}
	}
	var added []*ruledoc.Doc
	var first int64
	detectedAt := codec.Now()
	detected := codec.UnixNanos(detectedAt)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		added = added[:0]
		if len(alerts) > 0 {
			var last int64
			if err := tx.QueryRow(ctx, `UPDATE alert_ids SET last = last + $1 WHERE id = 1 RETURNING last`, len(alerts)).Scan(&last); err != nil {
				return fmt.Errorf("reserve ids: %w", err)
			}
			first = last - int64(len(alerts)) + 1
			var batch pgx.Batch
			for i := range alerts {
				a, r := &alerts[i], rows[i].rule
				if !r.Stored.Load() {
					batch.Queue(`INSERT INTO alert_rules (key, data) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, r.Key, string(r.JSON))
					r.Stored.Store(true) // undone below if the transaction fails
					added = append(added, r)
				}
				batch.Queue(`INSERT INTO alerts (id, time, rule_id, host, level, event_id, detected, rule_key, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
					first+int64(i), codec.UnixNanos(a.Time), bs(a.Rule.ID), bs(a.Host), bs(a.Rule.Level), a.EventID, detected, r.Key, string(rows[i].doc))
			}
			if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO detection (id, through) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET through = excluded.through`, through)
		if err != nil {
			return fmt.Errorf("record detection mark: %w", err)
		}
		return nil
	})
	if err != nil {
		ruledoc.Undo(added)
		return fmt.Errorf("postgres: add alerts: %w", err)
	}
	// Only now, when they are durable, do the alerts get their ids.
	for i := range alerts {
		alerts[i].ID = first + int64(i)
		alerts[i].Detected = detectedAt
	}
	return nil
}

// DetectedThrough returns 0 until the first AddAlerts.
func (s *Store) DetectedThrough(ctx context.Context) (int64, error) {
	var through int64
	err := s.pool.QueryRow(ctx, `SELECT through FROM detection WHERE id = 1`).Scan(&through)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("postgres: detected through: %w", err)
	}
	return through, nil
}

const alertSelect = `SELECT a.id, a.event_id, a.detected, a.data, r.data FROM alerts a LEFT JOIN alert_rules r ON r.Key = a.rule_key`

// GetAlert returns the alert with the given id, or ErrNotFound.
func (s *Store) GetAlert(ctx context.Context, id int64) (store.StoredAlert, error) {
	a, err := codec.ScanAlert(s.pool.QueryRow(ctx, alertSelect+` WHERE a.id = $1`, id))
	if err != nil {
		return store.StoredAlert{}, fmt.Errorf("postgres: get alert %d: %w", id, notFound(err))
	}
	return a, nil
}

// ListAlerts returns the newest alerts first: by alert time, and among
// alerts of the same time the one stored last first.
func (s *Store) ListAlerts(ctx context.Context, f store.AlertFilter) ([]store.StoredAlert, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if !f.From.IsZero() {
		add("a.time >=", codec.UnixNanos(f.From))
	}
	if !f.To.IsZero() {
		add("a.time <", codec.UnixNanos(f.To))
	}
	if f.RuleID != "" {
		add("a.rule_id =", bs(f.RuleID))
	}
	if f.Host != "" {
		add("a.host =", bs(f.Host))
	}
	if f.Level != "" {
		add("a.level =", bs(f.Level))
	}
	if f.AfterID > 0 {
		add("a.id >", f.AfterID)
	}
	q := alertSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Stored {
		q += " ORDER BY a.id"
	} else {
		q += " ORDER BY a.time DESC, a.id DESC"
	}
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list alerts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.StoredAlert, error) { return codec.ScanAlert(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list alerts: %w", err)
	}
	return out, nil
}

// CountAlerts returns how many alerts are stored.
func (s *Store) CountAlerts(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM alerts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count alerts: %w", err)
	}
	return n, nil
}

// DeleteAlert deletes the alert with the given id, or returns ErrNotFound.
// Its id is not given out again.
func (s *Store) DeleteAlert(ctx context.Context, id int64) error {
	if err := expectOne(s.pool.Exec(ctx, `DELETE FROM alerts WHERE id = $1`, id)); err != nil {
		return fmt.Errorf("postgres: delete alert %d: %w", id, err)
	}
	return nil
}
