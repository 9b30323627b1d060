// Package modbus decodes Modbus/TCP (the MBAP header and the PDU of every
// public function code of the Modbus Application Protocol v1.1b3) from one
// direction of a TCP connection into ot.Messages.
//
// A Parser is an ot.StreamParser: reassembly feeds it a direction's bytes
// in order, in whatever chunks TCP delivered them. It buffers at most one
// ADU, decodes every whole ADU in place without allocating, checks each
// PDU against the specification (lengths, byte counts, quantity limits,
// coil values, sub-request layouts) and reports what is wrong in
// Message.Malformed while still emitting what it could read. An invalid
// MBAP header (protocol id not 0, length out of range) is a framing error
// (IsFramingError): the stream is out of sync, and the parser waits for
// the next Feed.
//
// FuncName, ExceptionName, DiagName, MEIName and DeviceObjectName name
// codes for people; IsRead and IsWrite classify function codes for
// detections; DecodeDeviceID reads the objects of a read device
// identification response from Parser.ADU.
package modbus

import (
	"fmt"
	"strings"

	"github.com/bulwarkhq/bulwark/ot"
)

// Sizes of the Modbus/TCP specification, and the parser's own bound.
const (
	// MBAPLen is the MBAP header: transaction id, protocol id, length and
	// unit id.
	MBAPLen = 7
	// MaxADULen is the largest ADU: the 7-byte MBAP header and a PDU of at
	// most 253 bytes.
	MaxADULen = 260
	// minLengthField and maxLengthField bound the MBAP length field, which
	// counts the unit id and the PDU.
	minLengthField = 2
	maxLengthField = MaxADULen - 6
	// MaxFramedADU is the largest ADU the parser still frames and decodes:
	// larger than the specification's 260 because real devices exceed it
	// (Schneider's UMAS on function 90 sends 261-byte ADUs, and tshark
	// shows them as Modbus). An ADU between 261 and MaxFramedADU bytes is
	// emitted with Malformed set; a longer one is a framing error. It is
	// also the most the parser buffers.
	MaxFramedADU         = 1030
	maxFramedLengthField = MaxFramedADU - 6
	// headerNeeded is how many bytes tell whether an MBAP header is valid:
	// everything up to and including the length field.
	headerNeeded = 6
)

// framingPrefix starts every Malformed reason that means the stream is out
// of sync (an invalid MBAP header) rather than a bad PDU: such a message
// carries no function code, and the parser dropped the bytes that followed
// it in the same Feed.
const framingPrefix = "MBAP "

// IsFramingError reports whether m is a Modbus message emitted for an
// invalid MBAP header (protocol id not 0, length out of range). Such a
// message is not a PDU: Func is 0 and it should not be counted as one
// (tshark does not show those bytes as Modbus either).
func IsFramingError(m *ot.Message) bool {
	return m.Proto == ot.ProtoModbus && strings.HasPrefix(m.Malformed, framingPrefix)
}

// Parser decodes one direction of a Modbus/TCP connection. It implements
// ot.StreamParser; the zero value is not ready, use NewParser.
type Parser struct {
	dir ot.Dir
	// buf holds the start of an ADU that a Feed did not complete; n bytes
	// of it are valid. It never holds more than one ADU.
	buf [MaxFramedADU]byte
	n   int
	// msg is reused for every message emitted; adu is the ADU it was
	// decoded from, valid during the emit callback only.
	msg ot.Message
	adu []byte
}

// NewParser returns the parser of one direction of a Modbus/TCP
// connection: toServer is true for the bytes sent to the server's port
// (502), whose messages are requests. It has the type ot.NewParser.
func NewParser(toServer bool) ot.StreamParser {
	return newParser(toServer)
}

var _ ot.NewParser = NewParser

func newParser(toServer bool) *Parser {
	p := &Parser{dir: ot.DirResponse}
	if toServer {
		p.dir = ot.DirRequest
	}
	return p
}

// ADU returns the bytes of the ADU (MBAP header and PDU) of the message
// being emitted. It is valid only during the emit callback, for callers
// that want more than ot.Message holds, e.g. DecodeDeviceID(ADU()[7:]).
// For a framing error it is the invalid header.
func (p *Parser) ADU() []byte { return p.adu }

// Buffered is how many bytes of an incomplete ADU the parser holds; never
// more than MaxFramedADU.
func (p *Parser) Buffered() int { return p.n }

