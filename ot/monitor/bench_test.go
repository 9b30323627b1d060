package monitor

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/ot/capture"
	"github.com/bulwarkhq/bulwark/ot/detect"
)

// benchFile is the largest shared capture with Modbus or DNP3 (13,472
// frames).
const benchFile = "pcap/modbus/iti/ModbusTCP__mb2.pcap"

// memSource replays frames held in memory.
type memSource struct {
	frames [][]byte
	infos  []capture.CaptureInfo
	i      int
}

func (s *memSource) Next() ([]byte, capture.CaptureInfo, error) {
	if s.i == len(s.frames) {
		return nil, capture.CaptureInfo{}, io.EOF
	}
	s.i++
	return s.frames[s.i-1], s.infos[s.i-1], nil
}

func (s *memSource) Close() error { return nil }

func loadFrames(b *testing.B) (*memSource, []byte) {
	file, err := os.ReadFile(filepath.Join(testdata.Dir(b), benchFile))
	if err != nil {
		b.Fatal(err)
	}
	src, err := capture.NewReader(bytes.NewReader(file))
	if err != nil {
		b.Fatal(err)
	}
	m := &memSource{}
	for {
		data, ci, err := src.Next()
		if errors.Is(err, io.EOF) {
			return m, file
		}
		if err != nil {
			b.Fatal(err)
		}
		m.frames = append(m.frames, bytes.Clone(data))
		m.infos = append(m.infos, ci)
	}
}

// benchMonitor returns a monitor detecting against a baseline learnt
// from the whole capture once: the steady state of a plant watched for a
// while.
func benchMonitor(b *testing.B, src *memSource) *Monitor {
	learn := Config{Detect: detect.DefaultConfig()}
	learn.Detect.Learn = 1 << 62
	m, err := New(learn)
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Read(context.Background(), "learn", src, func(*alert.Alert) {}); err != nil {
		b.Fatal(err)
	}
	var base *detect.Baseline
	m.With(func(d *detect.Detector) { base = d.Baseline() })
	cfg := Config{Detect: detect.DefaultConfig(), Baseline: base}
	cfg.Detect.Learn = 0
	if m, err = New(cfg); err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkMonitor measures decoding and detecting, frames in memory:
// link, IP and TCP decoding, reassembly, Modbus and DNP3 decoding and the
// detector, on one core with -cpu 1.
//
//	go test -run XXX -bench Monitor -cpu 1 ./ot/monitor
func BenchmarkMonitor(b *testing.B) {
	src, _ := loadFrames(b)
	m := benchMonitor(b, src)
	alerts := 0
	emit := func(*alert.Alert) { alerts++ }
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		src.i = 0
		if err := m.Read(context.Background(), benchFile, src, emit); err != nil {
			b.Fatal(err)
		}
		n += len(src.frames)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(alerts)/float64(b.N), "alerts/op")
}

// BenchmarkMonitorFile adds reading the pcap format from memory: the path
// of `bulwark ot FILE`.
func BenchmarkMonitorFile(b *testing.B) {
	mem, file := loadFrames(b)
	m := benchMonitor(b, mem)
	b.ReportAllocs()
	b.SetBytes(int64(len(file)))
	b.ResetTimer()
	n := 0
	for b.Loop() {
		src, err := capture.NewReader(bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Read(context.Background(), benchFile, src, func(*alert.Alert) {}); err != nil {
			b.Fatal(err)
		}
		n += len(mem.frames)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "frames/s")
}
