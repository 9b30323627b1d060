package modbus

import "strconv"

// funcNames are the public function codes, named as the specification
// does.
var funcNames = [...]string{
	FuncReadCoils:                  "Read Coils",
	FuncReadDiscreteInputs:         "Read Discrete Inputs",
	FuncReadHoldingRegisters:       "Read Holding Registers",
	FuncReadInputRegisters:         "Read Input Registers",
	FuncWriteSingleCoil:            "Write Single Coil",
	FuncWriteSingleRegister:        "Write Single Register",
	FuncReadExceptionStatus:        "Read Exception Status",
	FuncDiagnostics:                "Diagnostics",
	FuncGetCommEventCounter:        "Get Comm Event Counter",
	FuncGetCommEventLog:            "Get Comm Event Log",
	FuncWriteMultipleCoils:         "Write Multiple Coils",
	FuncWriteMultipleRegisters:     "Write Multiple Registers",
	FuncReportServerID:             "Report Server ID",
	FuncReadFileRecord:             "Read File Record",
	FuncWriteFileRecord:            "Write File Record",
	FuncMaskWriteRegister:          "Mask Write Register",
	FuncReadWriteMultipleRegisters: "Read/Write Multiple Registers",
	FuncReadFIFOQueue:              "Read FIFO Queue",
	FuncEncapsulatedInterface:      "Encapsulated Interface Transport",
}

// FuncName names a function code (exception bit stripped): the
// specification's name of a public code, else "User-Defined Function N"
// for the user-defined ranges (65-72, 100-110) or "Function N".
func FuncName(fc uint8) string {
	if int(fc) < len(funcNames) && funcNames[fc] != "" {
		return funcNames[fc]
	}
	if IsUserDefined(fc) {
		return "User-Defined Function " + strconv.Itoa(int(fc))
	}
	return "Function " + strconv.Itoa(int(fc))
}

// IsPublic reports whether fc is a public function code of the
// specification.
func IsPublic(fc uint8) bool {
	return int(fc) < len(funcNames) && funcNames[fc] != ""
}

// IsUserDefined reports whether fc is in a range the specification leaves
// to vendors (65-72, 100-110), where e.g. proprietary programming
// protocols live.
func IsUserDefined(fc uint8) bool {
	return fc >= 65 && fc <= 72 || fc >= 100 && fc <= 110
}

// IsWrite reports whether fc changes data in the server: single and
// multiple writes of coils and registers, file records, mask write and the
// write half of read/write multiple registers.
func IsWrite(fc uint8) bool {
	switch fc {
	case FuncWriteSingleCoil, FuncWriteSingleRegister, FuncWriteMultipleCoils,
		FuncWriteMultipleRegisters, FuncWriteFileRecord, FuncMaskWriteRegister,
		FuncReadWriteMultipleRegisters:
		return true
	}
	return false
}

// IsRead reports whether fc reads data from the server: coils, inputs,
// registers, file records, FIFO queues and the read half of read/write
// multiple registers. Status and identification queries are not reads.
func IsRead(fc uint8) bool {
	switch fc {
	case FuncReadCoils, FuncReadDiscreteInputs, FuncReadHoldingRegisters,
		FuncReadInputRegisters, FuncReadFileRecord, FuncReadWriteMultipleRegisters,
		FuncReadFIFOQueue:
		return true
	}
	return false
}

// Exception codes.
const (
	ExceptionIllegalFunction              = 0x01
	ExceptionIllegalDataAddress           = 0x02
	ExceptionIllegalDataValue             = 0x03
	ExceptionServerDeviceFailure          = 0x04
	ExceptionAcknowledge                  = 0x05
	ExceptionServerDeviceBusy             = 0x06
	ExceptionMemoryParityError            = 0x08
	ExceptionGatewayPathUnavailable       = 0x0A
	ExceptionGatewayTargetFailedToRespond = 0x0B
)

var exceptionNames = [...]string{
	ExceptionIllegalFunction:              "Illegal Function",
	ExceptionIllegalDataAddress:           "Illegal Data Address",
	ExceptionIllegalDataValue:             "Illegal Data Value",
	ExceptionServerDeviceFailure:          "Server Device Failure",
	ExceptionAcknowledge:                  "Acknowledge",
	ExceptionServerDeviceBusy:             "Server Device Busy",
	ExceptionMemoryParityError:            "Memory Parity Error",
	ExceptionGatewayPathUnavailable:       "Gateway Path Unavailable",
	ExceptionGatewayTargetFailedToRespond: "Gateway Target Device Failed to Respond",
}

