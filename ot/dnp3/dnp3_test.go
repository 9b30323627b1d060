package dnp3

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/ot"
)

// Control bytes of the frames the tests build.
const (
	ctlMasterData  = 0xC4 // DIR, PRM, unconfirmed user data
	ctlOutstation  = 0x44 // PRM, unconfirmed user data
	ctlLinkStatus  = 0xC9 // DIR, PRM, request link status
	ctlSecondaryLS = 0x0B // secondary link status
)

// frame builds a link frame with correct CRCs around user data.
func frame(ctl byte, dst, src uint16, user []byte) []byte {
	b := []byte{0x05, 0x64, byte(5 + len(user)), ctl, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(b[4:], dst)
	binary.LittleEndian.PutUint16(b[6:], src)
	b = binary.LittleEndian.AppendUint16(b, CRC(b))
	for len(user) > 0 {
		n := min(16, len(user))
		b = append(b, user[:n]...)
		b = binary.LittleEndian.AppendUint16(b, CRC(user[:n]))
		user = user[n:]
	}
	return b
}

// segment prefixes app with a transport header.
func segment(fir, fin bool, seq uint8, app []byte) []byte {
	th := seq & 0x3F
	if fir {
		th |= 0x40
	}
	if fin {
		th |= 0x80
	}
	return append([]byte{th}, app...)
}

// single is a one-segment fragment sent by the master (1 -> 10).
func single(app ...byte) []byte { return frame(ctlMasterData, 10, 1, segment(true, true, 0, app)) }

// feedAll feeds chunks and returns copies of the messages emitted.
func feedAll(p ot.StreamParser, chunks ...[]byte) []ot.Message {
	var out []ot.Message
	for i, c := range chunks {
		p.Feed(c, ot.Meta{Frame: int64(i + 1)}, func(m *ot.Message) {
			cp := *m
			cp.Objects = slices.Clone(m.Objects)
			out = append(out, cp)
		})
	}
	return out
}

func TestCRC(t *testing.T) {
	tests := []struct {
		in   []byte
		want uint16
	}{
		{[]byte("123456789"), 0xEA82}, // the CRC-16/DNP check value
		// A header from dnp3_example.pcap frame 311: CRC bytes c0 ae.
		{[]byte{0x05, 0x64, 0x1a, 0x44, 0x64, 0x00, 0x05, 0x00}, 0xAEC0},
		{nil, 0xFFFF},
	}
	for _, tt := range tests {
		if got := CRC(tt.in); got != tt.want {
			t.Errorf("CRC(% x) = 0x%04X, want 0x%04X", tt.in, got, tt.want)
		}
	}
}

// crcBytewise is the plain byte-at-a-time CRC the tests compare CRC with.
func crcBytewise(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c = c>>8 ^ crcTables[0][byte(c)^x]
	}
	return ^c
}

// TestCRCSlicing compares the slicing-by-8 CRC with the bytewise one.
func TestCRCSlicing(t *testing.T) {
	b := make([]byte, 64)
	for i := range b {
		b[i] = byte(i*37 + 11)
	}
	for n := 0; n <= len(b); n++ {
		if got, want := CRC(b[:n]), crcBytewise(b[:n]); got != want {
			t.Errorf("length %d: 0x%04X, want 0x%04X", n, got, want)
		}
	}
}

