package sigma

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
)

// TestLoadSigmaHQ compiles every rule of the SigmaHQ snapshot in the shared
// data and requires at least 99.5% of them to load; failures are listed.
func TestLoadSigmaHQ(t *testing.T) {
	dir := testdata.Path(t, "sigma")
	var docs []Document
	for _, sub := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder"} {
		d, err := ParseFS(os.DirFS(filepath.Join(dir, sub)), ".")
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d...)
	}
	rs := Compile(docs, Options{})
	failed := rs.Failed()
	for _, f := range failed {
		t.Logf("not loaded: %s: %v", f.Path, f.Err)
	}
	notes := 0
	for _, s := range rs.Status {
		notes += len(s.Notes)
	}
	total := len(rs.Status)
	ratio := float64(total-len(failed)) / float64(total)
	t.Logf("%d documents, %d loaded (%.2f%%), %d failed, %d compiled branches, %d notes", total, total-len(failed), 100*ratio, len(failed), len(rs.Compiled), notes)
	if ratio < 0.995 {
		t.Errorf("only %.2f%% of rules load; want at least 99.5%%", 100*ratio)
	}
}
