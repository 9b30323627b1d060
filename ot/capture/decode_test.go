package capture

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// exchange is a short conversation used to check each link type end to
// end: the request split across two segments, a retransmission, the
// response.
func exchange(cl, sv pkt) []pkt {
	at := func(p pkt, seq uint32, flags uint8, payload string) pkt {
		p.seq, p.flags, p.payload = seq, flags, payload
		return p
	}
	return []pkt{
		at(cl, 100, tcpSYN, ""),
		at(sv, 900, tcpSYN|tcpACK, ""),
		at(cl, 101, tcpACK, "requ"),
		at(cl, 105, tcpACK, "est"),
		at(cl, 105, tcpACK, "est"),
		at(sv, 901, tcpACK, "response"),
	}
}

func TestLinkTypes(t *testing.T) {
	v4 := exchange(pkt{src: client, dst: server}, pkt{src: server, dst: client})
	v6 := exchange(pkt{src: client6, dst: server6}, pkt{src: server6, dst: client6})
	vlan := func(n int, ps []pkt) []pkt {
		out := make([]pkt, len(ps))
		for i, p := range ps {
			p.vlans = n
			out[i] = p
		}
		return out
	}
	tests := []struct {
		name   string
		link   LinkType
		pkts   []pkt
		pcapng bool
	}{
		{"ethernet", LinkEthernet, v4, false},
		{"ethernet IPv6", LinkEthernet, v6, false},
		{"802.1Q", LinkEthernet, vlan(1, v4), false},
		{"QinQ", LinkEthernet, vlan(2, v6), false},
		{"SLL", LinkSLL, v4, false},
		{"SLL2", LinkSLL2, v6, false},
		{"raw", LinkRaw, v4, false},
		{"raw IPv6", LinkRaw, v6, false},
		{"IPv4", LinkIPv4, v4, false},
		{"IPv6", LinkIPv6, v6, false},
		{"null", LinkNull, v4, false},
		{"null IPv6", LinkNull, v6, false},
		{"loop", LinkLoop, v6, false},
		{"pcapng ethernet", LinkEthernet, v4, true},
		{"pcapng SLL2", LinkSLL2, v6, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var frames [][]byte
			for _, p := range tc.pkts {
				f := frame(tc.link, p)
				frames = append(frames, f)
			}
			var file []byte
			if tc.pcapng {
				file = writePcapNG(t, tc.link, frames)
			} else {
				file = writePcap(t, tc.link, frames, nil)
			}
			sensor, rs, _ := newTestSensor(t, Config{})
			runBytes(t, sensor, file)
			toServer, toClient := rs.streams()
			if toServer != "request" || toClient != "response" {
				t.Errorf("streams %q, %q", toServer, toClient)
			}
			st := sensor.Stats()
			if st.Frames != 6 || st.TCPFrames != 6 || st.Retransmissions != 1 || st.Malformed != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestSkippedFrames checks the frames that carry no TCP: counted, not fed.
func TestSkippedFrames(t *testing.T) {
	udp := pkt{src: client, dst: server, payload: "dns?", ipProto: 17}
	frag := pkt{src: client, dst: server, payload: "more", fragOffset: 185}
	good := pkt{src: client, dst: server, seq: 1, flags: tcpACK, payload: "ok"}
	arp := append(make([]byte, 12), 0x08, 0x06, 0, 1, 8, 0, 6, 4)
	truncated := frame(LinkEthernet, good)[:30]
	badTCP := frame(LinkEthernet, good)
	badTCP[14+20+12] = 0x10 // TCP data offset 4 words: less than its header
	padded := append(frame(LinkEthernet, pkt{src: client, dst: server, seq: 3, flags: tcpACK, payload: "!"}), 0, 0, 0, 0)
	frames := [][]byte{frame(LinkEthernet, udp), frame(LinkEthernet, frag), arp, truncated, badTCP, frame(LinkEthernet, good), padded, {}}
	sensor, rs, _ := newTestSensor(t, Config{})
	runBytes(t, sensor, writePcap(t, LinkEthernet, frames, nil))
	st := sensor.Stats()
	want := Stats{Frames: 8, TCPFrames: 2, OtherFrames: 2, Fragments: 1, Malformed: 3}
	if st.Frames != want.Frames || st.TCPFrames != want.TCPFrames || st.OtherFrames != want.OtherFrames ||
		st.Fragments != want.Fragments || st.Malformed != want.Malformed {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	if toServer, _ := rs.streams(); toServer != "ok!" {
		t.Errorf("stream %q (Ethernet padding must not reach the parser)", toServer)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "", "shorter than 4 bytes"},
		{"text", "hello world", "magic number 68 65 6c 6c at offset 0"},
		{"pcap header cut", "\xd4\xc3\xb2\xa1\x02\x00", "pcap file header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	if _, err := OpenFile("/nonexistent/x.pcap"); err == nil {
		t.Error("no error for a missing file")
	}
}

// TestTruncatedFile checks a file cut in its last record: the frames before
// it are read, and the error names the frame.
func TestTruncatedFile(t *testing.T) {
	var frames [][]byte
	for _, p := range exchange(pkt{src: client, dst: server}, pkt{src: server, dst: client}) {
		frames = append(frames, frame(LinkEthernet, p))
	}
	file := writePcap(t, LinkEthernet, frames, nil)
	src, err := NewReader(bytes.NewReader(file[:len(file)-5]))
	if err != nil {
		t.Fatal(err)
	}
	sensor, _, _ := newTestSensor(t, Config{})
	err = sensor.Run(t.Context(), src)
	if err == nil || !strings.Contains(err.Error(), "frame 6: file truncated") || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error %v", err)
	}
	if st := sensor.Stats(); st.Frames != 5 {
		t.Errorf("%d frames read before the cut", st.Frames)
	}
}

// ngBlock builds a little-endian pcapng block.
func ngBlock(typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b := binary.LittleEndian.AppendUint32(nil, typ)
	b = binary.LittleEndian.AppendUint32(b, n)
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, n)
}

// TestPcapngHostile checks files that would make gopacket's pcapng reader
// panic or allocate without bound: each fails with an error instead.
func TestPcapngHostile(t *testing.T) {
	shb := ngBlock(ngSectionHeader, []byte{0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	idb := func(opts ...byte) []byte {
		return ngBlock(ngInterface, append([]byte{1, 0, 0, 0, 0xff, 0xff, 0, 0}, opts...))
	}
	epb := func(capLen uint32, data []byte) []byte {
		body := make([]byte, 20)
		binary.LittleEndian.PutUint32(body[12:], capLen)
		binary.LittleEndian.PutUint32(body[16:], capLen)
		return ngBlock(ngEnhanced, append(body, data...))
	}
	pkt := frame(LinkEthernet, pkt{src: client, dst: server, payload: "x"})
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"valid", join(shb, idb(0, 0, 0, 0), epb(uint32(len(pkt)), pkt)), "EOF"},
		{"timestamp resolution 10^-127", join(shb, idb(9, 0, 1, 0, 127, 0, 0, 0, 0, 0, 0, 0), epb(uint32(len(pkt)), pkt)), "malformed capture file"},
		{"capture length 4 GiB", join(shb, idb(), epb(0xfffffff0, pkt)), "capture length 4294967280"},
		{"block length 2 GiB", join(shb, idb(), []byte{6, 0, 0, 0, 0, 0, 0, 0x80}), "length 2147483648"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := NewReader(bytes.NewReader(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			for range 10 {
				if _, _, err = src.Next(); err != nil {
					break
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestRunCancelled checks Run stops on a cancelled context even over a
// source with nothing to close.
func TestRunCancelled(t *testing.T) {
	var frames [][]byte
	for range 10000 {
		frames = append(frames, frame(LinkEthernet, pkt{src: client, dst: server, flags: tcpACK}))
	}
	src, err := NewReader(bytes.NewReader(writePcap(t, LinkEthernet, frames, nil)))
	if err != nil {
		t.Fatal(err)
	}
	sensor, _, _ := newTestSensor(t, Config{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := sensor.Run(ctx, src); !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	if st := sensor.Stats(); st.Frames == 10000 {
		t.Error("read the whole source after cancellation")
	}
}

// TestPcapngMixedLinkTypes reads a pcapng file whose two interfaces have
// different link types, as captures on Linux's "any" plus a raw tunnel do.
func TestPcapngMixedLinkTypes(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkType(LinkRaw), SnapLength: 65535})
	if err != nil {
		t.Fatal(err)
	}
	ps := exchange(pkt{src: client, dst: server}, pkt{src: server, dst: client})
	for i, p := range ps {
		link, iface := LinkEthernet, 0
		if i%2 == 1 {
			link, iface = LinkRaw, raw
		}
		f := frame(link, p)
		ci := gopacket.CaptureInfo{Timestamp: epoch.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(f), Length: len(f), InterfaceIndex: iface}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	sensor, rs, _ := newTestSensor(t, Config{})
	runBytes(t, sensor, buf.Bytes())
	toServer, toClient := rs.streams()
	if toServer != "request" || toClient != "response" || sensor.Stats().Malformed != 0 {
		t.Errorf("streams %q, %q; stats %+v", toServer, toClient, sensor.Stats())
	}
}

// TestGzip reads a gzip-compressed pcap and pcapng.
func TestGzip(t *testing.T) {
	var frames [][]byte
	for _, p := range exchange(pkt{src: client, dst: server}, pkt{src: server, dst: client}) {
		frames = append(frames, frame(LinkEthernet, p))
	}
	for name, file := range map[string][]byte{"pcap": writePcap(t, LinkEthernet, frames, nil), "pcapng": writePcapNG(t, LinkEthernet, frames)} {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(file)
		zw.Close()
		sensor, rs, _ := newTestSensor(t, Config{})
		runBytes(t, sensor, buf.Bytes())
		if toServer, _ := rs.streams(); toServer != "request" {
			t.Errorf("%s: stream %q", name, toServer)
		}
	}
}