func TestLinkLayer(t *testing.T) {
	read := single(0xC0, 0x01, 0x3C, 0x02, 0x06)
	badHeader := slices.Clone(read)
	badHeader[8] ^= 0xFF
	// 40 bytes of user data: three blocks; break the second.
	long := frame(ctlMasterData, 10, 1, segment(true, true, 0, append([]byte{0xC0, 0x02}, bytes.Repeat([]byte{0x50, 0x01, 0x00, 0x07, 0x07, 0x00}, 6)...)))
	badBlock := slices.Clone(long)
	badBlock[10+16+2+3] ^= 0x01
	short := frame(ctlLinkStatus, 10, 1, nil)
	short[2] = 4
	binary.LittleEndian.PutUint16(short[8:], CRC(short[:8]))

	tests := []struct {
		name   string
		chunks [][]byte
		want   []string // per message: "linkfunc dir app-func malformed"
	}{
		{"link status request", [][]byte{frame(ctlLinkStatus, 10, 1, nil)}, []string{"pri 9 request - "}},
		{"secondary link status", [][]byte{frame(ctlSecondaryLS, 1, 10, nil)}, []string{"sec 11 response - "}},
		{"read", [][]byte{read}, []string{"pri 4 request READ "}},
		{"three blocks", [][]byte{long}, []string{"pri 4 request WRITE "}},
		{"bad header CRC", [][]byte{badHeader}, []string{"pri 4 request - link header CRC 0x"}},
		{"bad block CRC", [][]byte{badBlock}, []string{"pri 4 request - block 2 CRC 0x"}},
		{"length below 5", [][]byte{short}, []string{"pri 9 request - link length 4, minimum 5"}},
		{"garbage then frame", [][]byte{append([]byte{0x05, 0x00, 0x64, 0x05, 0x05}, read...)}, []string{"pri 4 request READ "}},
		{"two frames in one feed", [][]byte{append(slices.Clone(read), read...)}, []string{"pri 4 request READ ", "pri 4 request READ "}},
		{"split in the header", [][]byte{read[:1], read[1:7], read[7:]}, []string{"pri 4 request READ "}},
		{"split in a block CRC", [][]byte{long[:27], long[27:]}, []string{"pri 4 request WRITE "}},
		{"garbage hides a bad header", [][]byte{append([]byte{0x00, 0x05, 0x64, 0x05, 0x44, 1, 0, 2, 0, 0, 0}, read...)}, []string{"pri 4 request READ "}},
		{"second bad header in a row not reported", [][]byte{badHeader, badHeader, read, badHeader}, []string{"pri 4 request - link header CRC", "pri 4 request READ ", "pri 4 request - link header CRC"}},
		{"user data on a link status request is not a segment", [][]byte{frame(ctlLinkStatus, 10, 1, []byte{0xC0, 0xC0, 0x01})}, []string{"pri 9 request - "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := feedAll(NewParser(true), tt.chunks...)
			var got []string
			for _, m := range msgs {
				kind := "sec"
				if m.LinkPrimary {
					kind = "pri"
				}
				fn := "-"
				if m.HasApp {
					fn = FuncName(m.Func)
				}
				got = append(got, kind+" "+itoa(int(m.LinkFunc))+" "+m.Dir.String()+" "+fn+" "+m.Malformed)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("message %d: got %q, want prefix %q", i, got[i], tt.want[i])
				}
			}
			for _, m := range msgs {
				if m.Proto != ot.ProtoDNP3 || m.Malformed == "" && (m.Unit != 10 && m.Unit != 1) {
					t.Errorf("bad header fields: %+v", m)
				}
			}
		})
	}
}

