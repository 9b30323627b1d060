package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// LinkType is a capture's link-layer header type, as numbered in pcap and
// pcapng files (LINKTYPE_* values).
type LinkType uint16

// Link types the Sensor decodes. Frames of any other link type are counted
// as not IP and skipped.
const (
	LinkNull     LinkType = 0   // BSD loopback: 4-byte address family, host byte order
	LinkEthernet LinkType = 1   // Ethernet II, with 802.1Q / 802.1ad (QinQ) tags
	LinkRaw      LinkType = 101 // raw IPv4 or IPv6, told apart by the version nibble
	LinkLoop     LinkType = 108 // OpenBSD loopback: address family in network byte order
	LinkSLL      LinkType = 113 // Linux cooked capture v1 ("any" interface)
	LinkIPv4     LinkType = 228 // raw IPv4
	LinkIPv6     LinkType = 229 // raw IPv6
	LinkSLL2     LinkType = 276 // Linux cooked capture v2

	// Values some old writers put in files for raw IP (DLT_RAW on
	// OpenBSD and BSD/OS), before LINKTYPE_RAW was fixed at 101.
	linkRawBSD12 LinkType = 12
	linkRawBSD14 LinkType = 14
)

// CaptureInfo describes one frame read from a Source.
type CaptureInfo struct {
	// Timestamp is when the frame was captured.
	Timestamp time.Time
	// Length is the frame's length on the wire; the data may be shorter
	// when the capture truncated it (snap length).
	Length int
	// LinkType says how to decode the frame's first header.
	LinkType LinkType
}

// Source is a stream of captured frames: a file or a live interface.
type Source interface {
	// Next returns the next frame. The data is valid only until the next
	// call (sources reuse one buffer). At the end it returns io.EOF; a
	// live source returns an error once it is closed.
	Next() (data []byte, ci CaptureInfo, err error)
	// Close releases the source; a Next blocked on a live interface
	// returns.
	Close() error
}

// maxFrameLen bounds the buffer a file may make a reader allocate for one
// frame: the largest snap length tcpdump and Wireshark read (256 KiB).
const maxFrameLen = 262144

// Magic numbers that tell the file formats apart.
var (
	magicPcapLE     = []byte{0xd4, 0xc3, 0xb2, 0xa1}
	magicPcapBE     = []byte{0xa1, 0xb2, 0xc3, 0xd4}
	magicPcapNsecLE = []byte{0x4d, 0x3c, 0xb2, 0xa1}
	magicPcapNsecBE = []byte{0xa1, 0xb2, 0x3c, 0x4d}
	magicPcapNG     = []byte{0x0a, 0x0d, 0x0d, 0x0a}
	magicGzip       = []byte{0x1f, 0x8b}
)

// OpenFile opens a pcap or pcapng file (either may be gzip-compressed),
// telling the format by its magic number.
func OpenFile(path string) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	src, err := NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open capture %s: %w", path, err)
	}
	src.closer = f
	src.name = path
	return src, nil
}

// FileSource is a Source over a pcap or pcapng stream, made by OpenFile or
// NewReader.
type FileSource struct {
	name   string
	closer io.Closer
	pcap   *pcapgo.Reader
	ng     *pcapgo.NgReader
	// link is the link type of a classic pcap file; pcapng gives one per
	// interface, with each frame.
	link   LinkType
	frames int64
	err    error
}

// NewReader reads a pcap or pcapng stream, either possibly gzip-compressed,
// telling the format by its magic number. The caller closes r. Whatever the
// bytes, reading allocates at most a few hundred KiB per frame buffer and
// never panics.
func NewReader(r io.Reader) (*FileSource, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(4)
	if len(head) >= 2 && bytes.Equal(head[:2], magicGzip) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip header at offset 0: %w", err)
		}
		br = bufio.NewReaderSize(zr, 1<<16)
		head, err = br.Peek(4)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("not a capture file: shorter than 4 bytes")
		}
		return nil, fmt.Errorf("read magic number: %w", err)
	}
	src := &FileSource{name: "capture"}
	switch {
	case bytes.Equal(head, magicPcapNG):
		ng, err := pcapgo.NewNgReader(&ngGuard{r: br}, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
		if err != nil {
			return nil, fmt.Errorf("pcapng section header at offset 0: %w", err)
		}
		src.ng = ng
	case bytes.Equal(head, magicPcapLE), bytes.Equal(head, magicPcapBE),
		bytes.Equal(head, magicPcapNsecLE), bytes.Equal(head, magicPcapNsecBE):
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("pcap file header at offset 0: %w", err)
		}
		// A file's snap length is whatever its writer put there; reading
		// with a fixed one bounds the buffer a bad record length can ask
		// for, and accepts files whose writer ignored its own snap length.
		pr.SetSnaplen(maxFrameLen)
		src.pcap = pr
		src.link = LinkType(pr.LinkType())
	default:
		return nil, fmt.Errorf("not a pcap or pcapng file: magic number % x at offset 0", head)
	}
	return src, nil
}

// Next implements Source.
func (s *FileSource) Next() (data []byte, ci CaptureInfo, err error) {
	if s.err != nil {
		return nil, ci, s.err
	}
	defer func() {
		// gopacket's readers index into option values and divide by a
		// file's timestamp resolution without checking them; a file
		// crafted to trip them must end the read, not the process.
		if r := recover(); r != nil {
			data = nil
			err = fmt.Errorf("frame %d: malformed capture file (reader panicked: %v)", s.frames+1, r)
			s.err = err
		}
	}()
	if s.pcap != nil {
		d, gci, err := s.pcap.ZeroCopyReadPacketData()
		if err != nil {
			return nil, ci, s.fail(err)
		}
		s.frames++
		return d, CaptureInfo{Timestamp: gci.Timestamp, Length: gci.Length, LinkType: s.link}, nil
	}
	d, gci, err := s.ng.ZeroCopyReadPacketData()
	if err != nil {
		return nil, ci, s.fail(err)
	}
	s.frames++
	// With WantMixedLinkType the reader puts each frame's interface link
	// type here, so files mixing interfaces of different types read whole.
	link := LinkType(0xffff)
	if len(gci.AncillaryData) > 0 {
		if lt, ok := gci.AncillaryData[0].(layers.LinkType); ok {
			link = LinkType(lt)
		}
	}
	return d, CaptureInfo{Timestamp: gci.Timestamp, Length: gci.Length, LinkType: link}, nil
}

// fail records the error that ends the stream, naming the frame it broke
// in. A clean end of file stays io.EOF.
func (s *FileSource) fail(err error) error {
	if err == io.EOF {
		s.err = io.EOF
		return io.EOF
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("frame %d: file truncated: %w", s.frames+1, err)
	} else {
		err = fmt.Errorf("frame %d: %w", s.frames+1, err)
	}
	s.err = err
	return err
}

// Close implements Source.
func (s *FileSource) Close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// String names the source in errors and logs.
func (s *FileSource) String() string { return s.name }
