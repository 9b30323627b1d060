package capture

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Initial sequence numbers of the test connections; the client's is close
// to the wrap so streams cross it.
const (
	clientISN = 0xffffffff - 5
	serverISN = 5000
)

// c and s build a segment from the client or the server; rel is relative
// to the side's initial sequence number (the SYN's; data starts at 1).
func c(rel uint32, flags uint8, payload string) pkt {
	return pkt{src: client, dst: server, seq: clientISN + rel, flags: flags, payload: payload}
}

func s(rel uint32, flags uint8, payload string) pkt {
	return pkt{src: server, dst: client, seq: serverISN + rel, flags: flags, payload: payload}
}

// handshake opens the test connection.
var handshake = []pkt{c(0, tcpSYN, ""), s(0, tcpSYN|tcpACK, ""), c(1, tcpACK, "")}

func seq(parts ...[]pkt) []pkt {
	var all []pkt
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

func TestReassembly(t *testing.T) {
	const A = tcpACK
	tests := []struct {
		name               string
		cfg                Config
		pkts               []pkt
		toServer, toClient string
		want               Stats // only the reassembly counters are compared
	}{
		{
			name:     "in order",
			pkts:     seq(handshake, []pkt{c(1, A, "req1"), s(1, A, "resp1"), c(5, A, "req2"), s(6, A, "resp2")}),
			toServer: "req1req2", toClient: "resp1resp2",
		},
		{
			name:     "PDU split across two segments",
			pkts:     seq(handshake, []pkt{c(1, A, "hal"), c(4, A, "f-pdu"), s(1, A, "ok")}),
			toServer: "half-pdu", toClient: "ok",
		},
		{
			name:     "two PDUs in one segment",
			pkts:     seq(handshake, []pkt{c(1, A, "pdu1pdu2")}),
			toServer: "pdu1pdu2",
		},
		{
			name:     "exact retransmission dropped",
			pkts:     seq(handshake, []pkt{c(1, A, "abcd"), c(1, A, "abcd"), c(5, A, "ef")}),
			toServer: "abcdef",
			want:     Stats{Retransmissions: 1},
		},
		{
			name:     "partial overlap trimmed",
			pkts:     seq(handshake, []pkt{c(1, A, "abcd"), c(3, A, "cdefg"), c(8, A, "h")}),
			toServer: "abcdefgh",
			want:     Stats{Overlaps: 1},
		},
		{
			name:     "out of order then filled",
			pkts:     seq(handshake, []pkt{c(1, A, "ab"), c(5, A, "ef"), c(7, A, "gh"), c(3, A, "cd"), c(9, A, "i")}),
			toServer: "abcdefghi",
			want:     Stats{OutOfOrder: 2},
		},
		{
			name:     "out of order, overlapping fill",
			pkts:     seq(handshake, []pkt{c(1, A, "ab"), c(5, A, "efg"), c(3, A, "cdef"), c(8, A, "h")}),
			toServer: "abcdefgh",
			want:     Stats{OutOfOrder: 1, Overlaps: 1},
		},
		{
			name:     "buffered retransmission dropped",
			pkts:     seq(handshake, []pkt{c(1, A, "ab"), c(5, A, "ef"), c(5, A, "ef"), c(3, A, "cd")}),
			toServer: "abcdef",
			want:     Stats{OutOfOrder: 2, Retransmissions: 1},
		},
		{
			name: "hole that never fills: buffer limit",
			cfg:  Config{MaxBufferPerDir: 2*segOverhead + 4},
			pkts: seq(handshake, []pkt{c(1, A, "ab"), c(5, A, "ef"), c(7, A, "gh"), c(9, A, "ij")}),
			// "ef"+"gh"+"ij" exceeds the limit when "ij" arrives: the hole
			// at cd is given up, and everything after it flows.
			toServer: "ab|GAP|efghij",
			want:     Stats{OutOfOrder: 3, Gaps: 1},
		},
		{
			name: "hole that never fills: time limit",
			pkts: seq(handshake, []pkt{c(1, A, "ab"), c(5, A, "ef"),
				withTime(s(1, A, "later"), epoch.Add(time.Minute))}),
			toServer: "ab|GAP|ef", toClient: "later",
			want: Stats{OutOfOrder: 1, Gaps: 1},
		},
		{
			name:     "hole that never fills: FIN",
			pkts:     seq(handshake, []pkt{c(1, A, "ab"), c(5, A, "ef"), c(7, tcpFIN|A, "gh")}),
			toServer: "ab|GAP|efgh",
			want:     Stats{OutOfOrder: 2, Gaps: 1},
		},
		{
			name:     "hole that never fills: RST",
			pkts:     seq(handshake, []pkt{c(1, A, "ab"), c(5, A, "ef"), s(1, tcpRST, "")}),
			toServer: "ab|GAP|ef",
			want:     Stats{OutOfOrder: 1, Gaps: 1},
		},
		{
			name:     "hole at end of capture is flushed",
			pkts:     seq(handshake, []pkt{c(1, A, "ab"), c(5, A, "ef")}),
			toServer: "ab|GAP|ef",
			want:     Stats{OutOfOrder: 1, Gaps: 1},
		},
		{
			name:     "stray segment far ahead, then the stream goes on",
			pkts:     seq(handshake, []pkt{c(1, A, "ab"), c(1+1<<23, A, "zz"), c(3, A, "cd"), c(5, A, "ef")}),
			toServer: "ab|GAP|zz|GAP|cdef",
			want:     Stats{Gaps: 2},
		},
		{
			name:     "mid-stream pickup",
			pkts:     []pkt{c(100, A, "xy"), s(300, A, "z"), c(102, A, "w")},
			toServer: "xyw", toClient: "z",
		},
		{
			name:     "retransmitted SYN ignored",
			pkts:     seq(handshake, []pkt{c(1, A, "ab"), c(0, tcpSYN, ""), c(3, A, "cd")}),
			toServer: "abcd",
		},
		{
			name: "port reuse: new SYN starts afresh",
			pkts: seq(handshake, []pkt{c(1, A, "ab"),
				{src: client, dst: server, seq: 0x10000000, flags: tcpSYN},
				{src: client, dst: server, seq: 0x10000001, flags: A, payload: "new"}}),
			toServer: "ab|GAP|new",
			want:     Stats{Gaps: 1},
		},
		{
			name:     "data past FIN ignored",
			pkts:     seq(handshake, []pkt{c(1, tcpFIN|A, "ab"), s(1, A, "x"), c(3, A, "zz")}),
			toServer: "ab", toClient: "x",
			want: Stats{Retransmissions: 1},
		},
		{
			name:     "bare ACKs and non-port traffic ignored",
			pkts:     []pkt{c(5, A, ""), {src: client, dst: netip.MustParseAddrPort("10.0.0.2:80"), payload: "GET"}},
			toServer: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sensor, rs, _ := newTestSensor(t, tc.cfg)
			var frames [][]byte
			var times []time.Time
			for i, p := range tc.pkts {
				frames = append(frames, frame(LinkEthernet, p))
				ts := p.time
				if ts.IsZero() {
					ts = epoch.Add(time.Duration(i) * time.Millisecond)
				}
				times = append(times, ts)
			}
			runBytes(t, sensor, writePcap(t, LinkEthernet, frames, times))
			toServer, toClient := rs.streams()
			if toServer != tc.toServer || toClient != tc.toClient {
				t.Errorf("streams:\n to server %q, want %q\n to client %q, want %q", toServer, tc.toServer, toClient, tc.toClient)
			}
			got := sensor.Stats()
			if got.Retransmissions != tc.want.Retransmissions || got.Overlaps != tc.want.Overlaps ||
				got.OutOfOrder != tc.want.OutOfOrder || got.Gaps != tc.want.Gaps {
				t.Errorf("stats: retrans %d overlaps %d ooo %d gaps %d, want %d %d %d %d",
					got.Retransmissions, got.Overlaps, got.OutOfOrder, got.Gaps,
					tc.want.Retransmissions, tc.want.Overlaps, tc.want.OutOfOrder, tc.want.Gaps)
			}
			if got.Frames != int64(len(tc.pkts)) {
				t.Errorf("frames %d, want %d", got.Frames, len(tc.pkts))
			}
		})
	}
}

