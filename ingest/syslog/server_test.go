package syslog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/ingest"
	"github.com/bulwarkhq/bulwark/internal/testcert"
)

// testSink records what it is given. With busy set it refuses batches
// offered without waiting; with gate set, Submit blocks until the gate is
// closed.
type testSink struct {
	mu    sync.Mutex
	evs   []event.Event
	calls int
	busy  atomic.Bool
	gate  chan struct{}
}

func (s *testSink) Submit(ctx context.Context, evs []event.Event, wait bool) error {
	if !wait && s.busy.Load() {
		return ingest.ErrBusy
	}
	s.mu.Lock()
	gate := s.gate
	s.calls++
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	s.evs = append(s.evs, evs...)
	s.mu.Unlock()
	return nil
}

func (s *testSink) events() []event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]event.Event(nil), s.evs...)
}

func (s *testSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.evs)
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// start runs a server on loopback ports chosen by the kernel.
func start(t *testing.T, sink ingest.Sink, o Options) *Server {
	t.Helper()
	s := New(sink, o)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestTCPMixedFraming(t *testing.T) {
	sink := &testSink{}
	s := start(t, sink, Options{TCP: "127.0.0.1:0"})
	c, err := net.Dial("tcp", s.Addrs().TCP.String())
	if err != nil {
		t.Fatal(err)
	}
	m1 := "<34>1 2025-03-01T10:00:00Z web01 sshd 42 - - Failed password for root"
	m2 := "<13>Mar  1 10:00:01 web01 su: session opened"
	m3 := "<14>1 2025-03-01T10:00:02Z web01 app - ID7 [ex@32473 a=\"1\"] third"
	stream := fmt.Sprintf("%d %s%s\r\n%d %s\n", len(m1), m1, m2, len(m3), m3)
	if _, err := io.WriteString(c, stream); err != nil {
		t.Fatal(err)
	}
	c.Close()
	waitFor(t, "three events", func() bool { return sink.count() == 3 })

	evs := sink.events()
	wantOff := []int64{0, int64(len(fmt.Sprint(len(m1))) + 1 + len(m1)), 0}
	wantOff[2] = wantOff[1] + int64(len(m2)) + 2
	wantMsg := []string{"Failed password for root", "session opened", "third"}
	for i, e := range evs {
		if e.Source.Path != PathTCP || e.Source.Format != "syslog" || e.Source.Record != int64(i+1) || e.Source.Offset != wantOff[i] {
			t.Errorf("event %d source %+v, want %s record %d offset %d", i, e.Source, PathTCP, i+1, wantOff[i])
		}
		if got := e.GetString("message"); got != wantMsg[i] {
			t.Errorf("event %d message %q, want %q", i, got, wantMsg[i])
		}
		if got := e.GetString("peer"); got != "127.0.0.1" {
			t.Errorf("event %d peer %q", i, got)
		}
		if got := e.GetString("hostname"); got != "web01" {
			t.Errorf("event %d hostname %q", i, got)
		}
	}
	if got := evs[2].GetString("sd.ex@32473.a"); got != "1" {
		t.Errorf("structured data lost: %q", got)
	}
	if string(evs[1].Raw) != m2 {
		t.Errorf("raw %q, want %q", evs[1].Raw, m2)
	}
	if st := s.Stats(); st.Received != 3 || st.Submitted != 3 || st.Accepted != 1 || st.BadFrames != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestTLS(t *testing.T) {
	tc := testcert.New(t)
	cert, pool := tc.TLS, tc.Pool
	sink := &testSink{}
	s := start(t, sink, Options{TLS: "127.0.0.1:0", TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})
	c, err := tls.Dial("tcp", s.Addrs().TLS.String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msgs := []string{
		"<165>1 2025-03-01T10:00:00.003Z host1 evntslog - ID47 - first over TLS",
		"<165>1 2025-03-01T10:00:01.003Z host1 evntslog - ID47 - second over TLS",
	}
	for _, m := range msgs {
		fmt.Fprintf(c, "%d %s", len(m), m)
	}
	// The connection stays open: the batch goes out after FlushInterval,
	// through the read deadline of a quiet TLS connection.
	waitFor(t, "two events", func() bool { return sink.count() == 2 })
	for i, e := range sink.events() {
		if e.Source.Path != PathTLS || e.GetString("msgid") != "ID47" || !strings.HasSuffix(e.GetString("message"), "over TLS") {
			t.Errorf("event %d: %+v %v", i, e.Source, e.Fields)
		}
	}
	// The connection still works after the flush deadline fired.
	m := "<165>1 2025-03-01T10:00:02Z host1 evntslog - ID47 - third"
	fmt.Fprintf(c, "%d %s", len(m), m)
	waitFor(t, "a third event", func() bool { return sink.count() == 3 })
}

func TestTLSRejectsPlaintext(t *testing.T) {
	cert := testcert.New(t).TLS
	sink := &testSink{}
	s := start(t, sink, Options{TLS: "127.0.0.1:0", TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}})
	c, err := net.Dial("tcp", s.Addrs().TLS.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "<13>plain text is not a handshake\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, c) // returns when the server closes
	if n := sink.count(); n != 0 {
		t.Errorf("%d events from a failed handshake", n)
	}
}

func TestOversizedFrameClosesConnection(t *testing.T) {
	sink := &testSink{}
	s := start(t, sink, Options{TCP: "127.0.0.1:0", MaxMessageBytes: 100})
	c, err := net.Dial("tcp", s.Addrs().TCP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "<13>fits\n5000 <13>")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("read after an oversized frame: %v, want the server to close", err)
	}
	waitFor(t, "the good message", func() bool { return sink.count() == 1 })
	if st := s.Stats(); st.BadFrames != 1 {
		t.Errorf("stats %+v, want one bad frame", st)
	}
}

func TestLongLineSkipped(t *testing.T) {
	sink := &testSink{}
	s := start(t, sink, Options{TCP: "127.0.0.1:0", MaxMessageBytes: 100})
	c, err := net.Dial("tcp", s.Addrs().TCP.String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "<13>"+strings.Repeat("x", 500)+"\n<13>after\n")
	c.Close()
	waitFor(t, "the message after the long line", func() bool { return sink.count() == 1 })
	if got := sink.events()[0].GetString("message"); got != "<13>after" && got != "after" {
		t.Errorf("message %q", got)
	}
	if st := s.Stats(); st.BadFrames != 1 {
		t.Errorf("stats %+v, want one bad frame", st)
	}
}

// TestBackPressure: while the Sink does not return, the connection is not
// read: the server holds one batch and the sender's writes block.
func TestBackPressure(t *testing.T) {
	sink := &testSink{gate: make(chan struct{})}
	const batchSize = 8
	s := start(t, sink, Options{TCP: "127.0.0.1:0", BatchSize: batchSize})
	c, err := net.Dial("tcp", s.Addrs().TCP.String())
	if err != nil {
		t.Fatal(err)
	}
	msg := "<13>Mar  1 10:00:00 host app: " + strings.Repeat("m", 1000) + "\n"
	var sent atomic.Int64
	var stop atomic.Bool
	writerDone := make(chan error, 1)
	go func() {
		for !stop.Load() {
			if _, err := io.WriteString(c, msg); err != nil {
				writerDone <- err
				return
			}
			if sent.Add(1) == 100_000 { // 100 MB: far beyond any socket buffer
				writerDone <- errors.New("writer never blocked")
				return
			}
		}
		writerDone <- nil
	}()
	// Wait until the writer stalls.
	prev := int64(-1)
	for {
		time.Sleep(300 * time.Millisecond)
		n := sent.Load()
		if n == prev {
			break
		}
		select {
		case err := <-writerDone:
			t.Fatal(err)
		default:
		}
		prev = n
	}
	// The server parsed only the batch stuck in Submit.
	if st := s.Stats(); st.Received < 1 || st.Received > batchSize || st.Submitted != 0 {
		t.Errorf("while blocked: stats %+v, want at most %d received", st, batchSize)
	}
	t.Logf("writer blocked after %d messages (%d KiB)", prev, prev*int64(len(msg))>>10)
	// Everything written arrives once the Sink takes batches again.
	stop.Store(true)
	close(sink.gate)
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	total := int(sent.Load())
	c.Close()
	waitFor(t, fmt.Sprintf("%d events", total), func() bool { return sink.count() == total })
	c.Close()
}

func TestUDP(t *testing.T) {
	sink := &testSink{}
	s := start(t, sink, Options{UDP: "127.0.0.1:0"})
	c, err := net.Dial("udp", s.Addrs().UDP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	sink.busy.Store(true)
	for i := range 5 {
		fmt.Fprintf(c, "<13>Mar  1 10:00:0%d host app: busy %d\n", i, i)
	}
	waitFor(t, "five drops", func() bool { return s.Stats().Dropped == 5 })
	if sink.count() != 0 {
		t.Fatal("a busy sink got events")
	}

	sink.busy.Store(false)
	for _, m := range []string{"<13>Mar  1 10:00:05 host app: one\n", "<13>Mar  1 10:00:06 host app: two\x00", "\n", "<13>Mar  1 10:00:07 host app: three"} {
		io.WriteString(c, m)
	}
	waitFor(t, "three events", func() bool { return sink.count() == 3 })
	for i, e := range sink.events() {
		if want := []string{"one", "two", "three"}[i]; e.GetString("message") != want {
			t.Errorf("event %d message %q, want %q", i, e.GetString("message"), want)
		}
		if e.Source.Path != PathUDP || e.Source.Offset != -1 || e.GetString("peer") != "127.0.0.1" {
			t.Errorf("event %d: source %+v peer %q", i, e.Source, e.GetString("peer"))
		}
	}
	if st := s.Stats(); st.Received != 8 || st.Submitted != 3 || st.Dropped != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestUDPOversizedDatagram(t *testing.T) {
	sink := &testSink{}
	s := start(t, sink, Options{UDP: "127.0.0.1:0", MaxMessageBytes: 64})
	c, err := net.Dial("udp", s.Addrs().UDP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "<13>"+strings.Repeat("x", 100))
	io.WriteString(c, "<13>small")
	waitFor(t, "the small message", func() bool { return sink.count() == 1 })
	if st := s.Stats(); st.BadFrames != 1 {
		t.Errorf("stats %+v, want one bad frame", st)
	}
}

func TestShutdownFlushesPending(t *testing.T) {
	sink := &testSink{}
	// Batches would wait an hour: only Shutdown submits them.
	s := New(sink, Options{TCP: "127.0.0.1:0", UDP: "127.0.0.1:0", FlushInterval: time.Hour})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	tc, err := net.Dial("tcp", s.Addrs().TCP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	uc, err := net.Dial("udp", s.Addrs().UDP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	io.WriteString(tc, "<13>tcp 1\n<13>tcp 2\n<13>tcp 3\n")
	io.WriteString(uc, "<13>udp 1")
	io.WriteString(uc, "<13>udp 2")
	waitFor(t, "five messages received", func() bool { return s.Stats().Received == 5 })
	if sink.count() != 0 {
		t.Fatal("submitted before the flush interval")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := sink.count(); n != 5 {
		t.Errorf("%d events after Shutdown, want 5", n)
	}
	// The connection is closed and the listener gone.
	tc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := tc.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("connection still open after Shutdown: %v", err)
	}
	if c, err := net.DialTimeout("tcp", s.Addrs().TCP.String(), time.Second); err == nil {
		c.Close()
		t.Error("listener still accepting after Shutdown")
	}
}

func TestShutdownDeadline(t *testing.T) {
	// A Sink that never takes the batch: Shutdown gives up at its deadline.
	sink := &testSink{gate: make(chan struct{})}
	s := New(sink, Options{TCP: "127.0.0.1:0", FlushInterval: time.Hour})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", s.Addrs().TCP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "<13>stuck\n")
	waitFor(t, "the message", func() bool { return s.Stats().Received == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want the deadline", err)
	}
	if st := s.Stats(); st.Dropped != 1 || st.Connections != 0 {
		t.Errorf("stats %+v, want the message dropped and no connection left", st)
	}
}

func TestMaxConnections(t *testing.T) {
	sink := &testSink{}
	s := start(t, sink, Options{TCP: "127.0.0.1:0", MaxConnections: 1})
	c1, err := net.Dial("tcp", s.Addrs().TCP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	waitFor(t, "the first connection", func() bool { return s.Stats().Connections == 1 })
	c2, err := net.Dial("tcp", s.Addrs().TCP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c2.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("second connection: %v, want it closed", err)
	}
	if st := s.Stats(); st.Rejected != 1 || st.Accepted != 1 {
		t.Errorf("stats %+v", st)
	}
	// The first still works.
	io.WriteString(c1, "<13>still here\n")
	waitFor(t, "the message", func() bool { return sink.count() == 1 })
}

func TestIdleTimeout(t *testing.T) {
	sink := &testSink{}
	s := start(t, sink, Options{TCP: "127.0.0.1:0", IdleTimeout: 200 * time.Millisecond})
	c, err := net.Dial("tcp", s.Addrs().TCP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "<13>then silence\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("idle connection: %v, want it closed", err)
	}
	waitFor(t, "the message", func() bool { return sink.count() == 1 })
	waitFor(t, "no connection", func() bool { return s.Stats().Connections == 0 })
}

func TestStartErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cert := testcert.New(t).TLS
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"nothing to listen on", Options{}, "no listen address"},
		{"TLS without certificate", Options{TLS: "127.0.0.1:0"}, "certificate"},
		{"TLS config without certificate", Options{TLS: "127.0.0.1:0", TLSConfig: &tls.Config{}}, "certificate"},
		{"address in use", Options{UDP: "127.0.0.1:0", TCP: busy.Addr().String(), TLS: "127.0.0.1:0",
			TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}, "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(&testSink{}, tt.o)
			err := s.Start(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start: %v, want an error about %q", err, tt.want)
			}
			if a := s.Addrs(); a.UDP != nil || a.TCP != nil || a.TLS != nil {
				t.Errorf("listeners left bound after a failed Start: %+v", a)
			}
			s.Close()
		})
	}
}

func TestPeerIP(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("10.0.0.1"), Port: 514}, "10.0.0.1"},
		{&net.UDPAddr{IP: net.ParseIP("::ffff:10.0.0.2"), Port: 514}, "10.0.0.2"},
		{&net.UDPAddr{IP: net.ParseIP("2001:db8::1"), Port: 514}, "2001:db8::1"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := peerIP(tt.addr); got != tt.want {
			t.Errorf("peerIP(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}
