package detect

import (
	"strings"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/ot"
	"github.com/bulwarkhq/bulwark/ot/dnp3"
	"github.com/bulwarkhq/bulwark/ot/modbus"
)

// kind is one detection; its rule id is "ot.<proto>.<name>" ("ot.net."
// for the flow rule, which has no protocol).
type kind uint8

const (
	kindWriteUnknownMaster kind = iota
	kindNewMaster
	kindNewFunction
	kindWriteOutsideRange
	kindRestart
	kindListenOnly
	kindClearCounters
	kindFileRead
	kindFileWrite
	kindFileOperation
	kindStopApp
	kindStartApp
	kindDisableUnsolicited
	kindEnableUnsolicited
	kindInitialize
	kindConfigChange
	kindFunctionSweep
	kindDeviceID
	kindExceptionBurst
	kindMalformed
	kindFlood
	kindUnexpectedFlow
	numKinds
)

// Levels, as Sigma names them.
const (
	LevelLow      = "low"
	LevelMedium   = "medium"
	LevelHigh     = "high"
	LevelCritical = "critical"
)

type ruleDef struct {
	name, level, title, description string
	attack                          []string
	// always rules fire whatever the baseline says, during learning too.
	// (function-sweep: its illegal-function half always, its
	// outside-the-baseline half after learning.)
	always bool
}

var ruleDefs = [numKinds]ruleDef{
	kindWriteUnknownMaster: {"write-unknown-master", LevelCritical,
		"Write or operate from a host that is not a known master",
		"A host that the baseline does not list as a master of this outstation sent a request that changes its outputs, registers or configuration.",
		[]string{"T0855", "T0836", "T0831"}, false},
	kindNewMaster: {"new-master", LevelMedium,
		"Request from a host that is not a known master",
		"A host that the baseline does not list as a master of this outstation sent it a request.",
		[]string{"T0801", "T0861"}, false},
	kindNewFunction: {"new-function", LevelMedium,
		"Known master used a function code outside its baseline",
		"A known master sent a function code it did not use with this outstation while the baseline was learnt.",
		[]string{"T0855"}, false},
	kindWriteOutsideRange: {"write-outside-range", LevelMedium,
		"Write outside the learnt address range",
		"A known master wrote to addresses outside the ranges it used with this outstation while the baseline was learnt.",
		[]string{"T0836", "T0831", "T0855"}, false},
	kindRestart: {"restart", LevelHigh,
		"Device restart command",
		"A request that restarts the outstation (DNP3 cold or warm restart, Modbus diagnostics restart communications option).",
		[]string{"T0816"}, true},
	kindListenOnly: {"force-listen-only", LevelHigh,
		"Force listen only mode",
		"Modbus diagnostics 08/0x04 puts the server in listen only mode: it stops answering until restarted.",
		[]string{"T0814", "T0804"}, true},
	kindClearCounters: {"clear-diagnostics", LevelMedium,
		"Diagnostic counters cleared",
		"Modbus diagnostics clearing the server's counters and diagnostic register hides earlier errors.",
		[]string{"T0872"}, true},
	kindFileRead: {"file-read", LevelMedium,
		"File record read",
		"Modbus read file record (20) reads the server's extended memory or files.",
		[]string{"T0845", "T0882"}, true},
	kindFileWrite: {"file-write", LevelHigh,
		"File record write",
		"Modbus write file record (21) writes the server's extended memory or files, a way to load programs or firmware.",
		[]string{"T0843", "T0839"}, true},
	kindFileOperation: {"file-operation", LevelHigh,
		"File operation on an outstation",
		"A DNP3 file transfer function (open, close, delete, get info, authenticate, abort file): files on an outstation are programs, configuration and firmware.",
		[]string{"T0843", "T0867", "T0839"}, true},
	kindStopApp: {"stop-application", LevelHigh,
		"Stop application",
		"DNP3 stop application (18) stops an application running on the outstation.",
		[]string{"T0881", "T0858"}, true},
	kindStartApp: {"start-application", LevelMedium,
		"Start application",
		"DNP3 start application (17) starts an application on the outstation.",
		[]string{"T0858"}, true},
	kindDisableUnsolicited: {"disable-unsolicited", LevelMedium,
		"Unsolicited responses disabled",
		"DNP3 disable unsolicited (21) stops the outstation reporting events on its own; masters send it at start-up, an attacker to blind the control room.",
		[]string{"T0815", "T0804"}, true},
	kindEnableUnsolicited: {"enable-unsolicited", LevelLow,
		"Unsolicited responses enabled",
		"DNP3 enable unsolicited (20) changes what the outstation reports on its own; routine at a master's start-up, worth knowing from any other host.",
		[]string{"T0855"}, true},
	kindInitialize: {"initialize", LevelHigh,
		"Initialize data or application",
		"DNP3 initialize data (15) or initialize application (16) resets values or an application to its initial state.",
		[]string{"T0831", "T0836"}, true},
	kindConfigChange: {"configuration-change", LevelHigh,
		"Configuration saved or activated",
		"DNP3 save configuration (19) or activate configuration (31) changes the outstation's configuration.",
		[]string{"T0836", "T0831"}, true},
	kindFunctionSweep: {"function-sweep", LevelHigh,
		"Function code sweep",
		"One host used many function codes outside the baseline, or drew many illegal function exceptions, from one outstation within a short window: a scan of what the device supports.",
		[]string{"T0846", "T0888"}, true},
	kindDeviceID: {"device-identification", LevelMedium,
		"Device identification read by a host outside the baseline",
		"A host read the device identification (Modbus 43/14 or report server id 17) without having done so while the baseline was learnt.",
		[]string{"T0888"}, false},
	kindExceptionBurst: {"exception-burst", LevelMedium,
		"Burst of exception responses",
		"An outstation refused many requests of one host within a short window, beyond the pair's learnt peak: probing, or a misconfigured master.",
		[]string{"T0888", "T0846"}, false},
	kindMalformed: {"malformed", LevelMedium,
		"Malformed frames",
		"Frames that break the protocol (bad CRC, invalid length or protocol identifier, truncated PDU): exploitation attempts, fuzzing, or a failing device.",
		[]string{"T0866", "T0814"}, true},
	kindFlood: {"flood", LevelHigh,
		"Message flood",
		"The message rate of a pair or of a source far exceeds its learnt peak and an absolute floor, or requests pile up unanswered (more than 32 within a second).",
		[]string{"T0814"}, true},
	kindUnexpectedFlow: {"unexpected-flow", LevelMedium,
		"Unexpected traffic to or from an OT asset",
		"An OT asset exchanged traffic that is not an industrial protocol and that the baseline does not list: remote services, lateral movement or command and control.",
		[]string{"T0886", "T0869"}, false},
}

