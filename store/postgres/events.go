package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
)

// Day partitions: day d holds time_ns in [d*dayNanos, (d+1)*dayNanos).
// Days outside [minDay, maxDay) go to events_before and events_after,
// whose bounds the first migration writes as minDay*dayNanos and
// maxDay*dayNanos: the largest whole days whose bounds fit in an int64.
const (
	dayNanos = int64(24 * time.Hour)
	minDay   = -106000
	maxDay   = 106000
)

// dayOf returns the day partition time_ns falls in, and false when it
// falls in one of the two edge partitions.
func dayOf(ns int64) (int64, bool) {
	d := dayKey(ns)
	return d, d >= minDay && d < maxDay
}

// dayKey is the day time_ns falls in, counted from 1970-01-01 (negative
// before), as event_counts keys it.
func dayKey(ns int64) int64 {
	d := ns / dayNanos
	if ns%dayNanos < 0 {
		d-- // floor, for times before 1970
	}
	return d
}

// partitionName is the table of day d: events_YYYYMMDD.
func partitionName(d int64) string {
	return "events_" + time.Unix(d*86400, 0).UTC().Format("20060102")
}

// partitionDay reverses partitionName; ok is false for other tables.
func partitionDay(name string) (int64, bool) {
	rest, ok := strings.CutPrefix(name, "events_")
	if !ok || len(rest) != 8 {
		return 0, false
	}
	t, err := time.Parse("20060102", rest)
	if err != nil {
		return 0, false
	}
	return t.Unix() / 86400, true
}

