package modbus

import (
	"fmt"

	"github.com/bulwarkhq/bulwark/ot"
)

// Function codes of the Modbus Application Protocol v1.1b3.
const (
	FuncReadCoils                  = 1
	FuncReadDiscreteInputs         = 2
	FuncReadHoldingRegisters       = 3
	FuncReadInputRegisters         = 4
	FuncWriteSingleCoil            = 5
	FuncWriteSingleRegister        = 6
	FuncReadExceptionStatus        = 7
	FuncDiagnostics                = 8
	FuncGetCommEventCounter        = 11
	FuncGetCommEventLog            = 12
	FuncWriteMultipleCoils         = 15
	FuncWriteMultipleRegisters     = 16
	FuncReportServerID             = 17
	FuncReadFileRecord             = 20
	FuncWriteFileRecord            = 21
	FuncMaskWriteRegister          = 22
	FuncReadWriteMultipleRegisters = 23
	FuncReadFIFOQueue              = 24
	FuncEncapsulatedInterface      = 43
)

// MEI types of the encapsulated interface transport (43).
const (
	MEICANopen            = 13
	MEIReadDeviceIdentity = 14
)

// exceptionBit marks an exception response's function code.
const exceptionBit = 0x80

// Quantity limits of the specification.
const (
	maxReadBits       = 2000 // 1, 2
	maxReadRegisters  = 125  // 3, 4, 23 read half
	maxWriteBits      = 1968 // 15
	maxWriteRegisters = 123  // 16
	maxRWWriteRegs    = 121  // 23 write half
	maxFIFOCount      = 31   // 24
	fileRefType       = 6    // 20, 21 reference type
)

// decodePDU fills m from pdu (function code first) and sets m.Malformed
// when the PDU breaks the specification. req says which way it went: the
// layout of most function codes differs between request and response.
func decodePDU(m *ot.Message, pdu []byte, req bool) {
	if len(pdu) == 0 {
		m.Malformed = "no function code"
		return
	}
	fc := pdu[0]
	m.Func = fc &^ exceptionBit
	if fc&exceptionBit != 0 {
		decodeException(m, pdu, req)
		return
	}
	if fc == 0 {
		m.Malformed = "function code 0 is not valid"
		return
	}
	if req {
		decodeRequest(m, pdu)
	} else {
		decodeResponse(m, pdu)
	}
}

func decodeException(m *ot.Message, pdu []byte, req bool) {
	if len(pdu) < 2 {
		m.Malformed = "exception response without exception code"
		return
	}
	m.Exception = pdu[1]
	switch {
	case req:
		m.Malformed = fmt.Sprintf("function code 0x%02X has the exception bit in a request", pdu[0])
	case len(pdu) != 2:
		m.Malformed = fmt.Sprintf("exception response of %d bytes, want 2", len(pdu))
	case !knownException(m.Exception):
		m.Malformed = fmt.Sprintf("exception code %d is not defined", m.Exception)
	}
}

func decodeRequest(m *ot.Message, pdu []byte) {
	switch pdu[0] {
	case FuncReadCoils, FuncReadDiscreteInputs:
		if wantLen(m, pdu, 5) {
			m.Addr, m.Count = be16(pdu, 1), be16(pdu, 3)
			checkQuantity(m, m.Count, maxReadBits)
		}
	case FuncReadHoldingRegisters, FuncReadInputRegisters:
		if wantLen(m, pdu, 5) {
			m.Addr, m.Count = be16(pdu, 1), be16(pdu, 3)
			checkQuantity(m, m.Count, maxReadRegisters)
		}
	case FuncWriteSingleCoil, FuncWriteSingleRegister, FuncMaskWriteRegister:
		decodeSingleWrite(m, pdu)
	case FuncReadExceptionStatus, FuncGetCommEventCounter, FuncGetCommEventLog, FuncReportServerID:
		wantLen(m, pdu, 1)
	case FuncDiagnostics:
		decodeDiagnostics(m, pdu)
	case FuncWriteMultipleCoils:
		decodeMultipleWrite(m, pdu, maxWriteBits, bitBytes, "coils")
	case FuncWriteMultipleRegisters:
		decodeMultipleWrite(m, pdu, maxWriteRegisters, registerBytes, "registers")
	case FuncReadFileRecord:
		decodeReadFileRequest(m, pdu)
	case FuncWriteFileRecord:
		decodeWriteFile(m, pdu)
	case FuncReadWriteMultipleRegisters:
		decodeReadWriteRequest(m, pdu)
	case FuncReadFIFOQueue:
		if wantLen(m, pdu, 3) {
			m.Addr = be16(pdu, 1)
		}
	case FuncEncapsulatedInterface:
		decodeMEIRequest(m, pdu)
	}
}

