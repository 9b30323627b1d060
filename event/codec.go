package event

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// The binary encoding is how stores keep events: compact, cheap to write on
// the ingest path and cheap to read back on every search. Layout (version 1):
//
//	version   byte (1)
//	flags     byte: bit 0 set when Time is not the zero time
//	time      varint unix seconds, uvarint nanoseconds (only with flag bit 0)
//	source    string Path, string Format, varint Record, varint Offset
//	fields    uvarint count, then per field: name, value
//	name      uvarint tag: odd tags are tag>>1, an index into fieldNames;
//	          even tags are a length tag>>1, then the name's bytes
//	value     byte kind|numEncoding, string Str, Num as numEncoding says,
//	          and for KindList: uvarint count, then each element as a value
//	string    uvarint length, then the bytes
//
// Time is kept as seconds and nanoseconds rather than one nanosecond count so
// that every time.Time round-trips: a 64-bit nanosecond count only reaches
// 1678 to 2262, and EVTX readers meet the FILETIME epoch (1601) in practice.
// Raw is not stored: stores keep the parsed event, not the original bytes.
//
// Field names repeat in every event of a source and make up about a third of
// a Windows event's bytes; the common ones are written as an index into
// fieldNames instead, which shrinks stored events by about a quarter and
// spares the decoder copying them.

// binaryVersion is the first byte of every encoded event. Decoders reject
// versions they do not know rather than guess.
const binaryVersion = 1

// flagHasTime marks an encoding that carries a time; without it the event's
// time is the zero time.
const flagHasTime = 1

// The upper bits of a value's kind byte say how Num is stored, so that the
// common cases cost nothing (strings: Num is 0) or a byte or two (small
// integers) instead of eight.
const (
	kindMask     = 0x0f
	numMask      = 0x30
	numZero      = 0x00 // Num is +0 and not stored
	numVarint    = 0x10 // Num is integral and fits int64: zigzag varint
	numFloatBits = 0x20 // Num as its IEEE 754 bits, 8 bytes little endian
)

// maxListDepth bounds how deeply lists may nest, so that a crafted input
// cannot make decoding recurse without end. It matches encoding/json's own
// nesting limit, so anything a JSON reader produced still decodes.
const maxListDepth = 10000

// Minimum encoded sizes, used to reject counts that the remaining bytes could
// not possibly hold before allocating for them.
const (
	minValueSize = 2                // kind byte, empty Str
	minFieldSize = 1 + minValueSize // empty Name, then a value
)

// AppendBinary appends the binary encoding of e to dst and returns the
// extended slice. e.Raw is not encoded.
func AppendBinary(dst []byte, e *Event) []byte {
	dst = append(dst, binaryVersion)
	if e.Time.IsZero() {
		dst = append(dst, 0)
	} else {
		dst = append(dst, flagHasTime)
		dst = binary.AppendVarint(dst, e.Time.Unix())
		dst = binary.AppendUvarint(dst, uint64(e.Time.Nanosecond()))
	}
	dst = appendString(dst, e.Source.Path)
	dst = appendString(dst, e.Source.Format)
	dst = binary.AppendVarint(dst, e.Source.Record)
	dst = binary.AppendVarint(dst, e.Source.Offset)
	dst = binary.AppendUvarint(dst, uint64(len(e.Fields)))
	for i := range e.Fields {
		dst = appendName(dst, e.Fields[i].Name)
		dst = appendValue(dst, &e.Fields[i].Value)
	}
	return dst
}

