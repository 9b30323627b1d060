package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/codec"
)

// The event log is stored in blocks: one row holds up to blockEvents
// consecutive events, with the span of their times and, in a side table,
// the hosts they are about. A row per event cost SQLite a b-tree insert in
// the table and in each index for every event, which made the store the
// server's slowest stage; a row per block costs one insert for hundreds of
// events, and scans read whole blocks, which they did in effect anyway.
// Filters narrow the scan to blocks whose id range, time span or host set
// can hold a match, then test each event.
//
// A block's data is, per event: uvarint(id - first_id), uvarint(length),
// event.AppendBinary. Ids within a block are consecutive when written;
// retention may remove the older part of a block, leaving gaps.
const blockEvents = 256

const insertBlockSQL = `INSERT INTO event_blocks (first_id, last_id, count, min_time, max_time, data) VALUES (?, ?, ?, ?, ?, ?)`

// eventHost is the host an event is filed under (event.Host).
func eventHost(e *event.Event) string { return e.Host() }

// block is one encoded block being built or rewritten.
type block struct {
	first, last int64
	count       int
	minT, maxT  int64
	data        []byte
	hosts       []string // distinct, sorted
}

func (b *block) reset(first int64) {
	*b = block{first: first, data: b.data[:0], hosts: b.hosts[:0]}
}

// add appends the encoding enc of an event with id, time t and host.
func (b *block) add(id int64, t int64, host string, enc []byte) {
	if b.count == 0 || t < b.minT {
		b.minT = t
	}
	if b.count == 0 || t > b.maxT {
		b.maxT = t
	}
	b.count++
	b.last = id
	b.data = binary.AppendUvarint(b.data, uint64(id-b.first))
	b.data = binary.AppendUvarint(b.data, uint64(len(enc)))
	b.data = append(b.data, enc...)
	if host != "" {
		if i, found := slices.BinarySearch(b.hosts, host); !found {
			b.hosts = slices.Insert(b.hosts, i, host)
		}
	}
}

// blockBuf holds the buffers of AppendEvents, reused across batches.
type blockBuf struct {
	enc []byte
	b   block
}

var blockPool = sync.Pool{New: func() any { return new(blockBuf) }}

// AppendEvents stores evs in one transaction, as blocks of up to
// blockEvents.
func (db *DB) AppendEvents(ctx context.Context, evs []event.Event) (int64, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	buf := blockPool.Get().(*blockBuf)
	defer func() {
		if cap(buf.b.data) <= 64<<20 {
			clear(buf.b.hosts)
			blockPool.Put(buf)
		}
	}()

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

	stmt := tx.StmtContext(ctx, db.insertBlock)
	hostStmt := tx.StmtContext(ctx, db.insertBlockHost)
	for start := 0; start < len(evs); start += blockEvents {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("sqlite: append events: %w", ctx.Err())
		}
		end := min(start+blockEvents, len(evs))
		b := &buf.b
		b.reset(firstID + int64(start))
		for i := start; i < end; i++ {
			e := &evs[i]
			buf.enc = event.AppendBinary(buf.enc[:0], e)
			b.add(firstID+int64(i), codec.UnixNanos(e.Time), eventHost(e), buf.enc)
		}
		if err := insertBlock(ctx, stmt, hostStmt, b); err != nil {
			return 0, fmt.Errorf("sqlite: append events: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: append events: %w", err)
	}
	return firstID, nil
}

// insertBlock writes b and its hosts. The statements' context cannot be
// cancelled: the driver watches a cancellable one with a goroutine per
// statement, and the transaction rolls back on the caller's ctx anyway.
func insertBlock(ctx context.Context, stmt, hostStmt *sql.Stmt, b *block) error {
	ctx = context.WithoutCancel(ctx)
	if _, err := stmt.ExecContext(ctx, b.first, b.last, b.count, b.minT, b.maxT, b.data); err != nil {
		return err
	}
	for _, h := range b.hosts {
		if _, err := hostStmt.ExecContext(ctx, h, b.first); err != nil {
			return err
		}
	}
	return nil
}

// entry is one event's place in a block's data.
type entry struct {
	id       int64
	from, to int // the encoding is data[from:to]
}

