package hec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/ingest/internal/httpin"
	"github.com/bulwarkhq/bulwark/logs/jsonl"
	"github.com/bulwarkhq/bulwark/logs/syslog"
)

// decodeError is a request refused for its content: the answer for the
// client, and the detail (event, field, byte offset) for the log.
type decodeError struct {
	reply reply
	n     int    // 0-based number of the event at fault
	off   int    // byte offset of that event in the decoded body
	field string // envelope key at fault, "" when none
	err   error
}

func (e *decodeError) Error() string {
	what := ""
	if e.field != "" {
		what = fmt.Sprintf(" field %q:", e.field)
	}
	return fmt.Sprintf("event %d at byte %d:%s %v", e.n, e.off, what, e.err)
}

func (e *decodeError) Unwrap() error { return e.err }

// decoder turns one request's body into events. It is not safe for
// concurrent use; each request has its own.
type decoder struct {
	p       *jsonl.Parser
	sys     syslog.Parser
	now     time.Time // the time of receipt, for events without one
	budget  int       // values left before the request is too large
	defMeta meta      // from the query and the options
	scratch event.Event
}

// meta is an envelope's metadata, or the request's defaults for it.
type meta struct {
	host, source, sourcetype, index string
}

func newDecoder(p *jsonl.Parser, opt Options, q url.Values) *decoder {
	d := &decoder{p: p, budget: opt.MaxValues, now: opt.Now()}
	d.sys.Now, d.sys.Location = opt.Now, opt.Location
	d.defMeta = meta{
		host:       q.Get("host"),
		source:     q.Get("source"),
		sourcetype: q.Get("sourcetype"),
		index:      q.Get("index"),
	}
	if d.defMeta.source == "" {
		d.defMeta.source = opt.Source
	}
	return d
}

// envelope is the raw JSON of an envelope's keys; nil when absent.
type envelope struct {
	time, host, source, sourcetype, index, event, fields json.RawMessage
}

// skip discards a value of a key the envelope format does not define,
// without copying it.
type skip struct{}

func (*skip) UnmarshalJSON([]byte) error { return nil }

// envelopes decodes a body of JSON envelopes, concatenated or separated by
// whitespace, as Splunk accepts them.
func (d *decoder) envelopes(body []byte) ([]event.Event, error) {
	var evs []event.Event
	for n, i := 0, 0; ; n++ {
		start := skipSpace(body, i)
		if start == len(body) {
			return evs, nil
		}
		env, end, err := scanEnvelope(body, start)
		if err != nil {
			return nil, &decodeError{reply: badEvent(codeInvalidFormat, n), n: n, off: start, err: err}
		}
		i = end
		evs = append(evs, event.Event{Fields: httpin.Fields(evs)})
		e := &evs[len(evs)-1]
		if err := d.envelope(e, env); err != nil {
			err.n, err.off, err.reply.event = n, start, n
			return nil, err
		}
		e.Source = event.Source{Path: Name, Format: Name, Record: int64(n) + 1, Offset: int64(start)}
		e.Raw = body[start:end:end]
		if err := d.charge(e, n, start); err != nil {
			return nil, err
		}
	}
}

// envelope fills e from env. The returned error's event number and offset
// are the caller's to set.
func (d *decoder) envelope(e *event.Event, env envelope) *decodeError {
	fail := func(code int, field string, err error) *decodeError {
		return &decodeError{reply: badEvent(code, 0), field: field, err: err}
	}
	switch {
	case env.event == nil:
		return fail(codeEventRequired, "event", errors.New("missing"))
	case isNull(env.event):
		return fail(codeEventBlank, "event", errors.New("null"))
	}
	switch env.event[0] {
	case '{':
		if err := d.p.Parse(e, env.event); err != nil {
			return fail(codeInvalidFormat, "event", err)
		}
	case '"':
		var s string
		if err := json.Unmarshal(env.event, &s); err != nil {
			return fail(codeInvalidFormat, "event", err)
		}
		if s == "" {
			return fail(codeEventBlank, "event", errors.New("empty string"))
		}
		d.text(e, []byte(s))
	default:
		// A number, boolean or array: Splunk indexes its text.
		e.Add("message", event.String(string(env.event)))
	}
	if env.fields != nil && !isNull(env.fields) {
		if env.fields[0] != '{' {
			return fail(codeFields, "fields", errors.New("not a JSON object"))
		}
		d.scratch.Reset()
		if err := d.p.Parse(&d.scratch, env.fields); err != nil {
			return fail(codeFields, "fields", err)
		}
		httpin.AddAbsent(e, d.scratch.Fields)
		d.scratch.Reset()
	}
	m := d.defMeta
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{
		{"host", env.host, &m.host},
		{"source", env.source, &m.source},
		{"sourcetype", env.sourcetype, &m.sourcetype},
		{"index", env.index, &m.index},
	} {
		s, ok, err := metaString(f.raw)
		if err != nil {
			return fail(codeInvalidFormat, f.name, err)
		}
		if ok {
			*f.dst = s
		}
	}
	d.addMeta(e, m)
	if env.time != nil && !isNull(env.time) && string(env.time) != `""` {
		t, err := epochTime(env.time)
		if err != nil {
			return fail(codeInvalidFormat, "time", err)
		}
		e.Time = t
	}
	if e.Time.IsZero() {
		e.Time = d.now
	}
	return nil
}

