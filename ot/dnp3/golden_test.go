package dnp3

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/logtest"
	"github.com/bulwarkhq/bulwark/internal/testdata"
)

// TestCapturesGolden decodes every shared DNP3 capture and compares one
// line per message (frame, direction, link function, application
// function, IIN, object headers, problem) with testdata/captures.golden,
// so a change in what the decoder reports shows in review. Run with
// -update to rewrite it.
func TestCapturesGolden(t *testing.T) {
	data := testdata.Dir(t)
	var b strings.Builder
	for _, path := range captureFiles(t, data) {
		rel, _ := filepath.Rel(filepath.Join(data, "pcap"), path)
		msgs, err := decodeMessages(path)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "# %s: %d messages\n", rel, len(msgs))
		for _, m := range msgs {
			kind := "sec"
			if m.LinkPrimary {
				kind = "pri"
			}
			fmt.Fprintf(&b, "%d %v %d->%d %s %s", m.Frame, m.Dir, m.Source, m.Unit, kind, LinkFuncName(m.LinkPrimary, m.LinkFunc))
			if m.HasApp {
				fmt.Fprintf(&b, " | seq %d %s", m.Seq, FuncName(m.Func))
				if m.IIN != 0 {
					fmt.Fprintf(&b, " [%s]", IINString(m.IIN))
				}
				for _, o := range m.Objects {
					fmt.Fprintf(&b, " g%dv%d/%02X", o.Group, o.Variation, o.Qualifier)
					switch {
					case o.Qualifier&0x0F <= 5:
						fmt.Fprintf(&b, ":%d-%d", o.Start, o.Stop)
					case o.Qualifier&0x0F != 6:
						fmt.Fprintf(&b, ":n%d", o.Count)
					}
				}
			}
			if m.Malformed != "" {
				fmt.Fprintf(&b, " ! %s", m.Malformed)
			}
			b.WriteString("\n")
		}
	}
	logtest.Golden(t, "captures.golden", b.String())
}
