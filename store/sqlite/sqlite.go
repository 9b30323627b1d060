// Package sqlite is the default store: two SQLite database files in the
// data directory, through the pure-Go driver modernc.org/sqlite so that the
// server stays a single static binary. events.db holds the event log;
// bulwark.db everything else (alerts and how far detection has come,
// cases, users, tokens, sessions, audit, settings). SQLite admits one
// writer per file, and ingest writes events while detection writes alerts:
// in one file each waited for the other's transactions, and the server's
// throughput was that of the two paths in series.
//
// Writes to each file go through one connection, because SQLite admits one writer at a
// time anyway and a single connection turns lock contention into an orderly
// queue in database/sql. Reads use a separate pool of read-only connections:
// in WAL mode readers see the last committed state without blocking the
// writer, so a long search never stalls ingest. Every commit is synced to
// disk (synchronous=FULL) because the server acknowledges events only after
// AppendEvents returns.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/internal/ruledoc"
)

// FileName is the main database file Open creates in its directory, and
// EventsFileName the event log's.
const (
	FileName       = "bulwark.db"
	EventsFileName = "events.db"
)

// Options tune the store. The zero value is a sensible default.
type Options struct {
	// BusyTimeout is how long a statement waits for a lock another
	// connection (or process) holds before failing. Zero means 10s.
	BusyTimeout time.Duration
	// Readers is the size of the read-only connection pool. Zero means 4.
	Readers int
	// DeleteBatch is how many events DeleteEventsBefore removes per
	// transaction, so that ingest waits for at most one batch. Zero means
	// 10000.
	DeleteBatch int
}

func (o Options) withDefaults() Options {
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 10 * time.Second
	}
	if o.Readers <= 0 {
		o.Readers = 4
	}
	if o.DeleteBatch <= 0 {
		o.DeleteBatch = 10000
	}
	return o
}

// DB is a store.Store kept in one SQLite database. It is safe for
// concurrent use.
type DB struct {
	write           *sql.DB // bulwark.db: one connection, every write in order
	read            *sql.DB // bulwark.db: read-only connections for queries
	ewrite          *sql.DB // events.db, the same way
	eread           *sql.DB
	rules           ruledoc.Cache // alert rules already encoded
	insertBlock     *sql.Stmt
	insertBlockHost *sql.Stmt
	opts            Options
	closeOnce       sync.Once
	closeErr        error
}

var _ store.Store = (*DB)(nil)

// Open opens the store in dir, creating the directory (mode 0700) and the
// database file when they do not exist and bringing the schema up to date.
func Open(ctx context.Context, dir string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db := &DB{opts: opts}
	if err := db.openFiles(ctx, dir); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openFiles opens both database files.
func (db *DB) openFiles(ctx context.Context, dir string) error {
	var err error
	if db.write, db.read, err = db.openFile(ctx, dir, FileName, migrations); err != nil {
		return err
	}
	if db.ewrite, db.eread, err = db.openFile(ctx, dir, EventsFileName, eventMigrations); err != nil {
		return err
	}
	if db.insertBlock, err = db.ewrite.PrepareContext(ctx, insertBlockSQL); err != nil {
		return fmt.Errorf("sqlite: open %s: prepare event insert: %w", EventsFileName, err)
	}
	if db.insertBlockHost, err = db.ewrite.PrepareContext(ctx, `INSERT INTO event_block_hosts (host, first_id) VALUES (?, ?)`); err != nil {
		return fmt.Errorf("sqlite: open %s: prepare event insert: %w", EventsFileName, err)
	}
	return nil
}

// openFile opens one database file in dir, creating it private to the
// owner, and brings its schema up to date with steps.
func (db *DB) openFile(ctx context.Context, dir, name string, steps []string) (write, read *sql.DB, err error) {
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if err := createPrivate(path); err != nil {
		return nil, nil, fmt.Errorf("sqlite: open: %w", err)
	}
	write, read, err = db.open(ctx, path, steps)
	if err != nil {
		return write, read, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return write, read, nil
}

// createPrivate creates the database file, if missing, readable by the
// owner only: SQLite gives the -wal and -shm files the same mode, and they
// hold password hashes and whatever the logs contained. A new file's
// directory entry is synced, as SQLite does for the WAL it creates, so that
// a crash right after the first start cannot lose the file while keeping
// its WAL.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	if err := dir.Sync(); err != nil && runtime.GOOS != "windows" { // Windows cannot sync a directory
		return fmt.Errorf("sync %s: %w", filepath.Dir(path), err)
	}
	return nil
}