// Gap drops the partial ADU: the bytes after a gap start a new one.
func (p *Parser) Gap() { p.n = 0 }

// Feed decodes the ADUs that data completes and calls emit for each. An
// invalid MBAP header means the stream is out of sync: Feed emits one
// framing-error message and discards the buffered bytes and the rest of
// data, so the next Feed starts a fresh ADU. Senders start a TCP segment
// at an ADU boundary nearly always, so the next segment is the most
// reliable place to resynchronise; scanning the rest of the segment for
// something that looks like a header would find false ones in register
// data, where zero protocol ids abound. tshark restarts at the next
// segment in the same way.
func (p *Parser) Feed(data []byte, meta ot.Meta, emit func(*ot.Message)) {
	for len(data) > 0 {
		if p.n > 0 {
			data = p.continueBuffered(data, meta, emit)
			continue
		}
		if len(data) < headerNeeded {
			p.n = copy(p.buf[:], data)
			return
		}
		total, ok := p.checkHeader(data, meta, emit)
		if !ok {
			return
		}
		if len(data) < total {
			p.n = copy(p.buf[:], data)
			return
		}
		p.emitADU(data[:total], meta, emit)
		data = data[total:]
	}
}

// continueBuffered adds data to the partial ADU in buf, emits it when it
// is whole, and returns what is left of data.
func (p *Parser) continueBuffered(data []byte, meta ot.Meta, emit func(*ot.Message)) []byte {
	if p.n < headerNeeded {
		c := copy(p.buf[p.n:headerNeeded], data)
		p.n += c
		data = data[c:]
		if p.n < headerNeeded {
			return data
		}
	}
	total, ok := p.checkHeader(p.buf[:p.n], meta, emit)
	if !ok {
		p.n = 0
		return nil
	}
	c := copy(p.buf[p.n:total], data)
	p.n += c
	data = data[c:]
	if p.n == total {
		p.n = 0
		p.emitADU(p.buf[:total], meta, emit)
	}
	return data
}

// checkHeader validates the MBAP header at the start of b (at least
// headerNeeded bytes) and returns the ADU's total length. When the header
// is invalid it emits the framing error and returns false.
func (p *Parser) checkHeader(b []byte, meta ot.Meta, emit func(*ot.Message)) (int, bool) {
	proto, length := be16(b, 2), be16(b, 4)
	var reason string
	switch {
	case proto != 0:
		reason = fmt.Sprintf(framingPrefix+"protocol id %d, want 0", proto)
	case length < minLengthField:
		reason = fmt.Sprintf(framingPrefix+"length %d too short, min %d", length, minLengthField)
	case length > maxFramedLengthField:
		reason = fmt.Sprintf(framingPrefix+"length %d too long, max %d", length, maxFramedLengthField)
	default:
		return 6 + int(length), true
	}
	p.n = 0
	m := p.start(meta)
	m.Seq = be16(b, 0)
	if len(b) > 6 {
		m.Unit = uint16(b[6])
	}
	m.Malformed = reason
	p.adu = b[:min(len(b), MBAPLen)]
	emit(m)
	p.adu = nil
	return 0, false
}

// start resets the reused message for a new ADU.
func (p *Parser) start(meta ot.Meta) *ot.Message {
	p.msg = ot.Message{Meta: meta, Proto: ot.ProtoModbus, Dir: p.dir}
	return &p.msg
}

// emitADU decodes one whole ADU (valid header, len(adu) = 6 + length)
// and emits it.
func (p *Parser) emitADU(adu []byte, meta ot.Meta, emit func(*ot.Message)) {
	m := p.start(meta)
	m.Seq = be16(adu, 0)
	m.Unit = uint16(adu[6])
	decodePDU(m, adu[MBAPLen:], p.dir == ot.DirRequest)
	if len(adu) > MaxADULen {
		// What is wrong with the PDU matters less than that the ADU is
		// beyond the specification, and would hide it.
		m.Malformed = fmt.Sprintf("length %d too long, max %d", len(adu)-6, maxLengthField)
	}
	p.adu = adu
	emit(m)
	p.adu = nil
}

// be16 reads the big-endian uint16 at b[i:], 0 when b is too short.
func be16(b []byte, i int) uint16 {
	if i < 0 || i+2 > len(b) {
		return 0
	}
	return uint16(b[i])<<8 | uint16(b[i+1])
}