func withTime(p pkt, ts time.Time) pkt { p.time = ts; return p }

// TestMeta checks the Meta handed with each Feed: frame numbers count every
// frame, endpoints follow the direction, buffered bytes keep their frame.
func TestMeta(t *testing.T) {
	sensor, rs, msgs := newTestSensor(t, Config{})
	pkts := seq(handshake, []pkt{
		{src: client, dst: netip.MustParseAddrPort("10.0.0.9:80"), payload: "other"}, // frame 4: another port
		c(1, tcpACK, "ab"), // frame 5
		c(5, tcpACK, "ef"), // frame 6, waits
		c(3, tcpACK, "cd"), // frame 7, fills
		s(1, tcpACK, "r"),  // frame 8
	})
	var frames [][]byte
	for _, p := range pkts {
		frames = append(frames, frame(LinkEthernet, p))
	}
	runBytes(t, sensor, writePcap(t, LinkEthernet, frames, nil))
	var got []string
	for _, m := range *msgs {
		got = append(got, fmt.Sprintf("%d %v>%v", m.Frame, m.Src, m.Dst))
	}
	want := []string{
		"5 10.0.0.1:40000>10.0.0.2:502",
		"7 10.0.0.1:40000>10.0.0.2:502",
		"6 10.0.0.1:40000>10.0.0.2:502",
		"8 10.0.0.2:502>10.0.0.1:40000",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("metas:\n got %q\nwant %q", got, want)
	}
	if (*msgs)[0].Time != epoch.Add(4*time.Millisecond) {
		t.Errorf("time of frame 5: %v", (*msgs)[0].Time)
	}
	for _, r := range rs.all {
		if r.toServer != (r.metas[0].Dst == server) {
			t.Errorf("toServer %v for a parser fed towards %v", r.toServer, r.metas[0].Dst)
		}
	}
	st := sensor.Stats()
	if st.Protos[1].Frames != 4 || st.Protos[1].Bytes != 7 || st.Conns != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestSYNFlood checks that a flood of new connections keeps the table
// within MaxConns and that established connections keep working.
func TestSYNFlood(t *testing.T) {
	sensor, rs, _ := newTestSensor(t, Config{MaxConns: 100})
	for _, p := range handshake {
		sensor.Packet(frame(LinkEthernet, p), CaptureInfo{Timestamp: epoch, LinkType: LinkEthernet})
	}
	for i := range 10000 {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, byte(i >> 8), byte(i)}), uint16(1024+i))
		p := pkt{src: src, dst: server, seq: uint32(i) * 7919, flags: tcpSYN}
		sensor.Packet(frame(LinkEthernet, p), CaptureInfo{Timestamp: epoch, LinkType: LinkEthernet})
		if i%50 == 0 {
			// The established connection stays active, so it is never
			// the least recently active.
			sensor.Packet(frame(LinkEthernet, c(1+uint32(i/50), tcpACK, "x")), CaptureInfo{Timestamp: epoch, LinkType: LinkEthernet})
		}
	}
	st := sensor.Stats()
	if st.ConnsActive > 100 || len(sensor.table.conns) > 100 {
		t.Errorf("%d connections tracked, limit 100", st.ConnsActive)
	}
	if st.Evicted < 9900 {
		t.Errorf("evicted %d", st.Evicted)
	}
	if toServer, _ := rs.streams(); toServer != strings.Repeat("x", 200) {
		t.Errorf("established stream %q", toServer)
	}
}

