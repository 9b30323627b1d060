package modbus

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/ot"
)

// zeekLog reads a Zeek TSV log into rows keyed by field name.
func zeekLog(t *testing.T, path string) []map[string]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fields []string
	var rows []map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "#fields\t"); ok {
			fields = strings.Split(rest, "\t")
		}
		if line == "" || line[0] == '#' {
			continue
		}
		row := map[string]string{}
		for i, v := range strings.Split(line, "\t") {
			if i < len(fields) {
				row[fields[i]] = v
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestICSNPPFields checks the addresses and quantities the parser reads
// from the requests of icsnpp-modbus's example capture against what the
// CISA icsnpp-modbus Zeek plugin logged for it (its baseline logs).
func TestICSNPPFields(t *testing.T) {
	dir := filepath.Join(testdata.Dir(t), "pcap", "modbus", "icsnpp-modbus")
	type key struct {
		tid, unit uint16
		dir       ot.Dir
	}
	msgs := map[key]ot.Message{}
	err := feedCapture(filepath.Join(dir, "modbus_example.pcap"), func(p *Parser, m *ot.Message) {
		msgs[key{m.Seq, m.Unit, m.Dir}] = *m
	})
	if err != nil {
		t.Fatal(err)
	}
	num := func(s string) (uint16, bool) {
		n, err := strconv.ParseUint(s, 10, 16)
		return uint16(n), err == nil
	}
	lookup := func(row map[string]string, d ot.Dir) (ot.Message, string) {
		tid, _ := num(row["tid"])
		unit, _ := num(row["unit"])
		m, ok := msgs[key{tid, unit, d}]
		name := fmt.Sprintf("%s tid %d unit %d %v", row["func"], tid, unit, d)
		if !ok {
			t.Errorf("%s: no message", name)
		}
		return m, name
	}
	checked := 0
	for _, row := range zeekLog(t, filepath.Join(dir, "baseline", "modbus_detailed.log")) {
		m, name := lookup(row, ot.DirRequest)
		if want, ok := num(row["address"]); ok && m.Addr != want {
			t.Errorf("%s: address %d, zeek %d", name, m.Addr, want)
		}
		if want, ok := num(row["quantity"]); ok && m.Count != want {
			t.Errorf("%s: quantity %d, zeek %d", name, m.Count, want)
		}
		if exc := row["exception_code"]; exc != "-" {
			resp, _ := lookup(row, ot.DirResponse)
			if got := strings.ToUpper(strings.ReplaceAll(ExceptionName(resp.Exception), " ", "_")); got != exc {
				t.Errorf("%s: exception %s, zeek %s", name, got, exc)
			}
		}
		checked++
	}
	for _, row := range zeekLog(t, filepath.Join(dir, "baseline", "modbus_read_write_multiple_registers.log")) {
		if row["request_response"] != "REQUEST" {
			continue
		}
		m, name := lookup(row, ot.DirRequest)
		wantWrites := uint16(len(strings.Split(row["write_registers"], ",")))
		if w, _ := num(row["write_start_address"]); m.WriteAddr != w || m.WriteCount != wantWrites {
			t.Errorf("%s: write %d+%d, zeek %d+%d", name, m.WriteAddr, m.WriteCount, w, wantWrites)
		}
		ra, _ := num(row["read_start_address"])
		rq, _ := num(row["read_quantity"])
		if m.Addr != ra || m.Count != rq {
			t.Errorf("%s: read %d+%d, zeek %d+%d", name, m.Addr, m.Count, ra, rq)
		}
		checked++
	}
	if checked < 20 {
		t.Errorf("only %d log rows checked", checked)
	}
}
