package cli

import (
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
)

func TestAttackImportAndShow(t *testing.T) {
	bundle := testdata.Path(t, "stix", "enterprise-attack-18.1.stix21.json.gz")
	isolate(t)
	if code, _, errOut := run(t, "attack", "show", "T1059"); code != exitUsage || !strings.Contains(errOut, "attack import") {
		t.Errorf("show before import: exit %d, %s", code, errOut)
	}
	code, out, errOut := run(t, "attack", "import", bundle)
	if code != exitOK || !strings.Contains(out, "Enterprise ATT&CK: 14 tactics") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, "attack", "show", "t1003.001")
	if code != exitOK || !strings.Contains(out, `"name": "LSASS Memory"`) {
		t.Errorf("show: exit %d\n%s", code, out)
	}
	if code, _, _ := run(t, "attack", "import", "cli_test.go"); code == exitOK {
		t.Error("importing a Go file succeeded")
	}
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	out := dir + "/r.html"
	code, _, errOut := run(t, "report", "--data", dir, "--org", "Riverside", "-o", out)
	if code != exitOK || !strings.Contains(errOut, "Wrote") {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	if code, _, _ := run(t, "report", "--data", dir, "--since", "soon"); code != exitUsage {
		t.Errorf("bad --since: exit %d, want %d", code, exitUsage)
	}
}
