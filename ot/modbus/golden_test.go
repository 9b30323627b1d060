package modbus

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/logtest"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/ot"
)

// formatMessage is one line of a golden file: every field the parser
// fills.
func formatMessage(m *ot.Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "frame %d %s %v->%v unit %d tid %d", m.Frame, m.Dir, m.Src, m.Dst, m.Unit, m.Seq)
	if !IsFramingError(m) {
		fmt.Fprintf(&b, " func %d (%s)", m.Func, FuncName(m.Func))
	}
	if m.Exception != 0 {
		fmt.Fprintf(&b, " exception %d (%s)", m.Exception, ExceptionName(m.Exception))
	}
	switch {
	case m.Exception != 0 || IsFramingError(m):
		// Nothing more is read from an exception or a bad header.
	case m.Func == FuncDiagnostics:
		fmt.Fprintf(&b, " sub %#x (%s)", m.Sub, DiagName(m.Sub))
	case m.Func == FuncEncapsulatedInterface && m.Sub != 0:
		fmt.Fprintf(&b, " mei %d (%s)", m.Sub, MEIName(uint8(m.Sub)))
	}
	if m.Addr != 0 || m.Count != 0 {
		fmt.Fprintf(&b, " addr %d count %d", m.Addr, m.Count)
	}
	if m.WriteAddr != 0 || m.WriteCount != 0 {
		fmt.Fprintf(&b, " write addr %d count %d", m.WriteAddr, m.WriteCount)
	}
	if m.Malformed != "" {
		fmt.Fprintf(&b, " malformed %q", m.Malformed)
	}
	return b.String()
}

// TestGolden decodes real captures, one line per message, and compares
// with testdata/*.golden (go test -update rewrites them). The captures
// cover every public function code (icsnpp-modbus's example) and a test
// set of malformed and exception traffic (ITI's modbus_test_data_part1).
func TestGolden(t *testing.T) {
	pcapDir := filepath.Join(testdata.Dir(t), "pcap")
	for _, c := range []struct{ pcap, golden string }{
		{"modbus/icsnpp-modbus/modbus_example.pcap", "modbus_example.golden"},
		{"modbus/iti/ModbusTCP__modbus_test_data_part1.pcap", "modbus_test_data_part1.golden"},
	} {
		t.Run(c.golden, func(t *testing.T) {
			var got bytes.Buffer
			err := feedCapture(filepath.Join(pcapDir, c.pcap), func(p *Parser, m *ot.Message) {
				got.WriteString(formatMessage(m) + "\n")
			})
			if err != nil {
				t.Fatal(err)
			}
			logtest.Golden(t, c.golden, got.String())
		})
	}
}
