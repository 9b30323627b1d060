package detect

import (
	"math/bits"
	"strconv"

	"github.com/bulwarkhq/bulwark/ot"
)

// This file holds the function-code knowledge the rules need. It is kept
// here rather than imported from ot/modbus and ot/dnp3 so that the
// detections depend only on the shared ot.Message contract.

// Modbus function codes (Modbus Application Protocol v1.1b3, section 6).
const (
	mbReadCoils            = 1
	mbReadDiscreteInputs   = 2
	mbReadHoldingRegisters = 3
	mbReadInputRegisters   = 4
	mbWriteSingleCoil      = 5
	mbWriteSingleRegister  = 6
	mbReadExceptionStatus  = 7
	mbDiagnostics          = 8
	mbGetCommEventCounter  = 11
	mbGetCommEventLog      = 12
	mbWriteMultipleCoils   = 15
	mbWriteMultipleRegs    = 16
	mbReportServerID       = 17
	mbReadFileRecord       = 20
	mbWriteFileRecord      = 21
	mbMaskWriteRegister    = 22
	mbReadWriteMultiple    = 23
	mbReadFIFOQueue        = 24
	mbEncapsulatedIface    = 43

	// Diagnostics (08) sub-functions.
	mbDiagReturnQuery       = 0x00
	mbDiagRestartComm       = 0x01
	mbDiagForceListenOnly   = 0x04
	mbDiagClearCounters     = 0x0A
	mbDiagClearOverrunCount = 0x14

	// MEI type of function 43 that reads the device identification.
	mbMEIReadDeviceID = 14

	// Exception code 01: the server does not implement the function.
	mbExcIllegalFunction = 1
)

var modbusFuncNames = map[uint8]string{
	mbReadCoils:            "read coils",
	mbReadDiscreteInputs:   "read discrete inputs",
	mbReadHoldingRegisters: "read holding registers",
	mbReadInputRegisters:   "read input registers",
	mbWriteSingleCoil:      "write single coil",
	mbWriteSingleRegister:  "write single register",
	mbReadExceptionStatus:  "read exception status",
	mbDiagnostics:          "diagnostics",
	mbGetCommEventCounter:  "get comm event counter",
	mbGetCommEventLog:      "get comm event log",
	mbWriteMultipleCoils:   "write multiple coils",
	mbWriteMultipleRegs:    "write multiple registers",
	mbReportServerID:       "report server id",
	mbReadFileRecord:       "read file record",
	mbWriteFileRecord:      "write file record",
	mbMaskWriteRegister:    "mask write register",
	mbReadWriteMultiple:    "read/write multiple registers",
	mbReadFIFOQueue:        "read fifo queue",
	mbEncapsulatedIface:    "encapsulated interface transport",
}

var modbusDiagNames = map[uint16]string{
	mbDiagReturnQuery:       "return query data",
	mbDiagRestartComm:       "restart communications option",
	0x02:                    "return diagnostic register",
	0x03:                    "change ascii input delimiter",
	mbDiagForceListenOnly:   "force listen only mode",
	mbDiagClearCounters:     "clear counters and diagnostic register",
	mbDiagClearOverrunCount: "clear overrun counter and flag",
}

// DNP3 application function codes (IEEE 1815-2012, table 4-1).
const (
	dnpConfirm          = 0
	dnpRead             = 1
	dnpWrite            = 2
	dnpSelect           = 3
	dnpOperate          = 4
	dnpDirectOperate    = 5
	dnpDirectOperateNR  = 6
	dnpImmedFreeze      = 7
	dnpFreezeClearNR    = 10
	dnpFreezeAtTimeNR   = 12
	dnpColdRestart      = 13
	dnpWarmRestart      = 14
	dnpInitializeData   = 15
	dnpInitializeApp    = 16
	dnpStartApp         = 17
	dnpStopApp          = 18
	dnpSaveConfig       = 19
	dnpEnableUnsol      = 20
	dnpDisableUnsol     = 21
	dnpAssignClass      = 22
	dnpDelayMeasure     = 23
	dnpRecordTime       = 24
	dnpOpenFile         = 25
	dnpAbortFile        = 30
	dnpActivateConfig   = 31
	dnpAuthRequest      = 32
	dnpAuthRequestNoAck = 33
	dnpResponse         = 129
	dnpUnsolResponse    = 130
	dnpAuthResponse     = 131

	// IIN2 bits (low byte of Message.IIN) that say a request was refused.
	dnpIINFuncNotSupported = 0x0001
	dnpIINObjectUnknown    = 0x0002
	dnpIINParameterError   = 0x0004
)

