package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
)

// cancelCheckRows is how often AppendEvents checks for cancellation.
const cancelCheckRows = 64

const insertEventSQL = `INSERT INTO events (id, time, host, data) VALUES (?, ?, ?, ?)`

// eventHost is the host an event is filed under (event.Host).
func eventHost(e *event.Event) string { return e.Host() }

// encodedBatch holds a batch's encodings in one buffer, reused across
// batches: ingest appends many batches of similar size.
type encodedBatch struct {
	buf   []byte
	ends  []int // ends[i] is where event i's encoding ends in buf
	hosts []string
	times []int64
}

var batchPool = sync.Pool{New: func() any { return new(encodedBatch) }}

func (b *encodedBatch) encode(evs []event.Event) {
	b.buf, b.ends, b.hosts, b.times = b.buf[:0], b.ends[:0], b.hosts[:0], b.times[:0]
	for i := range evs {
		e := &evs[i]
		b.buf = event.AppendBinary(b.buf, e)
		b.ends = append(b.ends, len(b.buf))
		b.hosts = append(b.hosts, eventHost(e))
		b.times = append(b.times, unixNanos(e.Time))
	}
}

// release returns b to the pool, unless one huge batch made it too big to
// be worth keeping.
func (b *encodedBatch) release() {
	if cap(b.buf) > 64<<20 {
		return
	}
	clear(b.hosts) // let the events' strings go
	batchPool.Put(b)
}

// AppendEvents stores evs in one transaction. Encoding happens before the
// transaction starts so that concurrent callers hold the single writer only
// for the inserts themselves.
func (db *DB) AppendEvents(ctx context.Context, evs []event.Event) (int64, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	b := batchPool.Get().(*encodedBatch)
	defer b.release()
	b.encode(evs)

	tx, err := db.ewrite.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: append events: %w", err)
	}
	defer tx.Rollback()
	// Reserve the batch's ids. The transaction holds the write lock, so
	// no one else can take the same ones.
	var last int64
	err = tx.QueryRowContext(ctx, `UPDATE event_ids SET last = last + ? WHERE id = 1 RETURNING last`, len(evs)).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("sqlite: append events: reserve ids: %w", err)
	}
	firstID := last - int64(len(evs)) + 1

	stmt := tx.StmtContext(ctx, db.insertEvent)
	// The driver starts a goroutine per statement to watch a cancellable
	// context, which costs more than the insert itself. Rows get a context
	// that cannot be cancelled and the loop checks the caller's instead;
	// the transaction still rolls back when ctx ends.
	rowCtx := context.WithoutCancel(ctx)
	start := 0
	for i, end := range b.ends {
		if i%cancelCheckRows == 0 && ctx.Err() != nil {
			return 0, fmt.Errorf("sqlite: append events: %w", ctx.Err())
		}
		// One row per statement: INSERTs of several rows measured slower
		// with this driver.
		_, err := stmt.ExecContext(rowCtx, firstID+int64(i), b.times[i], b.hosts[i], b.buf[start:end])
		if err != nil {
			return 0, fmt.Errorf("sqlite: append events: %w", err)
		}
		start = end
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: append events: %w", err)
	}
	return firstID, nil
}

// ScanEvents streams the selected events from a read-only connection,
// decoding each into the same StoredEvent.
func (db *DB) ScanEvents(ctx context.Context, f store.EventFilter, fn func(*store.StoredEvent) error) error {
	query, args := eventQuery(f)
	rows, err := db.eread.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: scan events: %w", err)
	}
	defer rows.Close()
	var se store.StoredEvent
	var data sql.RawBytes // the driver's copy of the row, valid until Next
	for rows.Next() {
		if err := rows.Scan(&se.ID, &data); err != nil {
			return fmt.Errorf("sqlite: scan events: %w", err)
		}
		if err := event.DecodeBinary(&se.Event, data); err != nil {
			return fmt.Errorf("sqlite: scan events: event %d: %w", se.ID, err)
		}
		if err := fn(&se); err != nil {
			if errors.Is(err, store.ErrStop) {
				return nil
			}
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: scan events: %w", err)
	}
	return nil
}

// eventQuery builds the SELECT for f. Only the conditions f sets appear, so
// that SQLite's planner sees which index fits.
func eventQuery(f store.EventFilter) (string, []any) {
	var where []string
	var args []any
	if f.AfterID > 0 {
		where = append(where, "id > ?")
		args = append(args, f.AfterID)
	}
	if !f.From.IsZero() {
		where = append(where, "time >= ?")
		args = append(args, unixNanos(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "time < ?")
		args = append(args, unixNanos(f.To))
	}
	if f.Host != "" {
		where = append(where, "host = ?")
		args = append(args, f.Host)
	}
	var q strings.Builder
	q.WriteString("SELECT id, data FROM events")
	if len(where) > 0 {
		q.WriteString(" WHERE ")
		q.WriteString(strings.Join(where, " AND "))
	}
	if f.Desc {
		q.WriteString(" ORDER BY id DESC")
	} else {
		q.WriteString(" ORDER BY id")
	}
	if f.Limit > 0 {
		q.WriteString(" LIMIT " + strconv.Itoa(f.Limit))
	}
	return q.String(), args
}

// LastEventID reads the id counter, which remembers the highest id even
// after retention deleted that event.
func (db *DB) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := db.eread.QueryRowContext(ctx, `SELECT last FROM event_ids WHERE id = 1`).Scan(&id); err != nil {
		return 0, fmt.Errorf("sqlite: last event id: %w", err)
	}
	return id, nil
}

// DeleteEventsBefore deletes in batches of Options.DeleteBatch, each its own
// transaction, so that ingest gets the writer between batches.
func (db *DB) DeleteEventsBefore(ctx context.Context, t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	before := unixNanos(t)
	var total int64
	for {
		res, err := db.ewrite.ExecContext(ctx,
			`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ? LIMIT ?)`,
			before, db.opts.DeleteBatch)
		if err != nil {
			return total, fmt.Errorf("sqlite: delete events: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("sqlite: delete events: %w", err)
		}
		total += n
		if n < int64(db.opts.DeleteBatch) {
			return total, nil
		}
	}
}

// CountEvents counts the rows; SQLite walks the smallest index to do so.
func (db *DB) CountEvents(ctx context.Context) (int64, error) {
	var n int64
	if err := db.eread.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count events: %w", err)
	}
	return n, nil
}
