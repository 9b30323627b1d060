package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// pcapng block types the guard looks into.
const (
	ngSectionHeader = 0x0a0d0d0a
	ngInterface     = 0x00000001
	ngPacketOld     = 0x00000002
	ngSimplePacket  = 0x00000003
	ngEnhanced      = 0x00000006
	ngByteOrder     = 0x1a2b3c4d
	// maxBlockLen bounds one pcapng block. Packet blocks are bounded
	// tighter, by maxFrameLen.
	maxBlockLen = 16 << 20
)

// ngGuard sits between a pcapng file and gopacket's reader, which sizes
// its packet buffer by lengths it does not check: a record claiming 4 GiB
// would make it allocate 4 GiB. The guard walks the block structure as the
// bytes pass and fails the read, naming the offset, at a block whose
// length, capture length or snap length is out of bounds, so the reader
// only ever sees blocks it can read in bounded memory. It forwards bytes
// unchanged except for an interface's snap length, which it caps.
type ngGuard struct {
	r      *bufio.Reader
	off    int64  // bytes passed on
	remain int64  // bytes of the current block still to pass on
	head   []byte // checked block header not yet passed on
	buf    [24]byte
	big    bool   // the section is big-endian
	snap   uint32 // snap length of the section's first interface
	err    error
}

func (g *ngGuard) u32(b []byte) uint32 {
	if g.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (g *ngGuard) put32(b []byte, v uint32) {
	if g.big {
		binary.BigEndian.PutUint32(b, v)
	} else {
		binary.LittleEndian.PutUint32(b, v)
	}
}

// Read implements io.Reader.
func (g *ngGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if len(g.head) == 0 && g.remain == 0 {
		if err := g.nextHeader(); err != nil {
			g.err = err
			return 0, err
		}
	}
	if len(g.head) > 0 {
		n := copy(p, g.head)
		g.head = g.head[n:]
		g.off += int64(n)
		return n, nil
	}
	n := int(min(int64(len(p)), g.remain))
	n, err := g.r.Read(p[:n])
	g.remain -= int64(n)
	g.off += int64(n)
	if errors.Is(err, io.EOF) && g.remain > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// nextHeader reads and checks the fixed fields of the next block.
func (g *ngGuard) nextHeader() error {
	b, err := g.r.Peek(8)
	if len(b) == 0 && errors.Is(err, io.EOF) {
		return io.EOF
	}
	if err != nil {
		return fmt.Errorf("pcapng block at offset %d: %w", g.off, io.ErrUnexpectedEOF)
	}
	typ := binary.LittleEndian.Uint32(b) // the section header's type reads the same both ways
	need := 8
	switch typ {
	case ngSectionHeader, ngSimplePacket:
		need = 12
	case ngInterface:
		need = 16
	case ngEnhanced, ngPacketOld:
		need = 24
	}
	if typ == ngSectionHeader {
		if b, err = g.r.Peek(12); err != nil {
			return fmt.Errorf("pcapng section header at offset %d: %w", g.off, io.ErrUnexpectedEOF)
		}
		switch {
		case binary.BigEndian.Uint32(b[8:]) == ngByteOrder:
			g.big = true
		case binary.LittleEndian.Uint32(b[8:]) == ngByteOrder:
			g.big = false
		default:
			return fmt.Errorf("pcapng section header at offset %d: byte-order magic % x", g.off, b[8:12])
		}
		g.snap = 0
	}
	length := g.u32(b[4:])
	if length < 12 || length%4 != 0 || length > maxBlockLen || int(length) < need {
		return fmt.Errorf("pcapng block type %#x at offset %d: length %d", g.u32(b), g.off, length)
	}
	if b, err = g.r.Peek(need); err != nil {
		return fmt.Errorf("pcapng block at offset %d: %w", g.off, io.ErrUnexpectedEOF)
	}
	h := g.buf[:need]
	copy(h, b)
	switch typ {
	case ngInterface:
		// The reader sizes its buffer by the snap length, and trusts
		// it to bound simple packet blocks.
		snap := g.u32(h[12:])
		if snap == 0 || snap > maxFrameLen {
			snap = maxFrameLen
			g.put32(h[12:], snap)
		}
		if g.snap == 0 {
			g.snap = snap
		}
	case ngEnhanced, ngPacketOld:
		if capLen := g.u32(h[20:]); capLen > maxFrameLen || capLen > length-32 {
			return fmt.Errorf("pcapng packet block at offset %d: capture length %d in a block of %d bytes", g.off, capLen, length)
		}
	case ngSimplePacket:
		capLen := g.u32(h[8:])
		if g.snap != 0 {
			capLen = min(capLen, g.snap)
		}
		if capLen > maxFrameLen || capLen > length-16 {
			return fmt.Errorf("pcapng simple packet block at offset %d: packet length %d in a block of %d bytes", g.off, capLen, length)
		}
	}
	if _, err := g.r.Discard(need); err != nil {
		return err
	}
	g.head = h
	g.remain = int64(length) - int64(need)
	return nil
}
