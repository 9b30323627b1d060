package modbus

import (
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/ot"
)

// BenchmarkParser decodes a typical polling mix, one ADU per Feed as TCP
// usually delivers them: read holding/input registers, coils and discrete
// inputs, requests to one parser and responses to the other. It reports
// ns per ADU; allocations should be 0.
func BenchmarkParser(b *testing.B) {
	requests := [][]byte{
		adu(b, 1, "03 0000 000A"), adu(b, 2, "04 0010 0020"),
		adu(b, 3, "01 0000 0010"), adu(b, 4, "02 0000 0008"),
	}
	responses := [][]byte{
		adu(b, 1, "03 14"+strings.Repeat("0102", 10)), adu(b, 2, "04 40"+strings.Repeat("0A0B", 32)),
		adu(b, 3, "01 02 CD6B"), adu(b, 4, "02 01 AC"),
	}
	req, resp := NewParser(true), NewParser(false)
	var n int
	emit := func(m *ot.Message) { n += int(m.Count) }
	meta := ot.Meta{Frame: 1}
	b.ReportAllocs()
	for b.Loop() {
		for i := range requests {
			req.Feed(requests[i], meta, emit)
			resp.Feed(responses[i], meta, emit)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2*len(requests)), "ns/ADU")
}

// BenchmarkParserJoined is the same mix with all ADUs of a direction in
// one Feed, and one Feed split across the middle of an ADU.
func BenchmarkParserJoined(b *testing.B) {
	var all []byte
	for i, pdu := range []string{"03 0000 000A", "04 0010 0020", "01 0000 0010", "02 0000 0008"} {
		all = append(all, adu(b, uint16(i), pdu)...)
	}
	p := NewParser(true)
	emit := func(*ot.Message) {}
	b.ReportAllocs()
	for b.Loop() {
		p.Feed(all[:17], ot.Meta{}, emit)
		p.Feed(all[17:], ot.Meta{}, emit)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*4), "ns/ADU")
}
