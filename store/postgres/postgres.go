// Package postgres is the store for running several Bulwark servers
// against one database (issue 10, scale-out): every role of store.Store
// kept in PostgreSQL (14 or later; tested on Debian 12's 15) through the
// pure-Go driver pgx, so that the server stays a single static binary. It
// passes the conformance suite in store/storetest, as the SQLite store does.
//
// # Pointing Bulwark at PostgreSQL
//
// Open takes a connection string in either of libpq's forms:
//
//	postgres://bulwark:secret@db.example:5432/bulwark?sslmode=verify-full
//	host=db.example user=bulwark dbname=bulwark sslmode=verify-full
//
// The role needs CREATE on the database the first time (for its schema and
// for the pg_trgm extension, which is trusted, so a database owner may
// create it) and rights on its own tables after that. Options.Schema keeps
// Bulwark's tables in a schema of their own (created when missing);
// otherwise they go where the connection's search_path puts them. The
// server opens its store in server.New, and the admin commands in
// internal/cli's openData; both open SQLite in the data directory so far,
// and a store URL setting there (postgres://...) would call Open instead.
//
// # Layout
//
// Tables mirror the SQLite store's (store/sqlite), one database holding
// what SQLite splits in two files. Times are bigint nanoseconds since the
// Unix epoch (0 for unset), as in SQLite, because timestamptz keeps only
// microseconds and the store must give back exactly the time it was given.
// Ids are never given out twice.
//
// Events are range-partitioned by event time (time_ns) into one table a
// day, events_YYYYMMDD, created on demand before a batch is written (under
// an advisory lock, in a transaction of its own: creating a partition
// locks the parent table, which must not last as long as a write). Times
// too far out for a day's bounds (before 1679 or after 2260, clamped ones
// included) go to events_before and events_after. Retention drops whole
// days before the cutoff (detached CONCURRENTLY first, so that a long
// search does not queue ingest behind the DROP) and deletes the events
// before the cutoff from the
// partitions that remain (the day that straddles it, the edge partitions)
// in batches, so that it removes exactly the events before the cutoff, as
// store.Events promises. event_counts keeps each day's number of events in
// the same transactions, for CountEvents.
//
// Event ids come from a one-row counter (event_ids) bumped by the length of
// each batch in the batch's own transaction, not from a sequence: the row
// lock orders writers, so a batch's ids are consecutive and batches commit
// in id order. Detection pages through the log with AfterID and would skip
// an event for good if a higher id could commit before a lower one, which
// a sequence allows. Batches go in with COPY.
//
// An event row holds the binary encoding (event.AppendBinary) scans decode,
// the host it is filed under (bytea, as event text may be any bytes;
// indexed with the id, for host filters) and search_text: every field
// value lower-cased the way the search package folds text. Indexes: id
// (b-tree: order, AfterID), time_ns (BRIN: events arrive in about time
// order), (host, id), and on each day partition whose day is over a
// pg_trgm GIN index on search_text, built once in bulk by IndexClosedDays
// (retention calls it hourly) because keeping it row by row cost ingest
// thirty-fold. The event columns are lz4-compressed where the server has
// lz4.
//
// Scans read in pages of ids, so that PostgreSQL plans each page for a
// limit and a newest-first scan that stops early never sorts the log.
// SearchEvents turns the literal text a search query requires into LIKE
// conditions on search_text, which the trigram indexes answer, and runs
// the query's own Match on what comes back, so that its results are
// exactly the search package's. It tests the newest 256 events row by row
// first, because PostgreSQL cannot tell a word most events hold from a
// rare one and would read every candidate from the index.
//
// Event ids are handed out under one row lock, so batches from every
// server commit one at a time: the cluster's event write rate is that of
// one COPY after another. Letting writers overlap needs readers that stop
// below the oldest write still in flight (by transaction id), which is
// not built.
//
// # Migrations
//
// Schema changes are numbered steps in schema_migrations, applied at Open
// in one transaction under a transaction-scoped advisory lock on the
// schema, so that servers starting together apply each step once and the
// others wait and then find nothing to do. A database newer than the
// program is refused.
//
// # Tests
//
// The tests run against the server BULWARK_TEST_POSTGRES names (a
// connection string; .ci/run starts a throwaway one), each in a schema of
// its own dropped at the end, and skip without it.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/ruledoc"
)

// Options tune the store. The zero value is a sensible default.
type Options struct {
	// Schema is the schema the tables live in, created when missing and put
	// first on every connection's search_path (public follows it, for
	// extensions). Empty means the connection string's search_path.
	Schema string
	// MaxConns is the size of the connection pool. Zero means 16: a scan
	// holds a connection while its callback runs, and callbacks call the
	// store again (with pgxpool's own default, 4 on small machines, four
	// such scans could wait on each other for good).
	MaxConns int32
	// DeleteBatch is how many events DeleteEventsBefore deletes per
	// transaction from the partition that straddles the cutoff. Zero
	// means 10000.
	DeleteBatch int
}

func (o Options) withDefaults() Options {
	if o.DeleteBatch <= 0 {
		o.DeleteBatch = 10000
	}
	return o
}

// Store is a store.Store kept in PostgreSQL. It is safe for concurrent use,
// from one process or several.
type Store struct {
	pool  *pgxpool.Pool
	opts  Options
	rules ruledoc.Cache

	mu    sync.Mutex
	parts map[int64]bool // days whose partition is known to exist

	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

// Open connects to the database dsn names and brings its schema up to
// date.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	cfg.MaxConns = 16
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize() + ", public"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool, opts: opts, parts: map[int64]bool{}}
	if opts.Schema != "" {
		if _, err := pool.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{opts.Schema}.Sanitize()); err != nil && !isCode(err, "42P06") && !isCode(err, codeUnique) { // exists, or another server created it meanwhile
			pool.Close()
			return nil, fmt.Errorf("postgres: open: create schema %q: %w", opts.Schema, err)
		}
	}
	if err := migrateTo(ctx, pool, migrations); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return s, nil
}

// Close closes the connection pool. Writes that returned are committed.
func (s *Store) Close() error {
	s.closeOnce.Do(s.pool.Close)
	return nil
}

// Pool returns the connection pool, for tests and tools that inspect the
// database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// isCode reports whether err is a PostgreSQL error with the SQLSTATE code.
func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// SQLSTATE codes the store maps to its own errors.
const (
	codeUnique      = "23505"
	codeForeignKey  = "23503"
	codeNoPartition = "23514" // check_violation: no partition for the row
)

// expectOne turns "no row changed" into ErrNotFound for updates and deletes
// by key.
func expectOne(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// notFound maps pgx.ErrNoRows to store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// bs is how a string goes into a bytea column (see migrations): pgx sends
// a Go string as text, which PostgreSQL checks as UTF-8.
func bs(s string) []byte { return []byte(s) }

// into scans a bytea column into *p.
func into(p *string) bytesInto { return bytesInto{p} }

type bytesInto struct{ p *string }

// ScanBytes implements pgtype.BytesScanner.
func (b bytesInto) ScanBytes(v []byte) error {
	*b.p = string(v)
	return nil
}
