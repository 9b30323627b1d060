// Package monitor wires the OT monitor together: captures (ot/capture)
// decoded by the Modbus/TCP and DNP3 parsers (ot/modbus, ot/dnp3) into
// one detector (ot/detect). `bulwark ot` and the server's OT sensors both
// run through it, so they decode and detect alike.
//
//	m, err := monitor.New(monitor.Config{Detect: detect.DefaultConfig()})
//	src, err := capture.OpenFile("plant.pcap")
//	err = m.Read(ctx, "plant.pcap", src, emit) // every alert goes to emit
package monitor

import (
	"context"
	"fmt"
	"sync"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/capture"
	"github.com/bulwarkhq/bulwark/ot/detect"
	"github.com/bulwarkhq/bulwark/ot/dnp3"
	"github.com/bulwarkhq/bulwark/ot/modbus"
)

// Config configures a Monitor.
type Config struct {
	// ModbusPorts and DNP3Ports are the TCP server ports decoded
	// (default 502 and 20000).
	ModbusPorts, DNP3Ports []uint16
	// Detect tunes the detector; its OTPorts are set from the ports.
	Detect detect.Config
	// Baseline is checked against (and learnt into); nil starts empty.
	Baseline *detect.Baseline
}

// Monitor is one detector fed by any number of captures, one at a time
// or concurrently (the detector is locked per message).
type Monitor struct {
	ports []capture.Port
	mu    sync.Mutex
	det   *detect.Detector
}

// Ports returns the capture ports for the given Modbus and DNP3 server
// ports (defaults for empty lists), with their decoders.
func Ports(modbusPorts, dnp3Ports []uint16) ([]capture.Port, error) {
	if len(modbusPorts) == 0 {
		modbusPorts = []uint16{capture.PortModbus}
	}
	if len(dnp3Ports) == 0 {
		dnp3Ports = []uint16{capture.PortDNP3}
	}
	var out []capture.Port
	seen := map[uint16]bool{}
	add := func(list []uint16, proto ot.Proto, mk ot.NewParser) error {
		for _, p := range list {
			if p == 0 {
				return fmt.Errorf("%s port 0 is not a TCP port", proto)
			}
			if seen[p] {
				return fmt.Errorf("port %d given twice", p)
			}
			seen[p] = true
			out = append(out, capture.Port{Port: p, Proto: proto, New: mk})
		}
		return nil
	}
	if err := add(modbusPorts, ot.ProtoModbus, modbus.NewParser); err != nil {
		return nil, err
	}
	if err := add(dnp3Ports, ot.ProtoDNP3, dnp3.NewParser); err != nil {
		return nil, err
	}
	return out, nil
}

// New returns a monitor.
func New(cfg Config) (*Monitor, error) {
	ports, err := Ports(cfg.ModbusPorts, cfg.DNP3Ports)
	if err != nil {
		return nil, err
	}
	dc := cfg.Detect
	dc.OTPorts = dc.OTPorts[:0:0]
	for _, p := range ports {
		dc.OTPorts = append(dc.OTPorts, p.Port)
	}
	return &Monitor{ports: ports, det: detect.New(dc, cfg.Baseline)}, nil
}

// Read feeds one capture to the detector until it ends, ctx is cancelled
// or the capture fails; it closes src. Frames are numbered from 1 per
// capture, as Wireshark numbers them, and alerts name them, so every
// alert raised while reading carries name in its Source.Path, and the
// aggregates still open are closed (their summaries emitted) when the
// capture ends: a frame span never crosses captures.
func (m *Monitor) Read(ctx context.Context, name string, src capture.Source, emit func(*alert.Alert)) error {
	defer src.Close()
	named := func(a *alert.Alert) {
		a.Source.Path = name
		emit(a)
	}
	var pkt detect.Packet
	cfg := capture.Config{Ports: m.ports, OnPacket: func(p *capture.Packet) {
		// The detector learns and checks what else OT hosts do; it
		// ignores hosts that are not OT assets.
		pkt = detect.Packet{Time: p.Time, Frame: p.Frame, Src: p.Src, Dst: p.Dst, Transport: p.Transport, SYN: p.SYN}
		m.mu.Lock()
		m.det.ProcessPacket(&pkt, named)
		m.mu.Unlock()
	}}
	sensor, err := capture.NewSensor(cfg, func(msg *ot.Message) {
		m.mu.Lock()
		m.det.Process(msg, named)
		m.mu.Unlock()
	})
	if err != nil {
		return err
	}
	err = sensor.Run(ctx, src)
	m.mu.Lock()
	m.det.Flush(named)
	m.mu.Unlock()
	return err
}

// With runs fn with the detector locked: to read its baseline or
// inventory while captures are being read.
func (m *Monitor) With(fn func(d *detect.Detector)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fn(m.det)
}
