package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/storetest"
)

// testDSN returns the test database's connection string, skipping the test
// when there is none. .ci/run starts a throwaway server and sets it.
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("BULWARK_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("BULWARK_TEST_POSTGRES not set: set it to a PostgreSQL connection string (e.g. postgres://bulwark@127.0.0.1:5432/bulwark_test?sslmode=disable) to test the PostgreSQL store")
	}
	prepareOnce.Do(func() { prepareErr = prepare(dsn) })
	if prepareErr != nil {
		t.Fatalf("prepare test database: %v", prepareErr)
	}
	return dsn
}

var (
	prepareOnce sync.Once
	prepareErr  error
)

// prepare installs pg_trgm in public before any test schema exists:
// otherwise the first test's migration would install it in that test's
// schema, and dropping the schema would take the other tests' indexes.
func prepare(dsn string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var have bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')`).Scan(&have); err != nil || have {
		return err
	}
	_, err = conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`)
	if isCode(err, codeUnique) { // another test process created it meanwhile
		err = nil
	}
	return err
}

// testSchemas maps each test directory the conformance suite hands out to
// the schema standing in for it, so that a reopen finds the same data.
var testSchemas sync.Map

// openTest opens a store in a fresh schema for key (created on first use,
// dropped when the test that created it ends), so that tests run in
// parallel and again without seeing each other's data.
func openTest(t testing.TB, key string, opts Options) *Store {
	t.Helper()
	dsn := testDSN(t)
	fresh := "bulwark_test_" + randomHex(t)
	v, loaded := testSchemas.LoadOrStore(key, fresh)
	schema := v.(string)
	if !loaded {
		t.Cleanup(func() { dropSchema(t, dsn, schema) })
	}
	opts.Schema = schema
	s, err := Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randomHex(t testing.TB) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

func dropSchema(t testing.TB, dsn, schema string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}

// testOptions delete in tiny batches, so that the suite's retention test
// crosses several of them.
var testOptions = Options{DeleteBatch: 3}

func TestConformance(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T, dir string) store.Store { return openTest(t, dir, testOptions) })
}

func TestOpenTwiceIsIdempotent(t *testing.T) {
	for range 3 {
		s := openTest(t, t.Name(), Options{})
		var steps, max int
		if err := s.pool.QueryRow(t.Context(), `SELECT count(*), max(version) FROM schema_migrations`).Scan(&steps, &max); err != nil {
			t.Fatal(err)
		}
		if steps != len(migrations) || max != len(migrations) {
			t.Errorf("schema_migrations holds %d steps up to %d, want %d", steps, max, len(migrations))
		}
		s.Close()
	}
}

// Servers starting together against an empty schema migrate it once.
func TestConcurrentOpen(t *testing.T) {
	testDSN(t)
	key := t.Name()
	s0 := openTest(t, key, Options{}) // creates the schema name and its cleanup
	s0.Close()
	if _, err := s0Pool(t, key).Exec(t.Context(), `DROP SCHEMA `+pgx.Identifier{schemaOf(key)}.Sanitize()+` CASCADE`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(t.Context(), testDSN(t), Options{Schema: schemaOf(key)})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
}

func schemaOf(key string) string {
	v, _ := testSchemas.Load(key)
	return v.(string)
}

// s0Pool opens a plain connection pool to the test database.
func s0Pool(t *testing.T, key string) *pgx.Conn {
	conn, err := pgx.Connect(t.Context(), testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s := openTest(t, t.Name(), Options{})
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version, applied) VALUES ($1, 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	opts := Options{Schema: schemaOf(t.Name())}
	if s, err := Open(t.Context(), testDSN(t), opts); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Errorf("opening a newer schema: got %v, want an error saying it is newer", err)
	}
}
