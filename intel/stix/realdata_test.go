package stix

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/intel"
	"github.com/bulwarkhq/bulwark/internal/testdata"
)

// attackCounts parses attack_counts.txt: sections "== <file> ... objects=N
// revoked=N deprecated=N ..." followed by "<count> <type>" lines.
func attackCounts(t *testing.T, path string) map[string]Counts {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := regexp.MustCompile(`^== (\S+) .*objects=(\d+) revoked=(\d+) deprecated=(\d+)`)
	line := regexp.MustCompile(`^\s+(\d+) (\S+)$`)
	out := map[string]Counts{}
	cur := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := head.FindStringSubmatch(sc.Text()); m != nil {
			cur = m[1]
			n, _ := strconv.Atoi(m[2])
			r, _ := strconv.Atoi(m[3])
			d, _ := strconv.Atoi(m[4])
			out[cur] = Counts{Total: n, Revoked: r, Deprecated: d, ByType: map[string]int{}}
		} else if m := line.FindStringSubmatch(sc.Text()); m != nil && cur != "" {
			n, _ := strconv.Atoi(m[1])
			out[cur].ByType[m[2]] = n
		} else {
			cur = "" // the comparison notes at the end
		}
	}
	return out
}

// bundles caches decoded bundles: Enterprise takes seconds to read and two
// tests use it.
var bundles = map[string][]Object{}

func readGz(t *testing.T, path string) []Object {
	if objs, ok := bundles[path]; ok {
		return objs
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := ReadBundle(z)
	if err != nil {
		t.Fatal(err)
	}
	bundles[path] = objs
	return objs
}

// TestATTACKCounts imports the ATT&CK 18.1 bundles and compares the counts
// with attack_counts.txt. The file lists the ICS STIX 2.1 bundle itself;
// for Enterprise it lists the bundle reassembled from mitre/cti (STIX 2.0),
// whose objects are the same ids and types: its ICS twin differs from the
// 2.1 bundle only by the x-mitre-collection object, which Enterprise 18.1's
// 2.1 bundle does not have.
func TestATTACKCounts(t *testing.T) {
	dir := testdata.Path(t, "stix")
	want := attackCounts(t, filepath.Join(dir, "attack_counts.txt"))
	for file, section := range map[string]string{
		"enterprise-attack-18.1.stix21.json.gz": "enterprise-attack-18.1.reassembled-from-mitre-cti.stix20.json",
		"ics-attack-18.1.stix21.json.gz":        "ics-attack-18.1.stix21.json",
	} {
		t.Run(file, func(t *testing.T) {
			w, ok := want[section]
			if !ok {
				t.Fatalf("no section %s in attack_counts.txt", section)
			}
			got := Count(readGz(t, filepath.Join(dir, file)))
			if got.Total != w.Total || got.Revoked != w.Revoked || got.Deprecated != w.Deprecated {
				t.Errorf("total/revoked/deprecated = %d/%d/%d, want %d/%d/%d",
					got.Total, got.Revoked, got.Deprecated, w.Total, w.Revoked, w.Deprecated)
			}
			if len(got.ByType) != len(w.ByType) {
				t.Errorf("%d types, want %d: %v", len(got.ByType), len(w.ByType), got.ByType)
			}
			for typ, n := range w.ByType {
				if got.ByType[typ] != n {
					t.Errorf("%s: %d, want %d", typ, got.ByType[typ], n)
				}
			}
			if got.SpecVersion["2.1"] != got.Total {
				t.Errorf("spec_version: %v", got.SpecVersion)
			}
		})
	}
}

// TestATTACKValidate validates every ATT&CK object: MITRE's bundles are
// the reference producer, so any failure is a validator bug.
func TestATTACKValidate(t *testing.T) {
	for _, file := range []string{"enterprise-attack-18.1.stix21.json.gz", "ics-attack-18.1.stix21.json.gz"} {
		if testing.Short() && strings.HasPrefix(file, "enterprise") {
			continue // 25,000 objects: seconds on a loaded machine
		}
		objs := readGz(t, testdata.Path(t, "stix", file))
		errs := ValidateAll(objs)
		for i, err := range errs {
			if i < 5 {
				t.Errorf("%s: %v", file, err)
			}
		}
		t.Logf("%s: %d objects, %d invalid", file, len(objs), len(errs))
	}
}

func mispBundles(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join(testdata.Path(t, "stix", "misp-stix21-bundles"), "*.json"))
	if err != nil || len(files) == 0 {
		t.Skip("no MISP bundles")
	}
	return files
}