// TestIdleExpiry checks that connections idle past IdleTimeout go, and
// their buffered bytes are handed on first.
func TestIdleExpiry(t *testing.T) {
	sensor, rs, _ := newTestSensor(t, Config{IdleTimeout: time.Minute, HoleTimeout: time.Hour})
	at := func(p pkt, d time.Duration) {
		sensor.Packet(frame(LinkEthernet, p), CaptureInfo{Timestamp: epoch.Add(d), LinkType: LinkEthernet})
	}
	for _, p := range handshake {
		at(p, 0)
	}
	at(c(1, tcpACK, "ab"), time.Second)
	at(c(5, tcpACK, "ef"), time.Second)
	other := pkt{src: netip.MustParseAddrPort("10.0.0.3:40000"), dst: server, flags: tcpSYN}
	at(other, 2*time.Minute)
	if st := sensor.Stats(); st.Expired != 1 || st.ConnsActive != 1 {
		t.Errorf("expired %d, active %d", st.Expired, st.ConnsActive)
	}
	if toServer, _ := rs.streams(); toServer != "ab|GAP|ef" {
		t.Errorf("stream %q", toServer)
	}
}

// TestBufferTotal checks the bound on out-of-order bytes across
// connections.
func TestBufferTotal(t *testing.T) {
	sensor, _, _ := newTestSensor(t, Config{MaxBufferTotal: 1000, MaxBufferPerDir: 700})
	payload := string(make([]byte, 100))
	for i := range 50 {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), 40000)
		for j := range 5 {
			p := pkt{src: src, dst: server, seq: 1000 + uint32(j+1)*200, flags: tcpACK, payload: payload}
			sensor.Packet(frame(LinkEthernet, p), CaptureInfo{Timestamp: epoch, LinkType: LinkEthernet})
			if sensor.table.buffered > 1000 {
				t.Fatalf("buffered %d bytes, limit 1000", sensor.table.buffered)
			}
		}
	}
	if st := sensor.Stats(); st.Gaps == 0 {
		t.Errorf("no gaps: %+v", st)
	}
}

// TestSilentHole checks that a hole in a connection that went silent is
// given up on after HoleTimeout of capture time while others talk.
func TestSilentHole(t *testing.T) {
	sensor, rs, _ := newTestSensor(t, Config{HoleTimeout: 2 * time.Second})
	at := func(p pkt, d time.Duration) {
		sensor.Packet(frame(LinkEthernet, p), CaptureInfo{Timestamp: epoch.Add(d), LinkType: LinkEthernet})
	}
	at(c(1, tcpACK, "ab"), 0)
	at(c(5, tcpACK, "ef"), 0)
	other := netip.MustParseAddrPort("10.0.0.3:40000")
	for i := range 5 {
		at(pkt{src: other, dst: server, seq: uint32(100 + i), flags: tcpACK, payload: "o"}, time.Duration(i)*time.Second)
	}
	toServer, _ := rs.streams()
	if !strings.HasPrefix(toServer, "ab|GAP|ef") {
		t.Errorf("stream %q", toServer)
	}
	if len(sensor.table.holey) != 0 || sensor.table.buffered != 0 {
		t.Errorf("%d conns still listed with holes, %d bytes buffered", len(sensor.table.holey), sensor.table.buffered)
	}
}
