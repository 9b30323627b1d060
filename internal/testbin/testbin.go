// Package testbin builds the bulwark binary for tests that run it as a
// user would (end-to-end, multi-process), once per test process.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	once sync.Once
	path string
	err  error
)

// Build returns the path of a bulwark binary built from this checkout,
// building it on the first call. Tests run with -short skip.
func Build(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("this test builds and runs the bulwark binary; skipped with -short")
	}
	once.Do(func() {
		dir, e := os.MkdirTemp("", "bulwark-test-bin")
		if e != nil {
			err = e
			return
		}
		path = filepath.Join(dir, "bulwark")
		out, e := exec.Command("go", "build", "-o", path, "github.com/bulwarkhq/bulwark/cmd/bulwark").CombinedOutput()
		if e != nil {
			err = fmt.Errorf("go build: %v\n%s", e, out)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// Main runs a package's tests and removes the binary Build made: call it
// from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if path != "" {
		os.RemoveAll(filepath.Dir(path))
	}
	os.Exit(code)
}
