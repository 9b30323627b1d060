package detect

import (
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/dnp3"
	"github.com/bulwarkhq/bulwark/ot/modbus"
)

// BenchmarkProcess measures Process on a realistic mix that raises
// nothing: after learning, two Modbus masters poll eight servers over 16
// connections (reads, responses, the odd learnt write) and a DNP3 master
// polls an outstation.
func BenchmarkProcess(b *testing.B) {
	benchProcess(b, 2, 8, 16)
}

// BenchmarkProcessManyPairs: 4 masters poll 256 servers, a new
// connection (ephemeral port) for every poll, so that the pair cache
// mostly misses and the map is used.
func BenchmarkProcessManyPairs(b *testing.B) {
	benchProcess(b, 4, 256, 20000)
}

func benchProcess(b *testing.B, nMasters, nServers, nPorts int) {
	var g gen
	var mix []*ot.Message
	var servers, masters []string
	for i := 0; i < nServers; i++ {
		servers = append(servers, "10.0."+itoa(int64(1+i/200))+"."+itoa(int64(10+i%200)))
	}
	for i := 0; i < nMasters; i++ {
		masters = append(masters, "10.0.0."+itoa(int64(1+i)))
	}
	for i := 0; i < 20000; i++ {
		at := time.Duration(i) * 10 * time.Millisecond
		// One long-lived connection per master and server, each with its
		// own ephemeral port.
		ma := mustAP(masters[i%nMasters] + ":" + itoa(int64(30000+(i*7919)%nPorts)))
		sv := mustAP(servers[i%len(servers)] + ":502")
		fc := uint8([]uint8{1, 2, 3, 4, 3, 3}[i%6])
		mix = append(mix, g.mb(at, ma, sv, fc, 0, 10), g.mbResp(at+time.Millisecond, sv, ma, fc, 0))
		if i%50 == 0 {
			mix = append(mix, g.mb(at+2*time.Millisecond, ma, sv, modbus.FuncWriteSingleRegister, 5, 1))
		}
		if i%4 == 0 {
			mix = append(mix, g.dnp(at+3*time.Millisecond, dnpMaster, dnpOut, dnp3.FuncRead, 60), g.dnpResp(at+4*time.Millisecond, dnpOut, dnpMaster, 0))
		}
	}
	d := New(Config{Learn: time.Hour}, nil)
	fired := 0
	emit := func(*alert.Alert) { fired++ }
	for _, m := range mix {
		d.Process(m, emit)
	}
	d = New(Config{}, d.Baseline())
	// Replay the mix with times moving forward, as a live capture would.
	span := mix[len(mix)-1].Time.Sub(mix[0].Time) + time.Second
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := mix[i%len(mix)]
		if i%len(mix) == 0 && i > 0 {
			for _, m := range mix {
				m.Time = m.Time.Add(span)
			}
		}
		d.Process(m, emit)
	}
	b.StopTimer()
	if fired != 0 {
		b.Fatalf("the mix raised %d alerts", fired)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// FuzzProcess: whatever the decoders hand over, the detector must not
// panic.
func FuzzProcess(f *testing.F) {
	f.Add([]byte{1, 1, 3, 0, 0, 10, 0, 1, 0})
	f.Add([]byte{2, 1, 13, 0, 0, 0, 1, 2, 1, 2, 2, 21, 0, 0, 0, 1, 2, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := New(Config{Learn: 2 * time.Second, MaxState: 8}, nil)
		emit := func(*alert.Alert) {}
		var g gen
		for i := 0; i+9 <= len(data); i += 9 {
			b := data[i : i+9]
			src := mustAP("10.0.0." + itoa(int64(b[6]%16)) + ":1000")
			dst := mustAP("10.0.0." + itoa(int64(b[7]%16)) + ":502")
			m := g.mb(time.Duration(b[8])*100*time.Millisecond+time.Duration(i)*time.Millisecond, src, dst, b[2], uint16(b[3])<<8|uint16(b[4]), uint16(b[5]))
			m.Proto = ot.Proto(b[0] % 3)
			m.Dir = ot.Dir(b[1] % 3)
			m.Sub = uint16(b[5])
			m.Exception = b[5] % 5
			m.HasApp = b[1]&4 != 0
			m.IIN = uint16(b[4])
			if b[1]&8 != 0 {
				m.Malformed = "bad"
			}
			d.Process(m, emit)
			d.ProcessPacket(&Packet{Time: m.Time, Frame: m.Frame, Src: src, Dst: mustAP("10.0.0.1:" + itoa(int64(b[3]))), Transport: b[2]}, emit)
		}
		d.Flush(emit)
		d.Inventory()
	})
}
