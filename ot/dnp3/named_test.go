package dnp3

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/ot"
)

// summary is one line per application fragment: direction, function
// name, IIN when set, and object headers.
func summary(msgs []ot.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		if !m.HasApp {
			continue
		}
		fmt.Fprintf(&b, "%v %s", m.Dir, FuncName(m.Func))
		if m.IIN != 0 {
			fmt.Fprintf(&b, " [%s]", IINString(m.IIN))
		}
		for _, o := range m.Objects {
			fmt.Fprintf(&b, " g%dv%d", o.Group, o.Variation)
		}
		if m.Malformed != "" {
			b.WriteString(" MALFORMED")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestNamedCaptures checks that captures decode to what their names say.
func TestNamedCaptures(t *testing.T) {
	data := testdata.Dir(t)
	tests := []struct{ file, want string }{
		{"dnp3__cold_restart_and_response.pcap", "request COLD_RESTART\nresponse RESPONSE [function code not supported]\n"},
		{"dnp3__warm_restart_and_response.pcap", "request WARM_RESTART\nresponse RESPONSE [function code not supported]\n"},
		{"dnp3__disable_unsolcited_and_response.pcap", "request DISABLE_UNSOLICITED g60v2 g60v3 g60v4\nresponse RESPONSE\n"},
		{"dnp3__enable_unsolicited_and_response.pcap", "request ENABLE_UNSOLICITED g60v2 g60v3 g60v4\nresponse RESPONSE\n"},
		{"dnp3__immediate_freeze.pcap", "request IMMED_FREEZE g20v0\nresponse RESPONSE\n"},
		{"dnp3__write_iin_and_response.pcap", "request WRITE g80v1\nresponse RESPONSE\n"},
		{"dnp3__file_delete.pcap", "request DELETE_FILE g70v3\nresponse RESPONSE g70v4\n"},
		{"dnp3__direct_operate_no_ack_crob.pcap", "request DIRECT_OPERATE_NR g12v1\n"},
		{"dnp3__direct_operate_analog_output.pcap", "request DIRECT_OPERATE g41v2\n"},
		{"dnp3__direct_operate_crob_malform_but_good_crc.pcap", "request DIRECT_OPERATE g12v1 MALFORMED\n"},
		{"dnp3__select_operate_and_responses.pcap", "request SELECT g12v1\nresponse RESPONSE g12v1\nrequest OPERATE g12v1\nresponse RESPONSE g12v1\n"},
		{"dnp3__assign_class.pcap", "request ASSIGN_CLASS g60v3 g1v0\nresponse RESPONSE\n"},
		{"dnp3__unsolcited_response_and_confirm.pcap", "response UNSOLICITED_RESPONSE\nrequest CONFIRM\n"},
		{"dnp3__write_binary_output.pcap", "request WRITE g10v1\n"},
		{"dnp3__file_read.pcap", "request OPEN_FILE g70v3\nresponse RESPONSE g70v4\nrequest READ g70v5\nresponse RESPONSE g70v5\nrequest CLOSE_FILE g70v4\nresponse RESPONSE g70v4\n"},
		{"dnp3__auth_control_challenge_response.pcap", "request DIRECT_OPERATE g12v1\n" +
			"response AUTHENTICATE_RESP [device restart, need time] g120v1\n" +
			"request AUTHENTICATE_REQ g120v2\n" +
			"response RESPONSE [device restart, need time] g12v1\n"},
		// The outstation restarts, the master clears IIN1.7 (g80v1
		// index 7), reads class 0 (every object walked) and enables
		// unsolicited responses.
		{"dnp3__full_exchange.pcap", "response UNSOLICITED_RESPONSE [device restart]\n" +
			"request DISABLE_UNSOLICITED g60v2 g60v3 g60v4\n" +
			"response RESPONSE [device restart]\n" +
			"request CONFIRM\n" +
			"request WRITE g80v1\n" +
			"response RESPONSE\n" +
			"request READ g60v2 g60v3 g60v4 g60v1\n" +
			"response RESPONSE g1v2 g3v2 g20v1 g21v1 g30v1 g10v2 g40v1\n" +
			"request ENABLE_UNSOLICITED g60v2 g60v3 g60v4\n" +
			"response RESPONSE\n"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			msgs, err := decodeMessages(filepath.Join(data, "pcap/dnp3/iti", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(msgs); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
