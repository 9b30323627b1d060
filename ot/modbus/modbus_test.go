package modbus

import (
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/ot"
)

// adu builds a Modbus/TCP ADU around a PDU written in hex (spaces
// allowed): transaction id tid, protocol id 0, unit 1.
func adu(t testing.TB, tid uint16, pduHex string) []byte {
	t.Helper()
	pdu, err := hex.DecodeString(strings.ReplaceAll(pduHex, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", pduHex, err)
	}
	n := len(pdu) + 1
	b := []byte{byte(tid >> 8), byte(tid), 0, 0, byte(n >> 8), byte(n), 1}
	return append(b, pdu...)
}

// collect feeds chunks to a fresh parser and returns copies of the
// messages emitted.
func collect(p ot.StreamParser, chunks ...[]byte) []ot.Message {
	var out []ot.Message
	for i, c := range chunks {
		p.Feed(c, ot.Meta{Frame: int64(i + 1)}, func(m *ot.Message) { out = append(out, *m) })
	}
	return out
}

// want is what a PDU test checks of the one message it expects.
type want struct {
	fc, exc                                 uint8
	sub, addr, count, writeAddr, writeCount uint16
	// malformed is a substring of Message.Malformed, "" for none.
	malformed string
}

func TestPDU(t *testing.T) {
	const req, resp = true, false
	tests := []struct {
		name     string
		toServer bool
		pdu      string
		want     want
	}{
		// 1-4 reads.
		{"read coils request", req, "01 0013 0013", want{fc: 1, addr: 0x13, count: 19}},
		{"read coils response", resp, "01 03 CD6B05", want{fc: 1, count: 24}},
		{"read coils quantity 0", req, "01 0013 0000", want{fc: 1, addr: 0x13, malformed: "quantity 0 out of range 1..2000"}},
		{"read coils quantity 2001", req, "01 0000 07D1", want{fc: 1, count: 2001, malformed: "quantity 2001 out of range 1..2000"}},
		{"read coils response byte count", resp, "01 04 CD6B05", want{fc: 1, malformed: "byte count 4 does not match 3 data bytes"}},
		{"read coils response empty", resp, "01 00", want{fc: 1, malformed: "byte count 0"}},
		{"read discrete inputs request", req, "02 00C4 0016", want{fc: 2, addr: 0xC4, count: 22}},
		{"read discrete inputs response", resp, "02 03 ACDB35", want{fc: 2, count: 24}},
		{"read holding registers request", req, "03 006B 0003", want{fc: 3, addr: 0x6B, count: 3}},
		{"read holding registers response", resp, "03 06 022B 0000 0064", want{fc: 3, count: 3}},
		{"read holding registers 126", req, "03 0000 007E", want{fc: 3, count: 126, malformed: "quantity 126 out of range 1..125"}},
		{"read holding registers request too long", req, "03 006B 0003 00", want{fc: 3, malformed: "PDU of 6 bytes, want 5"}},
		{"read holding registers odd byte count", resp, "03 03 022B00", want{fc: 3, count: 1, malformed: "byte count 3 is not a whole number of registers"}},
		{"read input registers request", req, "04 0008 0001", want{fc: 4, addr: 8, count: 1}},
		{"read input registers response", resp, "04 02 000A", want{fc: 4, count: 1}},
		// 5, 6 single writes.
		{"write single coil on", req, "05 00AC FF00", want{fc: 5, addr: 0xAC, count: 1}},
		{"write single coil off response", resp, "05 00AC 0000", want{fc: 5, addr: 0xAC, count: 1}},
		{"write single coil bad value", req, "05 00AC 1234", want{fc: 5, addr: 0xAC, count: 1, malformed: "coil value 0x1234, want 0x0000 or 0xFF00"}},
		{"write single register", req, "06 0001 0003", want{fc: 6, addr: 1, count: 1}},
		{"write single register response", resp, "06 0001 0003", want{fc: 6, addr: 1, count: 1}},
		{"write single register short", req, "06 0001", want{fc: 6, malformed: "PDU of 3 bytes, want 5"}},
		// 7 read exception status.
		{"read exception status", req, "07", want{fc: 7}},
		{"read exception status response", resp, "07 6D", want{fc: 7}},
		{"read exception status response short", resp, "07", want{fc: 7, malformed: "PDU of 1 bytes, want 2"}},
		// 8 diagnostics.
		{"diagnostics return query data", req, "08 0000 A537", want{fc: 8, sub: 0}},
		{"diagnostics return query data long", resp, "08 0000 A537 0102 03", want{fc: 8, sub: 0}},
		{"diagnostics restart", req, "08 0001 FF00", want{fc: 8, sub: 1}},
		{"diagnostics restart bad data", req, "08 0001 1234", want{fc: 8, sub: 1, malformed: "restart communications data 0x1234"}},
		{"diagnostics return diagnostic register", resp, "08 0002 0000", want{fc: 8, sub: 2}},
		{"diagnostics change delimiter", req, "08 0003 0A00", want{fc: 8, sub: 3}},
		{"diagnostics force listen only", req, "08 0004 0000", want{fc: 8, sub: 4}},
		{"diagnostics clear counters", req, "08 000A 0000", want{fc: 8, sub: 0x0A}},
		{"diagnostics bus message count", resp, "08 000B 0102", want{fc: 8, sub: 0x0B}},
		{"diagnostics comm error count", resp, "08 000C 0000", want{fc: 8, sub: 0x0C}},
		{"diagnostics exception error count", resp, "08 000D 0000", want{fc: 8, sub: 0x0D}},
		{"diagnostics server message count", resp, "08 000E 0000", want{fc: 8, sub: 0x0E}},
		{"diagnostics no response count", resp, "08 000F 0000", want{fc: 8, sub: 0x0F}},
		{"diagnostics NAK count", resp, "08 0010 0000", want{fc: 8, sub: 0x10}},
		{"diagnostics busy count", resp, "08 0011 0000", want{fc: 8, sub: 0x11}},
		{"diagnostics overrun count", resp, "08 0012 0000", want{fc: 8, sub: 0x12}},
		{"diagnostics clear overrun", req, "08 0014 0000", want{fc: 8, sub: 0x14}},
		{"diagnostics reserved sub-function", req, "08 0005 01020304", want{fc: 8, sub: 5}},
		{"diagnostics missing data", req, "08 000B", want{fc: 8, sub: 0x0B, malformed: "carries 0 data bytes, want 2"}},
		{"diagnostics no sub-function", req, "08 00", want{fc: 8, malformed: "PDU of 2 bytes, want at least 3"}},
		// 11, 12 comm event counter and log.
		{"get comm event counter", req, "0B", want{fc: 11}},
		{"get comm event counter response", resp, "0B FFFF 0108", want{fc: 11}},
		{"get comm event log", req, "0C", want{fc: 12}},
		{"get comm event log response", resp, "0C 08 0000 0108 0121 2000", want{fc: 12, count: 2}},
		{"get comm event log short byte count", resp, "0C 02 0000", want{fc: 12, malformed: "byte count 2, want at least 6"}},
		// 15, 16 multiple writes.
		{"write multiple coils", req, "0F 0013 000A 02 CD01", want{fc: 15, addr: 0x13, count: 10}},
		{"write multiple coils response", resp, "0F 0013 000A", want{fc: 15, addr: 0x13, count: 10}},
		{"write multiple coils byte count", req, "0F 0013 000A 03 CD0100", want{fc: 15, addr: 0x13, count: 10, malformed: "byte count 3 does not match 10 coils"}},
		{"write multiple coils 1969", req, "0F 0000 07B1 F7", want{fc: 15, count: 1969, malformed: "quantity 1969 out of range 1..1968"}},
		{"write multiple registers", req, "10 0001 0002 04 000A 0102", want{fc: 16, addr: 1, count: 2}},
		{"write multiple registers response", resp, "10 0001 0002", want{fc: 16, addr: 1, count: 2}},
		{"write multiple registers byte count", req, "10 0001 0006 07 00000000000000", want{fc: 16, addr: 1, count: 6, malformed: "byte count 7 does not match 6 registers"}},
		{"write multiple registers truncated values", req, "10 0001 0002 04 000A", want{fc: 16, addr: 1, count: 2, malformed: "byte count 4 does not match 2 data bytes"}},
		{"write multiple registers 124", req, "10 0001 007C F8", want{fc: 16, addr: 1, count: 124, malformed: "quantity 124 out of range 1..123"}},
		// 17 report server id.
		{"report server id", req, "11", want{fc: 17}},
		{"report server id response", resp, "11 03 0A FF 01", want{fc: 17}},
		{"report server id response byte count", resp, "11 05 0A FF 01", want{fc: 17, malformed: "byte count 5 does not match 3 data bytes"}},
		// 20, 21 file records.
		{"read file record", req, "14 0E 06 0004 0001 0002 06 0003 0009 0002", want{fc: 20, addr: 1, count: 2}},
		{"read file record response", resp, "14 0C 05 06 0DFE 0020 05 06 33CD 0040", want{fc: 20, count: 4}},
		{"read file record bad reference", req, "14 07 07 0004 0001 0002", want{fc: 20, malformed: "reference type 7, want 6"}},
		{"read file record empty", req, "14 00", want{fc: 20, malformed: "byte count 0 is not 1..35 sub-requests"}},
		{"read file record response overrun", resp, "14 04 09 06 0DFE", want{fc: 20, malformed: "overruns the PDU"}},
		{"write file record", req, "15 0D 06 0004 0007 0003 06AF 04BE 100D", want{fc: 21, addr: 7, count: 3}},
		{"write file record response", resp, "15 0D 06 0004 0007 0003 06AF 04BE 100D", want{fc: 21, addr: 7, count: 3}},
		{"write file record overrun", req, "15 0B 06 0004 0007 0003 06AF 04BE", want{fc: 21, addr: 7, count: 3, malformed: "of 3 registers overruns the PDU"}},
		// 22 mask write register.
		{"mask write register", req, "16 0004 00F2 0025", want{fc: 22, addr: 4, count: 1}},
		{"mask write register response", resp, "16 0004 00F2 0025", want{fc: 22, addr: 4, count: 1}},
		// 23 read/write multiple registers.
		{"read write multiple registers", req, "17 0003 0006 000E 0003 06 00FF00FF00FF", want{fc: 23, addr: 3, count: 6, writeAddr: 14, writeCount: 3}},
		{"read write multiple registers response", resp, "17 0C 00FE0ACD00010003000D00FF", want{fc: 23, count: 6}},
		{"read write multiple registers write 122", req, "17 0003 0006 000E 007A F4", want{fc: 23, addr: 3, count: 6, writeAddr: 14, writeCount: 122, malformed: "write quantity 122 out of range 1..121"}},
		{"read write multiple registers byte count", req, "17 0003 0006 000E 0003 04 00FF00FF", want{fc: 23, addr: 3, count: 6, writeAddr: 14, writeCount: 3, malformed: "byte count 4 does not match 3 registers"}},
		// 24 read FIFO queue.
		{"read FIFO queue", req, "18 04DE", want{fc: 24, addr: 0x04DE}},
		{"read FIFO queue response", resp, "18 0006 0002 01B8 1284", want{fc: 24, count: 2}},
		{"read FIFO queue response count", resp, "18 0006 0003 01B8 1284", want{fc: 24, count: 3, malformed: "byte count 6 does not match 3 registers"}},
		{"read FIFO queue 32", resp, "18 0042 0020" + strings.Repeat("0000", 32), want{fc: 24, count: 32, malformed: "FIFO count 32 out of range 0..31"}},
		// 43 encapsulated interface transport.
		{"read device identification", req, "2B 0E 01 00", want{fc: 43, sub: 14}},
		{"read device identification object", req, "2B 0E 04 05", want{fc: 43, sub: 14, addr: 5}},
		{"read device identification bad code", req, "2B 0E 05 00", want{fc: 43, sub: 14, malformed: "read device id code 5 out of range 1..4"}},
		{"read device identification trailing byte", req, "2B 0E 03 01 00", want{fc: 43, sub: 14, malformed: "PDU of 5 bytes, want 4"}},
		{"read device identification response", resp, "2B 0E 01 01 00 00 03" + "00 03 414243" + "01 02 5031" + "02 04 56312E30", want{fc: 43, sub: 14, addr: 0, count: 3}},
		{"read device identification response more", resp, "2B 0E 02 82 FF 04 01" + "03 02 7777", want{fc: 43, sub: 14, addr: 3, count: 1}},
		{"read device identification response short object", resp, "2B 0E 01 01 00 00 02" + "00 03 414243" + "01 05 5031", want{fc: 43, sub: 14, count: 1, malformed: "object at PDU offset 12 overruns the PDU"}},
		{"read device identification response count", resp, "2B 0E 01 01 00 00 03" + "00 03 414243", want{fc: 43, sub: 14, count: 1, malformed: "3 objects declared, 1 present"}},
		{"read device identification response conformity", resp, "2B 0E 01 07 00 00 00", want{fc: 43, sub: 14, malformed: "conformity level 0x07"}},
		{"CANopen general reference", req, "2B 0D 00 01 02 03", want{fc: 43, sub: 13}},
		{"CANopen general reference response", resp, "2B 0D 00 01 02 03 04", want{fc: 43, sub: 13}},
		{"encapsulated interface without MEI", req, "2B", want{fc: 43, malformed: "PDU of 1 bytes, want at least 2"}},
		// Exceptions.
		{"exception illegal function", resp, "81 01", want{fc: 1, exc: 1}},
		{"exception illegal data address", resp, "83 02", want{fc: 3, exc: 2}},
		{"exception illegal data value", resp, "90 03", want{fc: 16, exc: 3}},
		{"exception server device failure", resp, "85 04", want{fc: 5, exc: 4}},
		{"exception acknowledge", resp, "88 05", want{fc: 8, exc: 5}},
		{"exception busy", resp, "96 06", want{fc: 22, exc: 6}},
		{"exception memory parity", resp, "94 08", want{fc: 20, exc: 8}},
		{"exception gateway path", resp, "AB 0A", want{fc: 43, exc: 0x0A}},
		{"exception gateway target", resp, "84 0B", want{fc: 4, exc: 0x0B}},
		{"exception undefined code", resp, "83 07", want{fc: 3, exc: 7, malformed: "exception code 7 is not defined"}},
		{"exception too long", resp, "81 06 00", want{fc: 1, exc: 6, malformed: "exception response of 3 bytes, want 2"}},
		{"exception without code", resp, "81", want{fc: 1, malformed: "without exception code"}},
		{"exception bit in request", req, "83 02", want{fc: 3, exc: 2, malformed: "exception bit in a request"}},
		// Codes outside the public set are emitted as they are.
		{"Schneider UMAS", req, "5A 00 02", want{fc: 90}},
		{"user-defined", resp, "41 01 02 03", want{fc: 65}},
		{"unassigned 42", req, "2A 0001", want{fc: 42}},
		{"function code 0", req, "00 0001", want{fc: 0, malformed: "function code 0 is not valid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := collect(NewParser(tt.toServer), adu(t, 0x1234, tt.pdu))
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want 1", len(msgs))
			}
			m := msgs[0]
			got := want{fc: m.Func, exc: m.Exception, sub: m.Sub, addr: m.Addr, count: m.Count,
				writeAddr: m.WriteAddr, writeCount: m.WriteCount, malformed: m.Malformed}
			if tt.want.malformed == "" && got.malformed != "" {
				t.Errorf("malformed %q, want none", got.malformed)
			}
			if tt.want.malformed != "" && !strings.Contains(got.malformed, tt.want.malformed) {
				t.Errorf("malformed %q, want it to contain %q", got.malformed, tt.want.malformed)
			}
			got.malformed = tt.want.malformed
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			wantDir := ot.DirResponse
			if tt.toServer {
				wantDir = ot.DirRequest
			}
			if m.Proto != ot.ProtoModbus || m.Dir != wantDir || m.Seq != 0x1234 || m.Unit != 1 || m.Frame != 1 {
				t.Errorf("header fields %v %v seq %#x unit %d frame %d", m.Proto, m.Dir, m.Seq, m.Unit, m.Frame)
			}
			if IsFramingError(&m) {
				t.Errorf("a PDU problem reported as a framing error: %q", m.Malformed)
			}
		})
	}
}