func decodeResponse(m *ot.Message, pdu []byte) {
	switch pdu[0] {
	case FuncReadCoils, FuncReadDiscreteInputs:
		// The request's quantity rounds up to whole bytes: Count is the
		// number of bits the response carries, padding included.
		if n, ok := byteCounted(m, pdu); ok {
			m.Count = uint16(n) * 8
			if n == 0 {
				m.Malformed = "byte count 0, want at least 1"
			}
		}
	case FuncReadHoldingRegisters, FuncReadInputRegisters, FuncReadWriteMultipleRegisters:
		if n, ok := byteCounted(m, pdu); ok {
			m.Count = uint16(n / 2)
			switch {
			case n%2 != 0:
				m.Malformed = fmt.Sprintf("byte count %d is not a whole number of registers", n)
			case n == 0 || n/2 > maxReadRegisters:
				m.Malformed = fmt.Sprintf("byte count %d out of range 2..%d", n, 2*maxReadRegisters)
			}
		}
	case FuncWriteSingleCoil, FuncWriteSingleRegister, FuncMaskWriteRegister:
		decodeSingleWrite(m, pdu)
	case FuncReadExceptionStatus:
		wantLen(m, pdu, 2)
	case FuncDiagnostics:
		decodeDiagnostics(m, pdu)
	case FuncGetCommEventCounter:
		wantLen(m, pdu, 5)
	case FuncGetCommEventLog:
		// Status, event count and message count (6 bytes), then events.
		if n, ok := byteCounted(m, pdu); ok {
			if n < 6 {
				m.Malformed = fmt.Sprintf("byte count %d, want at least 6", n)
			} else {
				m.Count = uint16(n - 6)
			}
		}
	case FuncWriteMultipleCoils:
		if wantLen(m, pdu, 5) {
			m.Addr, m.Count = be16(pdu, 1), be16(pdu, 3)
			checkQuantity(m, m.Count, maxWriteBits)
		}
	case FuncWriteMultipleRegisters:
		if wantLen(m, pdu, 5) {
			m.Addr, m.Count = be16(pdu, 1), be16(pdu, 3)
			checkQuantity(m, m.Count, maxWriteRegisters)
		}
	case FuncReportServerID:
		if n, ok := byteCounted(m, pdu); ok && n == 0 {
			m.Malformed = "byte count 0, want at least 1"
		}
	case FuncReadFileRecord:
		decodeReadFileResponse(m, pdu)
	case FuncWriteFileRecord:
		decodeWriteFile(m, pdu) // the response echoes the request
	case FuncReadFIFOQueue:
		decodeFIFOResponse(m, pdu)
	case FuncEncapsulatedInterface:
		decodeMEIResponse(m, pdu)
	}
}

// wantLen checks that the PDU is exactly want bytes.
func wantLen(m *ot.Message, pdu []byte, want int) bool {
	if len(pdu) != want {
		m.Malformed = fmt.Sprintf("PDU of %d bytes, want %d", len(pdu), want)
		return false
	}
	return true
}

// minLen checks that the PDU is at least want bytes.
func minLen(m *ot.Message, pdu []byte, want int) bool {
	if len(pdu) < want {
		m.Malformed = fmt.Sprintf("PDU of %d bytes, want at least %d", len(pdu), want)
		return false
	}
	return true
}

// byteCounted checks a response made of a one-byte byte count and that many
// bytes, and returns the count.
func byteCounted(m *ot.Message, pdu []byte) (int, bool) {
	if !minLen(m, pdu, 2) {
		return 0, false
	}
	n := int(pdu[1])
	if n != len(pdu)-2 {
		m.Malformed = fmt.Sprintf("byte count %d does not match %d data bytes", n, len(pdu)-2)
		return n, false
	}
	return n, true
}

func checkQuantity(m *ot.Message, q uint16, max int) {
	if q == 0 || int(q) > max {
		m.Malformed = fmt.Sprintf("quantity %d out of range 1..%d", q, max)
	}
}