func itoa(n int) string {
	var b [8]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// TestSplitEverywhere feeds a stream of frames split at every offset:
// the messages never depend on how TCP cut the bytes.
func TestSplitEverywhere(t *testing.T) {
	var stream []byte
	stream = append(stream, single(0xC0, 0x01, 0x3C, 0x02, 0x06, 0x3C, 0x03, 0x06)...)
	stream = append(stream, frame(ctlLinkStatus, 10, 1, nil)...)
	stream = append(stream, frame(ctlMasterData, 10, 1, segment(true, true, 1, append([]byte{0xC1, 0x05, 0x0C, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, 0x03, 0x01}, make([]byte, 10)...)))...)
	want := feedAll(NewParser(true), stream)
	if len(want) != 3 {
		t.Fatalf("whole stream: %d messages, want 3", len(want))
	}
	for cut := 1; cut < len(stream); cut++ {
		got := feedAll(NewParser(true), stream[:cut], stream[cut:])
		if len(got) != len(want) {
			t.Fatalf("cut %d: %d messages, want %d", cut, len(got), len(want))
		}
		for i := range got {
			got[i].Frame, want[i].Frame = 0, 0
			if !equalMessage(got[i], want[i]) {
				t.Errorf("cut %d message %d: %+v, want %+v", cut, i, got[i], want[i])
			}
		}
	}
}

func equalMessage(a, b ot.Message) bool {
	return a.Func == b.Func && a.HasApp == b.HasApp && a.LinkFunc == b.LinkFunc && a.Malformed == b.Malformed &&
		a.IIN == b.IIN && slices.Equal(a.Objects, b.Objects) && a.Dir == b.Dir
}

// TestGapResynchronises: after lost bytes, the tail of a frame (whose
// user data holds 0x05 0x64) is skipped silently up to the next frame.
func TestGapResynchronises(t *testing.T) {
	inner := frame(ctlMasterData, 10, 1, segment(true, true, 0, []byte{0xC0, 0x02, 0x05, 0x64, 0x05, 0xC4, 0x0A, 0x00, 0x01, 0x00, 0x00, 0x00}))
	p := NewParser(true)
	var got []ot.Message
	emit := func(m *ot.Message) { got = append(got, *m) }
	p.Feed(inner[:5], ot.Meta{}, emit)
	p.Gap()
	p.Feed(inner[14:], ot.Meta{}, emit)
	p.Feed(single(0xC0, 0x17), ot.Meta{}, emit)
	if len(got) != 1 || got[0].Func != FuncDelayMeasure || got[0].Malformed != "" {
		t.Errorf("got %d messages: %+v", len(got), got)
	}
}

func TestTransport(t *testing.T) {
	// A 261-byte write fragment (a 255-byte octet string) in two segments.
	app := append([]byte{0xC3, 0x02}, 0x6E, 0xFF, 0x07, 0x01) // g110v255, count 1
	app = append(app, bytes.Repeat([]byte{'x'}, 255)...)
	segs := func(seqs []uint8, firs, fins []bool) [][]byte {
		var out [][]byte
		rest := app
		for i, seq := range seqs {
			n := min(249, len(rest))
			if i == len(seqs)-1 {
				n = len(rest)
			}
			out = append(out, frame(ctlMasterData, 10, 1, segment(firs[i], fins[i], seq, rest[:n])))
			rest = rest[n:]
		}
		return out
	}
	tests := []struct {
		name    string
		chunks  [][]byte
		wantApp int // index of the message that completes the fragment, -1 none
	}{
		{"two segments", segs([]uint8{5, 6}, []bool{true, false}, []bool{false, true}), 1},
		{"sequence wraps 63 to 0", segs([]uint8{63, 0}, []bool{true, false}, []bool{false, true}), 1},
		{"out of sequence", segs([]uint8{5, 7}, []bool{true, false}, []bool{false, true}), -1},
		{"missing FIR", segs([]uint8{5, 6}, []bool{false, false}, []bool{false, true}), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := feedAll(NewParser(true), tt.chunks...)
			for i, m := range msgs {
				if m.HasApp != (i == tt.wantApp) {
					t.Errorf("message %d HasApp %v", i, m.HasApp)
				}
				if m.HasApp && (m.Func != FuncWrite || len(m.Objects) != 1 || m.Objects[0].Group != 110 || m.Malformed != "") {
					t.Errorf("message %d: func %d objects %+v malformed %q", i, m.Func, m.Objects, m.Malformed)
				}
			}
		})
	}

	t.Run("repeated segment ignored", func(t *testing.T) {
		first := frame(ctlMasterData, 10, 1, segment(true, false, 5, []byte{0xC0, 0x01, 0x3C}))
		middle := frame(ctlMasterData, 10, 1, segment(false, false, 6, []byte{0x02, 0x06}))
		last := frame(ctlMasterData, 10, 1, segment(false, true, 7, []byte{0x3C, 0x03, 0x06}))
		msgs := feedAll(NewParser(true), first, middle, middle, last)
		if n := countApp(msgs); n != 1 || !msgs[3].HasApp || len(msgs[3].Objects) != 2 || msgs[3].Malformed != "" {
			t.Errorf("%d fragments, last %+v", n, msgs[3].Objects)
		}
	})
	t.Run("interleaved address pairs", func(t *testing.T) {
		a := frame(ctlMasterData, 10, 1, segment(true, false, 0, []byte{0xC0, 0x01}))
		b := frame(ctlMasterData, 11, 1, segment(true, true, 0, []byte{0xC0, 0x17}))
		c := frame(ctlMasterData, 10, 1, segment(false, true, 1, []byte{0x3C, 0x01, 0x06}))
		msgs := feedAll(NewParser(true), a, b, c)
		if n := countApp(msgs); n != 2 || msgs[1].Func != FuncDelayMeasure || msgs[2].Func != FuncRead || msgs[2].Objects[0].Group != 60 {
			t.Errorf("got %+v", msgs)
		}
	})
	t.Run("overflow", func(t *testing.T) {
		p := NewParser(true)
		var malformed int
		seg := bytes.Repeat([]byte{0}, 249)
		for i := 0; i < MaxFragment/249+2; i++ {
			for _, m := range feedAll(p, frame(ctlMasterData, 10, 1, segment(i == 0, false, uint8(i), seg))) {
				if strings.Contains(m.Malformed, "longer than") {
					malformed++
				}
			}
		}
		if malformed != 1 {
			t.Errorf("%d overflow reports, want 1", malformed)
		}
	})
}

