package modbus

import (
	"reflect"
	"testing"

	"github.com/bulwarkhq/bulwark/ot"
)

// chunks cuts data where cuts say: each cut byte is the length of the
// next chunk (0 meaning 1); what is left is the last chunk.
func chunks(data, cuts []byte) [][]byte {
	var out [][]byte
	for _, c := range cuts {
		if len(data) == 0 {
			break
		}
		n := min(max(int(c), 1), len(data))
		out = append(out, data[:n])
		data = data[n:]
	}
	if len(data) > 0 {
		out = append(out, data)
	}
	return out
}

// FuzzParser feeds arbitrary bytes in arbitrary chunks, with and without
// gaps: the parser must not panic, must bound what it buffers, must fill
// the fields every message has, and must decode the same messages however
// the bytes are cut when the stream stays in sync.
func FuzzParser(f *testing.F) {
	var valid []byte
	for i, pdu := range []string{
		"01 0013 0013", "01 03 CD6B05", "03 006B 0003", "03 06 022B00000064", "05 00AC FF00",
		"06 0001 0003", "07", "07 6D", "08 0000 A537", "08 000A 0000", "0B FFFF 0108",
		"0C 08 0000 0108 0121 2000", "0F 0013 000A 02 CD01", "10 0001 0002 04 000A 0102",
		"11 03 0A FF 01", "14 0E 06 0004 0001 0002 06 0003 0009 0002", "14 0C 05 06 0DFE 0020 05 06 33CD 0040",
		"15 0D 06 0004 0007 0003 06AF 04BE 100D", "16 0004 00F2 0025",
		"17 0003 0006 000E 0003 06 00FF00FF00FF", "18 04DE", "18 0006 0002 01B8 1284",
		"2B 0E 01 00", "2B 0E 01 01 00 00 02 00 03 414243 01 02 5031", "2B 0D 00 01", "83 02", "5A 00 02",
	} {
		a := adu(f, uint16(i), pdu)
		valid = append(valid, a...)
		f.Add(a, []byte{3, 5}, i%2 == 0)
	}
	f.Add(valid, []byte{7, 1, 200, 13, 0, 90}, true)
	f.Add(valid, []byte{6, 6, 6, 6, 6, 6, 6, 6}, false)
	f.Add([]byte{0, 1, 0, 3, 0, 6, 1, 3, 0, 0, 0, 1}, []byte{2}, true)
	f.Add([]byte{0, 1, 0, 0, 0xFF, 0xFF, 1}, []byte{}, false)
	f.Add([]byte{0, 1, 0, 0, 0x01, 0x00, 1, 0x5A}, []byte{4, 4}, true)
	f.Fuzz(func(t *testing.T, data, cuts []byte, toServer bool) {
		dir := ot.DirResponse
		if toServer {
			dir = ot.DirRequest
		}
		check := func(p *Parser) func(*ot.Message) {
			return func(m *ot.Message) {
				if m.Proto != ot.ProtoModbus || m.Dir != dir {
					t.Fatalf("message proto %v dir %v", m.Proto, m.Dir)
				}
				if len(p.ADU()) > MaxFramedADU {
					t.Fatalf("ADU of %d bytes", len(p.ADU()))
				}
			}
		}
		whole := newParser(toServer)
		var wholeMsgs []ot.Message
		framing := false
		whole.Feed(data, ot.Meta{}, func(m *ot.Message) {
			check(whole)(m)
			framing = framing || IsFramingError(m)
			wholeMsgs = append(wholeMsgs, *m)
		})

		split := newParser(toServer)
		var splitMsgs []ot.Message
		for _, c := range chunks(data, cuts) {
			split.Feed(c, ot.Meta{}, func(m *ot.Message) {
				check(split)(m)
				splitMsgs = append(splitMsgs, *m)
			})
			if split.Buffered() > MaxFramedADU {
				t.Fatalf("buffered %d bytes", split.Buffered())
			}
		}
		if !framing && !reflect.DeepEqual(wholeMsgs, splitMsgs) {
			t.Fatalf("split feeds decode differently:\n%+v\n%+v", splitMsgs, wholeMsgs)
		}

		// Gaps between chunks: anything goes but panics and unbounded
		// buffering.
		gappy := newParser(toServer)
		for i, c := range chunks(data, cuts) {
			gappy.Feed(c, ot.Meta{}, check(gappy))
			if i%2 == 1 {
				gappy.Gap()
				if gappy.Buffered() != 0 {
					t.Fatalf("buffered %d bytes after a gap", gappy.Buffered())
				}
			}
		}
	})
}
