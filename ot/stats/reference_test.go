package stats_test

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

	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/capture"
	"github.com/bulwarkhq/bulwark/ot/dnp3"
	"github.com/bulwarkhq/bulwark/ot/modbus"
	"github.com/bulwarkhq/bulwark/ot/stats"
)

// reference is tshark's counts for one file, keyed as the TSV keys them:
// "modbus func_code 3", "modbus func_code_by_dir req 3", "dnp3 al.func 129",
// "dnp3 link.func pri 4", "modbus frames", ...
type reference map[string]int64

// readReference reads pcap/tshark_reference.tsv: file, proto, key, value,
// count. Values of func_code and al.func carry a name after the number
// ("3 ReadHoldingRegisters"), which is dropped.
func readReference(t *testing.T, path string) map[string]reference {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	refs := map[string]reference{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "file\t") {
			continue
		}
		col := strings.Split(line, "\t")
		if len(col) != 5 || (col[1] != "modbus" && col[1] != "dnp3" && col[1] != "all") {
			continue
		}
		var n int64
		if _, err := fmt.Sscan(col[4], &n); err != nil {
			t.Fatalf("%s: %q: %v", path, line, err)
		}
		key := col[1] + " " + col[2]
		switch col[2] {
		case "func_code", "exception_code", "al.func":
			key += " " + strings.Fields(col[3])[0]
		case "func_code_by_dir", "link.func":
			key += " " + col[3]
		}
		if refs[col[0]] == nil {
			refs[col[0]] = reference{}
		}
		refs[col[0]][key] += n
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return refs
}

// keyed renders our counts with the reference's keys, for the protocols
// the reference has.
func keyed(s stats.Stats, ref reference) reference {
	out := reference{"all frames": s.Frames}
	has := func(proto string) bool {
		for k := range ref {
			if strings.HasPrefix(k, proto+" ") {
				return true
			}
		}
		return false
	}
	add := func(key string, n int64) {
		if n != 0 {
			out[key] += n
		}
	}
	if has("modbus") {
		out["modbus frames"] = s.Modbus.Frames
		for c, n := range s.Modbus.FuncCode {
			add("modbus func_code "+c, n)
		}
		for c, n := range s.Modbus.Requests {
			add("modbus func_code_by_dir req "+c, n)
		}
		for c, n := range s.Modbus.Responses {
			add("modbus func_code_by_dir resp "+c, n)
		}
		for c, n := range s.Modbus.Exceptions {
			add("modbus exception_code "+c, n)
		}
	}
	if has("dnp3") {
		out["dnp3 frames"] = s.DNP3.Frames
		out["dnp3 frames_without_app_layer"] = s.DNP3.FramesWithoutApp
		for c, n := range s.DNP3.AppFunc {
			add("dnp3 al.func "+c, n)
		}
		for c, n := range s.DNP3.LinkFunc {
			add("dnp3 link.func "+c, n)
		}
	}
	return out
}

// count runs a capture through the sensor and the decoders, with DNP3
// also on 20001 as the reference's tshark was told (-d tcp.port==20001,dnp3).
func count(path string) (stats.Stats, error) {
	ports := append(capture.DefaultPorts(modbus.NewParser, dnp3.NewParser),
		capture.Port{Port: 20001, Proto: ot.ProtoDNP3, New: dnp3.NewParser})
	return stats.CountFile(context.Background(), path, ports)
}

// knownDifferences are the captures where our counts differ from tshark
// 4.0.17's, each with why (every frame involved was checked by hand).
var knownDifferences = map[string]string{
	"dnp3/icsnpp-dnp3/dnp3_example.pcap": "multi-segment fragments whose transport sequence wraps from 63 to 0 " +
		"(frames 17-18, 113-114, 209-210, 808-810): tshark does not reassemble across the wrap, the standard counts modulo 64; " +
		"frame 311 (sequence 0 after 63) is a response that tshark shows as a stale all-zero CONFIRM",
	"modbus/iti/ModbusTCP__mb2.pcap": "frames 1131, 3674 and 13176 are the only captured copies of their bytes " +
		"(the originals were not captured): tshark marks them TCP retransmissions and does not decode them; we do",
	"modbus/iti/bro__modbus__modbusBig.pcap": "frame 3150 is a 'spurious retransmission' to tshark but the only copy " +
		"of a Read Coils response; we decode it",
	"modbus/iti/bro__modbus__fuzz-72.pcap": "frames 1 and 20 claim IPv4 lengths longer than the frame (fuzzed): " +
		"we drop them as malformed, tshark decodes them, so its reassembly of that connection differs " +
		"(it sees frame 1's SYN and frame 2 out of order)",
}

// TestTsharkReference compares the counts of every shared capture in
// which tshark decodes Modbus or DNP3 with tshark's, and lists the
// differences. Known differences are explained in known below; any other
// fails the test.
func TestTsharkReference(t *testing.T) {
	data := testdata.Dir(t)
	dir := filepath.Join(data, "pcap")
	refs := readReference(t, filepath.Join(dir, "tshark_reference.tsv"))
	var files []string
	for f, ref := range refs {
		for k := range ref {
			if strings.HasPrefix(k, "modbus ") || strings.HasPrefix(k, "dnp3 ") {
				files = append(files, f)
				break
			}
		}
	}
	slices.Sort(files)
	agree := 0
	for _, f := range files {
		s, err := count(filepath.Join(dir, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		got, want := keyed(s, refs[f]), refs[f]
		var diffs []string
		for _, k := range slices.Sorted(maps.Keys(mergeKeys(got, want))) {
			if got[k] != want[k] {
				diffs = append(diffs, fmt.Sprintf("%s: ours %d, tshark %d", k, got[k], want[k]))
			}
		}
		if len(diffs) == 0 {
			agree++
			if knownDifferences[f] != "" {
				t.Logf("%s: now agrees; drop it from knownDifferences", f)
			}
			continue
		}
		why := knownDifferences[f]
		if why == "" {
			t.Errorf("%s differs from tshark:\n\t%s", f, strings.Join(diffs, "\n\t"))
			continue
		}
		t.Logf("%s differs (%s):\n\t%s", f, why, strings.Join(diffs, "\n\t"))
	}
	t.Logf("%d of %d captures agree exactly with tshark", agree, len(files))
}

func mergeKeys(a, b reference) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}
