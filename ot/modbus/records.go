package modbus

import (
	"fmt"

	"github.com/bulwarkhq/bulwark/ot"
)

// File record requests and responses (20, 21) are a byte count and a list
// of sub-requests; Addr and Count describe the first one (its record
// number and record length in registers) since a Message has one range.

// decodeReadFileRequest decodes a 20 request: byte count, then 7-byte
// sub-requests (reference type 6, file number, record number, length).
func decodeReadFileRequest(m *ot.Message, pdu []byte) {
	n, ok := byteCounted(m, pdu)
	if !ok {
		return
	}
	switch {
	case n < 7 || n > 0xF5 || n%7 != 0:
		m.Malformed = fmt.Sprintf("byte count %d is not 1..35 sub-requests of 7 bytes", n)
		return
	}
	for i := 2; i+7 <= len(pdu); i += 7 {
		if pdu[i] != fileRefType {
			m.Malformed = fmt.Sprintf("sub-request at PDU offset %d has reference type %d, want 6", i, pdu[i])
			return
		}
		if i == 2 {
			m.Addr, m.Count = be16(pdu, i+3), be16(pdu, i+5)
		}
	}
}

// decodeReadFileResponse decodes a 20 response: byte count, then
// sub-responses of a length byte, reference type 6 and record data.
// Count is the number of registers returned in all sub-responses.
func decodeReadFileResponse(m *ot.Message, pdu []byte) {
	n, ok := byteCounted(m, pdu)
	if !ok {
		return
	}
	if n < 4 {
		m.Malformed = fmt.Sprintf("byte count %d, want at least 4", n)
		return
	}
	regs := 0
	for i := 2; i < len(pdu); {
		sub := int(pdu[i])
		switch {
		case i+1+sub > len(pdu):
			m.Malformed = fmt.Sprintf("sub-response at PDU offset %d of %d bytes overruns the PDU", i, sub)
			return
		case sub < 1 || pdu[i+1] != fileRefType:
			m.Malformed = fmt.Sprintf("sub-response at PDU offset %d lacks reference type 6", i)
			return
		case (sub-1)%2 != 0:
			m.Malformed = fmt.Sprintf("sub-response at PDU offset %d has %d data bytes, not whole registers", i, sub-1)
			return
		}
		regs += (sub - 1) / 2
		i += 1 + sub
	}
	m.Count = uint16(regs)
}

// decodeWriteFile decodes a 21 request or its echoing response: byte
// count, then sub-requests of reference type 6, file number, record
// number, record length and record length registers.
func decodeWriteFile(m *ot.Message, pdu []byte) {
	n, ok := byteCounted(m, pdu)
	if !ok {
		return
	}
	if n < 9 {
		m.Malformed = fmt.Sprintf("byte count %d, want at least 9", n)
		return
	}
	for i := 2; i < len(pdu); {
		if i+7 > len(pdu) {
			m.Malformed = fmt.Sprintf("sub-request at PDU offset %d truncated", i)
			return
		}
		if pdu[i] != fileRefType {
			m.Malformed = fmt.Sprintf("sub-request at PDU offset %d has reference type %d, want 6", i, pdu[i])
			return
		}
		rec, regs := be16(pdu, i+3), int(be16(pdu, i+5))
		if i == 2 {
			m.Addr, m.Count = rec, uint16(regs)
		}
		next := i + 7 + 2*regs
		if next > len(pdu) {
			m.Malformed = fmt.Sprintf("sub-request at PDU offset %d of %d registers overruns the PDU", i, regs)
			return
		}
		i = next
	}
}

// decodeMEIRequest decodes a 43 request. For read device identification
// (MEI 14) Addr is the object id asked for.
func decodeMEIRequest(m *ot.Message, pdu []byte) {
	if !minLen(m, pdu, 2) {
		return
	}
	m.Sub = uint16(pdu[1])
	if pdu[1] != MEIReadDeviceIdentity {
		return
	}
	if !wantLen(m, pdu, 4) {
		return
	}
	m.Addr = uint16(pdu[3])
	if code := pdu[2]; code < 1 || code > 4 {
		m.Malformed = fmt.Sprintf("read device id code %d out of range 1..4", code)
	}
}

