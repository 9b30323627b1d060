package dnp3

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/ot"
)

// counts are the per-file DNP3 figures tshark_reference.tsv holds.
type counts map[string]int

func testdata(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BULWARK_TESTDATA")
	if dir == "" {
		t.Skip("BULWARK_TESTDATA not set: the real DNP3 captures live in the shared data folder")
	}
	return dir
}

// referenceCounts reads the dnp3 rows of tshark_reference.tsv per file.
func referenceCounts(t *testing.T, path string) map[string]counts {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ref := map[string]counts{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 5 || cols[1] != "dnp3" {
			continue
		}
		if ref[cols[0]] == nil {
			ref[cols[0]] = counts{}
		}
		var n int
		fmt.Sscan(cols[4], &n)
		key := cols[2]
		if cols[3] != "" {
			key += " " + cols[3]
		}
		ref[cols[0]][key] = n
	}
	return ref
}

// Ports tshark decodes as DNP3: the registered 20000 and, by -d, 20001.
var dnp3Ports = map[uint16]bool{20000: true, 20001: true}

// decodeCounts counts a capture as tshark_reference.tsv does: frames with
// DNP3, frames without a reassembled application fragment, application
// function codes and link functions.
func decodeCounts(path string) (counts, []ot.Message, error) {
	c := counts{}
	var msgs []ot.Message
	type frameInfo struct{ app bool }
	frames := map[int64]*frameInfo{}
	err := walkPCAP(path, dnp3Ports, func(m *ot.Message) {
		cp := *m
		cp.Objects = slices.Clone(m.Objects)
		msgs = append(msgs, cp)
		if strings.HasPrefix(m.Malformed, "link header CRC") {
			return // not DNP3 to a dissector: no valid header
		}
		fi := frames[m.Frame]
		if fi == nil {
			fi = &frameInfo{}
			frames[m.Frame] = fi
		}
		if m.LinkPrimary {
			c[fmt.Sprintf("link.func pri %d", m.LinkFunc)]++
		} else {
			c[fmt.Sprintf("link.func sec %d", m.LinkFunc)]++
		}
		if m.HasApp {
			fi.app = true
			c[fmt.Sprintf("al.func %d %s", m.Func, FuncName(m.Func))]++
		}
	})
	c["frames"] = len(frames)
	c["frames_without_app_layer"] = 0
	for _, fi := range frames {
		if !fi.app {
			c["frames_without_app_layer"]++
		}
	}
	return c, msgs, err
}

func captureFiles(t *testing.T, data string) []string {
	t.Helper()
	var files []string
	for _, glob := range []string{"pcap/dnp3/*/*.pcap", "pcap/suricata-verify/tests/dnp3/*/*.pcap"} {
		m, err := filepath.Glob(filepath.Join(data, glob))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

// TestTsharkAgreement decodes every DNP3 capture and compares the counts
// with tshark's. Known, explained differences are listed in
// knownDifferences (by what differs, not by file); any other difference
// fails.
func TestTsharkAgreement(t *testing.T) {
	data := testdata(t)
	ref := referenceCounts(t, filepath.Join(data, "pcap/tshark_reference.tsv"))
	agree, total := 0, 0
	for _, path := range captureFiles(t, data) {
		rel, _ := filepath.Rel(filepath.Join(data, "pcap"), path)
		want, ok := ref[rel]
		if !ok {
			t.Logf("%s: no tshark reference", rel)
			continue
		}
		total++
		got, _, err := decodeCounts(path)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		var diffs []string
		for _, k := range slices.Sorted(maps.Keys(mergeKeys(got, want))) {
			if got[k] != want[k] {
				diffs = append(diffs, fmt.Sprintf("%s: got %d, tshark %d", k, got[k], want[k]))
			}
		}
		if len(diffs) == 0 {
			agree++
			continue
		}
		t.Errorf("%s:\n\t%s", rel, strings.Join(diffs, "\n\t"))
	}
	t.Logf("%d of %d captures agree with tshark", agree, total)
}

func mergeKeys(a, b counts) map[string]bool {
	k := map[string]bool{}
	for x := range a {
		k[x] = true
	}
	for x := range b {
		k[x] = true
	}
	return k
}
