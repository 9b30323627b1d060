// Package ot is Bulwark's monitor of industrial control protocols:
// Modbus/TCP and DNP3 decoded from packet captures or a live interface,
// a learned baseline of who talks to whom with which operations, and
// alerts on the operations that change a plant's state.
//
// The parts, each its own package:
//
//	ot/capture   pcap and pcapng files and live AF_PACKET capture, frames
//	             to TCP segments, and TCP reassembly into byte streams
//	ot/modbus    Modbus/TCP decoding of a byte stream into Messages
//	ot/dnp3      DNP3 (link, transport, application) decoding into Messages
//	ot/detect    the baseline and the detections over Messages
//
// This file holds what they share: the decoded Message, and the
// StreamParser interface through which reassembly hands bytes to a
// protocol decoder.
package ot

import (
	"net/netip"
	"time"
)

// Proto is an industrial protocol.
type Proto uint8

// Protocols decoded.
const (
	ProtoModbus Proto = iota + 1
	ProtoDNP3
)

func (p Proto) String() string {
	switch p {
	case ProtoModbus:
		return "modbus"
	case ProtoDNP3:
		return "dnp3"
	}
	return "unknown"
}

// Dir says which way a message went.
type Dir uint8

// Directions. For Modbus a request is what goes to the server's port
// (502); for DNP3 it is what the master sends (the link header's DIR
// bit), whatever the ports.
const (
	DirRequest Dir = iota + 1
	DirResponse
)

func (d Dir) String() string {
	switch d {
	case DirRequest:
		return "request"
	case DirResponse:
		return "response"
	}
	return "unknown"
}

// Meta says where bytes fed to a StreamParser came from.
type Meta struct {
	Time time.Time
	// Frame is the 1-based number of the capture frame that carried the
	// bytes, as Wireshark counts; labelled data sets name frames so.
	Frame    int64
	Src, Dst netip.AddrPort
}

// Message is one decoded protocol data unit: a Modbus ADU, or a DNP3 link
// frame (with its application fragment when the frame completed one).
// Fields a protocol does not have stay zero.
type Message struct {
	Meta // of the frame that completed the message
	Proto
	Dir Dir

	// Func is the function code: Modbus's with the exception bit (0x80)
	// stripped; DNP3's application function code (valid when HasApp).
	Func uint8
	// Exception is the Modbus exception code of an exception response,
	// zero otherwise.
	Exception uint8
	// Sub is the Modbus diagnostics (08) sub-function, or the MEI type of
	// function 43 (0x2B; 14 is read device identification).
	Sub uint16
	// Unit is the Modbus unit identifier, or the DNP3 link destination
	// address; Source is the DNP3 link source address.
	Unit, Source uint16
	// Seq is the Modbus transaction identifier, or the DNP3 application
	// sequence number.
	Seq uint16

	// Addr and Count are the first data address (coil, input, register)
	// and the number of items a Modbus request reads or writes, or its
	// response carries; WriteAddr and WriteCount are the write half of a
	// read/write multiple registers (23).
	Addr, Count, WriteAddr, WriteCount uint16

	// DNP3 link layer: the control byte's function code and PRM bit.
	LinkFunc    uint8
	LinkPrimary bool
	// HasApp is true when this DNP3 frame completed an application
	// fragment: Func, IIN and Objects are then valid.
	HasApp bool
	// IIN is a DNP3 response's internal indications, IIN1<<8 | IIN2.
	IIN uint16
	// Objects are the DNP3 object headers of the fragment. The slice is
	// reused: copy what is kept after the callback returns.
	Objects []Object

	// Malformed, when not empty, says what is wrong with the frame (bad
	// CRC, invalid length or protocol identifier, truncated PDU); the
	// other fields hold what could be read.
	Malformed string
}

// Object is a DNP3 object header: group, variation, qualifier and range.
type Object struct {
	Group, Variation, Qualifier uint8
	// Start and Stop are the range of a start-stop qualifier; Count the
	// number of objects (for start-stop, Stop-Start+1).
	Start, Stop, Count uint32
}

// StreamParser decodes one direction of one TCP connection. The
// reassembler calls Feed with the stream's bytes in order, as segments
// arrive, and Gap when bytes were lost; the parser buffers what does not
// yet make a whole PDU. A parser must never panic and must bound what it
// buffers, whatever the bytes.
type StreamParser interface {
	// Feed decodes data, which arrived in the frame meta describes, and
	// calls emit for every message completed. The *Message and its slices
	// are valid only during the call. Feed must not keep data.
	Feed(data []byte, meta Meta, emit func(*Message))
	// Gap says bytes are missing before the next Feed: the parser drops
	// its partial PDU and resynchronises.
	Gap()
}

// NewParser makes the StreamParser of one direction of a connection;
// toServer is true for the direction towards the configured server port
// (502 for Modbus, 20000 for DNP3).
type NewParser func(toServer bool) StreamParser
