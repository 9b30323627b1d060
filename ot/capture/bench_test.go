package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/ot"
)

// benchFile is the largest shared Modbus capture.
const benchFile = "pcap/modbus/iti/ModbusTCP__mb2.pcap"

// loadFrames reads a capture's frames into memory.
func loadFrames(b *testing.B, path string) (frames [][]byte, infos []CaptureInfo, file []byte) {
	file, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	src, err := NewReader(bytes.NewReader(file))
	if err != nil {
		b.Fatal(err)
	}
	for {
		data, ci, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		frames = append(frames, bytes.Clone(data))
		infos = append(infos, ci)
	}
	return frames, infos, file
}

// BenchmarkSensor measures decoding and reassembly, frames already in
// memory, with parsers that do nothing: the cost this package adds per
// frame.
func BenchmarkSensor(b *testing.B) {
	frames, infos, _ := loadFrames(b, filepath.Join(testdata.Dir(b), benchFile))
	newNop := func(bool) ot.StreamParser { return &nopParser{} }
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		// A fresh sensor per pass, so every pass sees the connections
		// open and close as the file has them.
		s, err := NewSensor(Config{Ports: DefaultPorts(newNop, newNop)}, nil)
		if err != nil {
			b.Fatal(err)
		}
		for i, f := range frames {
			s.Packet(f, infos[i])
		}
		s.Flush()
		n += len(frames)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkFileSensor adds reading the pcap format (from memory) to
// BenchmarkSensor: the path `bulwark ot` takes over a file.
func BenchmarkFileSensor(b *testing.B) {
	_, _, file := loadFrames(b, filepath.Join(testdata.Dir(b), benchFile))
	newNop := func(bool) ot.StreamParser { return &nopParser{} }
	b.ReportAllocs()
	b.SetBytes(int64(len(file)))
	b.ResetTimer()
	var n int64
	for b.Loop() {
		s, err := NewSensor(Config{Ports: DefaultPorts(newNop, newNop)}, nil)
		if err != nil {
			b.Fatal(err)
		}
		src, err := NewReader(bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Run(b.Context(), src); err != nil {
			b.Fatal(err)
		}
		n += s.Stats().Frames
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "frames/s")
}