func appendName(dst []byte, name string) []byte {
	if i, ok := fieldNameIndex[name]; ok {
		return binary.AppendUvarint(dst, uint64(i)<<1|1)
	}
	dst = binary.AppendUvarint(dst, uint64(len(name))<<1)
	return append(dst, name...)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendValue(dst []byte, v *Value) []byte {
	kind := byte(v.Kind) & kindMask
	bits := math.Float64bits(v.Num)
	switch {
	case bits == 0:
		dst = append(dst, kind|numZero)
		dst = appendString(dst, v.Str)
	case isInt64(v.Num):
		dst = append(dst, kind|numVarint)
		dst = appendString(dst, v.Str)
		dst = binary.AppendVarint(dst, int64(v.Num))
	default:
		dst = append(dst, kind|numFloatBits)
		dst = appendString(dst, v.Str)
		dst = binary.LittleEndian.AppendUint64(dst, bits)
	}
	if v.Kind == KindList {
		dst = binary.AppendUvarint(dst, uint64(len(v.List)))
		for i := range v.List {
			dst = appendValue(dst, &v.List[i])
		}
	}
	return dst
}

// isInt64 reports whether f is an integer that int64 holds exactly. Negative
// zero is excluded: converting it would lose its sign.
func isInt64(f float64) bool {
	return f == math.Trunc(f) && f >= math.MinInt64 && f < math.MaxInt64 && !(f == 0 && math.Signbit(f))
}

// DecodeBinary decodes data, as written by AppendBinary, into e. It resets e
// first and reuses the capacity of e.Fields. The decoded strings share one
// copy of data, so data may be reused once DecodeBinary returns.
//
// Corrupt or truncated input yields an error that names the byte offset
// where decoding failed; e then holds whatever was decoded before it.
func DecodeBinary(e *Event, data []byte) error {
	e.Reset()
	d := decoder{data: data}
	if err := d.event(e); err != nil {
		return fmt.Errorf("event: decode binary at byte %d: %w", d.pos, err)
	}
	return nil
}

// decoder reads the binary encoding. Strings are cut from text, one string
// copy of data made on first need, so that an event costs one allocation for
// all of its names and values instead of one per string.
type decoder struct {
	data []byte
	text string
	pos  int
}

func (d *decoder) event(e *Event) error {
	version, err := d.byte()
	if err != nil {
		return err
	}
	if version != binaryVersion {
		d.pos--
		return fmt.Errorf("unknown version %d", version)
	}
	flags, err := d.byte()
	if err != nil {
		return err
	}
	if flags&^flagHasTime != 0 {
		d.pos--
		return fmt.Errorf("unknown flags %#x", flags)
	}
	if flags&flagHasTime != 0 {
		if e.Time, err = d.time(); err != nil {
			return err
		}
	}
	if e.Source.Path, err = d.string(); err != nil {
		return err
	}
	if e.Source.Format, err = d.string(); err != nil {
		return err
	}
	if e.Source.Record, err = d.varint(); err != nil {
		return err
	}
	if e.Source.Offset, err = d.varint(); err != nil {
		return err
	}
	n, err := d.count(minFieldSize)
	if err != nil {
		return err
	}
	e.Fields = grow(e.Fields, n)
	for i := range e.Fields {
		f := &e.Fields[i]
		if f.Name, err = d.name(); err != nil {
			return err
		}
		if err = d.value(&f.Value, 0); err != nil {
			return err
		}
	}
	if d.pos != len(d.data) {
		return fmt.Errorf("%d trailing bytes", len(d.data)-d.pos)
	}
	return nil
}

// grow returns fields resized to n, reusing its array when large enough.
func grow(fields []Field, n int) []Field {
	if cap(fields) >= n {
		return fields[:n]
	}
	return make([]Field, n)
}

func (d *decoder) time() (time.Time, error) {
	sec, err := d.varint()
	if err != nil {
		return time.Time{}, err
	}
	start := d.pos
	nsec, err := d.uvarint()
	if err != nil {
		return time.Time{}, err
	}
	if nsec >= uint64(time.Second) {
		d.pos = start
		return time.Time{}, fmt.Errorf("nanoseconds %d out of range", nsec)
	}
	return time.Unix(sec, int64(nsec)).UTC(), nil
}

func (d *decoder) value(v *Value, depth int) error {
	start := d.pos
	b, err := d.byte()
	if err != nil {
		return err
	}
	kind := Kind(b & kindMask)
	if kind > KindList || b&^(kindMask|numMask) != 0 {
		d.pos = start
		return fmt.Errorf("bad value kind byte %#x", b)
	}
	v.Kind = kind
	if v.Str, err = d.string(); err != nil {
		return err
	}
	switch b & numMask {
	case numZero:
		v.Num = 0
	case numVarint:
		i, err := d.varint()
		if err != nil {
			return err
		}
		v.Num = float64(i)
	case numFloatBits:
		if len(d.data)-d.pos < 8 {
			return errTruncated
		}
		v.Num = math.Float64frombits(binary.LittleEndian.Uint64(d.data[d.pos:]))
		d.pos += 8
	default:
		d.pos = start
		return fmt.Errorf("bad number encoding in kind byte %#x", b)
	}
	v.List = nil
	if kind != KindList {
		return nil
	}
	if depth >= maxListDepth {
		d.pos = start
		return fmt.Errorf("lists nested deeper than %d", maxListDepth)
	}
	n, err := d.count(minValueSize)
	if err != nil {
		return err
	}
	if n == 0 {
		return nil // as List() makes it: the encoding keeps no nil/empty distinction
	}
	v.List = make([]Value, n)
	for i := range v.List {
		if err := d.value(&v.List[i], depth+1); err != nil {
			return err
		}
	}
	return nil
}

var errTruncated = errors.New("truncated")

var errVarintOverflow = errors.New("varint overflows 64 bits")

func (d *decoder) byte() (byte, error) {
	if d.pos >= len(d.data) {
		return 0, errTruncated
	}
	b := d.data[d.pos]
	d.pos++
	return b, nil
}

func (d *decoder) uvarint() (uint64, error) {
	u, n := binary.Uvarint(d.data[d.pos:])
	if n <= 0 {
		if n == 0 {
			return 0, errTruncated
		}
		return 0, errVarintOverflow
	}
	d.pos += n
	return u, nil
}

func (d *decoder) varint() (int64, error) {
	i, n := binary.Varint(d.data[d.pos:])
	if n <= 0 {
		if n == 0 {
			return 0, errTruncated
		}
		return 0, errVarintOverflow
	}
	d.pos += n
	return i, nil
}

// count reads an element count and checks that the remaining bytes can hold
// that many elements of at least minSize bytes each, so that a corrupt count
// cannot make the decoder allocate more than the input justifies.
func (d *decoder) count(minSize int) (int, error) {
	start := d.pos
	n, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if rest := len(d.data) - d.pos; n > uint64(rest/minSize) {
		d.pos = start
		return 0, fmt.Errorf("count %d exceeds the %d remaining bytes", n, rest)
	}
	return int(n), nil
}

func (d *decoder) name() (string, error) {
	start := d.pos
	tag, err := d.length()
	if err != nil {
		return "", err
	}
	if tag&1 == 1 {
		if i := tag >> 1; i < uint64(len(fieldNames)) {
			return fieldNames[i], nil
		}
		d.pos = start
		return "", fmt.Errorf("field name index %d out of range", tag>>1)
	}
	return d.bytes(start, tag>>1)
}

// length reads a uvarint, fast for the one-byte lengths of most names and
// values.
func (d *decoder) length() (uint64, error) {
	if d.pos < len(d.data) && d.data[d.pos] < 0x80 {
		n := uint64(d.data[d.pos])
		d.pos++
		return n, nil
	}
	return d.uvarint()
}

func (d *decoder) string() (string, error) {
	start := d.pos
	n, err := d.length()
	if err != nil {
		return "", err
	}
	return d.bytes(start, n)
}

// bytes returns the next n bytes as a string; start is where their length
// began, for the error.
func (d *decoder) bytes(start int, n uint64) (string, error) {
	if rest := len(d.data) - d.pos; n > uint64(rest) {
		d.pos = start
		return "", fmt.Errorf("string length %d exceeds the %d remaining bytes", n, rest)
	}
	if n == 0 {
		return "", nil
	}
	if d.text == "" {
		d.text = string(d.data)
	}
	s := d.text[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return s, nil
}

// fieldNames are the field names the encoding writes as an index. Stored
// events refer to them by position, so the list is append-only: never
// reorder, remove or edit an entry, only add at the end (and changing it in
// any other way needs a new binaryVersion).
var fieldNames = [...]string{
	// EVTX System, as the EVTX reader names it.
	"Provider_Name", "Provider_Guid", "Provider_EventSourceName", "EventID", "EventID_Qualifiers",
	"Version", "Level", "Task", "Opcode", "Keywords", "TimeCreated_SystemTime", "EventRecordID",
	"Correlation_ActivityID", "Correlation_RelatedActivityID", "Execution_ProcessID",
	"Execution_ThreadID", "Channel", "Computer", "Security_UserID", "Data",
	// Sysmon EventData.
	"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "FileVersion", "Description",
	"Product", "Company", "OriginalFileName", "CommandLine", "CurrentDirectory", "User",
	"LogonGuid", "LogonId", "TerminalSessionId", "IntegrityLevel", "Hashes", "ParentProcessGuid",
	"ParentProcessId", "ParentImage", "ParentCommandLine", "ParentUser", "TargetFilename",
	"CreationUtcTime", "PreviousCreationUtcTime", "TargetObject", "Details", "EventType",
	"NewName", "Protocol", "Initiated", "SourceIsIpv6", "SourceIp", "SourceHostname",
	"SourcePort", "SourcePortName", "DestinationIsIpv6", "DestinationIp", "DestinationHostname",
	"DestinationPort", "DestinationPortName", "QueryName", "QueryStatus", "QueryResults",
	"ImageLoaded", "Signed", "Signature", "SignatureStatus", "SourceProcessGuid",
	"SourceProcessId", "SourceImage", "SourceThreadId", "SourceUser", "TargetProcessGuid",
	"TargetProcessId", "TargetImage", "TargetUser", "GrantedAccess", "CallTrace", "NewThreadId",
	"StartAddress", "StartModule", "StartFunction", "PipeName", "Device", "State",
	"Archived", "IsExecutable",
	// Security and System log EventData.
	"SubjectUserSid", "SubjectUserName", "SubjectDomainName", "SubjectLogonId", "TargetUserSid",
	"TargetUserName", "TargetDomainName", "TargetLogonId", "TargetLinkedLogonId",
	"TargetOutboundUserName", "TargetOutboundDomainName", "LogonType", "LogonProcessName",
	"AuthenticationPackageName", "WorkstationName", "TransmittedServices", "LmPackageName",
	"KeyLength", "ProcessName", "IpAddress", "IpPort", "ImpersonationLevel", "RestrictedAdminMode",
	"VirtualAccount", "ElevatedToken", "NewProcessId", "NewProcessName", "TokenElevationType",
	"ParentProcessName", "MandatoryLabel", "PrivilegeList", "Status", "SubStatus",
	"FailureReason", "ObjectServer", "ObjectType", "ObjectName", "HandleId", "AccessList",
	"AccessMask", "AccessReason", "ShareName", "ShareLocalPath", "RelativeTargetName",
	"ServiceName", "ServiceFileName", "ServiceType", "StartType", "AccountName",
	"ImagePath", "param1", "param2", "param3", "param4", "ScriptBlockText", "ScriptBlockId",
	"MessageNumber", "MessageTotal", "Path", "HostApplication", "ContextInfo", "Payload",
	// ECS, syslog and generic JSON sources.
	"@timestamp", "message", "host", "host.name", "hostname", "Hostname", "app_name", "procid",
	"msgid", "facility", "facility_code", "severity", "severity_code", "event.code",
	"event.action", "event.category", "event.type", "event.outcome", "event.provider",
	"winlog.event_id", "winlog.channel", "winlog.provider_name", "winlog.computer_name",
	"process.name", "process.pid", "process.executable", "process.command_line",
	"process.parent.name", "process.parent.executable", "user.name", "user.domain",
	"source.ip", "source.port", "destination.ip", "destination.port", "url.original",
	"file.path", "file.name", "src_ip", "src_port", "dest_ip", "dest_port", "proto",
	"event_type", "timestamp", "eventName", "eventSource", "eventTime", "awsRegion",
	"sourceIPAddress", "userAgent", "errorCode", "errorMessage",
}

// fieldNameIndex maps each of fieldNames to its position.
var fieldNameIndex = func() map[string]int {
	m := make(map[string]int, len(fieldNames))
	for i, name := range fieldNames {
		m[name] = i
	}
	return m
}()
