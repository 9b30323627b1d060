package syslog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Framing errors, wrapped in a *FrameError that gives the stream offset.
var (
	// ErrFrameTooLarge: an octet-counted frame declares more bytes than the
	// limit. The Framer cannot skip it safely (the count itself may be
	// garbage), so the stream is lost: every later Next returns the error.
	ErrFrameTooLarge = errors.New("octet-counted frame larger than the limit")
	// ErrTruncated: the stream ended inside an octet-counted frame.
	ErrTruncated = errors.New("stream ended inside an octet-counted frame")
	// ErrLineTooLong: a newline-framed message ran past the limit. It was
	// discarded up to its trailer and reading can go on.
	ErrLineTooLong = errors.New("newline-framed message longer than the limit")
)

var errBufferFull = errors.New("syslog framer: buffer full")

// FrameError is a frame the Framer could not deliver.
type FrameError struct {
	Offset int64 // stream offset of the frame's first byte
	Len    int64 // bytes declared (octet counting) or seen (newline framing)
	Err    error // one of the Err* sentinels, or the reader's error
}

func (e *FrameError) Error() string {
	switch e.Err {
	case ErrFrameTooLarge, ErrTruncated:
		return fmt.Sprintf("offset %d: %v (%d bytes declared)", e.Offset, e.Err, e.Len)
	case ErrLineTooLong:
		return fmt.Sprintf("offset %d: %v (%d bytes skipped)", e.Offset, e.Err, e.Len)
	}
	return fmt.Sprintf("offset %d: %v", e.Offset, e.Err)
}

func (e *FrameError) Unwrap() error { return e.Err }

// maxLenDigits bounds the digits of an octet count: ten digits hold any
// count up to 9,999,999,999, far past any sane limit, and looking no
// further keeps detection cheap on a stream of digits.
const maxLenDigits = 10

// minBuf is the Framer's first buffer size; it grows to the limit only for
// connections that send large messages.
const minBuf = 4 << 10

// Framer splits a syslog byte stream into messages. Each frame is either
// octet-counted (RFC 6587 section 3.4.1, RFC 5425 section 4.3:
// MSG-LEN SP SYSLOG-MSG, MSG-LEN a decimal without leading zero) or
// newline-framed (RFC 6587 section 3.4.2: the message then a trailer).
// RFC 6587 lets a receiver assume octet counting when a frame starts with a
// digit; the Framer also requires the SP after at most ten digits, so that
// a newline-framed message that happens to start with a digit is not taken
// for a count. The choice is made for every frame, because some senders
// switch framing on one connection (and a stray trailer after a counted
// frame is simply an empty newline frame).
//
// Newline frames end at LF or NUL (both are used as trailers); a CR before
// the LF is dropped. Trailing LF, CR and NUL are also trimmed from
// octet-counted messages, which some senders count in. Empty messages are
// skipped. Memory is bounded by the limit: a longer newline frame is
// discarded and reported, a longer octet count is fatal.
type Framer struct {
	r        io.Reader
	max      int
	buf      []byte
	pos, end int   // buf[pos:end] is read but not consumed
	base     int64 // stream offset of buf[0]
	err      error // sticky read error (io.EOF at the end)
	fatal    error // sticky framing error
}

// NewFramer returns a Framer over r delivering messages of at most max
// bytes (at least 1).
func NewFramer(r io.Reader, max int) *Framer {
	if max < 1 {
		max = 1
	}
	return &Framer{r: r, max: max}
}

// Offset returns the stream offset of the next unconsumed byte.
func (f *Framer) Offset() int64 { return f.base + int64(f.pos) }

// Next returns the next message without its framing, and the stream offset
// where its frame starts. The message aliases the Framer's buffer and is
// valid until the next call. At the end of the stream Next returns io.EOF;
// a message cut short by the end of a newline-framed stream is still
// returned. Framing problems come as a *FrameError; after one wrapping
// ErrFrameTooLarge or ErrTruncated, or a read error, every call returns it
// again. After ErrLineTooLong reading may go on.
func (f *Framer) Next() (msg []byte, off int64, err error) {
	if f.fatal != nil {
		return nil, f.Offset(), f.fatal
	}
	for {
		if f.pos == f.end && !f.fill() {
			return nil, f.Offset(), f.readErr()
		}
		off = f.Offset()
		c := f.buf[f.pos]
		if c >= '1' && c <= '9' {
			n, hdr, ok := f.octetCount()
			if ok {
				msg, err = f.counted(off, n, hdr)
				if err != nil {
					return nil, off, err
				}
				if msg = trimTrailer(msg); len(msg) == 0 {
					continue
				}
				return msg, off, nil
			}
		}
		msg, err = f.line(off)
		if err != nil {
			return nil, off, err
		}
		if len(msg) == 0 {
			continue
		}
		return msg, off, nil
	}
}

