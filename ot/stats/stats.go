// Package stats counts what a capture holds per industrial protocol, the
// way Wireshark's tshark counts it, so that `bulwark ot stats` can be
// checked against tshark and an operator can compare the two tools.
//
// Modbus: frames carrying at least one PDU; every PDU's function code
// (the exception bit stripped), overall and by direction (a request goes
// to port 502); exception codes. DNP3: frames carrying at least one link
// frame; frames none of whose link frames completed an application
// fragment; application function codes, one per fragment; link function
// codes per link frame, primary ("pri 4") or secondary ("sec 11").
package stats

import (
	"context"
	"strconv"

	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/capture"
	"github.com/bulwarkhq/bulwark/ot/dnp3"
	"github.com/bulwarkhq/bulwark/ot/modbus"
)

// Stats are a capture's counts. Map keys are decimal codes, so that the
// JSON form reads {"3": 120}.
type Stats struct {
	File   string `json:"file,omitempty"`
	Frames int64  `json:"frames"` // every frame of the capture
	Modbus Modbus `json:"modbus"`
	DNP3   DNP3   `json:"dnp3"`
}

// Modbus are the Modbus/TCP counts.
type Modbus struct {
	Frames   int64            `json:"frames"`
	PDUs     int64            `json:"pdus"`
	FuncCode map[string]int64 `json:"func_code"`
	// Requests and Responses count function codes by direction.
	Requests   map[string]int64 `json:"requests"`
	Responses  map[string]int64 `json:"responses"`
	Exceptions map[string]int64 `json:"exception_code"`
	Malformed  int64            `json:"malformed"`
}

// DNP3 are the DNP3 counts.
type DNP3 struct {
	Frames int64 `json:"frames"`
	// FramesWithoutApp are frames none of whose link frames completed an
	// application fragment.
	FramesWithoutApp int64            `json:"frames_without_app_layer"`
	LinkFrames       int64            `json:"link_frames"`
	AppFunc          map[string]int64 `json:"al_func"`
	LinkFunc         map[string]int64 `json:"link_func"` // "pri 4", "sec 11"
	Malformed        int64            `json:"malformed"`
}

// Counter counts messages as they are decoded. Messages of one frame
// arrive together, in frame order, as a capture is read.
type Counter struct {
	s Stats
	// The frame being counted, and what it has held so far.
	modbusFrame, dnp3Frame int64
	dnp3FrameApp           bool
}

// NewCounter returns an empty counter.
func NewCounter() *Counter {
	return &Counter{s: Stats{
		Modbus: Modbus{FuncCode: map[string]int64{}, Requests: map[string]int64{}, Responses: map[string]int64{}, Exceptions: map[string]int64{}},
		DNP3:   DNP3{AppFunc: map[string]int64{}, LinkFunc: map[string]int64{}},
	}}
}

// Add counts one message.
func (c *Counter) Add(m *ot.Message) {
	switch m.Proto {
	case ot.ProtoModbus:
		c.modbus(m)
	case ot.ProtoDNP3:
		c.dnp3(m)
	}
}

func (c *Counter) modbus(m *ot.Message) {
	s := &c.s.Modbus
	if modbus.IsFramingError(m) {
		// Bytes that are not an ADU (no MBAP header): tshark does not
		// show them as Modbus, and they hold no function code.
		s.Malformed++
		return
	}
	if m.Frame != c.modbusFrame {
		c.modbusFrame = m.Frame
		s.Frames++
	}
	s.PDUs++
	if m.Malformed != "" {
		s.Malformed++
	}
	fc := code(m.Func)
	s.FuncCode[fc]++
	if m.Dir == ot.DirRequest {
		s.Requests[fc]++
	} else {
		s.Responses[fc]++
	}
	if m.Exception != 0 {
		s.Exceptions[code(m.Exception)]++
	}
}

func (c *Counter) dnp3(m *ot.Message) {
	s := &c.s.DNP3
	if !dnp3.HeaderValid(m) {
		// A link header that failed its CRC (or is too short) is not a
		// DNP3 frame to tshark either; the detections still see it.
		s.Malformed++
		return
	}
	if m.Frame != c.dnp3Frame {
		c.closeDNP3Frame()
		c.dnp3Frame, c.dnp3FrameApp = m.Frame, false
		s.Frames++
	}
	s.LinkFrames++
	if m.Malformed != "" {
		s.Malformed++
	}
	dir := "sec "
	if m.LinkPrimary {
		dir = "pri "
	}
	s.LinkFunc[dir+code(m.LinkFunc)]++
	if m.HasApp {
		c.dnp3FrameApp = true
		s.AppFunc[code(m.Func)]++
	}
}

// closeDNP3Frame counts the frame just finished if it had no application
// layer.
func (c *Counter) closeDNP3Frame() {
	if c.dnp3Frame != 0 && !c.dnp3FrameApp {
		c.s.DNP3.FramesWithoutApp++
	}
}

// Stats returns the counts; frames is the capture's frame count.
func (c *Counter) Stats(frames int64) Stats {
	c.closeDNP3Frame()
	c.dnp3Frame = 0
	s := c.s
	s.Frames = frames
	return s
}

func code(b uint8) string { return strconv.Itoa(int(b)) }

// CountFile runs a capture file through a sensor listening on ports and
// counts what it decodes, as `bulwark ot stats` reports it.
func CountFile(ctx context.Context, path string, ports []capture.Port) (Stats, error) {
	c := NewCounter()
	sensor, err := capture.NewSensor(capture.Config{Ports: ports}, c.Add)
	if err != nil {
		return Stats{}, err
	}
	if err := sensor.RunFile(ctx, path); err != nil {
		return Stats{}, err
	}
	s := c.Stats(sensor.Stats().Frames)
	s.File = path
	return s, nil
}
