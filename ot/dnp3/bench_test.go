package dnp3

import (
	"testing"

	"github.com/bulwarkhq/bulwark/ot"
)

// BenchmarkParser measures ns per link frame over a mix: a class read, a
// 3-frame response with analog and binary objects, and a link status.
func BenchmarkParser(b *testing.B) {
	var stream []byte
	stream = append(stream, single(0xC0, 0x01, 0x3C, 0x02, 0x06, 0x3C, 0x03, 0x06, 0x3C, 0x04, 0x06, 0x3C, 0x01, 0x06)...)
	resp := []byte{0xE0, 0x81, 0x00, 0x00, 0x1E, 0x01, 0x00, 0x00, 0x63}
	resp = append(resp, make([]byte, 100*5)...) // g30v1 0..99
	resp = append(resp, 0x01, 0x02, 0x00, 0x00, 0x1F)
	resp = append(resp, make([]byte, 32)...) // g1v2 0..31
	seq := uint8(0)
	for len(resp) > 0 {
		n := min(249, len(resp))
		stream = append(stream, frame(ctlOutstation, 1, 10, segment(seq == 0, n == len(resp), seq, resp[:n]))...)
		resp = resp[n:]
		seq++
	}
	stream = append(stream, frame(ctlLinkStatus, 10, 1, nil)...)
	const framesPerStream = 5
	p := newParser()
	var apps int
	emit := func(m *ot.Message) {
		if m.HasApp {
			apps++
		}
	}
	meta := ot.Meta{Frame: 1}
	b.SetBytes(int64(len(stream)) / framesPerStream)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += framesPerStream {
		// Feed as TCP would: in two uneven segments.
		p.Feed(stream[:100], meta, emit)
		p.Feed(stream[100:], meta, emit)
	}
	if apps == 0 {
		b.Fatal("no application fragment decoded")
	}
}
