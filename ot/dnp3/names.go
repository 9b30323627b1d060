package dnp3

import (
	"strings"

	"github.com/bulwarkhq/bulwark/ot"
)

// Application function codes (IEEE 1815 table 4-2).
const (
	FuncConfirm            = 0
	FuncRead               = 1
	FuncWrite              = 2
	FuncSelect             = 3
	FuncOperate            = 4
	FuncDirectOperate      = 5
	FuncDirectOperateNoAck = 6
	FuncImmediateFreeze    = 7
	FuncFreezeAtTimeNoAck  = 12
	FuncColdRestart        = 13
	FuncWarmRestart        = 14
	FuncInitializeData     = 15
	FuncInitializeAppl     = 16
	FuncStartAppl          = 17
	FuncStopAppl           = 18
	FuncSaveConfig         = 19
	FuncEnableUnsolicited  = 20
	FuncDisableUnsolicited = 21
	FuncAssignClass        = 22
	FuncDelayMeasure       = 23
	FuncRecordCurrentTime  = 24
	FuncOpenFile           = 25
	FuncCloseFile          = 26
	FuncDeleteFile         = 27
	FuncGetFileInfo        = 28
	FuncAuthenticateFile   = 29
	FuncAbortFile          = 30
	FuncActivateConfig     = 31
	FuncAuthRequest        = 32
	FuncAuthRequestNoAck   = 33
	FuncResponse           = 129
	FuncUnsolicited        = 130
	FuncAuthResponse       = 131
)

// Names as the spec (and Wireshark's display) spell them, so reports
// compare with other tools.
var funcNames = [...]string{
	0: "CONFIRM", 1: "READ", 2: "WRITE", 3: "SELECT", 4: "OPERATE",
	5: "DIRECT_OPERATE", 6: "DIRECT_OPERATE_NR", 7: "IMMED_FREEZE",
	8: "IMMED_FREEZE_NR", 9: "FREEZE_CLEAR", 10: "FREEZE_CLEAR_NR",
	11: "FREEZE_AT_TIME", 12: "FREEZE_AT_TIME_NR", 13: "COLD_RESTART",
	14: "WARM_RESTART", 15: "INITIALIZE_DATA", 16: "INITIALIZE_APPL",
	17: "START_APPL", 18: "STOP_APPL", 19: "SAVE_CONFIG",
	20: "ENABLE_UNSOLICITED", 21: "DISABLE_UNSOLICITED", 22: "ASSIGN_CLASS",
	23: "DELAY_MEASURE", 24: "RECORD_CURRENT_TIME", 25: "OPEN_FILE",
	26: "CLOSE_FILE", 27: "DELETE_FILE", 28: "GET_FILE_INFO",
	29: "AUTHENTICATE_FILE", 30: "ABORT_FILE", 31: "ACTIVATE_CONFIG",
	32: "AUTHENTICATE_REQ", 33: "AUTHENTICATE_REQ_NO_ACK", // IEEE 1815-2012; some dissectors say AUTHENTICATE_ERR
}

// FuncName names an application function code ("COLD_RESTART"), or
// returns "UNKNOWN" for codes the spec does not define.
func FuncName(fc uint8) string {
	switch fc {
	case FuncResponse:
		return "RESPONSE"
	case FuncUnsolicited:
		return "UNSOLICITED_RESPONSE"
	case FuncAuthResponse:
		return "AUTHENTICATE_RESP"
	}
	if int(fc) < len(funcNames) {
		return funcNames[fc]
	}
	return "UNKNOWN"
}

// Link layer function codes of primary (PRM=1) and secondary frames.
const (
	LinkResetLinkStates   = 0
	LinkTestLinkStates    = 2
	LinkConfirmedData     = 3
	LinkUnconfirmedData   = 4
	LinkRequestLinkStatus = 9

	LinkAck            = 0
	LinkNack           = 1
	LinkStatus         = 11
	LinkNotFunctioning = 14
	LinkNotSupported   = 15
)

// LinkFuncName names a link function code; primary is the PRM bit, which
// decides which of the two code tables applies.
func LinkFuncName(primary bool, fc uint8) string {
	if primary {
		switch fc {
		case LinkResetLinkStates:
			return "RESET_LINK_STATES"
		case 1:
			return "RESET_USER_PROCESS"
		case LinkTestLinkStates:
			return "TEST_LINK_STATES"
		case LinkConfirmedData:
			return "CONFIRMED_USER_DATA"
		case LinkUnconfirmedData:
			return "UNCONFIRMED_USER_DATA"
		case LinkRequestLinkStatus:
			return "REQUEST_LINK_STATUS"
		}
		return "UNKNOWN"
	}
	switch fc {
	case LinkAck:
		return "ACK"
	case LinkNack:
		return "NACK"
	case LinkStatus:
		return "LINK_STATUS"
	case LinkNotFunctioning:
		return "NOT_FUNCTIONING"
	case LinkNotSupported:
		return "NOT_SUPPORTED"
	}
	return "UNKNOWN"
}