// text fills e from a text record (see httpin.Text).
func (d *decoder) text(e *event.Event, b []byte) { httpin.Text(e, b, d.p, &d.sys) }

// addMeta adds the envelope's metadata as fields, unless the event has
// fields of those names.
func (d *decoder) addMeta(e *event.Event, m meta) {
	var extra [4]event.Field
	n := 0
	for _, f := range [...]event.Field{
		{Name: "host", Value: event.String(m.host)},
		{Name: "source", Value: event.String(m.source)},
		{Name: "sourcetype", Value: event.String(m.sourcetype)},
		{Name: "index", Value: event.String(m.index)},
	} {
		if f.Value.Str != "" {
			extra[n] = f
			n++
		}
	}
	httpin.AddAbsent(e, extra[:n])
}

// charge takes e's cost from the request's budget of values.
func (d *decoder) charge(e *event.Event, n, off int) error {
	if d.budget -= httpin.Cost(e); d.budget < 0 {
		return &decodeError{reply: replyTooLarge, n: n, off: off,
			err: errors.New("the request holds more values than the limit (Options.MaxValues)")}
	}
	return nil
}

// raw decodes the body of the raw endpoint: one event per line, blank lines
// skipped, each a JSON object or text (see text).
func (d *decoder) raw(body []byte) ([]event.Event, error) {
	var evs []event.Event
	line := int64(0)
	for off := 0; off < len(body); {
		end := bytes.IndexByte(body[off:], '\n')
		if end < 0 {
			end = len(body)
		} else {
			end += off
		}
		b := body[off:end]
		start := off
		off = end + 1
		line++
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		evs = append(evs, event.Event{Fields: httpin.Fields(evs)})
		e := &evs[len(evs)-1]
		d.text(e, b)
		d.addMeta(e, d.defMeta)
		if e.Time.IsZero() {
			e.Time = d.now
		}
		b = bytes.TrimRight(b, "\r")
		e.Source = event.Source{Path: Name, Format: Name, Record: line, Offset: int64(start)}
		e.Raw = b[:len(b):len(b)]
		if err := d.charge(e, len(evs)-1, start); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// metaString reads host, source, sourcetype or index: a string, or a number
// kept as its text; null is absent.
func metaString(raw json.RawMessage) (string, bool, error) {
	if raw == nil || isNull(raw) {
		return "", false, nil
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err == nil, err
	case c == '-' || c >= '0' && c <= '9':
		return string(raw), true, nil
	}
	return "", false, errors.New("not a string")
}

// maxEpoch is the first second of the year 10000, past which times are
// not representable in RFC 3339.
const maxEpoch = 253402300800

// epochTime reads the envelope's time: epoch seconds, as a number or as
// numeric text, with a fraction ("1714557600.25"). Null and "" are taken
// for no time by the caller, as some shippers send them so. A value too large to be
// seconds is read as milliseconds, microseconds or nanoseconds by its
// magnitude, since shippers misconfigured that way are common and a wrong
// unit is no reason to drop the data.
func epochTime(raw json.RawMessage) (time.Time, error) {
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, err
		}
	} else if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return time.Time{}, errors.New("not a number or numeric text")
	}
	if s == "" {
		return time.Time{}, errors.New("empty")
	}
	sec, nsec, ok := decimal(s)
	if !ok {
		f, err := strconv.ParseFloat(s, 64)
		// 1e19 keeps the conversion to uint64 exact in range; as
		// nanoseconds it is already past the year 2286.
		if err != nil || math.IsNaN(f) || f < 0 || f >= 1e19 {
			return time.Time{}, fmt.Errorf("%q is not epoch seconds", s)
		}
		sec = uint64(f)
		nsec = uint64((f - math.Floor(f)) * 1e9)
	}
	for _, unit := range []uint64{1, 1e3, 1e6, 1e9} {
		if sec/unit < maxEpoch {
			whole := sec / unit
			ns := (sec%unit)*(1e9/unit) + nsec/unit
			return time.Unix(int64(whole), int64(ns)).UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is out of range", s)
}

// decimal reads digits with an optional fraction exactly: seconds and the
// first nine digits of the fraction as nanoseconds.
func decimal(s string) (sec, nsec uint64, ok bool) {
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if i >= 19 {
			return 0, 0, false // leave it to ParseFloat, which bounds it
		}
		sec = sec*10 + uint64(s[i]-'0')
	}
	if i == 0 {
		return 0, 0, false
	}
	if i == len(s) {
		return sec, 0, true
	}
	if s[i] != '.' || i+1 == len(s) {
		return 0, 0, false
	}
	scale := uint64(1e9)
	for i++; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		if scale > 1 {
			scale /= 10
			nsec += uint64(c-'0') * scale
		}
	}
	return sec, nsec, true
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}
