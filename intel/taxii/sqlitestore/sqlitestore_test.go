package sqlitestore_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/intel/taxii"
	"github.com/bulwarkhq/bulwark/intel/taxii/sqlitestore"
	"github.com/bulwarkhq/bulwark/intel/taxii/taxiitest"
)

func open(t *testing.T, path string) *sqlitestore.Store {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConformance(t *testing.T) {
	taxiitest.Run(t, func(t *testing.T) taxii.Store { return open(t, filepath.Join(t.TempDir(), "taxii.db")) })
}

// TestDurable checks that what Add returned survives closing and opening
// the database again, and that date_added keeps increasing past it.
func TestDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "taxii.db")
	st := open(t, path)
	ctx := t.Context()
	if err := st.PutCollection(ctx, taxii.Collection{ID: "c", Title: "C", Read: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	o := taxiitest.Indicator(1, 0)
	e, err := taxii.NewEntry(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	entries := []taxii.Entry{e}
	if _, err := st.Add(ctx, "c", entries, future); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = open(t, path)
	p, err := st.Select(ctx, "c", taxii.Filter{})
	if err != nil || len(p.Entries) != 1 || string(p.Entries[0].Object) != string(e.Object) || !p.Entries[0].DateAdded.Equal(entries[0].DateAdded) {
		t.Fatalf("after reopen: %+v, %v", p, err)
	}
	e2, _ := taxii.NewEntry(taxiitest.Indicator(2, 0), nil)
	more := []taxii.Entry{e2}
	if _, err := st.Add(ctx, "c", more, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !more[0].DateAdded.After(entries[0].DateAdded) {
		t.Errorf("date_added went back: %v after %v", more[0].DateAdded, entries[0].DateAdded)
	}
}

// TestOpenRelativePath: a relative path is a file below the working
// directory, not a URI authority.
func TestOpenRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.Mkdir("data", 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := sqlitestore.Open(t.Context(), filepath.Join("data", "taxii.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := os.Stat(filepath.Join("data", "taxii.db")); err != nil {
		t.Error(err)
	}
}
