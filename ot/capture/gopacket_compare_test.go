package capture

import (
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"

	"github.com/bulwarkhq/bulwark/internal/testdata"
)

// The benchmark below measures gopacket's own path (DecodingLayerParser
// and the reassembly package) over the same frames as BenchmarkSensor, to
// keep the record of why this package reassembles by itself. Test code
// only: the product does not link gopacket's layers or reassembly.

type gpStream struct{ bytes int }

func (s *gpStream) Accept(*layers.TCP, gopacket.CaptureInfo, reassembly.TCPFlowDirection, reassembly.Sequence, *bool, reassembly.AssemblerContext) bool {
	return true
}

func (s *gpStream) ReassembledSG(sg reassembly.ScatterGather, _ reassembly.AssemblerContext) {
	n, _ := sg.Lengths()
	s.bytes += n
}

func (s *gpStream) ReassemblyComplete(reassembly.AssemblerContext) bool { return true }

type gpFactory struct{}

func (gpFactory) New(_, _ gopacket.Flow, _ *layers.TCP, _ reassembly.AssemblerContext) reassembly.Stream {
	return &gpStream{}
}

type gpContext struct{ ci gopacket.CaptureInfo }

func (c *gpContext) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

// BenchmarkGopacketReassembly is BenchmarkSensor done with gopacket's
// decoding and reassembly.
func BenchmarkGopacketReassembly(b *testing.B) {
	frames, infos, _ := loadFrames(b, filepath.Join(testdata.Dir(b), benchFile))
	var (
		eth     layers.Ethernet
		dot1q   layers.Dot1Q
		ip4     layers.IPv4
		ip6     layers.IPv6
		tcp     layers.TCP
		payload gopacket.Payload
	)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp, &payload)
		parser.IgnoreUnsupported = true
		decoded := make([]gopacket.LayerType, 0, 8)
		asm := reassembly.NewAssembler(reassembly.NewStreamPool(gpFactory{}))
		ctx := &gpContext{}
		for i, f := range frames {
			if err := parser.DecodeLayers(f, &decoded); err != nil {
				continue
			}
			var netFlow gopacket.Flow
			isTCP := false
			for _, lt := range decoded {
				switch lt {
				case layers.LayerTypeIPv4:
					netFlow = ip4.NetworkFlow()
				case layers.LayerTypeIPv6:
					netFlow = ip6.NetworkFlow()
				case layers.LayerTypeTCP:
					isTCP = true
				}
			}
			if !isTCP || (tcp.SrcPort != 502 && tcp.DstPort != 502 && tcp.SrcPort != 20000 && tcp.DstPort != 20000) {
				continue
			}
			ctx.ci = gopacket.CaptureInfo{Timestamp: infos[i].Timestamp, CaptureLength: len(f), Length: infos[i].Length}
			asm.AssembleWithContext(netFlow, &tcp, ctx)
		}
		asm.FlushAll()
		n += len(frames)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "frames/s")
}