// entries lists the events of a block, checking the framing.
func entries(first int64, data []byte, out []entry) ([]entry, error) {
	out = out[:0]
	for off := 0; off < len(data); {
		delta, n := binary.Uvarint(data[off:])
		if n <= 0 {
			return out, fmt.Errorf("block %d: bad id at byte %d", first, off)
		}
		off += n
		size, n := binary.Uvarint(data[off:])
		if n <= 0 || size > uint64(len(data)-off-n) {
			return out, fmt.Errorf("block %d: bad length at byte %d", first, off)
		}
		off += n
		out = append(out, entry{id: first + int64(delta), from: off, to: off + int(size)})
		off += int(size)
	}
	return out, nil
}

// eventMatch tests the per-event conditions of a filter.
type eventMatch struct {
	afterID    int64
	from, to   int64 // unix nanos; 0 when unbounded
	hasFrom    bool
	hasTo      bool
	host       string
	limit      int
	desc       bool
	seen, sent int
}

func newEventMatch(f store.EventFilter) eventMatch {
	m := eventMatch{afterID: f.AfterID, host: f.Host, limit: f.Limit, desc: f.Desc}
	if !f.From.IsZero() {
		m.from, m.hasFrom = codec.UnixNanos(f.From), true
	}
	if !f.To.IsZero() {
		m.to, m.hasTo = codec.UnixNanos(f.To), true
	}
	return m
}

func (m *eventMatch) match(e *event.Event) bool {
	t := codec.UnixNanos(e.Time)
	if m.hasFrom && t < m.from || m.hasTo && t >= m.to {
		return false
	}
	return m.host == "" || eventHost(e) == m.host
}