// octetCount looks for MSG-LEN SP at the frame start and returns the count
// and the header length. It reads more only as far as needed to decide.
func (f *Framer) octetCount() (n int64, hdr int, ok bool) {
	for i := 0; ; i++ {
		for f.pos+i >= f.end {
			if !f.fill() {
				return 0, 0, false // the stream ends in the digits: a newline frame
			}
		}
		c := f.buf[f.pos+i]
		switch {
		case c == ' ' && i > 0:
			return n, i + 1, true
		case c >= '0' && c <= '9' && i < maxLenDigits:
			n = n*10 + int64(c-'0')
		default:
			return 0, 0, false
		}
	}
}

// counted delivers an octet-counted frame whose header is hdr bytes long.
func (f *Framer) counted(off, n int64, hdr int) ([]byte, error) {
	if n > int64(f.max) {
		f.fatal = &FrameError{Offset: off, Len: n, Err: ErrFrameTooLarge}
		return nil, f.fatal
	}
	f.pos += hdr
	need := int(n)
	for f.end-f.pos < need {
		if !f.fill() {
			if f.err == io.EOF {
				f.fatal = &FrameError{Offset: off, Len: n, Err: ErrTruncated}
			} else {
				f.fatal = &FrameError{Offset: off, Len: n, Err: f.err}
			}
			return nil, f.fatal
		}
	}
	msg := f.buf[f.pos : f.pos+need]
	f.pos += need
	return msg, nil
}

// line delivers a newline-framed message.
func (f *Framer) line(off int64) ([]byte, error) {
	scanned := 0
	for {
		if i := indexTrailer(f.buf[f.pos+scanned : f.end]); i >= 0 {
			n := scanned + i
			msg := f.buf[f.pos : f.pos+n]
			f.pos += n + 1
			if len(msg) > f.max {
				// The limit fell between two reads: the buffer held it all,
				// but the message is still too long.
				return nil, &FrameError{Offset: off, Len: int64(len(msg)), Err: ErrLineTooLong}
			}
			return bytes.TrimSuffix(msg, []byte{'\r'}), nil
		}
		scanned = f.end - f.pos
		if scanned > f.max {
			return nil, f.discard(off)
		}
		if !f.fill() {
			if f.err != io.EOF {
				f.fatal = &FrameError{Offset: off, Err: f.err}
				return nil, f.fatal
			}
			// The last message of a stream may lack its trailer.
			msg := f.buf[f.pos:f.end]
			f.pos = f.end
			return bytes.TrimSuffix(msg, []byte{'\r'}), nil
		}
	}
}

// discard drops an over-long newline frame up to and including its trailer.
func (f *Framer) discard(off int64) error {
	var n int64
	for {
		if i := indexTrailer(f.buf[f.pos:f.end]); i >= 0 {
			n += int64(i)
			f.pos += i + 1
			return &FrameError{Offset: off, Len: n, Err: ErrLineTooLong}
		}
		n += int64(f.end - f.pos)
		f.pos = f.end
		if !f.fill() {
			if f.err != io.EOF {
				f.fatal = &FrameError{Offset: off, Err: f.err}
				return f.fatal
			}
			return &FrameError{Offset: off, Len: n, Err: ErrLineTooLong}
		}
	}
}

// fill reads more bytes, first moving the unconsumed ones to the front and
// growing the buffer up to the limit plus room for a frame header and
// trailer. It reports whether any byte was added.
func (f *Framer) fill() bool {
	if f.err != nil {
		return false
	}
	if f.pos > 0 {
		n := copy(f.buf, f.buf[f.pos:f.end])
		f.base += int64(f.pos)
		f.pos, f.end = 0, n
	}
	if f.end == len(f.buf) {
		limit := f.max + maxLenDigits + 2
		size := max(2*len(f.buf), minBuf)
		size = min(size, limit)
		if size <= len(f.buf) {
			// Unreachable: callers consume or discard a full buffer
			// before asking for more. Stop rather than grow past the
			// limit.
			f.err = errBufferFull
			return false
		}
		nb := make([]byte, size)
		copy(nb, f.buf[:f.end])
		f.buf = nb
	}
	for range 100 {
		n, err := f.r.Read(f.buf[f.end:])
		f.end += n
		if err != nil {
			f.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	f.err = io.ErrNoProgress
	return false
}

func (f *Framer) readErr() error {
	if f.err == nil || f.err == io.EOF {
		return io.EOF
	}
	return f.err
}

// indexTrailer returns the index of the first LF or NUL in b, or -1.
func indexTrailer(b []byte) int {
	for i, c := range b {
		if c == '\n' || c == 0 {
			return i
		}
	}
	return -1
}

// trimTrailer removes trailing LF, CR and NUL: the trailer of a message that
// arrived in a datagram or inside an octet count.
func trimTrailer(b []byte) []byte {
	for len(b) > 0 {
		switch b[len(b)-1] {
		case '\n', '\r', 0:
			b = b[:len(b)-1]
			continue
		}
		break
	}
	return b
}