// RuleInfo describes one rule for documentation and listings.
type RuleInfo struct {
	ID, Level, Title, Description string
	Attack                        []string
	// Always is true for rules that fire during learning and whatever the
	// baseline says.
	Always bool
}

// Rules lists every rule the detector can raise.
func Rules() []RuleInfo {
	var out []RuleInfo
	for k := kind(0); k < numKinds; k++ {
		for _, p := range rulePrefixes(k) {
			r := ruleFor(k, p)
			out = append(out, RuleInfo{r.ID, r.Level, r.Title, r.Description, r.Attack, ruleDefs[k].always})
		}
	}
	return out
}

// rulePrefixes are the protocols a kind exists for.
func rulePrefixes(k kind) []ot.Proto {
	switch k {
	case kindListenOnly, kindClearCounters, kindFileRead, kindFileWrite, kindDeviceID, kindWriteOutsideRange:
		return []ot.Proto{ot.ProtoModbus}
	case kindFileOperation, kindStopApp, kindStartApp, kindDisableUnsolicited, kindEnableUnsolicited, kindInitialize, kindConfigChange:
		return []ot.Proto{ot.ProtoDNP3}
	case kindUnexpectedFlow:
		return []ot.Proto{0}
	}
	return []ot.Proto{ot.ProtoModbus, ot.ProtoDNP3}
}

// ruleTable holds the alert.Rule of every kind and protocol, built once.
var ruleTable = func() (t [numKinds][3]alert.Rule) {
	for k := kind(0); k < numKinds; k++ {
		for p := 0; p < 3; p++ {
			d := ruleDefs[k]
			proto := "net"
			tags := []string{"ot", "attack.ics"}
			if p > 0 {
				proto = ot.Proto(p).String()
				tags = []string{"ot", proto, "attack.ics"}
			}
			for _, a := range d.attack {
				tags = append(tags, "attack."+strings.ToLower(a))
			}
			t[k][p] = alert.Rule{
				ID:          "ot." + proto + "." + d.name,
				Title:       d.title,
				Level:       d.level,
				Status:      "experimental",
				Author:      "Bulwark",
				Description: d.description,
				Attack:      d.attack,
				Tags:        tags,
			}
		}
	}
	return t
}()

func ruleFor(k kind, p ot.Proto) alert.Rule {
	if p > ot.ProtoDNP3 {
		p = 0
	}
	return ruleTable[k][p]
}

// operation classifies a request that is dangerous whoever sends it: the
// always-on operation rules. The decoders' classifiers are used where a
// rule covers a whole class; where one class splits into rules of
// different levels (application control into initialize, start and
// stop; unsolicited control into enable and disable) or a rule wants
// less than the class (of the diagnostics that change state, changing
// the ASCII input delimiter, a serial-line setting, has no rule), the
// rule lists its codes.
func operation(m *ot.Message) (kind, bool) {
	switch m.Proto {
	case ot.ProtoModbus:
		switch m.Func {
		case modbus.FuncDiagnostics:
			switch m.Sub {
			case modbus.DiagRestartCommunications:
				return kindRestart, true
			case modbus.DiagForceListenOnlyMode:
				return kindListenOnly, true
			case modbus.DiagClearCounters, modbus.DiagClearOverrunCounter:
				return kindClearCounters, true
			}
		case modbus.FuncReadFileRecord:
			return kindFileRead, true
		case modbus.FuncWriteFileRecord:
			return kindFileWrite, true
		}
	case ot.ProtoDNP3:
		if !m.HasApp {
			return 0, false
		}
		switch fc := m.Func; {
		case dnp3.IsRestart(fc):
			return kindRestart, true
		case dnp3.IsFileOp(fc):
			return kindFileOperation, true
		case fc == dnp3.FuncInitializeData, fc == dnp3.FuncInitializeAppl:
			return kindInitialize, true
		case fc == dnp3.FuncStartAppl:
			return kindStartApp, true
		case fc == dnp3.FuncStopAppl:
			return kindStopApp, true
		case fc == dnp3.FuncSaveConfig, fc == dnp3.FuncActivateConfig:
			return kindConfigChange, true
		case fc == dnp3.FuncDisableUnsolicited:
			return kindDisableUnsolicited, true
		case fc == dnp3.FuncEnableUnsolicited:
			return kindEnableUnsolicited, true
		}
	}
	return 0, false
}

// escalate raises a level one step.
func escalate(level string) string {
	switch level {
	case LevelLow:
		return LevelMedium
	case LevelMedium:
		return LevelHigh
	}
	return LevelCritical
}