// decodeMEIResponse decodes a 43 response. For read device identification
// Addr is the first object id returned and Count the number of objects.
func decodeMEIResponse(m *ot.Message, pdu []byte) {
	if !minLen(m, pdu, 2) {
		return
	}
	m.Sub = uint16(pdu[1])
	if pdu[1] != MEIReadDeviceIdentity {
		return
	}
	var id DeviceID
	err := id.decode(pdu, func(o DeviceObject) {
		if id.Objects == 0 {
			m.Addr = uint16(o.ID)
		}
	})
	m.Count = uint16(id.Objects)
	if err != "" {
		m.Malformed = err
	}
}

// DeviceID is a read device identification response (43 / 14).
type DeviceID struct {
	// Code is the read device id code: 1 basic, 2 regular, 3 extended
	// stream access, 4 one specific object.
	Code uint8
	// Conformity is the server's conformity level (0x01-0x03, with 0x80
	// when it also supports individual access).
	Conformity uint8
	// MoreFollows is true when the objects continue in another
	// transaction, starting at NextObject.
	MoreFollows bool
	NextObject  uint8
	// Objects is how many objects the response carries.
	Objects int
}

// DeviceObject is one object of a read device identification response:
// 0 vendor name, 1 product code, 2 major/minor revision, and so on (see
// DeviceObjectName).
type DeviceObject struct {
	ID    uint8
	Value []byte
}

// DecodeDeviceID decodes the PDU (function code first) of a read device
// identification response and calls each for every object, in order;
// Value aliases pdu. The error names the PDU offset of what is wrong.
func DecodeDeviceID(pdu []byte, each func(DeviceObject)) (DeviceID, error) {
	var id DeviceID
	if len(pdu) < 2 || pdu[0] != FuncEncapsulatedInterface || pdu[1] != MEIReadDeviceIdentity {
		return id, fmt.Errorf("not a read device identification PDU")
	}
	if err := id.decode(pdu, each); err != "" {
		return id, fmt.Errorf("read device identification: %s", err)
	}
	return id, nil
}

// decode walks the response (function code 43, MEI 14, code, conformity,
// more follows, next object id, number of objects, objects) and returns
// what is wrong, if anything. It returns a string, not an error, so that
// the parser's hot path does not allocate.
func (id *DeviceID) decode(pdu []byte, each func(DeviceObject)) string {
	if len(pdu) < 7 {
		return fmt.Sprintf("PDU of %d bytes, want at least 7", len(pdu))
	}
	id.Code, id.Conformity = pdu[2], pdu[3]
	id.MoreFollows, id.NextObject = pdu[4] == 0xFF, pdu[5]
	declared := int(pdu[6])
	i := 7
	for ; i < len(pdu) && id.Objects < declared; id.Objects++ {
		if i+2 > len(pdu) || i+2+int(pdu[i+1]) > len(pdu) {
			return fmt.Sprintf("object at PDU offset %d overruns the PDU", i)
		}
		o := DeviceObject{ID: pdu[i], Value: pdu[i+2 : i+2+int(pdu[i+1])]}
		if each != nil {
			each(o)
		}
		i += 2 + len(o.Value)
	}
	switch {
	case id.Objects != declared:
		return fmt.Sprintf("%d objects declared, %d present", declared, id.Objects)
	case i != len(pdu):
		return fmt.Sprintf("%d bytes after the last object", len(pdu)-i)
	case id.Code < 1 || id.Code > 4:
		return fmt.Sprintf("read device id code %d out of range 1..4", id.Code)
	case id.Conformity&^0x80 < 1 || id.Conformity&^0x80 > 3:
		return fmt.Sprintf("conformity level 0x%02X is not defined", id.Conformity)
	case pdu[4] != 0 && pdu[4] != 0xFF:
		return fmt.Sprintf("more follows 0x%02X, want 0x00 or 0xFF", pdu[4])
	}
	return ""
}
