// Package dnp3 decodes DNP3 (IEEE 1815) carried over TCP: the link layer
// (0x05 0x64 frames with CRC-checked header and user data blocks), the
// transport layer (reassembly of application fragments from segments) and
// the application layer (function code, internal indications and object
// headers). A Parser turns one direction of a TCP stream into one
// ot.Message per link frame; the frame that completes an application
// fragment carries the fragment's function, IIN and objects.
//
// What the parser does with bad input:
//   - a link header with a bad CRC or a length below 5 is reported
//     (Malformed, HeaderValid false) and the stream resynchronises on the
//     next 0x05 0x64; bytes before a start sequence are skipped, and while
//     out of step further false starts are not reported;
//   - a bad user data block CRC is reported and the frame's segment
//     dropped, as a device drops it;
//   - transport segments out of sequence, or without a FIR to continue,
//     are discarded; a fragment longer than MaxFragment is dropped and
//     reported;
//   - truncated or invalid object headers are reported. An object whose
//     size the decoder does not know ends the walk of that fragment
//     quietly: the headers before it are kept.
//
// Memory is bounded per parser: one partial link frame (292 bytes) and at
// most four fragments being reassembled (MaxFragment each).
package dnp3

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/bulwarkhq/bulwark/ot"
)

// Link frame geometry. The length byte counts control, destination,
// source and user data (5..255), not the CRCs; user data travels in blocks
// of up to 16 bytes, each followed by its CRC.
const (
	headerLen    = 10 // start(2) length control dest(2) src(2) CRC(2)
	minLength    = 5
	maxUserData  = 255 - minLength
	blockLen     = 16
	maxFrameLen  = headerLen + maxUserData + 2*((maxUserData+blockLen-1)/blockLen)
	startByte0   = 0x05
	startByte1   = 0x64
	ctlDIR       = 0x80
	ctlPRM       = 0x40
	ctlFunc      = 0x0F
	maxStashed   = maxFrameLen // a partial frame always fits
	transportFIN = 0x80
	transportFIR = 0x40
)

// Parser decodes one direction of a DNP3 TCP stream. It implements
// ot.StreamParser; the zero value is not ready, use NewParser.
type Parser struct {
	// stash holds the start of a link frame split across Feeds.
	stash  [maxStashed]byte
	nstash int

	// user is the current frame's user data with the block CRCs removed.
	user [maxUserData]byte

	reasm reassembler
	msg   ot.Message
	// lost says the stream is out of step (after a gap, garbage or a
	// bad header) until a header passes its CRC.
	lost bool
	// partial says the last fragment's object headers were not all
	// read: an object of unknown size (or too many headers) stopped the
	// walk. Tests use it to measure the object table's coverage.
	partial bool
}

// NewParser returns the parser of one direction of a DNP3 connection. It
// matches ot.NewParser. toServer is not needed: DNP3 says its direction
// in every link header (DIR, set on frames from the master).
func NewParser(toServer bool) ot.StreamParser {
	_ = toServer
	return newParser()
}

func newParser() *Parser {
	p := &Parser{}
	p.msg.Objects = make([]ot.Object, 0, 16)
	return p
}

var _ ot.NewParser = NewParser

// Gap drops the partial link frame: its bytes are lost. Partial
// application fragments are kept; the transport sequence numbers tell
// whether the next segment still continues them.
func (p *Parser) Gap() {
	p.nstash = 0
	p.lost = true
}

// Feed decodes data and emits one message per link frame it completes.
func (p *Parser) Feed(data []byte, meta ot.Meta, emit func(*ot.Message)) {
	for len(data) > 0 {
		if p.nstash == 0 {
			// Decode straight from data, without copying, while it
			// holds whole frames; stash the tail.
			for len(data) > 0 {
				n := p.step(data, &meta, emit)
				if n == 0 {
					break
				}
				data = data[n:]
			}
			// step consumes something from any maxFrameLen bytes, so
			// the tail fits the stash.
			p.nstash = copy(p.stash[:], data)
			return
		}
		k := copy(p.stash[p.nstash:], data)
		if k == 0 {
			// Cannot happen (step consumes from a full stash); if it
			// did, dropping the stash keeps Feed from spinning.
			p.nstash = 0
			continue
		}
		p.nstash += k
		data = data[k:]
		for p.nstash > 0 {
			n := p.step(p.stash[:p.nstash], &meta, emit)
			if n == 0 {
				break
			}
			p.nstash = copy(p.stash[:], p.stash[n:p.nstash])
		}
	}
}