func TestMBAP(t *testing.T) {
	tests := []struct {
		name      string
		hex       string
		malformed string
	}{
		{"protocol id 3", "0001 0003 0006 01 03 0000 0001", "MBAP protocol id 3, want 0"},
		{"length 0", "0001 0000 0000 01", "MBAP length 0 too short, min 2"},
		{"length 1", "0001 0000 0001 01", "MBAP length 1 too short, min 2"},
		{"length 1025", "0001 0000 0401 01 03", "MBAP length 1025 too long, max 1024"},
		{"length 2000", "0001 0000 07D0 01 03", "MBAP length 2000 too long, max 1024"},
		{"header only", "0001 0000 FFFF", "MBAP length 65535 too long, max 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := hex.DecodeString(strings.ReplaceAll(tt.hex, " ", ""))
			// The rest of the feed is dropped, not decoded.
			b = append(b, adu(t, 2, "03 0000 0001")...)
			msgs := collect(NewParser(true), b)
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.Malformed != tt.malformed || !IsFramingError(&m) || m.Func != 0 || m.Seq != 1 {
				t.Errorf("got malformed %q framing %v func %d seq %d, want %q", m.Malformed, IsFramingError(&m), m.Func, m.Seq, tt.malformed)
			}
		})
	}
}

// TestOversizedADU: an ADU of 261 bytes (as Schneider's UMAS sends) is
// decoded, marked malformed but not a framing error.
func TestOversizedADU(t *testing.T) {
	a := adu(t, 7, "5A 00"+strings.Repeat("AB", 252))
	if len(a) != 261 {
		t.Fatalf("test ADU of %d bytes", len(a))
	}
	msgs := collect(NewParser(true), a[:100], a[100:], adu(t, 8, "03 0000 0001"))
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	if m := msgs[0]; m.Func != 90 || m.Malformed != "length 255 too long, max 254" || IsFramingError(&m) || m.Frame != 2 {
		t.Errorf("oversized ADU: func %d malformed %q frame %d", m.Func, m.Malformed, m.Frame)
	}
	if m := msgs[1]; m.Func != 3 || m.Malformed != "" {
		t.Errorf("next ADU: func %d malformed %q", m.Func, m.Malformed)
	}
}