var dnp3FuncNames = map[uint8]string{
	dnpConfirm:          "confirm",
	dnpRead:             "read",
	dnpWrite:            "write",
	dnpSelect:           "select",
	dnpOperate:          "operate",
	dnpDirectOperate:    "direct operate",
	dnpDirectOperateNR:  "direct operate no ack",
	dnpImmedFreeze:      "immediate freeze",
	8:                   "immediate freeze no ack",
	9:                   "freeze and clear",
	dnpFreezeClearNR:    "freeze and clear no ack",
	11:                  "freeze at time",
	dnpFreezeAtTimeNR:   "freeze at time no ack",
	dnpColdRestart:      "cold restart",
	dnpWarmRestart:      "warm restart",
	dnpInitializeData:   "initialize data",
	dnpInitializeApp:    "initialize application",
	dnpStartApp:         "start application",
	dnpStopApp:          "stop application",
	dnpSaveConfig:       "save configuration",
	dnpEnableUnsol:      "enable unsolicited",
	dnpDisableUnsol:     "disable unsolicited",
	dnpAssignClass:      "assign class",
	dnpDelayMeasure:     "delay measure",
	dnpRecordTime:       "record current time",
	dnpOpenFile:         "open file",
	26:                  "close file",
	27:                  "delete file",
	28:                  "get file info",
	29:                  "authenticate file",
	dnpAbortFile:        "abort file",
	dnpActivateConfig:   "activate config",
	dnpAuthRequest:      "authentication request",
	dnpAuthRequestNoAck: "authentication request no ack",
	dnpResponse:         "response",
	dnpUnsolResponse:    "unsolicited response",
	dnpAuthResponse:     "authentication response",
}

// FuncName names a function code of a protocol, or says it is unknown.
func FuncName(p ot.Proto, code uint8) string {
	var n string
	switch p {
	case ot.ProtoModbus:
		n = modbusFuncNames[code]
		if n == "" && (code >= 65 && code <= 72 || code >= 100 && code <= 110) {
			n = "user defined"
		}
	case ot.ProtoDNP3:
		n = dnp3FuncNames[code]
	}
	if n == "" {
		return "unknown"
	}
	return n
}

// funcLabel is "5 write single coil", the form alerts and reviews use.
func funcLabel(p ot.Proto, code uint8) string {
	return strconv.Itoa(int(code)) + " " + FuncName(p, code)
}

// diagLabel names a Modbus diagnostics sub-function.
func diagLabel(sub uint16) string {
	n := modbusDiagNames[sub]
	if n == "" {
		n = "sub-function"
	}
	return "0x" + strconv.FormatUint(uint64(sub), 16) + " " + n
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

// modbusAccess says which table a Modbus request touches and whether it
// writes. Read/write multiple (23) is reported as its write half; its read
// half is learnt separately.
func modbusAccess(fc uint8) (table int, write bool) {
	switch fc {
	case mbReadCoils:
		return tableCoils, false
	case mbReadDiscreteInputs:
		return tableDiscreteInputs, false
	case mbReadHoldingRegisters, mbReadFIFOQueue:
		return tableHoldingRegisters, false
	case mbReadInputRegisters:
		return tableInputRegisters, false
	case mbWriteSingleCoil, mbWriteMultipleCoils:
		return tableCoils, true
	case mbWriteSingleRegister, mbWriteMultipleRegs, mbMaskWriteRegister, mbReadWriteMultiple:
		return tableHoldingRegisters, true
	}
	return tableNone, false
}

// isModbusWrite is true for requests that change a server's state.
func isModbusWrite(fc uint8) bool {
	_, w := modbusAccess(fc)
	return w || fc == mbWriteFileRecord
}

// isDNP3Command is true for DNP3 requests that write points or operate
// outputs: write, select, operate, direct operate, freezes. (Restarts,
// application, configuration and file functions have rules of their own;
// reporting set-up such as enable unsolicited or assign class is not
// control.)
func isDNP3Command(fc uint8) bool {
	return fc >= dnpWrite && fc <= dnpFreezeAtTimeNR
}

// isDNP3Routine is true for the DNP3 functions any master sends in normal
// polling; a known master starting to use one is not worth more than a
// low alert.
func isDNP3Routine(fc uint8) bool {
	switch fc {
	case dnpConfirm, dnpRead, dnpEnableUnsol, dnpAssignClass, dnpDelayMeasure, dnpRecordTime, dnpAuthRequest, dnpAuthRequestNoAck:
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
