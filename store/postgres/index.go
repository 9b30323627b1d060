package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// closedAfter is how long after its day ends a day partition is taken as
// complete: late events still arrive for a while.
const closedAfter = time.Hour

// Search indexes are built per day partition once the day is over, not
// kept on the parent table. A trigram GIN index updated row by row cost
// more than everything else ingest does together (measured: a 1000-event
// batch went from a fraction of a second to seconds), while built in bulk
// over a finished day it costs a fraction of that, once. Searches of the
// current day read its search_text without the index, still inside
// PostgreSQL.

// IndexClosedDays builds the trigram index on search_text of every day
// partition whose day ended more than an hour before now and that has
// none yet, and returns how many it built. DeleteEventsBefore calls it, so
// that the server's hourly retention keeps the indexes up to date. Indexes
// are built CONCURRENTLY, so that late events for the day are not held
// up, by one server at a time (the others skip it).
func (s *Store) IndexClosedDays(ctx context.Context, now time.Time) (int, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres: index closed days: %w", err)
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, lockIndex).Scan(&locked); err != nil {
		return 0, fmt.Errorf("postgres: index closed days: %w", err)
	}
	if !locked {
		return 0, nil // another server is at it
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, lockIndex)

	var trgm string
	err = conn.QueryRow(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`).Scan(&trgm)
	if err != nil {
		return 0, fmt.Errorf("postgres: index closed days: find pg_trgm: %w", err)
	}
	rows, err := conn.Query(ctx, `
SELECT c.relname, ix.indisvalid
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
LEFT JOIN pg_index ix ON ix.indexrelid = to_regclass(quote_ident(c.relname || '_search'))
WHERE i.inhparent = 'events'::regclass`)
	if err != nil {
		return 0, fmt.Errorf("postgres: index closed days: %w", err)
	}
	type part struct {
		name  string
		valid *bool // nil: no index
	}
	parts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (part, error) {
		var p part
		err := r.Scan(&p.name, &p.valid)
		return p, err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: index closed days: %w", err)
	}
	built := 0
	for _, p := range parts {
		d, ok := partitionDay(p.name)
		if !ok || p.valid != nil && *p.valid || now.Before(time.Unix(0, (d+1)*dayNanos).Add(closedAfter)) {
			continue
		}
		index := pgx.Identifier{p.name + "_search"}.Sanitize()
		if p.valid != nil { // a concurrent build that failed leaves an invalid index
			if _, err := conn.Exec(ctx, `DROP INDEX CONCURRENTLY IF EXISTS `+index); err != nil {
				return built, fmt.Errorf("postgres: index closed days: drop invalid %s: %w", index, err)
			}
		}
		ddl := fmt.Sprintf(`CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s USING gin (search_text %s.gin_trgm_ops)`,
			index, pgx.Identifier{p.name}.Sanitize(), pgx.Identifier{trgm}.Sanitize())
		if _, err := conn.Exec(ctx, ddl); err != nil {
			if isCode(err, "42P01") { // retention dropped the day meanwhile
				continue
			}
			return built, fmt.Errorf("postgres: index closed days: %s: %w", index, err)
		}
		built++
	}
	return built, nil
}
