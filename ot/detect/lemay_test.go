package detect

// An evaluation on Lemay and Fernandez's labelled Modbus captures
// (CSET'16): every frame is labelled benign or malicious. The malicious
// frames of these three sets are not Modbus at all: they are SMB, NetBIOS
// and a Meterpreter session between the RTUs and the master, so they are
// caught by the unexpected-flow rule over ProcessPacket.
//
// The test reads the captures with a small reader of its own (classic
// pcap, Ethernet, IPv4, one Modbus ADU per segment, which holds for these
// files) so that the package's tests depend on no other OT package.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/ot"
)

// lemayItem is one frame: a Modbus message, another IP packet, or
// nothing the detector reads (nil both).
type lemayItem struct {
	msg *ot.Message
	pkt *Packet
}

// readLemay reads a little-endian classic pcap of Ethernet frames.
func readLemay(t *testing.T, path string) []lemayItem {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var hdr [24]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil || binary.LittleEndian.Uint32(hdr[:]) != 0xa1b2c3d4 || binary.LittleEndian.Uint32(hdr[20:]) != 1 {
		t.Fatalf("%s: not a little-endian Ethernet pcap (%v)", path, err)
	}
	var items []lemayItem
	for frame := int64(1); ; frame++ {
		var rec [16]byte
		if _, err := io.ReadFull(r, rec[:]); err == io.EOF {
			return items
		} else if err != nil {
			t.Fatalf("%s: frame %d: %v", path, frame, err)
		}
		ts := time.Unix(int64(binary.LittleEndian.Uint32(rec[0:])), int64(binary.LittleEndian.Uint32(rec[4:]))*1000).UTC()
		data := make([]byte, binary.LittleEndian.Uint32(rec[8:]))
		if _, err := io.ReadFull(r, data); err != nil {
			t.Fatalf("%s: frame %d: %v", path, frame, err)
		}
		items = append(items, decodeLemay(data, ts, frame))
	}
}

func decodeLemay(d []byte, ts time.Time, frame int64) lemayItem {
	if len(d) < 34 || binary.BigEndian.Uint16(d[12:]) != 0x0800 {
		return lemayItem{}
	}
	ip := d[14:]
	ihl := int(ip[0]&15) * 4
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if ihl < 20 || total > len(ip) || total < ihl {
		return lemayItem{}
	}
	src, dst := netip.AddrFrom4([4]byte(ip[12:16])), netip.AddrFrom4([4]byte(ip[16:20]))
	proto := ip[9]
	l4 := ip[ihl:total]
	var sp, dp uint16
	var syn bool
	var payload []byte
	switch proto {
	case 6:
		if len(l4) < 20 || int(l4[12]>>4)*4 > len(l4) {
			return lemayItem{}
		}
		sp, dp = binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:])
		syn = l4[13]&0x12 == 0x02
		payload = l4[int(l4[12]>>4)*4:]
	case 17:
		if len(l4) < 8 {
			return lemayItem{}
		}
		sp, dp = binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:])
	}
	meta := ot.Meta{Time: ts, Frame: frame, Src: netip.AddrPortFrom(src, sp), Dst: netip.AddrPortFrom(dst, dp)}
	if proto == 6 && (sp == 502 || dp == 502) {
		if len(payload) < 8 {
			return lemayItem{}
		}
		m := &ot.Message{Meta: meta, Proto: ot.ProtoModbus, Dir: ot.DirRequest, Seq: binary.BigEndian.Uint16(payload), Unit: uint16(payload[6]), Func: payload[7] & 0x7f}
		if sp == 502 {
			m.Dir = ot.DirResponse
			if payload[7]&0x80 != 0 && len(payload) > 8 {
				m.Exception = payload[8]
			}
		} else if len(payload) >= 12 {
			m.Addr, m.Count = binary.BigEndian.Uint16(payload[8:]), binary.BigEndian.Uint16(payload[10:])
			if m.Func == mbWriteSingleCoil || m.Func == mbWriteSingleRegister {
				m.Count = 1
			}
		}
		if binary.BigEndian.Uint16(payload[2:]) != 0 {
			m.Malformed = "protocol identifier not 0"
		}
		return lemayItem{msg: m}
	}
	return lemayItem{pkt: &Packet{Time: ts, Frame: frame, Src: meta.Src, Dst: meta.Dst, Transport: proto, SYN: syn}}
}

func readLabels(t *testing.T, path string) map[int64]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[int64]bool{}
	for _, line := range strings.Split(strings.ReplaceAll(string(data), "\r", ""), "\n") {
		f, l, ok := strings.Cut(line, ";")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err == nil && strings.TrimSpace(l) == "1" {
			bad[n] = true
		}
	}
	return bad
}

// ranges groups labelled frames into maximal runs.
func ranges(bad map[int64]bool) [][2]int64 {
	var fs []int64
	for f := range bad {
		fs = append(fs, f)
	}
	slices.Sort(fs)
	var out [][2]int64
	for _, f := range fs {
		if n := len(out); n > 0 && out[n-1][1] == f-1 {
			out[n-1][1] = f
		} else {
			out = append(out, [2]int64{f, f})
		}
	}
	return out
}

