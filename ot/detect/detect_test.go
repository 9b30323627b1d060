package detect

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/dnp3"
	"github.com/bulwarkhq/bulwark/ot/modbus"
)

// TestRules learns the normal traffic of learnPhase for 30 s, then feeds
// each case's messages and checks the alerts raised (first occurrences,
// "rule/level").
func TestRules(t *testing.T) {
	var g gen
	at := func(s float64) time.Duration { return secs(40 + s) }
	cases := []struct {
		name   string
		cfg    func(*Config)
		detect func() []*ot.Message
		want   []string
	}{
		{"normal polling raises nothing", nil, func() []*ot.Message {
			return []*ot.Message{g.mb(at(0), mbMaster, mbRTU, 3, 0, 10), g.mbResp(at(0.1), mbRTU, mbMaster, 3, 0),
				g.mb(at(1), mbMaster, mbRTU, 6, 5, 1), g.dnp(at(2), dnpMaster, dnpOut, dnp3.FuncRead, 60), g.dnpResp(at(2.1), dnpOut, dnpMaster, 0)}
		}, nil},
		{"write from unknown host", nil, func() []*ot.Message {
			return []*ot.Message{g.mb(at(0), attacker, mbRTU, modbus.FuncWriteSingleCoil, 0, 1)}
		}, []string{"ot.modbus.write-unknown-master/critical"}},
		{"known master, other outstation", nil, func() []*ot.Message {
			return []*ot.Message{g.mb(at(0), mbMaster, mbRTU2, modbus.FuncWriteMultipleRegisters, 0, 4)}
		}, []string{"ot.modbus.write-unknown-master/critical"}},
		{"read from unknown host", nil, func() []*ot.Message {
			return []*ot.Message{g.mb(at(0), attacker, mbRTU, modbus.FuncReadHoldingRegisters, 0, 10)}
		}, []string{"ot.modbus.new-master/medium"}},
		{"new function for known pair", nil, func() []*ot.Message {
			return []*ot.Message{g.mb(at(0), mbMaster, mbRTU, modbus.FuncReadInputRegisters, 0, 2)}
		}, []string{"ot.modbus.new-function/medium"}},
		{"new write function inside polled range is operation", nil, func() []*ot.Message {
			return []*ot.Message{g.mb(at(0), mbMaster, mbRTU, modbus.FuncWriteSingleCoil, 3, 1), g.mb(at(1), mbMaster, mbRTU, modbus.FuncWriteMultipleRegisters, 2, 4)}
		}, nil},
		{"new write function inside polled range, strict", func(c *Config) { c.StrictWrites = true }, func() []*ot.Message {
			return []*ot.Message{g.mb(at(0), mbMaster, mbRTU, modbus.FuncWriteSingleCoil, 3, 1)}
		}, []string{"ot.modbus.new-function/medium"}},
		{"new write function outside polled range", nil, func() []*ot.Message {
			return []*ot.Message{g.mb(at(0), mbMaster, mbRTU, modbus.FuncWriteMultipleRegisters, 100, 4)}
		}, []string{"ot.modbus.new-function/medium"}},
		{"known write function outside range", nil, func() []*ot.Message {
			return []*ot.Message{g.mb(at(0), mbMaster, mbRTU, modbus.FuncWriteSingleRegister, 500, 1)}
		}, []string{"ot.modbus.write-outside-range/medium"}},
		{"modbus restart communications", nil, func() []*ot.Message {
			return []*ot.Message{g.mbSub(at(0), mbMaster, mbRTU, modbus.FuncDiagnostics, modbus.DiagRestartCommunications)}
		}, []string{"ot.modbus.restart/high"}},
		{"modbus restart from unknown host", nil, func() []*ot.Message {
			return []*ot.Message{g.mbSub(at(0), attacker, mbRTU, modbus.FuncDiagnostics, modbus.DiagRestartCommunications)}
		}, []string{"ot.modbus.restart/critical"}},
		{"force listen only", nil, func() []*ot.Message {
			return []*ot.Message{g.mbSub(at(0), mbMaster, mbRTU, modbus.FuncDiagnostics, modbus.DiagForceListenOnlyMode)}
		}, []string{"ot.modbus.force-listen-only/high"}},
		{"clear counters", nil, func() []*ot.Message {
			return []*ot.Message{g.mbSub(at(0), mbMaster, mbRTU, modbus.FuncDiagnostics, modbus.DiagClearCounters)}
		}, []string{"ot.modbus.clear-diagnostics/medium"}},
		{"diagnostics echo is only a new function", nil, func() []*ot.Message {
			return []*ot.Message{g.mbSub(at(0), mbMaster, mbRTU, modbus.FuncDiagnostics, modbus.DiagReturnQueryData)}
		}, []string{"ot.modbus.new-function/medium"}},
		{"file record write and read", nil, func() []*ot.Message {
			return []*ot.Message{g.mb(at(0), mbMaster, mbRTU, modbus.FuncWriteFileRecord, 0, 0), g.mb(at(1), mbMaster, mbRTU, modbus.FuncReadFileRecord, 0, 0)}
		}, []string{"ot.modbus.file-write/high", "ot.modbus.file-read/medium"}},
		{"device identification from unknown host", nil, func() []*ot.Message {
			return []*ot.Message{g.mbSub(at(0), attacker, mbRTU, modbus.FuncEncapsulatedInterface, modbus.MEIReadDeviceIdentity)}
		}, []string{"ot.modbus.device-identification/medium"}},
		{"report server id from known master", nil, func() []*ot.Message {
			return []*ot.Message{g.mb(at(0), mbMaster, mbRTU, modbus.FuncReportServerID, 0, 0)}
		}, []string{"ot.modbus.device-identification/medium"}},
		{"function code sweep", nil, func() []*ot.Message {
			var ms []*ot.Message
			for i, fc := range []uint8{1, 2, 3, 4, 7, 11, 12, 17, 24, 65} {
				ms = append(ms, g.mb(at(float64(i)*0.1), attacker, mbRTU, fc, 0, 1))
			}
			return ms
		}, []string{"ot.modbus.new-master/medium", "ot.modbus.function-sweep/high", "ot.modbus.device-identification/medium"}},
		{"unit id sweep", nil, func() []*ot.Message {
			var ms []*ot.Message
			for u := uint16(1); u <= 8; u++ {
				m := g.mb(at(float64(u)*0.1), mbMaster, mbRTU, modbus.FuncReadHoldingRegisters, 0, 10)
				m.Unit = u
				ms = append(ms, m)
			}
			return ms
		}, []string{"ot.modbus.function-sweep/high"}},
		{"illegal function exceptions", nil, func() []*ot.Message {
			var ms []*ot.Message
			for i := 0; i < 3; i++ {
				ms = append(ms, g.mbResp(at(float64(i)), mbRTU, mbMaster, 3, 1))
			}
			return ms
		}, []string{"ot.modbus.function-sweep/high"}},
		{"exception burst", nil, func() []*ot.Message {
			var ms []*ot.Message
			for i := 0; i < 12; i++ {
				ms = append(ms, g.mbResp(at(float64(i)), mbRTU, mbMaster, 3, 2))
			}
			return ms
		}, []string{"ot.modbus.exception-burst/medium"}},
		{"malformed stream aggregates", nil, func() []*ot.Message {
			var ms []*ot.Message
			for i := 0; i < 20; i++ {
				m := g.mb(at(float64(i)*0.1), attacker, mbRTU, 0, 0, 0)
				m.Malformed = "protocol identifier 0x1234, want 0"
				ms = append(ms, m)
			}
			return ms
		}, []string{"ot.modbus.malformed/medium"}},
		{"flood on a pair", nil, func() []*ot.Message {
			var ms []*ot.Message
			for i := 0; i < 300; i++ {
				ms = append(ms, g.mb(at(float64(i)/400), mbMaster, mbRTU, 3, 0, 10))
			}
			return ms
		}, []string{"ot.modbus.flood/high", "ot.modbus.flood/high"}}, // the pair and the source
		{"dnp3 cold and warm restart", nil, func() []*ot.Message {
			return []*ot.Message{g.dnp(at(0), dnpMaster, dnpOut, dnp3.FuncColdRestart), g.dnp(at(20), dnpMaster, dnpOut, dnp3.FuncWarmRestart)}
		}, []string{"ot.dnp3.restart/high", "ot.dnp3.restart/high"}},
		{"dnp3 stop and start application", nil, func() []*ot.Message {
			return []*ot.Message{g.dnp(at(0), dnpMaster, dnpOut, dnp3.FuncStopAppl, 90), g.dnp(at(1), dnpMaster, dnpOut, dnp3.FuncStartAppl, 90)}
		}, []string{"ot.dnp3.stop-application/high", "ot.dnp3.start-application/medium"}},
		{"dnp3 initialize and configuration", nil, func() []*ot.Message {
			return []*ot.Message{g.dnp(at(0), dnpMaster, dnpOut, dnp3.FuncInitializeData), g.dnp(at(1), dnpMaster, dnpOut, dnp3.FuncSaveConfig),
				g.dnp(at(2), dnpMaster, dnpOut, dnp3.FuncActivateConfig)}
		}, []string{"ot.dnp3.initialize/high", "ot.dnp3.configuration-change/high"}},
		{"dnp3 file operations", nil, func() []*ot.Message {
			return []*ot.Message{g.dnp(at(0), dnpAttackr, dnpOut, dnp3.FuncOpenFile, 70)}
		}, []string{"ot.dnp3.file-operation/critical"}},
		{"dnp3 disable unsolicited, learnt", nil, func() []*ot.Message {
			return []*ot.Message{g.dnp(at(0), dnpMaster, dnpOut, dnp3.FuncDisableUnsolicited, 60)}
		}, []string{"ot.dnp3.disable-unsolicited/low"}},
		{"dnp3 disable unsolicited from unknown host", nil, func() []*ot.Message {
			return []*ot.Message{g.dnp(at(0), dnpAttackr, dnpOut, dnp3.FuncDisableUnsolicited, 60)}
		}, []string{"ot.dnp3.disable-unsolicited/high"}},
		{"dnp3 operate from unknown host", nil, func() []*ot.Message {
			return []*ot.Message{g.dnp(at(0), dnpAttackr, dnpOut, dnp3.FuncDirectOperate, 12)}
		}, []string{"ot.dnp3.write-unknown-master/critical"}},
		{"dnp3 enable unsolicited from unknown host", nil, func() []*ot.Message {
			return []*ot.Message{g.dnp(at(0), dnpAttackr, dnpOut, dnp3.FuncEnableUnsolicited, 60)}
		}, []string{"ot.dnp3.enable-unsolicited/medium"}},
		{"dnp3 known master new routine and command functions", nil, func() []*ot.Message {
			return []*ot.Message{g.dnp(at(0), dnpMaster, dnpOut, dnp3.FuncAssignClass, 60), g.dnp(at(1), dnpMaster, dnpOut, dnp3.FuncSelect, 12)}
		}, []string{"ot.dnp3.new-function/low", "ot.dnp3.new-function/medium"}},
		{"dnp3 link-only frames", nil, func() []*ot.Message {
			m := g.dnp(at(0), dnpAttackr, dnpOut, 0)
			m.HasApp = false
			return []*ot.Message{m}
		}, nil},
		{"dnp3 function not supported sweep", nil, func() []*ot.Message {
			var ms []*ot.Message
			for i := 0; i < 3; i++ {
				ms = append(ms, g.dnpResp(at(float64(i)), dnpOut, dnpMaster, dnp3.IINNoFuncCodeSupport))
			}
			return ms
		}, []string{"ot.dnp3.function-sweep/high"}},
		{"new function level low", func(c *Config) { c.NewFunctionLevel = LevelLow }, func() []*ot.Message {
			return []*ot.Message{g.mb(at(0), mbMaster, mbRTU, modbus.FuncReadInputRegisters, 0, 2)}
		}, []string{"ot.modbus.new-function/low"}},
		{"new function off", func(c *Config) { c.NewFunctionLevel = "off" }, func() []*ot.Message {
			return []*ot.Message{g.mb(at(0), mbMaster, mbRTU, modbus.FuncReadInputRegisters, 0, 2)}
		}, nil},
		{"known operation level off", func(c *Config) { c.KnownOperationLevel = "off" }, func() []*ot.Message {
			return []*ot.Message{g.dnp(at(0), dnpMaster, dnpOut, dnp3.FuncDisableUnsolicited, 60)}
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Learn: 30 * time.Second}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			d := New(cfg, nil)
			learnt := collect(d, g.learnPhase())
			if got := ids(learnt); !slices.Equal(got, []string{"ot.dnp3.disable-unsolicited/medium"}) {
				t.Fatalf("learning raised %v, want only the disable unsolicited", got)
			}
			got := ids(collect(d, tc.detect()))
			if !slices.Equal(got, tc.want) {
				t.Errorf("alerts %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAlertFields(t *testing.T) {
	var g gen
	d := New(Config{Learn: 30 * time.Second, Source: "plant.pcap"}, nil)
	collect(d, g.learnPhase())
	m := g.mb(secs(45), attacker, mbRTU, modbus.FuncWriteSingleCoil, 7, 1)
	as := collect(d, []*ot.Message{m})
	if len(as) != 1 {
		t.Fatalf("got %d alerts", len(as))
	}
	a := as[0]
	if a.Host != "10.0.0.10" || a.Entities[alert.EntitySrcIP] != "10.0.0.66" || a.Entities[alert.EntityDstIP] != "10.0.0.10" {
		t.Errorf("host %q entities %v", a.Host, a.Entities)
	}
	if want := "frame:" + itoa(m.Frame); a.EventID != want || a.Source.Record != m.Frame || a.Source.Path != "plant.pcap" || a.Source.Format != "modbus" {
		t.Errorf("event id %q source %+v, want %s", a.EventID, a.Source, want)
	}
	if !a.Time.Equal(m.Time) || !slices.Contains(a.Rule.Attack, "T0855") || !slices.Contains(a.Rule.Tags, "modbus") {
		t.Errorf("time %v rule %+v", a.Time, a.Rule)
	}
	var fields []string
	for _, mt := range a.Matches {
		fields = append(fields, mt.Field+"="+mt.Value)
	}
	if s := strings.Join(fields, " "); !strings.Contains(s, "function=5 Write Single Coil") || !strings.Contains(s, "coils=7") {
		t.Errorf("matches %s", s)
	}
}

// TestLearningOnlyAlwaysRules: during learning a new host writing is
// learnt, a restart alerts at its full level.
func TestLearningOnlyAlwaysRules(t *testing.T) {
	var g gen
	d := New(Config{Learn: time.Hour}, nil)
	got := ids(collect(d, []*ot.Message{
		g.mb(0, attacker, mbRTU, modbus.FuncWriteSingleCoil, 0, 1),
		g.mb(secs(1), attacker, mbRTU, modbus.FuncReadDiscreteInputs, 0, 1),
		g.dnp(secs(2), dnpMaster, dnpOut, dnp3.FuncColdRestart),
	}))
	if want := []string{"ot.dnp3.restart/high"}; !slices.Equal(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
	if !d.Learning() || !d.Baseline().IsMaster(ot.ProtoModbus, attacker.Addr(), mbRTU.Addr()) {
		t.Errorf("learning %v, attacker learnt %v", d.Learning(), d.Baseline().IsMaster(ot.ProtoModbus, attacker.Addr(), mbRTU.Addr()))
	}
}

// TestClockFromMessages: learning ends by message time, not wall time,
// and a message from the past does not restart it.
func TestClockFromMessages(t *testing.T) {
	var g gen
	d := New(Config{Learn: time.Minute}, nil)
	collect(d, []*ot.Message{g.mb(0, mbMaster, mbRTU, 3, 0, 10)})
	if !d.Learning() {
		t.Fatal("not learning after the first message")
	}
	got := ids(collect(d, []*ot.Message{
		g.mb(secs(59), attacker, mbRTU, 3, 0, 10),  // learnt
		g.mb(secs(61), mbMaster, mbRTU, 3, 0, 10),  // ends learning
		g.mb(secs(10), attacker, mbRTU2, 3, 0, 10), // earlier time, still detecting
	}))
	if want := []string{"ot.modbus.new-master/medium"}; !slices.Equal(got, want) || d.Learning() {
		t.Errorf("alerts %v learning %v, want %v", got, d.Learning(), want)
	}
}

func TestAggregation(t *testing.T) {
	var g gen
	d := New(Config{Learn: 30 * time.Second}, nil)
	collect(d, g.learnPhase())
	var ms []*ot.Message
	for i := 0; i < 50; i++ {
		ms = append(ms, g.mb(secs(40+float64(i)*0.1), attacker, mbRTU, modbus.FuncWriteSingleCoil, 0, 1))
	}
	first, last := ms[0].Frame, ms[49].Frame
	// After a quiet spell longer than the idle gap, a new alert.
	ms = append(ms, g.mb(secs(70), attacker, mbRTU, modbus.FuncWriteSingleCoil, 0, 1))
	var out []*alert.Alert
	emit := func(a *alert.Alert) { out = append(out, a) }
	for _, m := range ms {
		d.Process(m, emit)
	}
	d.Flush(emit)
	if len(out) != 3 {
		for _, a := range out {
			t.Logf("%s %s %v", a.Rule.ID, a.EventID, a.Correlation)
		}
		t.Fatalf("got %d alerts, want first, summary, new burst", len(out))
	}
	if out[0].EventID != "frame:"+itoa(first) || out[0].Correlation != nil {
		t.Errorf("first alert %s", out[0].EventID)
	}
	sum := out[1]
	if sum.Correlation == nil || sum.Correlation.Count != 50 || sum.EventID != "frame:"+itoa(first)+"-"+itoa(last) {
		t.Errorf("summary %s %+v", sum.EventID, sum.Correlation)
	}
	if !strings.Contains(sum.Rule.Title, "repeated 50 times") {
		t.Errorf("summary title %q", sum.Rule.Title)
	}
	if out[2].EventID != "frame:"+itoa(ms[50].Frame) {
		t.Errorf("new burst %s", out[2].EventID)
	}
}

func TestUnexpectedFlow(t *testing.T) {
	var g gen
	d := New(Config{Learn: 30 * time.Second}, nil)
	var out []*alert.Alert
	emit := func(a *alert.Alert) { out = append(out, a) }
	for _, m := range g.learnPhase() {
		d.Process(m, emit)
	}
	pkt := func(at float64, src, dst string, syn bool) *Packet {
		return &Packet{Time: t0.Add(secs(at)), Frame: g.next(), Src: mustAP(src), Dst: mustAP(dst), Transport: 6, SYN: syn}
	}
	// Learnt: the master's SMB to the RTU.
	d.ProcessPacket(pkt(5, "10.0.0.1:1100", "10.0.0.10:445", true), emit)
	d.ProcessPacket(pkt(5.1, "10.0.0.10:445", "10.0.0.1:1100", false), emit)
	out = nil
	for _, p := range []*Packet{
		pkt(40, "10.0.0.10:445", "10.0.0.1:1200", false), // learnt flow, other client port
		pkt(41, "10.0.0.1:40000", "10.0.0.10:502", true), // Modbus port: the decoders judge it
		pkt(42, "192.0.2.1:1000", "192.0.2.2:80", true),  // no OT asset
		pkt(43, "10.0.0.10:1630", "10.0.1.10:4444", false),
		pkt(43.1, "10.0.1.10:4444", "10.0.0.10:1630", false), // same pair: aggregated
		pkt(44, "10.0.0.1:1300", "198.51.100.7:443", true),
	} {
		d.ProcessPacket(p, emit)
	}
	if got := ids(out); !slices.Equal(got, []string{"ot.net.unexpected-flow/high", "ot.net.unexpected-flow/medium"}) {
		t.Errorf("alerts %v", got)
	}
}

func TestFlushEndsLearningSpan(t *testing.T) {
	var g gen
	d := New(Config{Learn: time.Hour}, nil)
	collect(d, g.learnPhase())
	d.Flush(func(*alert.Alert) {})
	b := d.Baseline()
	if !b.From.Equal(t0) || b.Until.Sub(b.From) < 29*time.Second {
		t.Errorf("learnt %v..%v", b.From, b.Until)
	}
}

// TestFloodFloorDuringLearning: during learning only a rate above
// FloodMin × FloodFactor is a flood.
func TestFloodFloorDuringLearning(t *testing.T) {
	var g gen
	d := New(Config{Learn: time.Hour, FloodMin: 10, FloodFactor: 5}, nil)
	var ms []*ot.Message
	// Requests answered one by one: the pair's rate counts both ways,
	// and nothing is left unanswered.
	for i := 0; i < 49; i++ {
		if i%2 == 0 {
			ms = append(ms, g.mb(secs(float64(i)/100), mbMaster, mbRTU, 3, 0, 1))
		} else {
			ms = append(ms, g.mbResp(secs(float64(i)/100), mbRTU, mbMaster, 3, 0))
		}
	}
	if got := ids(collect(d, ms)); len(got) != 0 {
		t.Fatalf("49 messages in a second raised %v", got)
	}
	got := ids(collect(d, []*ot.Message{g.mb(secs(0.5), mbMaster, mbRTU, 3, 0, 1), g.mb(secs(0.6), mbMaster, mbRTU, 3, 0, 1)}))
	if want := []string{"ot.modbus.flood/high"}; !slices.Equal(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
}

// TestUnansweredFlood: requests piling up unanswered within a second are
// a flood, during learning too; the same requests answered, or spread so
// that a capture missing the answers sees normal polling, are not.
func TestUnansweredFlood(t *testing.T) {
	for _, tc := range []struct {
		name     string
		every    time.Duration
		answered bool
		want     int
	}{
		{"33 unanswered in 33 ms", time.Millisecond, false, 1},
		{"33 answered in 66 ms", time.Millisecond, true, 0},
		{"33 unanswered over 33 s", time.Second, false, 0},
	} {
		var g gen
		d := New(Config{Learn: time.Hour}, nil)
		var ms []*ot.Message
		for i := range 33 {
			at := time.Duration(2*i) * tc.every
			ms = append(ms, g.dnp(at, dnpMaster, dnpOut, dnp3.FuncSelect, 12))
			if tc.answered {
				ms = append(ms, g.dnpResp(at+tc.every, dnpOut, dnpMaster, 0))
			}
		}
		n := 0
		for _, a := range collect(d, ms) {
			for _, m := range a.Matches {
				n += boolInt(m.Field == "unanswered_requests")
			}
		}
		if n != tc.want {
			t.Errorf("%s: %d unanswered-request floods, want %d", tc.name, n, tc.want)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestSourceFlood: a source spreading a flood over many servers trips
// the per-source rate though no pair does.
func TestSourceFlood(t *testing.T) {
	var g gen
	d := New(Config{FloodMin: 20, FloodFactor: 10}, NewBaseline())
	var ms []*ot.Message
	for i := 0; i < 30; i++ {
		dst := mustAP("10.0.2." + itoa(int64(i)) + ":502")
		ms = append(ms, g.mb(secs(float64(i)/100), attacker, dst, 3, 0, 1))
	}
	var floods []string
	for _, a := range collect(d, ms) {
		if a.Rule.ID == "ot.modbus.flood" {
			for _, m := range a.Matches {
				if m.Field == "scope" {
					floods = append(floods, m.Value)
				}
			}
		}
	}
	if !slices.Equal(floods, []string{"source"}) {
		t.Errorf("floods %v, want one per-source flood", floods)
	}
}
