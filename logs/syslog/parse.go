package syslog

import (
	"bytes"
	"time"

	"github.com/bulwarkhq/bulwark/logs/internal/ts"
	"github.com/bulwarkhq/bulwark/logs/jsonl"
)

// Format is the dialect a line was recognised as.
type Format uint8

// The dialects.
const (
	// Unknown: not syslog; the whole line is the message.
	Unknown Format = iota
	// RFC5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG.
	RFC5424
	// RFC3164: [<PRI>]Mmm dd hh:mm:ss HOST TAG[PID]: MSG, the BSD format
	// rsyslog writes to /var/log/auth.log and syslog.
	RFC3164
	// RFC3339: [<PRI>]2006-01-02T15:04:05.000000+00:00 HOST TAG[PID]: MSG,
	// rsyslog's high-precision file format (RSYSLOG_FileFormat).
	RFC3339
)

func (f Format) String() string {
	switch f {
	case RFC5424:
		return "rfc5424"
	case RFC3164:
		return "rfc3164"
	case RFC3339:
		return "rfc3339"
	}
	return "unknown"
}

// Message is a parsed line. Its slices alias the line; nil means absent
// (RFC 5424's "-" included).
type Message struct {
	Format   Format
	HasPri   bool
	Facility int // 0..23, when HasPri
	Severity int // 0..7, when HasPri
	// Time is the timestamp; zero when the line has none. RFC 3164's has no
	// year, which the Parser infers (see Parser).
	Time     time.Time
	Hostname []byte
	AppName  []byte // RFC 5424 APP-NAME, or the RFC 3164 tag
	ProcID   []byte // RFC 5424 PROCID, or the pid in the tag's brackets
	MsgID    []byte
	SD       []byte // RFC 5424 structured data, raw ("[id k=\"v\"]...")
	Msg      []byte
}

// Parser parses syslog lines. It carries the state that places RFC 3164
// timestamps, which have no year, in time: the first one goes in the latest
// year that does not put it more than two days after Now (so "Dec 31" read
// on 2 January is last year's); each later one in the earliest year that
// does not put it more than a week before the previous timestamp, so that
// a file crossing New Year goes from December into the next January, and a
// gap of months in a log does not send it back a year. A file should be read
// with a Parser of its own; a listener keeps one for its lifetime.
type Parser struct {
	// Now returns the reference time for the first RFC 3164 timestamp;
	// nil means time.Now.
	Now func() time.Time
	// Location is the zone of RFC 3164 timestamps, which carry none; nil
	// means time.Local (the zone of the machine that wrote the log, when
	// analysing logs where they were written).
	Location *time.Location

	prev time.Time     // the last RFC 3164 timestamp placed
	json *jsonl.Parser // for messages that are JSON objects, made when first needed
}

// Parse parses one line (without its line ending). It never fails: a line
// that is not syslog gives Format Unknown with Msg set to the whole line.
func (p *Parser) Parse(line []byte) Message {
	var m Message
	rest := line
	if pri, n, ok := parsePri(rest); ok {
		m.HasPri, m.Facility, m.Severity = true, pri/8, pri%8
		rest = rest[n:]
	}
	switch {
	case m.HasPri && len(rest) >= 2 && rest[0] >= '1' && rest[0] <= '9' && (rest[1] == ' ' || rest[1] >= '0' && rest[1] <= '9' && len(rest) > 2 && rest[2] == ' '):
		if p.rfc5424(&m, rest) {
			return m
		}
	case len(rest) >= 15 && isMonth(rest):
		if p.rfc3164(&m, rest) {
			return m
		}
	case len(rest) >= 20 && rest[4] == '-' && isDigit(rest[0]):
		if p.rfc3339(&m, rest) {
			return m
		}
	}
	// Not a dialect we know. A valid PRI is kept: RFC 3164 allows a
	// message of any shape after it, and network senders use that.
	return Message{HasPri: m.HasPri, Facility: m.Facility, Severity: m.Severity, Msg: rest}
}

