package modbus

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

// testData returns the shared data folder or skips the test.
func testData(t testing.TB) string {
	dir := os.Getenv("BULWARK_TESTDATA")
	if dir == "" {
		t.Skip("BULWARK_TESTDATA not set: the real captures are in the shared data folder")
	}
	return dir
}

// counts are the statistics tshark_reference.tsv holds for Modbus, keyed
// as "func_code 3", "func_code_by_dir req 3", "exception_code 2" and
// "frames".
type counts map[string]int

// referenceCounts reads the "modbus" rows of tshark_reference.tsv, by file.
func referenceCounts(t *testing.T, path string) map[string]counts {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ref := map[string]counts{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 5 || cols[1] != "modbus" {
			continue
		}
		var n int
		if _, err := fmt.Sscan(cols[4], &n); err != nil {
			t.Fatalf("%s:%d: count %q: %v", path, line, cols[4], err)
		}
		key := cols[2]
		switch cols[2] {
		case "func_code":
			key += " " + strings.Fields(cols[3])[0] // "1 ReadCoils"
		case "func_code_by_dir", "exception_code":
			key += " " + cols[3]
		}
		if ref[cols[0]] == nil {
			ref[cols[0]] = counts{}
		}
		ref[cols[0]][key] += n
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ref
}

// ourCounts counts what the parser decodes from a capture the way the
// reference counts tshark's fields.
func ourCounts(path string) (counts, error) {
	c := counts{}
	frames := map[int64]bool{}
	err := feedCapture(path, func(p *Parser, m *ot.Message) {
		if IsFramingError(m) {
			return
		}
		frames[m.Frame] = true
		dir := "req"
		if m.Dir == ot.DirResponse {
			dir = "resp"
		}
		c[fmt.Sprintf("func_code %d", m.Func)]++
		c[fmt.Sprintf("func_code_by_dir %s %d", dir, m.Func)]++
		if adu := p.ADU(); len(adu) > MBAPLen && adu[MBAPLen]&exceptionBit != 0 {
			c[fmt.Sprintf("exception_code %d", m.Exception)]++
		}
	})
	if len(frames) > 0 {
		c["frames"] = len(frames)
	}
	return c, err
}

// TestTsharkAgreement compares the parser's counts on every public Modbus
// capture with tshark 4.0.17's. Differences are logged, one line per key;
// the files that differ, and why, are listed in knownDifferences.
func TestTsharkAgreement(t *testing.T) {
	data := testData(t)
	pcapDir := filepath.Join(data, "pcap")
	ref := referenceCounts(t, filepath.Join(pcapDir, "tshark_reference.tsv"))
	var files []string
	for _, glob := range []string{"modbus/*/*.pcap", "suricata-verify/tests/modbus*/*.pcap"} {
		m, err := filepath.Glob(filepath.Join(pcapDir, glob))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no Modbus captures under %s", pcapDir)
	}
	agree := 0
	for _, path := range files {
		rel, _ := filepath.Rel(pcapDir, path)
		got, err := ourCounts(path)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		want := ref[rel]
		var diffs []string
		for _, k := range slices.Sorted(maps.Keys(mergeKeys(got, want))) {
			if got[k] != want[k] {
				diffs = append(diffs, fmt.Sprintf("%s: ours %d, tshark %d", k, got[k], want[k]))
			}
		}
		if len(diffs) == 0 {
			agree++
			continue
		}
		t.Logf("%s differs:\n\t%s", rel, strings.Join(diffs, "\n\t"))
		if _, known := knownDifferences[rel]; !known {
			t.Errorf("%s: unexplained difference from tshark", rel)
		}
	}
	t.Logf("%d of %d captures agree exactly with tshark", agree, len(files))
}

func mergeKeys(a, b counts) counts {
	all := counts{}
	for k := range a {
		all[k] = 1
	}
	for k := range b {
		all[k] = 1
	}
	return all
}

// knownDifferences are the captures where the parser and tshark disagree,
// with the reason (checked by hand with tshark).
// None of them is a Modbus decoding difference: all come from TCP, where
// this test's walker (no reassembly; it skips bytes it has already seen)
// and tshark's TCP analysis disagree on which segments carry new data.
var knownDifferences = map[string]string{
	// Frames 1131 (five Read Input Registers requests) and 13176 (a Read
	// Discrete Inputs and a Read Input Registers response) are segments
	// whose first transmission the capture lacks. tshark's sequence
	// analysis flags them "TCP Retransmission" and does not hand them to
	// Modbus; the walker has not seen those bytes, so it decodes them.
	// Later copies of the same bytes are skipped by both.
	"modbus/iti/ModbusTCP__mb2.pcap": "retransmissions of uncaptured segments",
	// Frame 3150, a Read Coils response, is flagged "TCP Spurious
	// Retransmission" because the client had ACKed it, yet it is the only
	// copy in the capture: the walker decodes it, tshark does not.
	"modbus/iti/bro__modbus__modbusBig.pcap": "spurious retransmission of an uncaptured segment",
	// A fuzzed capture with random TCP flags and sequence numbers: frame
	// 2 (an exception response, function 28) is "TCP Out-Of-Order" to
	// tshark, which does not decode it, while the walker, which has only
	// seen a 6-byte SYN payload before, decodes it. Frame 20 (function 50)
	// has a sequence number the walker takes as already seen, tshark as
	// new data after a hole.
	"modbus/iti/bro__modbus__fuzz-72.pcap": "fuzzed TCP sequence numbers",
}
