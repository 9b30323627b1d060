package modbus

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/capture"
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

// countMessage adds one message to c the way the reference counts
// tshark's fields. isException says whether its function code had the
// exception bit (Exception is 0 both for none and for code 0).
func countMessage(c counts, frames map[int64]bool, m *ot.Message, isException bool) {
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
	if isException {
		c[fmt.Sprintf("exception_code %d", m.Exception)]++
	}
}

func hasExceptionBit(adu []byte) bool {
	return len(adu) > MBAPLen && adu[MBAPLen]&exceptionBit != 0
}

// walkerCounts counts what the parser decodes from a capture fed by this
// package's test walker.
func walkerCounts(path string) (counts, error) {
	c, frames := counts{}, map[int64]bool{}
	err := feedCapture(path, func(p *Parser, m *ot.Message) {
		countMessage(c, frames, m, hasExceptionBit(p.ADU()))
	})
	if len(frames) > 0 {
		c["frames"] = len(frames)
	}
	return c, err
}

// sensorCounts counts what the parser decodes from a capture read and
// reassembled by ot/capture, the product's pipeline.
func sensorCounts(path string) (counts, error) {
	c, frames := counts{}, map[int64]bool{}
	// The sensor's emit does not say which parser spoke: wrap the
	// constructor so that each message is counted with its ADU in hand.
	wrapped := func(toServer bool) ot.StreamParser {
		return countingParser{newParser(toServer), c, frames}
	}
	s, err := capture.NewSensor(capture.Config{Ports: capture.DefaultPorts(wrapped, nil)}, func(*ot.Message) {})
	if err != nil {
		return nil, err
	}
	src, err := capture.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	err = s.Run(context.Background(), src)
	if len(frames) > 0 {
		c["frames"] = len(frames)
	}
	return c, err
}

// countingParser counts each message its parser emits.
type countingParser struct {
	*Parser
	c      counts
	frames map[int64]bool
}

func (cp countingParser) Feed(data []byte, meta ot.Meta, emit func(*ot.Message)) {
	cp.Parser.Feed(data, meta, func(m *ot.Message) {
		countMessage(cp.c, cp.frames, m, hasExceptionBit(cp.ADU()))
		emit(m)
	})
}

// TestTsharkAgreement compares the parser's counts on every public Modbus
// capture with tshark 4.0.17's, fed by this package's walker and by
// ot/capture. Differences are logged, one line per key; the files that
// differ, and why, are listed in knownWalkerDifferences and
// knownSensorDifferences.
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
	for _, feeder := range []struct {
		name  string
		count func(string) (counts, error)
		known map[string]string
	}{
		{"walker", walkerCounts, knownWalkerDifferences},
		{"ot/capture", sensorCounts, knownSensorDifferences},
	} {
		agree := 0
		for _, path := range files {
			rel, _ := filepath.Rel(pcapDir, path)
			got, err := feeder.count(path)
			if err != nil {
				t.Errorf("%s: %s: %v", feeder.name, rel, err)
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
			t.Logf("%s: %s differs:\n\t%s", feeder.name, rel, strings.Join(diffs, "\n\t"))
			if _, known := feeder.known[rel]; !known {
				t.Errorf("%s: %s: unexplained difference from tshark", feeder.name, rel)
			}
		}
		t.Logf("%s: %d of %d captures agree exactly with tshark", feeder.name, agree, len(files))
	}
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

// knownWalkerDifferences are the captures where the parser and tshark disagree,
// with the reason (checked by hand with tshark).
// None of them is a Modbus decoding difference: all come from IP and TCP,
// where this test's walker (no reassembly; it skips bytes it has already
// seen) and tshark's TCP analysis disagree on which segments carry new
// data.
var knownWalkerDifferences = map[string]string{
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
	// A fuzzed capture. Frames 1 (a SYN, with FIN, URG and a payload) and
	// 20 (function 50) have IPv4 total lengths larger than the frame; the
	// walker, like ot/capture, drops such frames as malformed, tshark
	// dissects what was captured. So tshark decodes frame 20, and having
	// seen frame 1's SYN it calls frame 2 "TCP Out-Of-Order" and does not
	// decode it, while for the walker frame 2 (an exception response to
	// function 28) starts the stream.
	"modbus/iti/bro__modbus__fuzz-72.pcap": "fuzzed IPv4 lengths",
}

// knownSensorDifferences are the same for the captures fed by ot/capture,
// whose reassembly also decodes retransmissions of uncaptured segments.
var knownSensorDifferences = map[string]string{
	// As with the walker, plus frame 3674: the server's FIN segment with
	// the five responses to frame 1131's requests, whose first
	// transmission the capture lacks too ("TCP Retransmission" to tshark).
	"modbus/iti/ModbusTCP__mb2.pcap":         "retransmissions of uncaptured segments",
	"modbus/iti/bro__modbus__modbusBig.pcap": knownWalkerDifferences["modbus/iti/bro__modbus__modbusBig.pcap"],
	"modbus/iti/bro__modbus__fuzz-72.pcap":   knownWalkerDifferences["modbus/iti/bro__modbus__fuzz-72.pcap"],
}