func (db *DB) open(ctx context.Context, path string, steps []string) (write, read *sql.DB, err error) {
	timeout := strconv.FormatInt(db.opts.BusyTimeout.Milliseconds(), 10)
	writeParams := url.Values{
		"_busy_timeout": {timeout},
		"_pragma": {
			// An event takes one to two KiB; with the default 4 KiB pages
			// the b-tree splits a page every other insert and writes many
			// small WAL frames. 32 KiB pages more than double ingest (16
			// and 64 KiB measured the same as 32). It takes effect only
			// when the database is created, which is why it runs before
			// WAL mode is set.
			"page_size(32768)",
			// Let a whole batch of dirty pages stay in memory until commit,
			// instead of spilling them into the WAL and writing them again.
			"cache_size(-32768)",
			// Give the disk back after a checkpoint once the WAL has grown
			// past 128 MiB (a long scan can hold the WAL from restarting).
			"journal_size_limit(134217728)",
		},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"FULL"},
		"_foreign_keys": {"on"},
		// Take the write lock at BEGIN: a transaction that starts reading
		// and upgrades later can fail with SQLITE_BUSY regardless of the
		// timeout.
		"_txlock": {"immediate"},
	}
	if write, err = sql.Open("sqlite", dsn(path, writeParams)); err != nil {
		return nil, nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := migrateTo(ctx, write, steps); err != nil {
		return write, nil, err
	}

	readParams := url.Values{
		// mode=ro is enforced by SQLite itself, unlike query_only which any
		// statement could switch off again.
		"mode":          {"ro"},
		"_busy_timeout": {timeout},
	}
	if read, err = sql.Open("sqlite", dsn(path, readParams)); err != nil {
		return write, nil, err
	}
	read.SetMaxOpenConns(db.opts.Readers)
	read.SetMaxIdleConns(db.opts.Readers)
	if err := read.PingContext(ctx); err != nil {
		return write, read, fmt.Errorf("open read pool: %w", err)
	}
	return write, read, nil
}

// dsn builds a file: URI, which SQLite needs to honour mode=ro, with the
// path escaped so that '?' or '#' in a directory name cannot cut it short.
func dsn(path string, params url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: params.Encode()}
	return u.String()
}

// Close closes the database. Calling it again returns the first result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		var errs []error
		for _, st := range []*sql.Stmt{db.insertBlock, db.insertBlockHost} {
			if st != nil {
				errs = append(errs, st.Close())
			}
		}
		for _, c := range []*sql.DB{db.eread, db.ewrite, db.read, db.write} {
			if c != nil {
				errs = append(errs, c.Close())
			}
		}
		if err := errors.Join(errs...); err != nil {
			db.closeErr = fmt.Errorf("sqlite: close: %w", err)
		}
	})
	return db.closeErr
}

// isConstraint reports whether err is a SQLite constraint violation of the
// given extended code (SQLITE_CONSTRAINT_UNIQUE, ...).
func isConstraint(err error, code int) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code() == code
}

// isUniqueViolation reports whether err is a duplicate key.
func isUniqueViolation(err error) bool {
	return isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) || isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// expectOne turns "no row changed" into ErrNotFound for updates and deletes
// by key.
func expectOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// notFound maps sql.ErrNoRows to store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