// stream is a mix of ADUs for the split and join tests.
func stream(t testing.TB) []byte {
	var b []byte
	for i, pdu := range []string{
		"03 006B 0003", "10 0001 0002 04 000A 0102", "2B 0E 01 00", "07",
		"17 0003 0006 000E 0003 06 00FF00FF00FF", "08 0000 A537", "5A 00 02",
	} {
		b = append(b, adu(t, uint16(i+1), pdu)...)
	}
	return b
}

func TestSplitAndJoined(t *testing.T) {
	all := stream(t)
	whole := collect(NewParser(true), all)
	if len(whole) != 7 {
		t.Fatalf("%d messages from the joined ADUs, want 7", len(whole))
	}
	for i, m := range whole {
		if m.Seq != uint16(i+1) || m.Frame != 1 {
			t.Errorf("message %d: seq %d frame %d", i, m.Seq, m.Frame)
		}
	}
	// Every split point, in two feeds: the messages are the same, and
	// those completed by the second feed carry its Meta.
	for cut := 0; cut <= len(all); cut++ {
		got := collect(NewParser(true), all[:cut], all[cut:])
		if len(got) != len(whole) {
			t.Fatalf("cut %d: %d messages, want %d", cut, len(got), len(whole))
		}
		for i := range got {
			if got[i].Frame != 1 && got[i].Frame != 2 {
				t.Fatalf("cut %d: frame %d", cut, got[i].Frame)
			}
			got[i].Frame = 1
			if !reflect.DeepEqual(got[i], whole[i]) {
				t.Fatalf("cut %d message %d: %+v, want %+v", cut, i, got[i], whole[i])
			}
		}
	}
	// One byte at a time.
	p := NewParser(true)
	var n int
	for i := range all {
		p.Feed(all[i:i+1], ot.Meta{Frame: int64(i)}, func(m *ot.Message) {
			if m.Seq != whole[n].Seq || m.Func != whole[n].Func {
				t.Errorf("byte feed message %d: seq %d func %d", n, m.Seq, m.Func)
			}
			n++
		})
		if b := p.(*Parser).Buffered(); b > MaxADULen {
			t.Fatalf("buffered %d bytes", b)
		}
	}
	if n != len(whole) {
		t.Errorf("byte feed: %d messages, want %d", n, len(whole))
	}
}

