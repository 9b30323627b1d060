// Package syslog reads syslog text files and parses syslog lines: RFC 5424
// (<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG), RFC 3164 / BSD
// ([<PRI>]Mmm dd hh:mm:ss host tag[pid]: msg, as rsyslog writes
// /var/log/auth.log, with the year inferred) and rsyslog's high-precision
// format (an RFC 3339 timestamp instead of the BSD one).
//
// Every non-blank line is an event. Fields, each present only when the line
// has it: facility and severity (names, "auth", "err"), facility_code and
// severity_code (numbers), hostname, app_name (the RFC 3164 tag), procid
// (an int when numeric), msgid, message, and structured data as
// sd.<id>.<param> (a list when a parameter repeats). A line in no known
// dialect still becomes an event, with the whole line as message. Event.Time
// is the line's timestamp; Source.Record is the line number and Raw the line.
//
// A message that is a JSON object (optionally after rsyslog's "@cee:"
// cookie) is parsed into fields as the jsonl reader parses a line, instead
// of being kept as message: Windows events shipped as JSON over syslog meet
// the Windows rules with the names those expect.
//
// ParseLine (on a Parser) is the line parser on its own, for the syslog
// network listener.
package syslog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/internal/scan"
	"github.com/bulwarkhq/bulwark/logs/jsonl"
)

// Name is the format's name.
const Name = "syslog"

// MaxLine is the longest line read; longer ones are skipped with a warning.
const MaxLine = 16 << 20

// Reader reads syslog files.
type Reader struct {
	// Now and Location configure each file's Parser (see Parser).
	Now      func() time.Time
	Location *time.Location
}

// New returns a Reader that places yearless timestamps relative to the
// current time, in the local zone.
func New() *Reader { return &Reader{} }

// Name returns "syslog".
func (*Reader) Name() string { return Name }

// Sniff reports whether most of the first lines of head (up to 20 non-blank
// ones) are syslog in one of the known dialects.
func (*Reader) Sniff(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if len(head) >= logs.SniffLen {
		// The last line may be cut short: judge complete lines only.
		if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
			head = head[:i]
		}
	}
	var p Parser
	total, ok := 0, 0
	for len(head) > 0 && total < 20 {
		var line []byte
		line, head, _ = bytes.Cut(head, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		total++
		if p.Parse(line).Format != Unknown {
			ok++
		}
	}
	return ok > 0 && 2*ok > total
}

// Read reads a syslog file, one event per non-blank line.
func (r *Reader) Read(ctx context.Context, in logs.Input, emit func(*event.Event) error) error {
	p := &Parser{Now: r.Now, Location: r.Location}
	s := scan.New(in.R, MaxLine)
	s.SkipBOM()
	e := &event.Event{}
	var lineNo int64
	for {
		if lineNo%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, off, err := s.Line()
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, scan.ErrTooLong):
			lineNo++
			in.Warnf(off, "line %d is %d bytes, longer than the limit of %d; skipped", lineNo, s.Skipped(), MaxLine)
			continue
		case err != nil:
			return fmt.Errorf("reading at offset %d: %w", off, err)
		}
		lineNo++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		e.Reset()
		p.ParseLine(e, line)
		e.Source = event.Source{Path: in.Path, Format: Name, Record: lineNo, Offset: off}
		e.Raw = line
		if err := emit(e); err != nil {
			return err
		}
	}
}

// ParseLine parses one line (without its line ending) into e's fields and
// time, appending to what e holds, and returns the dialect it was in. It
// does not set e.Source or e.Raw.
func (p *Parser) ParseLine(e *event.Event, line []byte) Format {
	m := p.Parse(line)
	text := string(line) // one allocation; fields are substrings of it
	sub := func(b []byte) string {
		if len(b) == 0 {
			return ""
		}
		// b is a sub-slice of line: its start is where its capacity says.
		start := cap(line) - cap(b)
		return text[start : start+len(b)]
	}
	if !m.Time.IsZero() {
		e.Time = m.Time
	}
	if m.HasPri {
		e.Add("facility", event.String(facilityName(m.Facility)))
		e.Add("facility_code", event.Int(int64(m.Facility)))
		e.Add("severity", event.String(severityNames[m.Severity]))
		e.Add("severity_code", event.Int(int64(m.Severity)))
	}
	if m.Hostname != nil {
		e.Add("hostname", event.String(sub(m.Hostname)))
	}
	if m.AppName != nil {
		e.Add("app_name", event.String(sub(m.AppName)))
	}
	if m.ProcID != nil {
		pid := sub(m.ProcID)
		if isDigits(pid) {
			e.Add("procid", event.Value{Kind: event.KindInt, Str: pid, Num: atof(pid)})
		} else {
			e.Add("procid", event.String(pid))
		}
	}
	if m.MsgID != nil {
		e.Add("msgid", event.String(sub(m.MsgID)))
	}
	if m.SD != nil {
		addSD(e, sub(m.SD))
	}
	if !p.addJSON(e, m.Msg) {
		e.Add("message", event.String(sub(m.Msg)))
	}
	return m.Format
}

