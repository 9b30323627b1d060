package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
	"github.com/bulwarkhq/bulwark/supply"
)

// RecordScan applies one scan of a project in one transaction, under an
// advisory lock on the project so that two servers recording scans of one
// project at once apply them one after the other.
func (s *Store) RecordScan(ctx context.Context, project string, scanned time.Time, findings []supply.Finding) (store.SupplyScan, error) {
	sum := store.SupplyScan{Project: project, Scanned: scanned.UTC()}
	if project == "" {
		return sum, errors.New("postgres: record scan: empty project name")
	}
	if scanned.IsZero() {
		scanned = codec.Now()
		sum.Scanned = scanned
	}
	at := codec.UnixNanos(scanned)
	seen := map[[4]string]bool{}
	for _, f := range findings {
		seen[store.SupplyKey(f)] = true
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		sum.Opened, sum.Fixed = 0, 0
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema() || '/' || encode($2, 'hex')))`, lockSupply, bs(project)); err != nil {
			return err
		}
		var last int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(scanned), 0) FROM supply_scans WHERE project = $1`, bs(project)).Scan(&last); err != nil {
			return err
		}
		sum.Findings = len(seen)
		sum.Stale = at < last
		if !sum.Stale {
			if err := applyScan(ctx, tx, project, at, findings, &sum); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO supply_scans (project, scanned, findings, opened, fixed) VALUES ($1, $2, $3, $4, $5)`,
			bs(project), at, sum.Findings, sum.Opened, sum.Fixed)
		return err
	})
	if err != nil {
		return sum, fmt.Errorf("postgres: record scan %s: %w", project, err)
	}
	return sum, nil
}

// applyScan upserts the scan's findings and fixes the open ones it lacks.
func applyScan(ctx context.Context, tx pgx.Tx, project string, at int64, findings []supply.Finding, sum *store.SupplyScan) error {
	open := map[[4]string]int64{}
	rows, err := tx.Query(ctx, `SELECT id, ecosystem, name, version, advisory FROM supply_findings WHERE project = $1 AND fixed_at = 0`, bs(project))
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var k [4]string
		if err := rows.Scan(&id, into(&k[0]), into(&k[1]), into(&k[2]), into(&k[3])); err != nil {
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
		level, epss := codec.PriorityLevels[f.Priority], 0.0
		if f.EPSS != nil {
			epss = f.EPSS.Score
		}
		kev := f.KEV != nil
		if id, ok := open[k]; ok {
			if _, err := tx.Exec(ctx, `UPDATE supply_findings SET kev = $1, level = $2, epss = $3, cvss = $4, last_seen = greatest(last_seen, $5), data = $6 WHERE id = $7`,
				kev, level, epss, f.CVSS, at, string(data), id); err != nil {
				return err
			}
			kept[id] = true
			continue
		}
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO supply_findings (project, ecosystem, name, version, advisory, kev, level, epss, cvss, first_seen, last_seen, fixed_at, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 0, $11) RETURNING id`, bs(project), bs(k[0]), bs(k[1]), bs(k[2]), bs(k[3]), kev, level, epss, f.CVSS, at, string(data)).Scan(&id)
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
		if _, err := tx.Exec(ctx, `UPDATE supply_findings SET fixed_at = $1 WHERE id = $2`, at, id); err != nil {
			return err
		}
		sum.Fixed++
	}
	return nil
}

// ListSupplyFindings returns findings open first, most urgent first.
func (s *Store) ListSupplyFindings(ctx context.Context, f store.SupplyFilter) ([]store.SupplyFinding, error) {
	var where []string
	var args []any
	if f.Project != "" {
		args = append(args, bs(f.Project))
		where = append(where, "project = $1")
	}
	if f.Open {
		where = append(where, "fixed_at = 0")
	}
	if f.KEV {
		where = append(where, "kev")
	}
	q := `SELECT id, project, first_seen, last_seen, fixed_at, data FROM supply_findings`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += ` ORDER BY fixed_at = 0 DESC, kev DESC, level DESC, epss DESC, cvss DESC, first_seen, id`
	if f.Limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(f.Limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list supply findings: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.SupplyFinding, error) {
		var sf store.SupplyFinding
		var first, last, fixed int64
		var data string
		if err := row.Scan(&sf.ID, into(&sf.Project), &first, &last, &fixed, &data); err != nil {
			return sf, err
		}
		if err := json.Unmarshal([]byte(data), &sf.Finding); err != nil {
			return sf, fmt.Errorf("supply finding %d: %w", sf.ID, err)
		}
		sf.FirstSeen, sf.LastSeen, sf.Fixed = codec.FromUnixNanos(first), codec.FromUnixNanos(last), codec.FromUnixNanos(fixed)
		return sf, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list supply findings: %w", err)
	}
	return out, nil
}

// ListSupplyProjects summarises every project scanned, by name (in byte
// order, as SQLite sorts).
func (s *Store) ListSupplyProjects(ctx context.Context) ([]store.SupplyProject, error) {
	rows, err := s.pool.Query(ctx, `SELECT project, max(scanned), count(*) FROM supply_scans GROUP BY project ORDER BY project`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list supply projects: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.SupplyProject, error) {
		var p store.SupplyProject
		var last int64
		err := row.Scan(into(&p.Name), &last, &p.Scans)
		p.LastScan = codec.FromUnixNanos(last)
		p.ByPriority = map[string]int{"critical": 0, "high": 0, "medium": 0, "low": 0}
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list supply projects: %w", err)
	}
	idx := map[string]int{}
	for i, p := range out {
		idx[p.Name] = i
	}
	rows, err = s.pool.Query(ctx, `SELECT project, level, kev, count(*) FROM supply_findings WHERE fixed_at = 0 GROUP BY project, level, kev`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list supply projects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var level int
		var kev bool
		var n int
		if err := rows.Scan(into(&name), &level, &kev, &n); err != nil {
			return nil, fmt.Errorf("postgres: list supply projects: %w", err)
		}
		i, ok := idx[name]
		if !ok {
			continue
		}
		out[i].Open += n
		if kev {
			out[i].OpenKEV += n
		}
		if l, ok := codec.LevelNames[level]; ok {
			out[i].ByPriority[l] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list supply projects: %w", err)
	}
	return out, nil
}
