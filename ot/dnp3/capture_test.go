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
	err := walkPCAP(path, dnp3Ports, NewParser, func(m *ot.Message) {
		cp := *m
		cp.Objects = slices.Clone(m.Objects)
		msgs = append(msgs, cp)
		if !HeaderValid(m) {
			return // not DNP3 to tshark either
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
		if known, ok := knownDifferences[rel]; ok && slices.Equal(known.diffs, diffs) {
			t.Logf("%s differs as expected (%s):\n\t%s", rel, known.why, strings.Join(diffs, "\n\t"))
			continue
		}
		t.Errorf("%s:\n\t%s", rel, strings.Join(diffs, "\n\t"))
	}
	t.Logf("%d of %d captures agree with tshark", agree, total)
}

// knownDifferences are the differences from tshark that were checked
// frame by frame, with why the decoder is right. It records findings; the
// decoder has no per-file behaviour.
var knownDifferences = map[string]struct {
	diffs []string
	why   string
}{
	"dnp3/icsnpp-dnp3/dnp3_example.pcap": {
		diffs: []string{
			"al.func 0 CONFIRM: got 0, tshark 1",
			"al.func 129 RESPONSE: got 364, tshark 360",
			"al.func 130 UNSOLICITED_RESPONSE: got 4, tshark 3",
			"frames_without_app_layer: got 102, tshark 106",
		},
		why: "the transport sequence wraps from 63 to 0 inside multi-segment fragments " +
			"(frames 17-18, 113-114, 209-210: a response; 808-810: an unsolicited response); " +
			"tshark 4.0.17 does not reassemble across the wrap, IEEE 1815 counts modulo 64. " +
			"Frame 311 (FIR FIN seq 0 after 63, bytes c8 81 ...) is a response; tshark shows a stale " +
			"49-byte all-zero reassembly and calls it CONFIRM",
	},
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

// TestDumpFrames prints one line per message of the capture named by
// DNP3_DUMP, to compare with tshark by hand.
func TestDumpFrames(t *testing.T) {
	path := os.Getenv("DNP3_DUMP")
	if path == "" {
		t.Skip("DNP3_DUMP not set")
	}
	_, msgs, err := decodeCounts(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		app := ""
		if m.HasApp {
			app = fmt.Sprintf("%d", m.Func)
		}
		var objs []string
		for _, o := range m.Objects {
			objs = append(objs, fmt.Sprintf("g%dv%d q%02X %d-%d n%d", o.Group, o.Variation, o.Qualifier, o.Start, o.Stop, o.Count))
		}
		fmt.Printf("%d\t%s\t%d\t%v\t%d->%d\tiin=%04X %s\t%s\t%s\n", m.Frame, app, m.LinkFunc, m.Dir, m.Source, m.Unit, m.IIN, IINString(m.IIN), strings.Join(objs, "; "), m.Malformed)
	}
}

// partialReporter tells, with each message, whether its fragment's
// objects were walked to the end.
type partialReporter struct {
	p      *Parser
	report func(m *ot.Message, partial bool)
}

func (r partialReporter) Feed(data []byte, meta ot.Meta, emit func(*ot.Message)) {
	r.p.Feed(data, meta, func(m *ot.Message) { r.report(m, m.HasApp && r.p.partial) })
}

func (r partialReporter) Gap() { r.p.Gap() }

// TestObjectCoverage measures how many application fragments of the real
// captures have every object header read; the object size table should
// leave none partial.
func TestObjectCoverage(t *testing.T) {
	data := testdata(t)
	var fragments, partial int
	for _, path := range captureFiles(t, data) {
		report := func(m *ot.Message, stopped bool) {
			if !m.HasApp {
				return
			}
			fragments++
			if stopped {
				partial++
				last := m.Objects[len(m.Objects)-1]
				t.Logf("%s frame %d: %s stopped at g%dv%d q0x%02X", filepath.Base(path), m.Frame, FuncName(m.Func), last.Group, last.Variation, last.Qualifier)
			}
		}
		newParser := func(bool) ot.StreamParser { return partialReporter{newParser(), report} }
		if err := walkPCAP(path, dnp3Ports, newParser, func(*ot.Message) {}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d of %d fragments partial", partial, fragments)
}