func TestGap(t *testing.T) {
	a, b := adu(t, 1, "03 006B 0003"), adu(t, 2, "04 0008 0001")
	p := NewParser(true)
	// Half an ADU, a gap, then a whole one: only the whole one comes out.
	msgs := collect(p, a[:5])
	p.Gap()
	msgs = append(msgs, collect(p, b)...)
	if len(msgs) != 1 || msgs[0].Seq != 2 || msgs[0].Malformed != "" {
		t.Fatalf("after a gap: %+v", msgs)
	}
	// Without the gap the same bytes are read as one ADU's continuation.
	p = NewParser(true)
	msgs = collect(p, a[:9], b)
	if len(msgs) == 0 || msgs[0].Seq != 1 {
		t.Fatalf("without a gap: %+v", msgs)
	}
}

// TestFramingResync: after an invalid header the rest of that feed is
// dropped, and the next feed is decoded afresh.
func TestFramingResync(t *testing.T) {
	bad, _ := hex.DecodeString("0001000300060103")
	msgs := collect(NewParser(false), append(bad, adu(t, 2, "03 02 0001")...), adu(t, 3, "03 02 0002"))
	if len(msgs) != 2 || !IsFramingError(&msgs[0]) || msgs[1].Seq != 3 || msgs[1].Malformed != "" {
		t.Fatalf("got %+v", msgs)
	}
	// An invalid header completed across feeds.
	p := NewParser(false)
	msgs = collect(p, bad[:3], append(bad[3:], adu(t, 2, "03 02 0001")...))
	if len(msgs) != 1 || !IsFramingError(&msgs[0]) || msgs[0].Frame != 2 || p.(*Parser).Buffered() != 0 {
		t.Fatalf("split header: %+v", msgs)
	}
}