// GroupName names an object group ("binary input", "file control").
func GroupName(g uint8) string {
	switch g {
	case 0:
		return "device attributes"
	case 1:
		return "binary input"
	case 2:
		return "binary input event"
	case 3:
		return "double-bit binary input"
	case 4:
		return "double-bit binary input event"
	case 10:
		return "binary output"
	case 11:
		return "binary output event"
	case 12:
		return "binary output command"
	case 13:
		return "binary output command event"
	case 20:
		return "counter"
	case 21:
		return "frozen counter"
	case 22:
		return "counter event"
	case 23:
		return "frozen counter event"
	case 30:
		return "analog input"
	case 31:
		return "frozen analog input"
	case 32:
		return "analog input event"
	case 33:
		return "frozen analog input event"
	case 34:
		return "analog input deadband"
	case 40:
		return "analog output status"
	case 41:
		return "analog output"
	case 42:
		return "analog output event"
	case 43:
		return "analog output command event"
	case 50:
		return "time and date"
	case 51:
		return "time and date CTO"
	case 52:
		return "time delay"
	case 60:
		return "class data"
	case 70:
		return "file control"
	case 80:
		return "internal indications"
	case 81:
		return "device storage"
	case 82:
		return "device profile"
	case 83:
		return "data set registration"
	case 85:
		return "data set prototype"
	case 86:
		return "data set descriptor"
	case 87:
		return "data set present value"
	case 88:
		return "data set snapshot"
	case 90:
		return "application identifier"
	case 91:
		return "status of requested operation"
	case 100:
		return "floating point"
	case 101:
		return "binary-coded decimal integer"
	case 102:
		return "unsigned 8-bit integer"
	case 110:
		return "octet string"
	case 111:
		return "octet string event"
	case 112:
		return "virtual terminal output block"
	case 113:
		return "virtual terminal event"
	case 120:
		return "authentication"
	case 121:
		return "security statistic"
	case 122:
		return "security statistic event"
	}
	return "unknown"
}

// Internal indication bits of Message.IIN (IIN1<<8 | IIN2).
const (
	IINBroadcast           uint16 = 0x0100
	IINClass1Events        uint16 = 0x0200
	IINClass2Events        uint16 = 0x0400
	IINClass3Events        uint16 = 0x0800
	IINNeedTime            uint16 = 0x1000
	IINLocalControl        uint16 = 0x2000
	IINDeviceTrouble       uint16 = 0x4000
	IINDeviceRestart       uint16 = 0x8000
	IINNoFuncCodeSupport   uint16 = 0x0001
	IINObjectUnknown       uint16 = 0x0002
	IINParameterError      uint16 = 0x0004
	IINEventBufferOverflow uint16 = 0x0008
	IINAlreadyExecuting    uint16 = 0x0010
	IINConfigCorrupt       uint16 = 0x0020
	IINReserved2           uint16 = 0x0040
	IINReserved1           uint16 = 0x0080
)

var iinNames = [16]string{
	"function code not supported", "object unknown", "parameter error",
	"event buffer overflow", "already executing", "configuration corrupt",
	"reserved 2", "reserved 1",
	"broadcast", "class 1 events", "class 2 events", "class 3 events",
	"need time", "local control", "device trouble", "device restart",
}

// IINString lists the internal indications set in iin, most significant
// first ("device restart, need time"); "" when none is set.
func IINString(iin uint16) string {
	var b strings.Builder
	for bit := 15; bit >= 0; bit-- {
		if iin&(1<<bit) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(iinNames[bit])
	}
	return b.String()
}

// IsResponse says whether fc is sent by an outstation (129-131).
func IsResponse(fc uint8) bool { return fc >= FuncResponse && fc <= FuncAuthResponse }

// IsWrite says whether fc writes objects into the outstation (2).
func IsWrite(fc uint8) bool { return fc == FuncWrite }

// IsControl says whether fc operates outputs: select (3), operate (4),
// direct operate (5) and direct operate without acknowledgement (6).
func IsControl(fc uint8) bool { return fc >= FuncSelect && fc <= FuncDirectOperateNoAck }

// IsFreeze says whether fc freezes counters or analogs (7-12).
func IsFreeze(fc uint8) bool { return fc >= FuncImmediateFreeze && fc <= FuncFreezeAtTimeNoAck }

// IsRestart says whether fc restarts the outstation: cold (13) or warm (14).
func IsRestart(fc uint8) bool { return fc == FuncColdRestart || fc == FuncWarmRestart }

// IsApplicationControl says whether fc initialises data (15), or
// initialises (16), starts (17) or stops (18) an application.
func IsApplicationControl(fc uint8) bool { return fc >= FuncInitializeData && fc <= FuncStopAppl }

// IsUnsolicitedControl says whether fc enables (20) or disables (21)
// unsolicited responses.
func IsUnsolicitedControl(fc uint8) bool {
	return fc == FuncEnableUnsolicited || fc == FuncDisableUnsolicited
}

// IsFileOp says whether fc is a file operation (25-30: open, close,
// delete, get info, authenticate, abort).
func IsFileOp(fc uint8) bool { return fc >= FuncOpenFile && fc <= FuncAbortFile }

// GroupFile is the file-control object group; HasGroup finds it (or any
// group) among a message's object headers.
const GroupFile = 70

// HasGroup says whether any object header in objs is of group g.
func HasGroup(objs []ot.Object, g uint8) bool {
	for i := range objs {
		if objs[i].Group == g {
			return true
		}
	}
	return false
}