// decodeSingleWrite decodes 5, 6 and 22, whose response echoes the request.
func decodeSingleWrite(m *ot.Message, pdu []byte) {
	want := 5
	if pdu[0] == FuncMaskWriteRegister {
		want = 7
	}
	if !wantLen(m, pdu, want) {
		return
	}
	m.Addr, m.Count = be16(pdu, 1), 1
	if v := be16(pdu, 3); pdu[0] == FuncWriteSingleCoil && v != 0x0000 && v != 0xFF00 {
		m.Malformed = fmt.Sprintf("coil value 0x%04X, want 0x0000 or 0xFF00", v)
	}
}

func bitBytes(q int) int      { return (q + 7) / 8 }
func registerBytes(q int) int { return 2 * q }

// decodeMultipleWrite decodes a 15 or 16 request: address, quantity, byte
// count and the values.
func decodeMultipleWrite(m *ot.Message, pdu []byte, max int, bytesFor func(int) int, unit string) {
	if !minLen(m, pdu, 6) {
		return
	}
	m.Addr, m.Count = be16(pdu, 1), be16(pdu, 3)
	n := int(pdu[5])
	switch q := int(m.Count); {
	case q == 0 || q > max:
		checkQuantity(m, m.Count, max)
	case n != bytesFor(q):
		m.Malformed = fmt.Sprintf("byte count %d does not match %d %s", n, q, unit)
	case n != len(pdu)-6:
		m.Malformed = fmt.Sprintf("byte count %d does not match %d data bytes", n, len(pdu)-6)
	}
}

// decodeReadWriteRequest decodes a 23 request: read address and quantity,
// write address, quantity, byte count and values.
func decodeReadWriteRequest(m *ot.Message, pdu []byte) {
	if !minLen(m, pdu, 10) {
		return
	}
	m.Addr, m.Count = be16(pdu, 1), be16(pdu, 3)
	m.WriteAddr, m.WriteCount = be16(pdu, 5), be16(pdu, 7)
	n := int(pdu[9])
	switch {
	case m.Count == 0 || m.Count > maxReadRegisters:
		m.Malformed = fmt.Sprintf("read quantity %d out of range 1..%d", m.Count, maxReadRegisters)
	case m.WriteCount == 0 || m.WriteCount > maxRWWriteRegs:
		m.Malformed = fmt.Sprintf("write quantity %d out of range 1..%d", m.WriteCount, maxRWWriteRegs)
	case n != 2*int(m.WriteCount):
		m.Malformed = fmt.Sprintf("byte count %d does not match %d registers", n, m.WriteCount)
	case n != len(pdu)-10:
		m.Malformed = fmt.Sprintf("byte count %d does not match %d data bytes", n, len(pdu)-10)
	}
}

// decodeDiagnostics decodes 08, the same both ways: sub-function and data.
// Return Query Data (0) echoes any data; every other defined sub-function
// carries one 16-bit data field.
func decodeDiagnostics(m *ot.Message, pdu []byte) {
	if !minLen(m, pdu, 3) {
		return
	}
	m.Sub = be16(pdu, 1)
	data := pdu[3:]
	if m.Sub == DiagReturnQueryData || !knownDiag(m.Sub) {
		return
	}
	if len(data) != 2 {
		m.Malformed = fmt.Sprintf("diagnostics sub-function 0x%02X carries %d data bytes, want 2", m.Sub, len(data))
		return
	}
	if v := be16(data, 0); m.Sub == DiagRestartCommunications && v != 0x0000 && v != 0xFF00 {
		m.Malformed = fmt.Sprintf("restart communications data 0x%04X, want 0x0000 or 0xFF00", v)
	}
}

// decodeFIFOResponse decodes a 24 response: a two-byte byte count, the
// FIFO count and that many registers.
func decodeFIFOResponse(m *ot.Message, pdu []byte) {
	if !minLen(m, pdu, 5) {
		return
	}
	n, fifo := int(be16(pdu, 1)), int(be16(pdu, 3))
	m.Count = uint16(fifo)
	switch {
	case n != len(pdu)-3:
		m.Malformed = fmt.Sprintf("byte count %d does not match %d data bytes", n, len(pdu)-3)
	case fifo > maxFIFOCount:
		m.Malformed = fmt.Sprintf("FIFO count %d out of range 0..%d", fifo, maxFIFOCount)
	case n != 2+2*fifo:
		m.Malformed = fmt.Sprintf("byte count %d does not match %d registers", n, fifo)
	}
}