func TestADUAndDeviceID(t *testing.T) {
	p := newParser(false)
	a := adu(t, 9, "2B 0E 01 01 00 00 03"+"00 03 414243"+"01 02 5031"+"02 04 56312E30")
	var names []string
	p.Feed(a, ot.Meta{}, func(m *ot.Message) {
		id, err := DecodeDeviceID(p.ADU()[MBAPLen:], func(o DeviceObject) {
			names = append(names, DeviceObjectName(o.ID)+"="+string(o.Value))
		})
		if err != nil || id.Code != 1 || id.Conformity != 1 || id.MoreFollows || id.Objects != 3 {
			t.Errorf("DecodeDeviceID: %+v, %v", id, err)
		}
	})
	if got := strings.Join(names, " "); got != "VendorName=ABC ProductCode=P1 MajorMinorRevision=V1.0" {
		t.Errorf("objects %q", got)
	}
	if p.ADU() != nil {
		t.Error("ADU kept after the callback")
	}
	if _, err := DecodeDeviceID([]byte{0x2B, 0x0E, 1}, nil); err == nil || !strings.Contains(err.Error(), "want at least 7") {
		t.Errorf("short PDU: %v", err)
	}
	if _, err := DecodeDeviceID([]byte{0x03, 0x00}, nil); err == nil {
		t.Error("not a device identification PDU: no error")
	}
}

func TestNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{FuncName(3), "Read Holding Registers"},
		{FuncName(23), "Read/Write Multiple Registers"},
		{FuncName(43), "Encapsulated Interface Transport"},
		{FuncName(66), "User-Defined Function 66"},
		{FuncName(90), "Function 90"},
		{ExceptionName(2), "Illegal Data Address"},
		{ExceptionName(0x0B), "Gateway Target Device Failed to Respond"},
		{ExceptionName(7), "Exception 7"},
		{DiagName(0x0A), "Clear Counters and Diagnostic Register"},
		{DiagName(0x14), "Clear Overrun Counter and Flag"},
		{DiagName(0x13), "Reserved Sub-function 19"},
		{MEIName(14), "Read Device Identification"},
		{MEIName(13), "CANopen General Reference"},
		{DeviceObjectName(0x80), "Private Object 128"},
		{DeviceObjectName(0x10), "Reserved Object 16"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	for fc := range 256 {
		f := uint8(fc)
		if IsWrite(f) != (f == 5 || f == 6 || f == 15 || f == 16 || f == 21 || f == 22 || f == 23) {
			t.Errorf("IsWrite(%d) = %v", f, IsWrite(f))
		}
		if IsRead(f) != (f >= 1 && f <= 4 || f == 20 || f == 23 || f == 24) {
			t.Errorf("IsRead(%d) = %v", f, IsRead(f))
		}
		if IsPublic(f) && strings.HasPrefix(FuncName(f), "Function") {
			t.Errorf("public function %d unnamed", f)
		}
	}
	for sub := range uint16(0x15) {
		named := !strings.HasPrefix(DiagName(sub), "Reserved")
		if want := sub <= 0x04 || sub >= 0x0A && sub != 0x13; named != want {
			t.Errorf("DiagName(%#x) = %q", sub, DiagName(sub))
		}
	}
	if !DiagChangesState(DiagForceListenOnlyMode) || DiagChangesState(DiagReturnBusMessageCount) {
		t.Error("DiagChangesState")
	}
}

