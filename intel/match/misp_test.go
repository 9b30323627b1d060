package match

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/intel"
	"github.com/bulwarkhq/bulwark/intel/stix"
	"github.com/bulwarkhq/bulwark/internal/testdata"
)

// mispEvents are, per MISP indicator pattern, an event crafted to match it
// and a near miss that must not: the fields are what Sysmon and mail logs
// carry.
var mispEvents = map[string][2][]string{
	"[domain-name:value = 'circl.lu']": {
		{"EventID", "22", "QueryName", "circl.lu"},
		{"EventID", "22", "QueryName", "notcircl.lu"},
	},
	"[domain-name:value = 'circl.lu' AND domain-name:resolves_to_refs[*].value = '149.13.33.14']": {
		{"EventID", "22", "QueryName", "circl.lu", "QueryResults", "type: 5 www.circl.lu;::ffff:149.13.33.14;"},
		{"EventID", "22", "QueryName", "circl.lu", "QueryResults", "::ffff:149.13.33.15;"},
	},
	"[file:name = 'test_file_name']": {
		{"EventID", "11", "TargetFilename", `C:\Users\Public\test_file_name`},
		{"EventID", "11", "TargetFilename", `C:\Users\Public\test_file_name.txt`},
	},
	"[email-message:from_ref.value = 'donald.duck@disney.com']": {
		{"from", "Donald.Duck@disney.com", "subject", "hi"},
		{"from", "daisy.duck@disney.com", "subject", "hi"},
	},
	"[file:hashes.MD5 = '8764605c6f388c89096b534d33565802' AND file:hashes.'SHA-1' = '46aba99aa7158e4609aaa72b50990842fd22ae86' AND file:hashes.'SHA-256' = 'ec5aedf5ecc6bdadd4120932170d1b10f6cfa175cfda22951dfd882928ab279b' AND file:name = 'oui']": {
		{"EventID", "1", "Image", `C:\tmp\oui`, "Hashes", "MD5=8764605C6F388C89096B534D33565802,SHA1=46ABA99AA7158E4609AAA72B50990842FD22AE86,SHA256=EC5AEDF5ECC6BDADD4120932170D1B10F6CFA175CFDA22951DFD882928AB279B"},
		{"EventID", "1", "Image", `C:\tmp\non`, "Hashes", "MD5=8764605C6F388C89096B534D33565802,SHA1=46ABA99AA7158E4609AAA72B50990842FD22AE86,SHA256=EC5AEDF5ECC6BDADD4120932170D1B10F6CFA175CFDA22951DFD882928AB279B"},
	},
}

// TestMISPIndicatorsFire imports every MISP bundle of the shared data and
// checks that each indicator fires on its crafted event and not on the
// near miss.
func TestMISPIndicatorsFire(t *testing.T) {
	dir := testdata.Path(t, "stix", "misp-stix21-bundles")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := stix.ReadBundle(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		inds, errs := stix.Indicators(objs, stix.ImportOptions{Source: filepath.Base(f)})
		if len(errs) > 0 {
			t.Errorf("%s: %v", f, errs)
		}
		for _, ind := range inds {
			evs, ok := mispEvents[ind.Pattern]
			if !ok {
				t.Errorf("%s: no crafted event for %s", filepath.Base(f), ind.Pattern)
				continue
			}
			d, rep := Compile([]intel.Indicator{ind}, time.Now())
			if len(rep.Rejected) > 0 {
				t.Errorf("%s: %v", ind.Pattern, rep.Rejected)
				continue
			}
			for i, want := range []bool{true, false} {
				e := &event.Event{Time: time.Now()}
				for k := 0; k+1 < len(evs[i]); k += 2 {
					e.Add(evs[i][k], event.String(evs[i][k+1]))
				}
				fired := false
				d.NewWorker().Process(e, func(*alert.Alert) { fired = true })
				if fired != want {
					t.Errorf("%s: %s: fired %v, want %v", filepath.Base(f), strings.Join(evs[i], " "), fired, want)
				}
			}
		}
	}
}