func knownException(code uint8) bool {
	return int(code) < len(exceptionNames) && exceptionNames[code] != ""
}

// ExceptionName names an exception code, or "Exception N" for one the
// specification does not define.
func ExceptionName(code uint8) string {
	if knownException(code) {
		return exceptionNames[code]
	}
	return "Exception " + strconv.Itoa(int(code))
}

// Diagnostics (08) sub-function codes.
const (
	DiagReturnQueryData              = 0x00
	DiagRestartCommunications        = 0x01
	DiagReturnDiagnosticRegister     = 0x02
	DiagChangeASCIIInputDelimiter    = 0x03
	DiagForceListenOnlyMode          = 0x04
	DiagClearCounters                = 0x0A
	DiagReturnBusMessageCount        = 0x0B
	DiagReturnBusCommErrorCount      = 0x0C
	DiagReturnBusExceptionErrorCount = 0x0D
	DiagReturnServerMessageCount     = 0x0E
	DiagReturnServerNoResponseCount  = 0x0F
	DiagReturnServerNAKCount         = 0x10
	DiagReturnServerBusyCount        = 0x11
	DiagReturnBusCharOverrunCount    = 0x12
	DiagClearOverrunCounter          = 0x14
)

var diagNames = [...]string{
	DiagReturnQueryData:              "Return Query Data",
	DiagRestartCommunications:        "Restart Communications Option",
	DiagReturnDiagnosticRegister:     "Return Diagnostic Register",
	DiagChangeASCIIInputDelimiter:    "Change ASCII Input Delimiter",
	DiagForceListenOnlyMode:          "Force Listen Only Mode",
	DiagClearCounters:                "Clear Counters and Diagnostic Register",
	DiagReturnBusMessageCount:        "Return Bus Message Count",
	DiagReturnBusCommErrorCount:      "Return Bus Communication Error Count",
	DiagReturnBusExceptionErrorCount: "Return Bus Exception Error Count",
	DiagReturnServerMessageCount:     "Return Server Message Count",
	DiagReturnServerNoResponseCount:  "Return Server No Response Count",
	DiagReturnServerNAKCount:         "Return Server NAK Count",
	DiagReturnServerBusyCount:        "Return Server Busy Count",
	DiagReturnBusCharOverrunCount:    "Return Bus Character Overrun Count",
	DiagClearOverrunCounter:          "Clear Overrun Counter and Flag",
}

func knownDiag(sub uint16) bool {
	return int(sub) < len(diagNames) && diagNames[sub] != ""
}

// DiagName names a diagnostics sub-function, or "Reserved Sub-function N".
func DiagName(sub uint16) string {
	if knownDiag(sub) {
		return diagNames[sub]
	}
	return "Reserved Sub-function " + strconv.Itoa(int(sub))
}

// DiagChangesState reports whether a diagnostics sub-function changes the
// server rather than reading a counter: a restart, a new delimiter,
// listen-only mode (the server stops answering), or cleared counters.
func DiagChangesState(sub uint16) bool {
	switch sub {
	case DiagRestartCommunications, DiagChangeASCIIInputDelimiter, DiagForceListenOnlyMode,
		DiagClearCounters, DiagClearOverrunCounter:
		return true
	}
	return false
}

// MEIName names an encapsulated interface transport (43) MEI type.
func MEIName(mei uint8) string {
	switch mei {
	case MEICANopen:
		return "CANopen General Reference"
	case MEIReadDeviceIdentity:
		return "Read Device Identification"
	}
	return "MEI Type " + strconv.Itoa(int(mei))
}

var deviceObjectNames = [...]string{
	"VendorName", "ProductCode", "MajorMinorRevision", "VendorUrl",
	"ProductName", "ModelName", "UserApplicationName",
}

// DeviceObjectName names a read device identification object id:
// 0-6 as the specification names them, 0x07-0x7F reserved, 0x80-0xFF
// private (vendor-defined).
func DeviceObjectName(id uint8) string {
	switch {
	case int(id) < len(deviceObjectNames):
		return deviceObjectNames[id]
	case id < 0x80:
		return "Reserved Object " + strconv.Itoa(int(id))
	}
	return "Private Object " + strconv.Itoa(int(id))
}
