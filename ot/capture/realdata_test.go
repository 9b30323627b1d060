package capture

import (
	"bufio"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/ot"
)

// referenceFrames reads the "all frames" rows of tshark_reference.tsv:
// capinfos' frame count of each file, by path under pcap/.
func referenceFrames(t *testing.T, data string) map[string]int64 {
	f, err := os.Open(filepath.Join(data, "pcap", "tshark_reference.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) == 5 && cols[1] == "all" && cols[2] == "frames" {
			n, err := strconv.ParseInt(cols[4], 10, 64)
			if err != nil {
				t.Fatalf("tshark_reference.tsv: %s: count %q", cols[0], cols[4])
			}
			counts[cols[0]] = n
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return counts
}

// nopParser counts bytes and drops them.
type nopParser struct{ n int }

func (p *nopParser) Feed(data []byte, _ ot.Meta, _ func(*ot.Message)) { p.n += len(data) }
func (p *nopParser) Gap()                                             {}

func nopPorts() []Port {
	return DefaultPorts(func(bool) ot.StreamParser { return &nopParser{} }, func(bool) ot.StreamParser { return &nopParser{} })
}

// TestSharedCaptures reads every Modbus and DNP3 capture of the shared data
// and checks the frame count against capinfos'.
func TestSharedCaptures(t *testing.T) {
	data := testdata.Dir(t)
	want := referenceFrames(t, data)
	var files []string
	for _, proto := range []string{"modbus", "dnp3"} {
		err := filepath.WalkDir(filepath.Join(data, "pcap", proto), func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng")) {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 10 {
		t.Fatalf("only %d captures found", len(files))
	}
	for _, path := range files {
		rel, _ := filepath.Rel(filepath.Join(data, "pcap"), path)
		t.Run(rel, func(t *testing.T) {
			cfg := Config{Ports: append(nopPorts(), Port{Port: 20001, Proto: ot.ProtoDNP3, New: func(bool) ot.StreamParser { return &nopParser{} }})}
			s, err := NewSensor(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.RunFile(t.Context(), path); err != nil {
				t.Fatal(err)
			}
			st := s.Stats()
			n, ok := want[filepath.ToSlash(rel)]
			if !ok {
				t.Fatalf("no reference count; read %d frames", st.Frames)
			}
			if st.Frames != n {
				t.Errorf("%d frames, capinfos says %d", st.Frames, n)
			}
			t.Logf("%+v", st)
		})
	}
}

// mbapChecker is a StreamParser that checks its stream is whole Modbus/TCP
// ADUs back to back: protocol identifier 0, a sane length.
type mbapChecker struct {
	t        testing.TB
	buf      []byte
	adus     int
	bad      int
	gaps     int
	toServer bool
}

func (m *mbapChecker) Feed(data []byte, meta ot.Meta, _ func(*ot.Message)) {
	m.buf = append(m.buf, data...)
	for len(m.buf) >= 7 {
		proto, length := binary.BigEndian.Uint16(m.buf[2:]), int(binary.BigEndian.Uint16(m.buf[4:]))
		if proto != 0 || length < 2 || length > 254 {
			m.bad++
			m.t.Errorf("frame %d: not an MBAP header: % x", meta.Frame, m.buf[:7])
			m.buf = m.buf[:0]
			return
		}
		if len(m.buf) < 6+length {
			return
		}
		m.adus++
		m.buf = m.buf[6+length:]
	}
}

func (m *mbapChecker) Gap() { m.gaps++; m.buf = m.buf[:0] }

// TestModbusStreamsAreWholeADUs checks that the reassembled bytes of real
// Modbus captures are consecutive MBAP frames.
func TestModbusStreamsAreWholeADUs(t *testing.T) {
	data := testdata.Dir(t)
	for _, name := range []string{"iti/ModbusTCP__mb2.pcap", "iti/bro__modbus__modbusBig.pcap", "lemay_cset16/moving_two_files_modbus_6RTU.pcap"} {
		t.Run(name, func(t *testing.T) {
			var checkers []*mbapChecker
			newChecker := func(toServer bool) ot.StreamParser {
				c := &mbapChecker{t: t, toServer: toServer}
				checkers = append(checkers, c)
				return c
			}
			s, err := NewSensor(Config{Ports: DefaultPorts(newChecker, nil)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.RunFile(t.Context(), filepath.Join(data, "pcap", "modbus", name)); err != nil {
				t.Fatal(err)
			}
			var adus, partial, gaps int
			for _, c := range checkers {
				adus += c.adus
				gaps += c.gaps
				if len(c.buf) > 0 {
					partial++
				}
			}
			st := s.Stats()
			t.Logf("%d ADUs in %d streams, %d gaps, %d streams ending mid-ADU; %+v", adus, len(checkers), gaps, partial, st)
			if adus == 0 {
				t.Error("no ADUs")
			}
		})
	}
}
