// Package testdata locates the shared real-world test data (../shared/data
// beside the checkout, or $BULWARK_TESTDATA) for tests and benchmarks, and
// skips the caller cleanly when it is absent, so `go test ./...` passes on a
// fresh clone while CI runs everything.
package testdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Env is the environment variable that overrides the data location.
const Env = "BULWARK_TESTDATA"

// Dir returns the shared data directory, or skips tb when it cannot be found.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, ok := Find()
	if !ok {
		tb.Skipf("shared test data not found: set %s or place it at ../shared/data beside the checkout", Env)
	}
	return dir
}

// Path returns a path inside the shared data directory, skipping tb when the
// directory or the path is absent.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Dir(tb)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared test data %s not found: %v", p, err)
	}
	return p
}

// Find returns the shared data directory and whether it exists.
func Find() (string, bool) {
	if d := os.Getenv(Env); d != "" {
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		st, err := os.Stat(d)
		return d, err == nil && st.IsDir()
	}
	root, ok := ModuleRoot()
	if !ok {
		return "", false
	}
	d := filepath.Join(filepath.Dir(root), "shared", "data")
	st, err := os.Stat(d)
	return d, err == nil && st.IsDir()
}

// ModuleRoot returns the directory holding go.mod, searching upwards from the
// working directory (a test's package directory).
func ModuleRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
