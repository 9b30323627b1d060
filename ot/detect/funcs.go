package detect

import (
	"math/bits"
	"strconv"

	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/dnp3"
	"github.com/bulwarkhq/bulwark/ot/modbus"
)

// The function codes, their names and what they do are the decoders'
// (ot/modbus, ot/dnp3). This file holds only what the detections decide
// on top of them: the labels alerts and reviews show, the Modbus data
// tables a write is judged in, and which functions count as commands or
// routine polling.

// FuncName names a function code of a protocol as its decoder does
// ("Write Single Coil", "COLD_RESTART"), so alerts, reviews and `bulwark
// ot stats` call a code the same; "unknown" for a protocol without one.
func FuncName(p ot.Proto, code uint8) string {
	switch p {
	case ot.ProtoModbus:
		return modbus.FuncName(code)
	case ot.ProtoDNP3:
		return dnp3.FuncName(code)
	}
	return "unknown"
}

// funcLabel is "5 Write Single Coil", the form alerts, inventories and
// reviews use: the number an operator filters on, then the name.
func funcLabel(p ot.Proto, code uint8) string {
	if p == ot.ProtoModbus && !modbus.IsPublic(code) {
		// The name already says the number ("Function 99",
		// "User-Defined Function 65").
		return modbus.FuncName(code)
	}
	return strconv.Itoa(int(code)) + " " + FuncName(p, code)
}

// diagLabel is "0x4 Force Listen Only Mode": the specification writes
// diagnostics sub-functions in hex.
func diagLabel(sub uint16) string {
	return "0x" + strconv.FormatUint(uint64(sub), 16) + " " + modbus.DiagName(sub)
}

// Modbus data tables: a write is judged against the addresses the pair
// used in the same table.
const (
	tableCoils = iota
	tableDiscreteInputs
	tableHoldingRegisters
	tableInputRegisters
	numTables
	tableNone = -1
)

var tableNames = [numTables]string{"coils", "discrete_inputs", "holding_registers", "input_registers"}

// modbusTable says which data table a Modbus request reads or writes, or
// tableNone. Read/write multiple (23) touches holding registers both
// ways; a FIFO queue lives in holding registers.
func modbusTable(fc uint8) int {
	switch fc {
	case modbus.FuncReadCoils, modbus.FuncWriteSingleCoil, modbus.FuncWriteMultipleCoils:
		return tableCoils
	case modbus.FuncReadDiscreteInputs:
		return tableDiscreteInputs
	case modbus.FuncReadHoldingRegisters, modbus.FuncReadFIFOQueue, modbus.FuncWriteSingleRegister,
		modbus.FuncWriteMultipleRegisters, modbus.FuncMaskWriteRegister, modbus.FuncReadWriteMultipleRegisters:
		return tableHoldingRegisters
	case modbus.FuncReadInputRegisters:
		return tableInputRegisters
	}
	return tableNone
}

// modbusTableWrite is the table a Modbus request writes, or tableNone for
// reads and for writes outside the four tables (file records), which
// have no learnt address ranges to judge them against.
func modbusTableWrite(fc uint8) int {
	if !modbus.IsWrite(fc) {
		return tableNone
	}
	return modbusTable(fc)
}

// isDNP3Command is true for DNP3 requests that write points, operate
// outputs or freeze counters (2-12): what write-unknown-master watches.
// Restarts, application, configuration and file functions have rules of
// their own; reporting set-up such as enable unsolicited or assign class
// is not control.
func isDNP3Command(fc uint8) bool {
	return dnp3.IsWrite(fc) || dnp3.IsControl(fc) || dnp3.IsFreeze(fc)
}

// isDNP3Routine is true for the DNP3 functions any master sends in normal
// polling; a known master starting to use one is not worth more than a
// low alert. This is detection policy, not protocol: no decoder
// classifier says "routine".
func isDNP3Routine(fc uint8) bool {
	switch fc {
	case dnp3.FuncConfirm, dnp3.FuncRead, dnp3.FuncEnableUnsolicited, dnp3.FuncAssignClass,
		dnp3.FuncDelayMeasure, dnp3.FuncRecordCurrentTime, dnp3.FuncAuthRequest, dnp3.FuncAuthRequestNoAck:
		return true
	}
	return false
}

// funcSet is a set of function codes, a bit per code.
type funcSet [4]uint64

func (s *funcSet) add(c uint8)      { s[c>>6] |= 1 << (c & 63) }
func (s *funcSet) has(c uint8) bool { return s[c>>6]&(1<<(c&63)) != 0 }
func (s *funcSet) len() int {
	return bits.OnesCount64(s[0]) + bits.OnesCount64(s[1]) + bits.OnesCount64(s[2]) + bits.OnesCount64(s[3])
}
func (s *funcSet) codes() (out []uint8) {
	for c := 0; c < 256; c++ {
		if s.has(uint8(c)) {
			out = append(out, uint8(c))
		}
	}
	return out
}