func countApp(msgs []ot.Message) int {
	n := 0
	for _, m := range msgs {
		if m.HasApp {
			n++
		}
	}
	return n
}

func TestApplication(t *testing.T) {
	tests := []struct {
		name      string
		app       []byte
		fn        uint8
		iin       uint16
		objects   []ot.Object
		malformed string
	}{
		{"read class 1 2 3", []byte{0xC0, 0x01, 0x3C, 0x02, 0x06, 0x3C, 0x03, 0x06, 0x3C, 0x04, 0x06}, 1, 0,
			[]ot.Object{{Group: 60, Variation: 2, Qualifier: 6}, {Group: 60, Variation: 3, Qualifier: 6}, {Group: 60, Variation: 4, Qualifier: 6}}, ""},
		{"read indexes 0x17", []byte{0xC0, 0x01, 0x01, 0x02, 0x17, 0x02, 0x03, 0x09, 0x1E, 0x01, 0x00, 0x00, 0x01}, 1, 0,
			[]ot.Object{{Group: 1, Variation: 2, Qualifier: 0x17, Count: 2}, {Group: 30, Variation: 1, Qualifier: 0, Start: 0, Stop: 1, Count: 2}}, ""},
		{"response with IIN and packed binaries", []byte{0xE0, 0x81, 0x90, 0x00, 0x01, 0x01, 0x00, 0x00, 0x09, 0xFF, 0x03, 0x14, 0x06, 0x07, 0x01, 0x34, 0x12},
			129, IINDeviceRestart | IINNeedTime,
			[]ot.Object{{Group: 1, Variation: 1, Qualifier: 0, Start: 0, Stop: 9, Count: 10}, {Group: 20, Variation: 6, Qualifier: 7, Count: 1}}, ""},
		{"cold restart", []byte{0xC0, 0x0D}, 13, 0, nil, ""},
		{"response too short for IIN", []byte{0xC0, 0x81, 0x00}, 129, 0, nil, "response of 3 bytes"},
		{"select CROB 0x28", append([]byte{0xC0, 0x03, 0x0C, 0x01, 0x28, 0x01, 0x00, 0x05, 0x00, 0x41, 0x01, 0xE8, 0x03, 0, 0, 0, 0, 0, 0}, 0), 3, 0,
			[]ot.Object{{Group: 12, Variation: 1, Qualifier: 0x28, Count: 1}}, ""},
		{"CROB truncated", []byte{0xC0, 0x05, 0x0C, 0x01, 0x28, 0x02, 0x00, 0x05, 0x00, 0x41, 0x01}, 5, 0,
			[]ot.Object{{Group: 12, Variation: 1, Qualifier: 0x28, Count: 2}}, "2 objects need 26 bytes, 4 left"},
		{"open file 0x5B", []byte{0xC0, 0x19, 0x46, 0x03, 0x5B, 0x01, 0x03, 0x00, 'a', 'b', 'c', 0x50, 0x02, 0x00, 0x07, 0x07, 0x00}, 25, 0,
			[]ot.Object{{Group: 70, Variation: 3, Qualifier: 0x5B, Count: 1}, {Group: 80, Variation: 2, Qualifier: 0, Start: 7, Stop: 7, Count: 1}}, ""},
		{"device attributes describe their size", []byte{0xC0, 0x81, 0, 0, 0x00, 0xD5, 0x00, 0x00, 0x00, 0x02, 0x04, 1, 0, 0, 0, 0x00, 0xD7, 0x00, 0x00, 0x00, 0x02, 0x01, 3}, 129, 0,
			[]ot.Object{{Group: 0, Variation: 213, Qualifier: 0, Count: 1}, {Group: 0, Variation: 215, Qualifier: 0, Count: 1}}, ""},
		{"read file data names its handle", []byte{0xC0, 0x01, 0x46, 0x05, 0x5B, 0x01, 0x04, 0x00, 0x78, 0x56, 0x34, 0x12, 0x3C, 0x01, 0x06}, 1, 0,
			[]ot.Object{{Group: 70, Variation: 5, Qualifier: 0x5B, Count: 1}, {Group: 60, Variation: 1, Qualifier: 6}}, ""},
		{"unknown size stops quietly", []byte{0xC0, 0x02, 0x63, 0x01, 0x00, 0x00, 0x00, 0xAA, 0x3C, 0x01, 0x06}, 2, 0,
			[]ot.Object{{Group: 99, Variation: 1, Qualifier: 0, Count: 1}}, ""},
		{"write IIN bit 7", []byte{0xC0, 0x02, 0x50, 0x01, 0x00, 0x07, 0x07, 0x00}, 2, 0,
			[]ot.Object{{Group: 80, Variation: 1, Qualifier: 0, Start: 7, Stop: 7, Count: 1}}, ""},
		{"freeze at time", []byte{0xC0, 0x0B, 0x32, 0x02, 0x07, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x14, 0x00, 0x06}, 11, 0,
			[]ot.Object{{Group: 50, Variation: 2, Qualifier: 7, Count: 1}, {Group: 20, Variation: 0, Qualifier: 6}}, ""},
		{"stop before start", []byte{0xC0, 0x01, 0x01, 0x02, 0x00, 0x05, 0x01}, 1, 0,
			[]ot.Object{{Group: 1, Variation: 2, Qualifier: 0, Start: 5, Stop: 1}}, "stop 1 before start 5"},
		{"reserved range code", []byte{0xC0, 0x01, 0x01, 0x02, 0x0A}, 1, 0, []ot.Object{{Group: 1, Variation: 2, Qualifier: 0x0A}}, "reserved range code 10"},
		{"truncated header", []byte{0xC0, 0x01, 0x01, 0x02}, 1, 0, nil, "object header at offset 2: 2 bytes, want 3"},
		{"huge count", []byte{0xC0, 0x81, 0, 0, 0x1E, 0x01, 0x09, 0xFF, 0xFF, 0xFF, 0xFF}, 129, 0,
			[]ot.Object{{Group: 30, Variation: 1, Qualifier: 9, Count: 0xFFFFFFFF}}, "objects need 21474836475 bytes, 0 left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := feedAll(NewParser(true), single(tt.app...))
			if len(msgs) != 1 {
				t.Fatalf("%d messages", len(msgs))
			}
			m := msgs[0]
			if !m.HasApp || m.Func != tt.fn || m.IIN != tt.iin {
				t.Errorf("HasApp %v Func %d IIN %04X, want %d %04X", m.HasApp, m.Func, m.IIN, tt.fn, tt.iin)
			}
			if !slices.Equal(m.Objects, tt.objects) {
				t.Errorf("objects\n%+v, want\n%+v", m.Objects, tt.objects)
			}
			if tt.malformed == "" && m.Malformed != "" || !strings.Contains(m.Malformed, tt.malformed) {
				t.Errorf("Malformed %q, want %q", m.Malformed, tt.malformed)
			}
		})
	}
}

func TestNames(t *testing.T) {
	if got := FuncName(13); got != "COLD_RESTART" {
		t.Errorf("FuncName(13) = %q", got)
	}
	if got := FuncName(200); got != "UNKNOWN" {
		t.Errorf("FuncName(200) = %q", got)
	}
	if got := LinkFuncName(false, 11); got != "LINK_STATUS" {
		t.Errorf("LinkFuncName(false, 11) = %q", got)
	}
	if got := IINString(IINDeviceRestart | IINNeedTime | IINNoFuncCodeSupport); got != "device restart, need time, function code not supported" {
		t.Errorf("IINString = %q", got)
	}
	if GroupName(70) != "file control" || !IsFileOp(27) || IsFileOp(31) || !IsControl(6) || IsControl(2) ||
		!IsRestart(14) || !IsApplicationControl(18) || !IsFreeze(12) || !IsUnsolicitedControl(21) || !IsWrite(2) || !IsResponse(131) {
		t.Error("helpers disagree with the function code table")
	}
}
