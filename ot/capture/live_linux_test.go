//go:build linux

package capture

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/ot"
)

// chanParser sends what it is fed to a channel.
type chanParser struct {
	toServer bool
	ch       chan<- string
}

func (p *chanParser) Feed(data []byte, _ ot.Meta, _ func(*ot.Message)) {
	if p.toServer {
		p.ch <- string(data)
	}
}
func (p *chanParser) Gap() {}

// TestLiveLoopback captures a local Modbus-port connection on "lo", with
// and without the kernel port filter. It needs root or CAP_NET_RAW, and
// skips without.
func TestLiveLoopback(t *testing.T) {
	t.Run("port filter", func(t *testing.T) { liveLoopback(t, LiveOptions{Ports: []uint16{502}}) })
	t.Run("no filter", func(t *testing.T) { liveLoopback(t, LiveOptions{}) })
}

func liveLoopback(t *testing.T, opts LiveOptions) {
	src, err := OpenInterface("lo", opts)
	if err != nil {
		t.Skipf("no live capture here: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:502")
	if err != nil {
		src.Close()
		t.Skipf("cannot listen on port 502: %v", err)
	}
	defer ln.Close()

	ch := make(chan string, 100)
	cfg := Config{Ports: []Port{{Port: 502, Proto: ot.ProtoModbus, New: func(toServer bool) ot.StreamParser {
		return &chanParser{toServer: toServer, ch: ch}
	}}}}
	s, err := NewSensor(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, src) }()

	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(io.Discard, c)
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	const msg = "\x00\x01\x00\x00\x00\x06\x01\x03\x00\x00\x00\x0a"
	deadline := time.After(10 * time.Second)
	var got strings.Builder
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	sent := 0
	for !strings.Contains(got.String(), msg) {
		select {
		case b := <-ch:
			got.WriteString(b)
		case <-tick.C:
			// The socket may start capturing after the first writes:
			// keep writing until a whole request shows.
			if sent < 50 {
				conn.Write([]byte(msg))
				sent++
			}
		case <-deadline:
			t.Fatalf("captured %q, want the request", got.String())
		}
	}
	conn.Close()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	st := s.Stats()
	if st.TCPFrames == 0 || st.Protos[ot.ProtoModbus].Bytes == 0 {
		t.Errorf("stats %+v", st)
	}
	// Each frame shows once (the sent copy is filtered out), and with
	// ports set only port 502 passes.
	if st.Retransmissions != 0 || len(opts.Ports) > 0 && st.TCPFrames != st.Frames {
		t.Errorf("filtered capture: %+v", st)
	}
	t.Logf("stats %+v", st)
}
