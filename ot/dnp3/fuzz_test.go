package dnp3

import (
	"testing"

	"github.com/bulwarkhq/bulwark/ot"
)

// FuzzParser feeds random bytes in random chunks: the parser must not
// panic, must keep its buffers bounded and must emit sane messages.
func FuzzParser(f *testing.F) {
	seeds := [][]byte{
		single(0xC0, 0x01, 0x3C, 0x02, 0x06, 0x3C, 0x03, 0x06),
		single(0xC0, 0x0D),
		single(0xC0, 0x03, 0x0C, 0x01, 0x28, 0x01, 0x00, 0x05, 0x00, 0x41, 0x01, 0xE8, 0x03, 0, 0, 0, 0, 0, 0, 0),
		single(0xC0, 0x19, 0x46, 0x03, 0x5B, 0x01, 0x03, 0x00, 'a', 'b', 'c'),
		frame(ctlOutstation, 1, 10, segment(true, true, 0, []byte{0xE0, 0x81, 0x90, 0x00, 0x01, 0x01, 0x00, 0x00, 0x09, 0xFF, 0x03})),
		frame(ctlLinkStatus, 10, 1, nil),
		append(frame(ctlMasterData, 10, 1, segment(true, false, 63, []byte{0xC0, 0x01, 0x3C})),
			frame(ctlMasterData, 10, 1, segment(false, true, 0, []byte{0x02, 0x06}))...),
		{0x05, 0x64, 0x05, 0x64, 0xFF},
	}
	for i, s := range seeds {
		f.Add(s, uint8(i*7))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		p := newParser()
		emit := func(m *ot.Message) {
			if m.Proto != ot.ProtoDNP3 || m.Dir != ot.DirRequest && m.Dir != ot.DirResponse {
				t.Fatalf("bad message %+v", *m)
			}
			if len(m.Objects) > maxObjects {
				t.Fatalf("%d objects", len(m.Objects))
			}
		}
		// Cut data into chunks whose sizes cycle from the split seed.
		step := int(split)%37 + 1
		for i := 0; len(data) > 0; i++ {
			n := min(len(data), step+i%5)
			p.Feed(data[:n], ot.Meta{Frame: int64(i)}, emit)
			if i%11 == 10 {
				p.Gap()
			}
			data = data[n:]
		}
		if p.nstash > maxStashed {
			t.Fatalf("stash %d", p.nstash)
		}
		for _, a := range p.reasm.slots {
			if len(a.buf) > MaxFragment {
				t.Fatalf("fragment buffer %d", len(a.buf))
			}
		}
	})
}

// FuzzFragment frames random bytes with valid CRCs, so the fuzzer reaches
// the transport and application layers instead of stopping at the CRC
// checks: data is cut into segments of up to 249 bytes, each link frame's
// control byte and transport header taken from the data itself.
func FuzzFragment(f *testing.F) {
	f.Add([]byte{0xC0, 0xC0, 0x01, 0x3C, 0x02, 0x06}, uint8(5))
	f.Add([]byte{0xC0, 0xE0, 0x81, 0x90, 0x00, 0x01, 0x01, 0x00, 0x00, 0x09, 0xFF, 0x03}, uint8(3))
	f.Add([]byte{0xC0, 0xC0, 0x03, 0x0C, 0x01, 0x28, 0x01, 0x00, 0x05, 0x00, 0x41, 0x01, 0xE8, 0x03, 0, 0, 0, 0, 0, 0, 0}, uint8(200))
	f.Add([]byte{0xC0, 0xC0, 0x19, 0x46, 0x03, 0x5B, 0x01, 0x03, 0x00, 'a', 'b', 'c'}, uint8(9))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		var stream []byte
		size := int(cut)%249 + 1
		for i := 0; len(data) > 0; i++ {
			n := min(len(data), size)
			ctl := byte(ctlMasterData)
			if i%3 == 2 {
				ctl = ctlOutstation
			}
			stream = append(stream, frame(ctl, 10, 1, data[:n])...)
			data = data[n:]
		}
		p := newParser()
		p.Feed(stream, ot.Meta{}, func(m *ot.Message) {
			if m.Malformed != "" && m.HasApp && m.Func == 0 && len(m.Objects) > maxObjects {
				t.Fatalf("bad message")
			}
			objs := m.Objects
			if m.Malformed != "" && len(objs) > 0 {
				objs = objs[:len(objs)-1] // the bad header's range may be unread
			}
			for _, o := range objs {
				if o.Qualifier&0x0F <= 5 && o.Stop >= o.Start && o.Count != o.Stop-o.Start+1 {
					t.Fatalf("count %d for range %d-%d", o.Count, o.Start, o.Stop)
				}
			}
		})
	})
}