// TestMISPBundles decodes every object of every MISP bundle, validates it,
// checks it against its OASIS schema, round-trips it, and imports the
// indicators with their patterns.
func TestMISPBundles(t *testing.T) {
	s := newSchemaSet(t)
	total, schemaChecked := 0, 0
	for _, file := range mispBundles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := ReadBundle(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		total += len(objs)
		for _, err := range ValidateAll(objs) {
			t.Errorf("%s: %v", filepath.Base(file), err)
		}
		for _, o := range objs {
			if _, err := o.Typed(); err != nil {
				t.Errorf("%s: typed: %v", o.ID, err)
			}
			if errs, ok := s.schemaVerdict(o); ok {
				schemaChecked++
				if len(errs) > 0 {
					t.Errorf("%s: schema: %v", o.ID, errs)
				}
			}
		}
		var buf bytes.Buffer
		if err := WriteBundle(&buf, "bundle--d402185f-c129-4f65-8678-43edb2cee1cf", objs); err != nil {
			t.Fatal(err)
		}
		again, err := ReadBundle(&buf)
		if err != nil || len(again) != len(objs) {
			t.Fatalf("%s: re-read: %v (%d objects)", file, err, len(again))
		}
		for i := range objs {
			if !Equal(objs[i], again[i]) {
				t.Errorf("%s: objects[%d] (%s) changed in round trip", file, i, objs[i].ID)
			}
		}
		// Every indicator becomes an intel.Indicator with its pattern.
		inds, errs := Indicators(objs, ImportOptions{Source: filepath.Base(file)})
		if len(errs) > 0 {
			t.Errorf("%s: %v", file, errs)
		}
		if want := Count(objs).ByType["indicator"]; len(inds) != want {
			t.Errorf("%s: %d indicators, want %d", file, len(inds), want)
		}
		for i, ind := range inds {
			src := objs[indexOf(objs, ind.ID)]
			if ind.Pattern != src.String("pattern") || ind.PatternType != "stix" || ind.ValidFrom.IsZero() ||
				len(ind.KillChain) == 0 || ind.Source != filepath.Base(file) || !strings.HasPrefix(ind.Pattern, "[") {
				t.Errorf("%s: indicator %d = %+v", file, i, ind)
			}
		}
	}
	t.Logf("MISP: %d objects decoded, validated and round-tripped; %d checked against their OASIS schema", total, schemaChecked)
}

func indexOf(objs []Object, id string) int {
	for i, o := range objs {
		if o.ID == id {
			return i
		}
	}
	return -1
}

// TestMISPIndicatorExample pins one MISP indicator field by field.
func TestMISPIndicatorExample(t *testing.T) {
	var file string
	for _, f := range mispBundles(t) {
		if strings.HasSuffix(f, "test_event1_stix21.json") {
			file = f
		}
	}
	if file == "" {
		t.Skip("test_event1_stix21.json absent")
	}
	f, _ := os.Open(file)
	defer f.Close()
	objs, err := ReadBundle(f)
	if err != nil {
		t.Fatal(err)
	}
	inds, _ := Indicators(objs, ImportOptions{DefaultTLP: intel.TLPAmber})
	if len(inds) != 1 {
		t.Fatalf("got %d indicators", len(inds))
	}
	ind := inds[0]
	if ind.ID != "indicator--4bb235a7-7d25-4aef-802f-2c6b45c5eceb" || ind.Pattern != "[domain-name:value = 'circl.lu']" ||
		ind.Source != "MISP-Project" || ind.TLP != intel.TLPAmber || ind.KillChain[0] != "Network activity" ||
		ind.ValidFrom.Format("2006-01-02T15:04:05Z") != "2020-10-25T16:22:00Z" || ind.Description != "Domain test attribute" {
		t.Errorf("indicator = %+v", ind)
	}
}