// ceeCookie marks a JSON message in the CEE convention rsyslog follows.
var ceeCookie = []byte("@cee:")

// addJSON adds the fields of a message that is a JSON object, the way
// shippers such as NXLog (to_json) and rsyslog (mmjsonparse) carry Windows
// events and application logs over syslog; the fields are named as the
// jsonl reader names them, so Sigma rules see the same names as in a JSON
// file. The message text is then not kept again as a field. It reports
// false, changing nothing, when the message is not a JSON object.
func (p *Parser) addJSON(e *event.Event, msg []byte) bool {
	body := bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(msg), ceeCookie))
	if len(body) < 2 || body[0] != '{' || body[len(body)-1] != '}' {
		return false
	}
	if p.json == nil {
		p.json = jsonl.NewParser()
	}
	return p.json.Parse(e, body) == nil
}

var severityNames = [8]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

var facilityNames = [24]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

func facilityName(f int) string {
	if f >= 0 && f < len(facilityNames) {
		return facilityNames[f]
	}
	return ""
}

func isDigits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atof(s string) float64 {
	var n int64
	for i := 0; i < len(s); i++ {
		n = n*10 + int64(s[i]-'0')
	}
	return float64(n)
}

// addSD adds the structured data elements ([id k="v" ...]...) as
// sd.<id>.<k> fields; a parameter that repeats becomes a list. An element
// without parameters gives sd.<id> = "" so that its presence can be tested.
func addSD(e *event.Event, sd string) {
	// Values are collected first and lists built once, so that a line
	// repeating one parameter many times stays linear.
	type param struct {
		name string
		vals []event.Value
	}
	var params []param
	index := map[string]int{}
	add := func(name string, v event.Value) {
		if k, ok := index[name]; ok {
			params[k].vals = append(params[k].vals, v)
			return
		}
		index[name] = len(params)
		params = append(params, param{name, []event.Value{v}})
	}
	defer func() {
		for _, p := range params {
			if len(p.vals) == 1 {
				e.Add(p.name, p.vals[0])
			} else {
				e.Add(p.name, event.List(p.vals...))
			}
		}
	}()
	for len(sd) > 0 && sd[0] == '[' {
		sd = sd[1:]
		// SD-ID, up to a space or "]".
		i := strings.IndexAny(sd, " ]")
		if i < 0 {
			return
		}
		id := sd[:i]
		prefix := "sd." + id + "."
		sd = sd[i:]
		n := 0
		for len(sd) > 0 && sd[0] == ' ' {
			sd = strings.TrimLeft(sd, " ")
			eq := strings.IndexByte(sd, '=')
			if eq < 0 || eq+1 >= len(sd) || sd[eq+1] != '"' {
				break
			}
			name := sd[:eq]
			val, used, ok := sdValue(sd[eq+2:])
			if !ok {
				return
			}
			add(prefix+name, event.String(val))
			n++
			sd = sd[eq+2+used:]
		}
		if n == 0 {
			add("sd."+id, event.String(""))
		}
		// Skip to the end of the element.
		j := strings.IndexByte(sd, ']')
		if j < 0 {
			return
		}
		sd = sd[j+1:]
	}
}

// sdValue reads a PARAM-VALUE after its opening quote, undoing the \" \\
// and \] escapes, and returns it with the bytes consumed (closing quote
// included).
func sdValue(s string) (string, int, bool) {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			if b == nil {
				return s[:i], i + 1, true
			}
			return string(b), i + 1, true
		case '\\':
			if i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\' || s[i+1] == ']') {
				if b == nil {
					b = append([]byte(nil), s[:i]...)
				}
				b = append(b, s[i+1])
				i++
				continue
			}
			fallthrough
		default:
			if b != nil {
				b = append(b, c)
			}
		}
	}
	return "", len(s), false
}