// step decodes what starts b: garbage before a start sequence, a bad
// header, or a whole frame. It returns how many bytes it consumed, 0 when
// b holds only the beginning of a frame.
func (p *Parser) step(b []byte, meta *ot.Meta, emit func(*ot.Message)) int {
	if b[0] != startByte0 || (len(b) > 1 && b[1] != startByte1) {
		// Resynchronise: skip to the next 0x05 0x64, keeping a
		// trailing 0x05 that may begin one.
		p.lost = true
		for i := 1; i < len(b); i++ {
			if b[i] == startByte0 && (i+1 == len(b) || b[i+1] == startByte1) {
				return i
			}
		}
		return len(b)
	}
	if len(b) < headerLen {
		return 0
	}
	m := p.resetMsg(meta)
	m.Dir = ot.DirResponse
	if b[3]&ctlDIR != 0 {
		m.Dir = ot.DirRequest
	}
	m.LinkPrimary = b[3]&ctlPRM != 0
	m.LinkFunc = b[3] & ctlFunc
	m.Unit = binary.LittleEndian.Uint16(b[4:])
	m.Source = binary.LittleEndian.Uint16(b[6:])
	if got, want := binary.LittleEndian.Uint16(b[8:]), CRC(b[:8]); got != want {
		// The length cannot be trusted: look for the next start
		// sequence after this one. Report the first bad header only:
		// while resynchronising, after a gap or garbage, a 0x05 0x64
		// inside other bytes is no frame.
		if p.lost {
			return 2
		}
		p.lost = true
		m.Malformed = fmt.Sprintf(headerProblem+"header CRC 0x%04X, want 0x%04X", got, want)
		emit(m)
		return 2
	}
	p.lost = false
	length := int(b[2])
	if length < minLength {
		m.Malformed = fmt.Sprintf(headerProblem+"length %d, minimum 5", length)
		emit(m)
		return headerLen
	}
	userLen := length - minLength
	total := headerLen + userLen + 2*((userLen+blockLen-1)/blockLen)
	if len(b) < total {
		return 0
	}
	// Check every block and gather the user data.
	pos, n := headerLen, 0
	for block := 1; n < userLen; block++ {
		size := min(blockLen, userLen-n)
		chunk := b[pos : pos+size]
		if got, want := binary.LittleEndian.Uint16(b[pos+size:]), CRC(chunk); got != want {
			m.Malformed = fmt.Sprintf("block %d CRC 0x%04X, want 0x%04X (offset %d)", block, got, want, pos+size)
			emit(m)
			return total
		}
		n += copy(p.user[n:], chunk)
		pos += size + 2
	}
	// Only primary user data frames (confirmed 3, unconfirmed 4) carry
	// transport segments; a device ignores user data on other functions.
	if userLen > 0 && m.LinkPrimary && (m.LinkFunc == LinkConfirmedData || m.LinkFunc == LinkUnconfirmedData) {
		p.transport(m, p.user[:userLen])
	}
	emit(m)
	return total
}

// headerProblem begins the Malformed reason of a frame whose link header
// failed its checks; HeaderValid tells such frames apart.
const headerProblem = "link "

// HeaderValid says whether m's link header passed its CRC and length
// checks. When it did not, m's other fields are unverified bytes and the
// frame is not DNP3 to a dissector such as Wireshark's (which does not
// count it); it is still reported, as malformed, for detection.
func HeaderValid(m *ot.Message) bool {
	return !strings.HasPrefix(m.Malformed, headerProblem)
}

func (p *Parser) resetMsg(meta *ot.Meta) *ot.Message {
	objs := p.msg.Objects[:0]
	p.msg = ot.Message{Meta: *meta, Proto: ot.ProtoDNP3, Objects: objs}
	return &p.msg
}