// alertSpan reads the frames an alert names in its EventID.
func alertSpan(a *alert.Alert) (first, last int64) {
	s := strings.TrimPrefix(a.EventID, "frame:")
	lo, hi, ok := strings.Cut(s, "-")
	first, _ = strconv.ParseInt(lo, 10, 64)
	last = first
	if ok {
		last, _ = strconv.ParseInt(hi, 10, 64)
	}
	return first, last
}

func runLemay(d *Detector, items []lemayItem) []*alert.Alert {
	var out []*alert.Alert
	emit := func(a *alert.Alert) { out = append(out, a) }
	for _, it := range items {
		switch {
		case it.msg != nil:
			d.Process(it.msg, emit)
		case it.pkt != nil:
			d.ProcessPacket(it.pkt, emit)
		}
	}
	d.Flush(emit)
	return out
}

type lemayScore struct {
	ranges, spanned, hitFirst int
	alerts, alertsMalicious   int
	alertsOnModbus            int
}

func (s lemayScore) String() string {
	return fmt.Sprintf("ranges %d: covered by an alert's frame span %d, an alert's first frame in the range %d; alerts %d (first frame malicious %d, on Modbus frames %d)",
		s.ranges, s.spanned, s.hitFirst, s.alerts, s.alertsMalicious, s.alertsOnModbus)
}

func scoreLemay(as []*alert.Alert, bad map[int64]bool, items []lemayItem) lemayScore {
	rs := ranges(bad)
	s := lemayScore{ranges: len(rs), alerts: len(as)}
	for _, r := range rs {
		spanned, hit := false, false
		for _, a := range as {
			f, l := alertSpan(a)
			spanned = spanned || f <= r[1] && l >= r[0]
			hit = hit || f >= r[0] && f <= r[1]
		}
		if spanned {
			s.spanned++
		}
		if hit {
			s.hitFirst++
		}
	}
	for _, a := range as {
		f, _ := alertSpan(a)
		if bad[f] {
			s.alertsMalicious++
		}
		if f >= 1 && int(f) <= len(items) && items[f-1].msg != nil {
			s.alertsOnModbus++
		}
	}
	return s
}

func TestLemay(t *testing.T) {
	root := os.Getenv("BULWARK_TESTDATA")
	if root == "" {
		t.Skip("BULWARK_TESTDATA not set: the Lemay CSET'16 captures are in the shared data")
	}
	dir := filepath.Join(root, "pcap", "modbus", "lemay_cset16")
	files, err := filepath.Glob(filepath.Join(dir, "*.pcap"))
	if err != nil || len(files) == 0 {
		t.Skipf("no captures in %s", dir)
	}
	type capture struct {
		name  string
		items []lemayItem
		bad   map[int64]bool
	}
	var caps []capture
	for _, f := range files {
		caps = append(caps, capture{filepath.Base(f), readLemay(t, f), readLabels(t, strings.TrimSuffix(f, ".pcap")+"_labeled.csv")})
	}
	firstTime := func(c capture) time.Time {
		for _, it := range c.items {
			if it.msg != nil {
				return it.msg.Time
			}
		}
		return time.Time{}
	}
	// The operator's first recording of the plant is the earliest capture;
	// its first 10 s (one poll cycle) are the reviewed baseline.
	earliest := slices.MinFunc(caps, func(a, b capture) int { return firstTime(a).Compare(firstTime(b)) })
	learner := New(Config{Learn: 10 * time.Second}, nil)
	var cut []lemayItem
	for _, it := range earliest.items {
		if it.msg != nil && it.msg.Time.Sub(firstTime(earliest)) >= 10*time.Second {
			break
		}
		cut = append(cut, it)
	}
	runLemay(learner, cut)
	var baseJSON strings.Builder
	if err := learner.Baseline().Save(&baseJSON); err != nil {
		t.Fatal(err)
	}

	for _, c := range caps {
		own := scoreLemay(runLemay(New(Config{Learn: 10 * time.Second}, nil), c.items), c.bad, c.items)
		base, err := Load(strings.NewReader(baseJSON.String()))
		if err != nil {
			t.Fatal(err)
		}
		withBase := scoreLemay(runLemay(New(Config{}, base), c.items), c.bad, c.items)
		t.Logf("%s\n  learning its own first 10 s: %s\n  baseline from %s's first 10 s: %s", c.name, own, earliest.name, withBase)
		if own.alertsOnModbus != 0 || withBase.alertsOnModbus != 0 {
			t.Errorf("%s: the legitimate master's Modbus traffic raised alerts", c.name)
		}
		if withBase.spanned != withBase.ranges {
			t.Errorf("%s: with the baseline, %d of %d malicious ranges covered", c.name, withBase.spanned, withBase.ranges)
		}
	}
}
