package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSBOM(t *testing.T) {
	dir := t.TempDir()
	lock := `{"name": "app", "lockfileVersion": 3, "packages": {
  "": {"name": "app", "dependencies": {"left-pad": "1.3.0"}},
  "node_modules/left-pad": {"version": "1.3.0"},
  "node_modules/@scope/thing": {"version": "2.0.0"}}}`
	if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errb := run(t, "sbom", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var bom struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
		Components  []struct {
			PURL string `json:"purl"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(out), &bom); err != nil {
		t.Fatal(err)
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.6" || len(bom.Components) != 2 {
		t.Errorf("CycloneDX: %+v", bom)
	}
	if !strings.Contains(out, "pkg:npm/%40scope/thing@2.0.0") {
		t.Errorf("scoped package's purl missing:\n%s", out)
	}
	code, out, _ = run(t, "sbom", "--format", "spdx", dir)
	if code != exitOK || !strings.Contains(out, `"spdxVersion": "SPDX-2.3"`) {
		t.Errorf("SPDX: exit %d\n%.300s", code, out)
	}
	if code, _, _ := run(t, "sbom", "--format", "xml", dir); code != exitUsage {
		t.Errorf("bad format: exit %d", code)
	}
}
