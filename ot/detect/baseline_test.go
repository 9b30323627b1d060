package detect

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/modbus"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

func learnt(t *testing.T) *Baseline {
	t.Helper()
	var g gen
	d := New(Config{Learn: time.Hour}, nil)
	collect(d, g.learnPhase())
	var out []*alert.Alert
	d.ProcessPacket(&Packet{Time: t0.Add(secs(3)), Frame: g.next(), Src: mustAP("10.0.0.1:1100"), Dst: mustAP("10.0.0.10:445"), Transport: 6, SYN: true},
		func(a *alert.Alert) { out = append(out, a) })
	d.Flush(func(a *alert.Alert) { out = append(out, a) })
	return d.Baseline()
}

func TestBaselineGolden(t *testing.T) {
	b := learnt(t)
	var buf bytes.Buffer
	if err := b.Save(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "baseline.json", buf.Bytes())

	loaded, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := loaded.Save(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("round trip differs:\n%s", again.String())
	}

	var review bytes.Buffer
	if err := loaded.Review(&review); err != nil {
		t.Fatal(err)
	}
	golden(t, "review.txt", review.Bytes())
}

// TestEditedBaseline: an operator adds a master to the file; its writes
// stop alerting.
func TestEditedBaseline(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "baseline.json"))
	if err != nil {
		t.Fatal(err)
	}
	edit := `{"proto": "modbus", "master": "10.0.0.66", "outstation": "10.0.0.10", "port": 502,
		"functions": [{"code": 5, "name": "write single coil"}], "ranges": {"coils": ["0-15"]}},
		{"proto": "modbus", "master": "10.0.0.67", "outstation": "10.0.0.10", "functions": "any"},`
	edited := strings.Replace(string(src), `"pairs": [`, `"pairs": [`+edit, 1)
	b, err := Load(strings.NewReader(edited))
	if err != nil {
		t.Fatal(err)
	}
	var g gen
	ms := []*ot.Message{
		g.mb(0, attacker, mbRTU, modbus.FuncWriteSingleCoil, 3, 1),
		g.mb(secs(1), mustAP("10.0.0.67:1000"), mbRTU, modbus.FuncWriteMultipleRegisters, 900, 10),
	}
	if got := ids(collect(New(Config{}, b), ms)); len(got) != 0 {
		t.Errorf("edited baseline still alerts: %v", got)
	}
	// The same writes against the unedited baseline alert.
	orig, err := Load(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(collect(New(Config{}, orig), ms)); len(got) != 2 {
		t.Errorf("unedited baseline: %v", got)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"version": 2, "pairs": []}`, "version 2"},
		{`{"version": 1, "pairs": [{"proto": "s7", "master": "1.2.3.4", "outstation": "1.2.3.5"}]}`, "pairs[0].proto"},
		{`{"version": 1, "pairs": [{"proto": "modbus", "master": "host", "outstation": "1.2.3.5"}]}`, "pairs[0].master"},
		{`{"version": 1, "pairs": [{"proto": "modbus", "master": "1.2.3.4", "outstation": "1.2.3.5", "ranges": {"coils": ["9-1"]}}]}`, "pairs[0].ranges.coils"},
		{`{"version": 1, "pairs": [{"proto": "modbus", "master": "1.2.3.4", "outstation": "1.2.3.5", "ranges": {"registers": ["1"]}}]}`, "unknown table"},
		{`{"version": 1, "pairs": [{"proto": "modbus", "master": "1.2.3.4", "outstation": "1.2.3.5", "functions": "all"}]}`, "pairs[0].functions"},
		{`{"version": 1, "pairs": [], "flows": [{"client": "1.2.3.4", "server": "1.2.3.5", "transport": "sctp"}]}`, "flows[0].transport"},
		{`{"version": 1, "pairs": [], "extra": 1}`, "unknown field"},
	} {
		_, err := Load(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%s) = %v, want an error naming %q", tc.in, err, tc.want)
		}
	}
}

func TestMergeBaselines(t *testing.T) {
	a := learnt(t)
	var g gen
	d := New(Config{Learn: time.Hour}, nil)
	collect(d, []*ot.Message{g.mb(0, mbMaster, mbRTU, modbus.FuncReadInputRegisters, 100, 5), g.mb(secs(1), attacker, mbRTU2, 3, 0, 1)})
	a.Merge(d.Baseline())
	p := a.Pairs[PairKey{ot.ProtoModbus, mbMaster.Addr(), mbRTU.Addr()}]
	if !p.hasFunc(modbus.FuncReadInputRegisters) || !p.hasFunc(modbus.FuncReadHoldingRegisters) || !p.Ranges[tableInputRegisters].Covers(100, 5) {
		t.Errorf("merged pair %+v", p)
	}
	if !a.IsMaster(ot.ProtoModbus, attacker.Addr(), mbRTU2.Addr()) {
		t.Error("merged baseline lacks the new pair")
	}
}

func TestRangeSet(t *testing.T) {
	var s RangeSet
	s.Add(10, 19)
	s.Add(20, 29) // adjacent: merges
	s.Add(100, 100)
	s.Add(5, 12)
	if got := s.String(); got != "5-29,100" {
		t.Errorf("set %s", got)
	}
	for i := uint16(0); i < 20; i++ {
		s.Add(200+i*10, 200+i*10)
	}
	if len(s) > maxRanges || !s.Covers(5, 25) || !s.Covers(390, 1) || s.Covers(0, 6) {
		t.Errorf("bounded set %s", s)
	}
	if !slices.IsSortedFunc(s, func(a, b Range) int { return int(a.Lo) - int(b.Lo) }) {
		t.Errorf("unsorted %s", s)
	}
	for _, in := range []string{"0-99", "7", "all"} {
		if _, err := ParseRange(in); err != nil {
			t.Errorf("ParseRange(%q): %v", in, err)
		}
	}
}

// FuzzLoad: a baseline file is operator-edited input; Load must never
// panic, and what it accepts must save and load again.
func FuzzLoad(f *testing.F) {
	if src, err := os.ReadFile(filepath.Join("testdata", "baseline.json")); err == nil {
		f.Add(src)
	}
	f.Add([]byte(`{"version":1,"pairs":[{"proto":"dnp3","master":"::1","outstation":"fe80::1%eth0","functions":"any","ranges":{"coils":["all"]}}]}`))
	f.Add([]byte(`{"version":1,"pairs":[],"flows":[{"client":"1.2.3.4","server":"1.2.3.5","transport":"17","port":53}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := b.Save(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(&buf); err != nil {
			t.Fatalf("saved baseline does not load: %v\n%s", err, buf.String())
		}
		b.Review(&bytes.Buffer{})
	})
}

// TestPairEditedInPlace: a program that edits Pair.Funcs directly before
// New sees its edit honoured.
func TestPairEditedInPlace(t *testing.T) {
	b := learnt(t)
	b.Pairs[PairKey{ot.ProtoModbus, mbMaster.Addr(), mbRTU.Addr()}].Funcs[modbus.FuncReadInputRegisters] = 1
	var g gen
	if got := ids(collect(New(Config{}, b), []*ot.Message{g.mb(0, mbMaster, mbRTU, modbus.FuncReadInputRegisters, 0, 1)})); len(got) != 0 {
		t.Errorf("alerts %v", got)
	}
}
