package dnp3

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/ot"
)

// Ports tshark decodes as DNP3: the registered 20000 and, by -d, 20001.
var dnp3Ports = map[uint16]bool{20000: true, 20001: true}

// decodeMessages decodes a capture's DNP3 streams (ports 20000 and 20001,
// as the reference's tshark was told) into copies of every message. The
// counts against tshark's are checked end to end in ot/stats.
func decodeMessages(path string) ([]ot.Message, error) {
	var msgs []ot.Message
	err := walkPCAP(path, dnp3Ports, NewParser, func(m *ot.Message) {
		cp := *m
		cp.Objects = slices.Clone(m.Objects)
		msgs = append(msgs, cp)
	})
	return msgs, err
}

func captureFiles(t *testing.T, data string) []string {
	t.Helper()
	var files []string
	for _, glob := range []string{"pcap/dnp3/*/*.pcap", "pcap/suricata-verify/tests/dnp3/*/*.pcap"} {
		m, err := filepath.Glob(filepath.Join(data, glob))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

// TestDumpFrames prints one line per message of the capture named by
// DNP3_DUMP, to compare with tshark by hand.
func TestDumpFrames(t *testing.T) {
	path := os.Getenv("DNP3_DUMP")
	if path == "" {
		t.Skip("DNP3_DUMP not set")
	}
	msgs, err := decodeMessages(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		app := ""
		if m.HasApp {
			app = fmt.Sprintf("%d", m.Func)
		}
		var objs []string
		for _, o := range m.Objects {
			objs = append(objs, fmt.Sprintf("g%dv%d q%02X %d-%d n%d", o.Group, o.Variation, o.Qualifier, o.Start, o.Stop, o.Count))
		}
		fmt.Printf("%d\t%s\t%d\t%v\t%d->%d\tiin=%04X %s\t%s\t%s\n", m.Frame, app, m.LinkFunc, m.Dir, m.Source, m.Unit, m.IIN, IINString(m.IIN), strings.Join(objs, "; "), m.Malformed)
	}
}

// partialReporter tells, with each message, whether its fragment's
// objects were walked to the end.
type partialReporter struct {
	p      *Parser
	report func(m *ot.Message, partial bool)
}

func (r partialReporter) Feed(data []byte, meta ot.Meta, emit func(*ot.Message)) {
	r.p.Feed(data, meta, func(m *ot.Message) { r.report(m, m.HasApp && r.p.partial) })
}

func (r partialReporter) Gap() { r.p.Gap() }

// TestObjectCoverage measures how many application fragments of the real
// captures have every object header read; the object size table should
// leave none partial.
func TestObjectCoverage(t *testing.T) {
	data := testdata.Dir(t)
	var fragments, partial int
	for _, path := range captureFiles(t, data) {
		report := func(m *ot.Message, stopped bool) {
			if !m.HasApp {
				return
			}
			fragments++
			if stopped {
				partial++
				last := m.Objects[len(m.Objects)-1]
				t.Logf("%s frame %d: %s stopped at g%dv%d q0x%02X", filepath.Base(path), m.Frame, FuncName(m.Func), last.Group, last.Variation, last.Qualifier)
			}
		}
		newParser := func(bool) ot.StreamParser { return partialReporter{newParser(), report} }
		if err := walkPCAP(path, dnp3Ports, newParser, func(*ot.Message) {}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d of %d fragments partial", partial, fragments)
}