// ScanEvents streams the selected events from a read-only connection,
// decoding each into the same StoredEvent.
func (db *DB) ScanEvents(ctx context.Context, f store.EventFilter, fn func(*store.StoredEvent) error) error {
	query, args := blockQuery(f)
	rows, err := db.eread.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: scan events: %w", err)
	}
	defer rows.Close()
	m := newEventMatch(f)
	var se store.StoredEvent
	var first int64
	var data sql.RawBytes // the driver's copy of the row, valid until Next
	var es []entry
	for rows.Next() {
		if err := rows.Scan(&first, &data); err != nil {
			return fmt.Errorf("sqlite: scan events: %w", err)
		}
		if es, err = entries(first, data, es); err != nil {
			return fmt.Errorf("sqlite: scan events: %w", err)
		}
		if m.desc {
			slices.Reverse(es)
		}
		for _, en := range es {
			if en.id <= m.afterID {
				continue
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("sqlite: scan events: %w", err)
			}
			if err := event.DecodeBinary(&se.Event, data[en.from:en.to]); err != nil {
				return fmt.Errorf("sqlite: scan events: event %d: %w", en.id, err)
			}
			if !m.match(&se.Event) {
				continue
			}
			se.ID = en.id
			if err := fn(&se); err != nil {
				if errors.Is(err, store.ErrStop) {
					return nil
				}
				return err
			}
			if m.sent++; m.limit > 0 && m.sent >= m.limit {
				return nil
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: scan events: %w", err)
	}
	return nil
}

// blockQuery selects the blocks that can hold events f selects. Only the
// conditions f sets appear, so that SQLite's planner sees which index fits.
func blockQuery(f store.EventFilter) (string, []any) {
	var where []string
	var args []any
	if f.AfterID > 0 {
		where = append(where, "last_id > ?")
		args = append(args, f.AfterID)
	}
	if !f.From.IsZero() {
		where = append(where, "max_time >= ?")
		args = append(args, codec.UnixNanos(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "min_time < ?")
		args = append(args, codec.UnixNanos(f.To))
	}
	if f.Host != "" {
		where = append(where, "first_id IN (SELECT first_id FROM event_block_hosts WHERE host = ?)")
		args = append(args, f.Host)
	}
	var q strings.Builder
	q.WriteString("SELECT first_id, data FROM event_blocks")
	if len(where) > 0 {
		q.WriteString(" WHERE ")
		q.WriteString(strings.Join(where, " AND "))
	}
	if f.Desc {
		q.WriteString(" ORDER BY first_id DESC")
	} else {
		q.WriteString(" ORDER BY first_id")
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

// DeleteEventsBefore removes whole blocks older than t, Options.DeleteBatch
// events' worth per transaction so that ingest gets the writer between
// them, then rewrites the blocks that straddle t without their older
// events.
func (db *DB) DeleteEventsBefore(ctx context.Context, t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	before := codec.UnixNanos(t)
	perTx := max(1, db.opts.DeleteBatch/blockEvents)
	var total int64
	for {
		n, blocks, err := db.deleteOldBlocks(ctx, before, perTx)
		total += n
		if err != nil {
			return total, fmt.Errorf("sqlite: delete events: %w", err)
		}
		if blocks < perTx {
			break
		}
	}
	n, err := db.trimBlocks(ctx, before)
	total += n
	if err != nil {
		return total, fmt.Errorf("sqlite: delete events: %w", err)
	}
	return total, nil
}

// deleteOldBlocks deletes up to limit blocks whose every event is older
// than before and returns how many events and blocks it deleted.
func (db *DB) deleteOldBlocks(ctx context.Context, before int64, limit int) (events int64, blocks int, err error) {
	tx, err := db.ewrite.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT first_id, count FROM event_blocks WHERE max_time < ? LIMIT ?`, before, limit)
	if err != nil {
		return 0, 0, err
	}
	var ids []int64
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return 0, 0, err
		}
		ids = append(ids, id)
		events += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM event_blocks WHERE first_id = ?`, id); err != nil {
			return 0, 0, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM event_block_hosts WHERE first_id = ?`, id); err != nil {
			return 0, 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, err
	}
	return events, len(ids), nil
}

// trimBlocks rewrites the blocks holding events both older and newer than
// before, keeping the newer ones. There are few: retention runs often and
// a block spans a short time.
func (db *DB) trimBlocks(ctx context.Context, before int64) (int64, error) {
	tx, err := db.ewrite.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	type old struct {
		first int64
		data  []byte
	}
	rows, err := tx.QueryContext(ctx, `SELECT first_id, data FROM event_blocks WHERE min_time < ? AND max_time >= ?`, before, before)
	if err != nil {
		return 0, err
	}
	var olds []old
	for rows.Next() {
		var o old
		if err := rows.Scan(&o.first, &o.data); err != nil {
			rows.Close()
			return 0, err
		}
		olds = append(olds, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var removed int64
	var e event.Event
	var b block
	for _, o := range olds {
		es, err := entries(o.first, o.data, nil)
		if err != nil {
			return removed, err
		}
		b.reset(o.first)
		for _, en := range es {
			enc := o.data[en.from:en.to]
			if err := event.DecodeBinary(&e, enc); err != nil {
				return removed, fmt.Errorf("event %d: %w", en.id, err)
			}
			t := codec.UnixNanos(e.Time)
			if t < before {
				removed++
				continue
			}
			b.add(en.id, t, eventHost(&e), enc)
		}
		// The block keeps its first_id (its key, which ids are counted
		// from), so a trimmed block may start with a gap.
		b.first = o.first
		if _, err := tx.ExecContext(ctx, `DELETE FROM event_block_hosts WHERE first_id = ?`, o.first); err != nil {
			return removed, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE event_blocks SET count = ?, min_time = ?, max_time = ?, data = ? WHERE first_id = ?`,
			b.count, b.minT, b.maxT, b.data, o.first); err != nil {
			return removed, err
		}
		for _, h := range b.hosts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO event_block_hosts (host, first_id) VALUES (?, ?)`, h, o.first); err != nil {
				return removed, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return removed, nil
}

// CountEvents adds up the blocks' counts.
func (db *DB) CountEvents(ctx context.Context) (int64, error) {
	var n int64
	if err := db.eread.QueryRowContext(ctx, `SELECT coalesce(sum(count), 0) FROM event_blocks`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count events: %w", err)
	}
	return n, nil
}

// EventsPerHour counts by block: a block's events go to the hour of its
// earliest event (blocks span the moments one write gathered).
func (db *DB) EventsPerHour(ctx context.Context, since time.Time, hours int) ([]int64, error) {
	out := make([]int64, max(hours, 0))
	if hours <= 0 {
		return out, nil
	}
	from := codec.UnixNanos(since)
	rows, err := db.eread.QueryContext(ctx,
		`SELECT (min_time - ?) / 3600000000000, sum(count) FROM event_blocks WHERE min_time >= ? AND min_time < ? GROUP BY 1`,
		from, from, from+int64(hours)*int64(time.Hour))
	if err != nil {
		return nil, fmt.Errorf("sqlite: events per hour: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h, n int64
		if err := rows.Scan(&h, &n); err != nil {
			return nil, fmt.Errorf("sqlite: events per hour: %w", err)
		}
		if h >= 0 && h < int64(hours) {
			out[h] = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: events per hour: %w", err)
	}
	return out, nil
}