// ensurePartitions creates the day partitions of days that this store has
// not seen yet. Each is created in a transaction of its own under an
// advisory lock, so that two servers creating the same day do not race,
// and so that the parent table's lock, which creating a partition takes,
// lasts only that long.
func (s *Store) ensurePartitions(ctx context.Context, days []int64) error {
	s.mu.Lock()
	var missing []int64
	for _, d := range days {
		if !s.parts[d] {
			missing = append(missing, d)
		}
	}
	s.mu.Unlock()
	for _, d := range missing {
		name := pgx.Identifier{partitionName(d)}.Sanitize()
		ddl := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF events FOR VALUES FROM (%d) TO (%d)`, name, d*dayNanos, (d+1)*dayNanos)
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, lockPartition); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, ddl)
			return err
		})
		if err != nil {
			return fmt.Errorf("create partition %s: %w", name, err)
		}
		s.mu.Lock()
		s.parts[d] = true
		s.mu.Unlock()
	}
	return nil
}

// forgetPartitions drops the cache of partitions, after retention dropped
// some or an insert found one missing.
func (s *Store) forgetPartitions() {
	s.mu.Lock()
	clear(s.parts)
	s.mu.Unlock()
}

// eventRows is a batch as COPY sends it. The ids are filled in once the
// transaction has reserved them.
type eventRows struct {
	rows [][]any
	ids  []int64
}

// AppendEvents stores evs in one transaction with COPY. When retention
// drops a day's partition between its creation and the copy, the batch is
// tried once more after creating it again.
func (s *Store) AppendEvents(ctx context.Context, evs []event.Event) (int64, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	var b eventBatch
	b.add(evs)
	for attempt := 0; ; attempt++ {
		if err := s.ensurePartitions(ctx, b.days); err != nil {
			return 0, fmt.Errorf("postgres: append events: %w", err)
		}
		var first int64
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			var err error
			first, err = b.copyTx(ctx, tx)
			return err
		})
		if err != nil && attempt == 0 && isCode(err, codeNoPartition) {
			s.forgetPartitions()
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("postgres: append events: %w", err)
		}
		return first, nil
	}
}

// eventBatch is events made into rows for COPY, with the day partitions
// they need and the per-day counts they add.
type eventBatch struct {
	rows   [][]any
	days   []int64         // day partitions the rows need
	perDay map[int64]int64 // event_counts increments
	fold   folder
}

// add appends evs to the batch.
func (b *eventBatch) add(evs []event.Event) {
	if b.perDay == nil {
		b.perDay = map[int64]int64{}
	}
	for i := range evs {
		e := &evs[i]
		ns := codec.UnixNanos(e.Time)
		if d, ok := dayOf(ns); ok && !slices.Contains(b.days, d) {
			b.days = append(b.days, d)
		}
		b.perDay[dayKey(ns)]++
		b.rows = append(b.rows, []any{int64(0), ns, bs(e.Host()), event.AppendBinary(nil, e), b.fold.searchText(e)})
	}
}

// copyTx reserves the batch's ids and copies it in, in tx, returning the
// first id. The counter row stays locked until commit, so batches commit
// in the order of their ids.
func (b *eventBatch) copyTx(ctx context.Context, tx pgx.Tx) (int64, error) {
	var last int64
	if err := tx.QueryRow(ctx, `UPDATE event_ids SET last = last + $1 WHERE id = 1 RETURNING last`, len(b.rows)).Scan(&last); err != nil {
		return 0, fmt.Errorf("reserve ids: %w", err)
	}
	first := last - int64(len(b.rows)) + 1
	for i, r := range b.rows {
		r[0] = first + int64(i)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, []string{"id", "time_ns", "host", "data", "search_text"}, pgx.CopyFromRows(b.rows)); err != nil {
		return 0, err
	}
	var counts [2][]int64 // event_counts' days and increments
	for d, n := range b.perDay {
		counts[0], counts[1] = append(counts[0], d), append(counts[1], n)
	}
	_, err := tx.Exec(ctx, `INSERT INTO event_counts (day, n) SELECT * FROM unnest($1::bigint[], $2::bigint[])
ON CONFLICT (day) DO UPDATE SET n = event_counts.n + excluded.n`, counts[0], counts[1])
	return first, err
}

// eventQuery builds the SELECT of the events f selects, with extra
// conditions (already numbered from $1 on in args) ANDed in.
func eventQuery(f store.EventFilter, extra []string, args []any) (string, []any) {
	return eventQueryCols("id, data", f, extra, args)
}

// eventQueryCols is eventQuery selecting cols.
func eventQueryCols(cols string, f store.EventFilter, extra []string, args []any) (string, []any) {
	where := extra
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.AfterID > 0 {
		where = append(where, "id > "+arg(f.AfterID))
	}
	if !f.From.IsZero() {
		where = append(where, "time_ns >= "+arg(codec.UnixNanos(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, "time_ns < "+arg(codec.UnixNanos(f.To)))
	}
	if f.Host != "" {
		where = append(where, "host = "+arg(bs(f.Host)))
	}
	var q strings.Builder
	q.WriteString("SELECT " + cols + " FROM events")
	if len(where) > 0 {
		q.WriteString(" WHERE ")
		q.WriteString(strings.Join(where, " AND "))
	}
	if f.Desc {
		q.WriteString(" ORDER BY id DESC")
	} else {
		q.WriteString(" ORDER BY id")
	}
	return q.String(), args
}

// ScanEvents streams the selected events in id order, decoding each into
// the same StoredEvent, in pages (see scanPages).
func (s *Store) ScanEvents(ctx context.Context, f store.EventFilter, fn func(*store.StoredEvent) error) error {
	if f.Limit > 0 && f.Limit <= maxPage { // one page, as the pipeline reads
		q, args := eventQuery(f, nil, nil)
		q += " LIMIT " + strconv.Itoa(f.Limit)
		return scanErr("scan events", s.scan(ctx, q, args, nil, &scanState{limit: f.Limit}, fn))
	}
	return scanErr("scan events", s.scanPages(ctx, f, "", nil, nil, fn))
}

// scanErr returns the callback's own error as it is, and names the
// operation in the store's.
func scanErr(op string, err error) error {
	var cb errCallback
	if errors.As(err, &cb) {
		return cb.err
	}
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return nil
}

// scan runs an event query and calls fn for each event that keep (nil:
// all) accepts, until sc.limit events were sent (0: no limit). ErrStop
// from fn ends the scan without an error; fn's other errors come back
// wrapped in errCallback.
func (s *Store) scan(ctx context.Context, q string, args []any, keep func(*event.Event) bool, sc *scanState, fn func(*store.StoredEvent) error) error {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var se store.StoredEvent
	var data []byte
	for rows.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := rows.Scan(&se.ID, &data); err != nil {
			return err
		}
		sc.read++
		sc.lastID = se.ID
		if data == nil { // a search's probe row that failed the condition
			continue
		}
		if err := event.DecodeBinary(&se.Event, data); err != nil {
			return fmt.Errorf("event %d: %w", se.ID, err)
		}
		if keep != nil && !keep(&se.Event) {
			continue
		}
		if err := fn(&se); err != nil {
			sc.done = true
			if errors.Is(err, store.ErrStop) {
				return nil
			}
			return errCallback{err}
		}
		if sc.sent++; sc.limit > 0 && sc.sent >= sc.limit {
			sc.done = true
			return nil
		}
	}
	return rows.Err()
}

// scanState is how far a scan has come, across the pages of a search.
type scanState struct {
	limit  int   // events to send at most, 0 for all
	sent   int   // events sent to fn
	read   int   // rows read (of this page, for searches)
	lastID int64 // the id of the last row read
	done   bool  // fn stopped the scan or the limit was reached
}

// errCallback marks an error the callback returned, which the scan passes
// on as it is.
type errCallback struct{ err error }

func (e errCallback) Error() string { return e.err.Error() }
func (e errCallback) Unwrap() error { return e.err }

// LastEventID reads the id counter, which remembers the highest id even
// after retention deleted that event.
func (s *Store) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, `SELECT last FROM event_ids WHERE id = 1`).Scan(&id); err != nil {
		return 0, fmt.Errorf("postgres: last event id: %w", err)
	}
	return id, nil
}

// DeleteEventsBefore drops the day partitions that end at or before t,
// then deletes the events before t from the partitions that remain (the
// one straddling t, and the edge partitions), Options.DeleteBatch at a
// time. Then, since the server runs it hourly, it builds the search
// indexes of the days that ended (IndexClosedDays).
func (s *Store) DeleteEventsBefore(ctx context.Context, t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	before := codec.UnixNanos(t)
	total, err := s.dropPartitionsBefore(ctx, before)
	if err != nil {
		return total, fmt.Errorf("postgres: delete events: %w", err)
	}
	for {
		// One statement deletes a batch and takes it off event_counts.
		var n int64
		err := s.pool.QueryRow(ctx, `
WITH del AS (
	DELETE FROM events WHERE time_ns < $1 AND id IN (SELECT id FROM events WHERE time_ns < $1 LIMIT $2) RETURNING time_ns
), per_day AS (
	SELECT floor(time_ns::numeric / 86400000000000)::bigint AS day, count(*) AS n FROM del GROUP BY 1
), counted AS (
	UPDATE event_counts c SET n = c.n - per_day.n FROM per_day WHERE c.day = per_day.day
)
SELECT count(*) FROM del`, before, s.opts.DeleteBatch).Scan(&n)
		if err != nil {
			return total, fmt.Errorf("postgres: delete events: %w", err)
		}
		total += n
		if n < int64(s.opts.DeleteBatch) {
			break
		}
	}
	// Retention runs hourly: the time to index the days that ended.
	if _, err := s.IndexClosedDays(ctx, time.Now()); err != nil {
		return total, fmt.Errorf("postgres: delete events: removed %d, then: %w", total, err)
	}
	return total, nil
}

// dropPartitionsBefore drops every day partition whose whole day is before
// the cutoff and returns how many events they held. Each is first detached
// CONCURRENTLY: a plain DROP TABLE waits for every query on events (a long
// search) and makes every later one, ingest included, wait behind it.
// Detached, the table takes no more rows, so its count is exact, and the
// DROP locks only it. A table a crash left detached is found by its name
// and dropped as well.
func (s *Store) dropPartitionsBefore(ctx context.Context, before int64) (int64, error) {
	rows, err := s.pool.Query(ctx, `
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relname ~ '^events_[0-9]{8}$'`)
	if err != nil {
		return 0, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	var days []int64
	for _, n := range names {
		if d, ok := partitionDay(n); ok && (d+1)*dayNanos <= before {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	if len(days) == 0 {
		return 0, nil
	}
	defer s.forgetPartitions()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	var total int64
	for _, d := range days {
		n, err := dropPartition(ctx, conn, d)
		total += n
		if err != nil {
			return total, fmt.Errorf("drop partition %s: %w", partitionName(d), err)
		}
	}
	return total, nil
}

// dropPartition detaches, counts and drops day d's table, holding the
// partition lock so that no server creates the day again meanwhile.
func dropPartition(ctx context.Context, conn *pgxpool.Conn, d int64) (int64, error) {
	name := pgx.Identifier{partitionName(d)}.Sanitize()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext(current_schema()))`, lockPartition); err != nil {
		return 0, err
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, lockPartition)
	// Its state now that this server holds the lock: another may have
	// dropped or detached it since the listing.
	var exists bool
	var pending *bool
	err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL,
	(SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = to_regclass($1) AND inhparent = 'events'::regclass)`, name).Scan(&exists, &pending)
	if err != nil || !exists {
		return 0, err
	}
	switch {
	case pending == nil: // detached already
	case *pending: // a detach was interrupted
		if _, err := conn.Exec(ctx, `ALTER TABLE events DETACH PARTITION `+name+` FINALIZE`); err != nil {
			return 0, err
		}
	default:
		if _, err := conn.Exec(ctx, `ALTER TABLE events DETACH PARTITION `+name+` CONCURRENTLY`); err != nil {
			return 0, err
		}
	}
	var n int64
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+name).Scan(&n); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DROP TABLE `+name); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM event_counts WHERE day = $1`, d)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// CountEvents adds up event_counts.
func (s *Store) CountEvents(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(n), 0)::bigint FROM event_counts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count events: %w", err)
	}
	return n, nil
}

// EventsPerHour counts each event in the hour of its own time.
func (s *Store) EventsPerHour(ctx context.Context, since time.Time, hours int) ([]int64, error) {
	out := make([]int64, max(hours, 0))
	if hours <= 0 {
		return out, nil
	}
	from := codec.UnixNanos(since)
	rows, err := s.pool.Query(ctx,
		`SELECT (time_ns - $1) / 3600000000000, count(*) FROM events WHERE time_ns >= $1 AND time_ns < $2 GROUP BY 1`,
		from, from+int64(hours)*int64(time.Hour))
	if err != nil {
		return nil, fmt.Errorf("postgres: events per hour: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h, n int64
		if err := rows.Scan(&h, &n); err != nil {
			return nil, fmt.Errorf("postgres: events per hour: %w", err)
		}
		if h >= 0 && h < int64(hours) {
			out[h] = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: events per hour: %w", err)
	}
	return out, nil
}