// TestNoAllocs: decoding valid ADUs allocates nothing.
func TestNoAllocs(t *testing.T) {
	b := stream(t)
	p := NewParser(true)
	emit := func(*ot.Message) {}
	if n := testing.AllocsPerRun(100, func() {
		p.Feed(b[:20], ot.Meta{}, emit)
		p.Feed(b[20:], ot.Meta{}, emit)
	}); n != 0 {
		t.Errorf("%v allocations per feed of %d ADUs, want 0", n, 7)
	}
}

// TestNoAllocsResponses: nor does decoding valid responses of every kind,
// exceptions and device identification included.
func TestNoAllocsResponses(t *testing.T) {
	var b []byte
	for i, pdu := range []string{
		"01 03 CD6B05", "03 06 022B00000064", "05 00AC FF00", "07 6D", "08 000B 0102", "0B FFFF 0108",
		"0C 08 0000 0108 0121 2000", "0F 0013 000A", "11 03 0A FF 01", "14 0C 05 06 0DFE 0020 05 06 33CD 0040",
		"15 0D 06 0004 0007 0003 06AF 04BE 100D", "16 0004 00F2 0025", "17 02 00FE", "18 0006 0002 01B8 1284",
		"2B 0E 01 01 00 00 02 00 03 414243 01 02 5031", "2B 0D 00 01", "83 02", "5A 00 02",
	} {
		b = append(b, adu(t, uint16(i), pdu)...)
	}
	p := NewParser(false)
	n := 0
	emit := func(m *ot.Message) {
		if m.Malformed != "" {
			t.Fatalf("malformed %q", m.Malformed)
		}
		n++
	}
	if a := testing.AllocsPerRun(100, func() { p.Feed(b, ot.Meta{}, emit) }); a != 0 {
		t.Errorf("%v allocations per feed, want 0", a)
	}
	if n != 101*18 {
		t.Errorf("%d messages", n)
	}
}
