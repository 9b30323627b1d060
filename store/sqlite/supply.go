package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
	"github.com/bulwarkhq/bulwark/supply"
)

// RecordScan applies one scan of a project in one transaction.
func (db *DB) RecordScan(ctx context.Context, project string, scanned time.Time, findings []supply.Finding) (store.SupplyScan, error) {
	sum := store.SupplyScan{Project: project, Scanned: scanned.UTC()}
	if project == "" {
		return sum, errors.New("sqlite: record scan: empty project name")
	}
	if scanned.IsZero() {
		scanned = codec.Now()
		sum.Scanned = scanned
	}
	at := codec.UnixNanos(scanned)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return sum, fmt.Errorf("sqlite: record scan: %w", err)
	}
	defer tx.Rollback()

	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(scanned), 0) FROM supply_scans WHERE project = ?`, project).Scan(&last); err != nil {
		return sum, fmt.Errorf("sqlite: record scan: %w", err)
	}
	seen := map[[4]string]bool{}
	for _, f := range findings {
		seen[store.SupplyKey(f)] = true
	}
	sum.Findings = len(seen)
	sum.Stale = at < last
	if !sum.Stale {
		if err := applyScan(ctx, tx, project, at, findings, &sum); err != nil {
			return sum, fmt.Errorf("sqlite: record scan %s: %w", project, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO supply_scans (project, scanned, findings, opened, fixed) VALUES (?, ?, ?, ?, ?)`,
		project, at, sum.Findings, sum.Opened, sum.Fixed); err != nil {
		return sum, fmt.Errorf("sqlite: record scan: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return sum, fmt.Errorf("sqlite: record scan: %w", err)
	}
	return sum, nil
}

// applyScan upserts the scan's findings and fixes the open ones it lacks.
func applyScan(ctx context.Context, tx *sql.Tx, project string, at int64, findings []supply.Finding, sum *store.SupplyScan) error {
	open := map[[4]string]int64{}
	rows, err := tx.QueryContext(ctx, `SELECT id, ecosystem, name, version, advisory FROM supply_findings WHERE project = ? AND fixed_at = 0`, project)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var k [4]string
		if err := rows.Scan(&id, &k[0], &k[1], &k[2], &k[3]); err != nil {
			rows.Close()
			return err
		}
		open[k] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	kept := map[int64]bool{}
	for _, f := range findings {
		k := store.SupplyKey(f)
		data, err := json.Marshal(f)
		if err != nil {
			return err
		}
		kev, level, epss := 0, codec.PriorityLevels[f.Priority], 0.0
		if f.KEV != nil {
			kev = 1
		}
		if f.EPSS != nil {
			epss = f.EPSS.Score
		}
		if id, ok := open[k]; ok {
			if _, err := tx.ExecContext(ctx, `UPDATE supply_findings SET kev = ?, level = ?, epss = ?, cvss = ?, last_seen = max(last_seen, ?), data = ? WHERE id = ?`,
				kev, level, epss, f.CVSS, at, string(data), id); err != nil {
				return err
			}
			kept[id] = true
			continue
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO supply_findings (project, ecosystem, name, version, advisory, kev, level, epss, cvss, first_seen, last_seen, fixed_at, data)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`, project, k[0], k[1], k[2], k[3], kev, level, epss, f.CVSS, at, at, string(data))
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		open[k], kept[id] = id, true
		sum.Opened++
	}
	for _, id := range open {
		if kept[id] {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE supply_findings SET fixed_at = ? WHERE id = ?`, at, id); err != nil {
			return err
		}
		sum.Fixed++
	}
	return nil
}

// ListSupplyFindings returns findings open first, most urgent first.
func (db *DB) ListSupplyFindings(ctx context.Context, f store.SupplyFilter) ([]store.SupplyFinding, error) {
	var where []string
	var args []any
	if f.Project != "" {
		where, args = append(where, "project = ?"), append(args, f.Project)
	}
	if f.Open {
		where = append(where, "fixed_at = 0")
	}
	if f.KEV {
		where = append(where, "kev = 1")
	}
	q := `SELECT id, project, first_seen, last_seen, fixed_at, data FROM supply_findings`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += ` ORDER BY fixed_at = 0 DESC, kev DESC, level DESC, epss DESC, cvss DESC, first_seen, id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list supply findings: %w", err)
	}
	defer rows.Close()
	var out []store.SupplyFinding
	for rows.Next() {
		var sf store.SupplyFinding
		var first, last, fixed int64
		var data string
		if err := rows.Scan(&sf.ID, &sf.Project, &first, &last, &fixed, &data); err != nil {
			return nil, fmt.Errorf("sqlite: list supply findings: %w", err)
		}
		if err := json.Unmarshal([]byte(data), &sf.Finding); err != nil {
			return nil, fmt.Errorf("sqlite: supply finding %d: %w", sf.ID, err)
		}
		sf.FirstSeen, sf.LastSeen, sf.Fixed = codec.FromUnixNanos(first), codec.FromUnixNanos(last), codec.FromUnixNanos(fixed)
		out = append(out, sf)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list supply findings: %w", err)
	}
	return out, nil
}

// ListSupplyProjects summarises every project scanned, by name.
func (db *DB) ListSupplyProjects(ctx context.Context) ([]store.SupplyProject, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT project, max(scanned), count(*) FROM supply_scans GROUP BY project ORDER BY project`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list supply projects: %w", err)
	}
	var out []store.SupplyProject
	idx := map[string]int{}
	for rows.Next() {
		var p store.SupplyProject
		var last int64
		if err := rows.Scan(&p.Name, &last, &p.Scans); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: list supply projects: %w", err)
		}
		p.LastScan = codec.FromUnixNanos(last)
		p.ByPriority = map[string]int{"critical": 0, "high": 0, "medium": 0, "low": 0}
		idx[p.Name] = len(out)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list supply projects: %w", err)
	}
	rows, err = db.read.QueryContext(ctx, `SELECT project, level, kev, count(*) FROM supply_findings WHERE fixed_at = 0 GROUP BY project, level, kev`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list supply projects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var level, kev, n int
		if err := rows.Scan(&name, &level, &kev, &n); err != nil {
			return nil, fmt.Errorf("sqlite: list supply projects: %w", err)
		}
		i, ok := idx[name]
		if !ok {
			continue
		}
		out[i].Open += n
		if kev == 1 {
			out[i].OpenKEV += n
		}
		if l, ok := codec.LevelNames[level]; ok {
			out[i].ByPriority[l] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list supply projects: %w", err)
	}
	return out, nil
}