// parsePri parses "<PRI>" at the start of b.
func parsePri(b []byte) (pri, n int, ok bool) {
	if len(b) < 3 || b[0] != '<' {
		return 0, 0, false
	}
	for i := 1; i < len(b) && i <= 4; i++ {
		c := b[i]
		if c == '>' {
			if i == 1 || pri > 191 || (i > 2 && b[1] == '0') {
				return 0, 0, false
			}
			return pri, i + 1, true
		}
		if !isDigit(c) {
			return 0, 0, false
		}
		pri = pri*10 + int(c-'0')
	}
	return 0, 0, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// field splits the next space-delimited token off b.
func field(b []byte) (tok, rest []byte) {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// nilable maps RFC 5424's NILVALUE "-" to nil.
func nilable(b []byte) []byte {
	if len(b) == 1 && b[0] == '-' {
		return nil
	}
	return b
}

func (p *Parser) rfc5424(m *Message, b []byte) bool {
	_, b = field(b) // VERSION, checked by the caller's pattern
	tsTok, b := field(b)
	var host, app, proc, msgid []byte
	host, b = field(b)
	app, b = field(b)
	proc, b = field(b)
	msgid, b = field(b)
	if msgid == nil || len(host) == 0 || len(app) == 0 || len(proc) == 0 || len(msgid) == 0 {
		return false
	}
	if !(len(tsTok) == 1 && tsTok[0] == '-') {
		t, ok := ts.Parse(string(tsTok))
		if !ok {
			return false
		}
		m.Time = t
	}
	// STRUCTURED-DATA: "-" or one or more [..] elements.
	switch {
	case len(b) > 0 && b[0] == '-':
		b = b[1:]
	case len(b) > 0 && b[0] == '[':
		n, ok := sdLen(b)
		if !ok {
			return false
		}
		m.SD, b = b[:n], b[n:]
	default:
		return false
	}
	if len(b) > 0 {
		if b[0] != ' ' {
			return false
		}
		b = bytes.TrimPrefix(b[1:], []byte("\xef\xbb\xbf"))
	}
	m.Format = RFC5424
	m.Hostname, m.AppName, m.ProcID, m.MsgID = nilable(host), nilable(app), nilable(proc), nilable(msgid)
	m.Msg = b
	return true
}

// sdLen returns the length of the structured data at the start of b: one
// or more [...] elements, where `"`, `\` and `]` may be escaped inside
// quoted values.
func sdLen(b []byte) (int, bool) {
	i := 0
	for i < len(b) && b[i] == '[' {
		inQuote := false
		j := i + 1
		for ; j < len(b); j++ {
			c := b[j]
			if inQuote {
				if c == '\\' {
					j++
				} else if c == '"' {
					inQuote = false
				}
				continue
			}
			if c == '"' {
				inQuote = true
			} else if c == ']' {
				break
			}
		}
		if j >= len(b) {
			return 0, false
		}
		i = j + 1
	}
	return i, true
}

var months = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func isMonth(b []byte) bool { return month(b) > 0 }

func month(b []byte) int {
	if len(b) < 4 || b[3] != ' ' {
		return 0
	}
	for i, m := range months {
		if string(b[:3]) == m {
			return i + 1
		}
	}
	return 0
}

// num parses exactly n digits at b[i:].
func num(b []byte, i, n int) (int, bool) {
	if i+n > len(b) {
		return 0, false
	}
	v := 0
	for _, c := range b[i : i+n] {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// bsdTime parses "Mmm dd hh:mm:ss" (day space- or zero-padded, or one
// digit), optionally followed by a fraction and by a year ("Mmm dd yyyy
// hh:mm:ss", as some network devices write), and returns what follows it.
func (p *Parser) bsdTime(b []byte) (time.Time, []byte, bool) {
	mon := month(b)
	i := 4
	if i < len(b) && b[i] == ' ' {
		i++ // "Jan  1"
	}
	day := 0
	for k := 0; k < 2 && i < len(b) && isDigit(b[i]); k++ {
		day = day*10 + int(b[i]-'0')
		i++
	}
	if day < 1 || day > 31 || i >= len(b) || b[i] != ' ' {
		return time.Time{}, nil, false
	}
	i++
	year := 0
	if y, ok := num(b, i, 4); ok && i+4 < len(b) && b[i+4] == ' ' {
		year = y
		i += 5
	}
	h, ok1 := num(b, i, 2)
	mi, ok2 := num(b, i+3, 2)
	s, ok3 := num(b, i+6, 2)
	if !ok1 || !ok2 || !ok3 || b[i+2] != ':' || b[i+5] != ':' || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, nil, false
	}
	i += 8
	nsec := 0
	if i < len(b) && b[i] == '.' {
		i++
		start, scale := i, 1000000000
		for ; i < len(b) && isDigit(b[i]); i++ {
			if i-start < 9 {
				scale /= 10
				nsec += int(b[i]-'0') * scale
			}
		}
	}
	if s == 60 {
		s, nsec = 59, 999999999
	}
	if i < len(b) && b[i] != ' ' {
		return time.Time{}, nil, false
	}
	loc := p.Location
	if loc == nil {
		loc = time.Local
	}
	var t time.Time
	if year != 0 {
		t = time.Date(year, time.Month(mon), day, h, mi, s, nsec, loc)
		if t.Day() != day {
			return time.Time{}, nil, false
		}
	} else {
		// A date that exists in no nearby year (29 February far from a leap
		// year) leaves the time unset; the line is still syslog.
		t, _ = p.placeYear(mon, day, h, mi, s, nsec, loc)
	}
	if i < len(b) {
		i++
	}
	return t, b[i:], true
}

// placeYear chooses the year of a timestamp that has none (see Parser).
func (p *Parser) placeYear(mon, day, h, mi, s, nsec int, loc *time.Location) (time.Time, bool) {
	at := func(y int) (time.Time, bool) {
		t := time.Date(y, time.Month(mon), day, h, mi, s, nsec, loc)
		return t, t.Day() == day // 29 February exists in leap years only
	}
	if p.prev.IsZero() {
		now := time.Now()
		if p.Now != nil {
			now = p.Now()
		}
		limit := now.Add(48 * time.Hour)
		for y := now.In(loc).Year(); y > now.Year()-9; y-- {
			if t, ok := at(y); ok && !t.After(limit) {
				p.prev = t
				return t, true
			}
		}
		return time.Time{}, false
	}
	floor := p.prev.Add(-7 * 24 * time.Hour)
	for y := p.prev.In(loc).Year() - 1; y <= p.prev.In(loc).Year()+1; y++ {
		if t, ok := at(y); ok && !t.Before(floor) {
			p.prev = t
			return t, true
		}
	}
	return time.Time{}, false
}

func (p *Parser) rfc3164(m *Message, b []byte) bool {
	t, rest, ok := p.bsdTime(b)
	if !ok {
		return false
	}
	m.Format, m.Time = RFC3164, t
	p.hostTag(m, rest)
	return true
}

func (p *Parser) rfc3339(m *Message, b []byte) bool {
	tok, rest := field(b)
	if len(tok) < 19 || (tok[10] != 'T' && tok[10] != 't') {
		return false
	}
	t, ok := ts.Parse(string(tok))
	if !ok {
		return false
	}
	m.Format, m.Time = RFC3339, t
	p.hostTag(m, rest)
	return true
}

// hostTag parses "HOST TAG[PID]: MSG" after a timestamp. The host is left
// out by some senders: a first token that ends in ":" or holds "[" is taken
// as the tag.
func (p *Parser) hostTag(m *Message, b []byte) {
	tok, rest := field(b)
	if len(tok) > 0 && tok[len(tok)-1] != ':' && bytes.IndexByte(tok, '[') < 0 {
		m.Hostname, b = tok, rest
	}
	m.Msg = b
	// TAG: up to "[" or ":", then an optional [PID], then ":".
	end := 0
	for end < len(b) && end <= 128 {
		c := b[end]
		if c == '[' || c == ':' || c == ' ' {
			break
		}
		end++
	}
	if end == 0 || end >= len(b) || end > 128 || b[end] == ' ' {
		return
	}
	tag, j := b[:end], end
	var pid []byte
	if b[j] == '[' {
		k := bytes.IndexByte(b[j:], ']')
		if k < 0 {
			return
		}
		pid = b[j+1 : j+k]
		j += k + 1
	}
	if j >= len(b) || b[j] != ':' {
		if pid == nil {
			return
		}
		// "tag[pid] msg", without the colon: still a tag.
	} else {
		j++
	}
	if j < len(b) && b[j] == ' ' {
		j++
	}
	m.AppName, m.ProcID, m.Msg = tag, pid, b[j:]
	if len(pid) == 0 {
		m.ProcID = nil
	}
}
