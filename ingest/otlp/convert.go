package otlp

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/ingest/internal/httpin"
	"github.com/bulwarkhq/bulwark/logs/jsonl"
	"github.com/bulwarkhq/bulwark/logs/syslog"
)

// converter turns one request's log records into events. It is not safe
// for concurrent use; each request has its own.
type converter struct {
	p       *jsonl.Parser
	sys     syslog.Parser
	now     time.Time // the time of receipt, for records without one
	budget  int       // values left before the request is too large
	buf     []byte    // JSON of the map being flattened
	scratch event.Event
	meta    []event.Field
}

func newConverter(p *jsonl.Parser, opt Options) *converter {
	c := &converter{p: p, now: opt.Now(), budget: opt.MaxValues}
	c.sys.Now, c.sys.Location = opt.Now, opt.Location
	return c
}

// logs converts every record of ld, in order.
func (c *converter) logs(ld plog.Logs) ([]event.Event, error) {
	evs := make([]event.Event, 0, ld.LogRecordCount())
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		attrs, err := c.attributes(rl.Resource().Attributes())
		if err != nil {
			return nil, fmt.Errorf("resource_logs %d: resource attributes: %w", i, err)
		}
		// A copy: the records' attributes reuse the scratch event.
		res := append([]event.Field(nil), attrs.Fields...)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				evs = append(evs, event.Event{Fields: httpin.Fields(evs)})
				e := &evs[len(evs)-1]
				if err := c.record(e, lrs.At(k), res, sl.Scope()); err != nil {
					return nil, fmt.Errorf("resource_logs %d, scope_logs %d, log_records %d: %w", i, j, k, err)
				}
				e.Source = event.Source{Path: Name, Format: Name, Record: int64(len(evs)), Offset: -1}
				if c.budget -= httpin.Cost(e); c.budget < 0 {
					return nil, errTooMany
				}
			}
		}
	}
	return evs, nil
}

// record fills e from lr: body, attributes, resource attributes, then the
// record's own metadata, each adding only names not yet taken.
func (c *converter) record(e *event.Event, lr plog.LogRecord, res []event.Field, scope pcommon.InstrumentationScope) error {
	switch body := lr.Body(); body.Type() {
	case pcommon.ValueTypeEmpty:
	case pcommon.ValueTypeStr:
		s := body.Str()
		e.Raw = []byte(s)
		httpin.Text(e, e.Raw, c.p, &c.sys)
	case pcommon.ValueTypeMap:
		c.buf = appendMap(c.buf[:0], body.Map())
		if err := c.p.Parse(e, c.buf); err != nil {
			return fmt.Errorf("body: %w", err)
		}
	default:
		// Numbers, booleans, bytes (base64) and arrays (JSON) as text.
		e.Add("message", event.String(body.AsString()))
	}
	bodyTime := e.Time
	attrs, err := c.attributes(lr.Attributes())
	if err != nil {
		return fmt.Errorf("attributes: %w", err)
	}
	httpin.AddAbsent(e, attrs.Fields)
	httpin.AddAbsent(e, res)
	httpin.AddAbsent(e, c.metadata(lr, scope))
	e.Time = recordTime(lr, bodyTime, attrs.Time, c.now)
	return nil
}

// attributes flattens a map of attributes as the body is flattened, into
// the converter's scratch event, which the next call reuses.
func (c *converter) attributes(m pcommon.Map) (*event.Event, error) {
	c.scratch.Reset()
	if m.Len() == 0 {
		return &c.scratch, nil
	}
	c.buf = appendMap(c.buf[:0], m)
	if err := c.p.Parse(&c.scratch, c.buf); err != nil {
		return nil, err
	}
	return &c.scratch, nil
}

// metadata returns the record's fields that are not attributes, each when
// set.
func (c *converter) metadata(lr plog.LogRecord, scope pcommon.InstrumentationScope) []event.Field {
	m := c.meta[:0]
	add := func(name string, v event.Value) { m = append(m, event.Field{Name: name, Value: v}) }
	if s := lr.SeverityText(); s != "" {
		add("severity_text", event.String(s))
	}
	if n := lr.SeverityNumber(); n != plog.SeverityNumberUnspecified {
		add("severity_number", event.Int(int64(n)))
	}
	if id := lr.TraceID(); !id.IsEmpty() {
		add("trace_id", event.String(id.String()))
	}
	if id := lr.SpanID(); !id.IsEmpty() {
		add("span_id", event.String(id.String()))
	}
	if s := lr.EventName(); s != "" {
		add("event_name", event.String(s))
	}
	if s := scope.Name(); s != "" {
		add("scope.name", event.String(s))
	}
	if s := scope.Version(); s != "" {
		add("scope.version", event.String(s))
	}
	c.meta = m
	return m
}

// recordTime chooses the event time (see the package documentation).
// Timestamps past 2262 do not fit time.Unix's nanoseconds and count as
// unset.
func recordTime(lr plog.LogRecord, body, attrs, now time.Time) time.Time {
	if ts := uint64(lr.Timestamp()); ts != 0 && ts <= math.MaxInt64 {
		return time.Unix(0, int64(ts)).UTC()
	}
	switch {
	case !body.IsZero():
		return body
	case !attrs.IsZero():
		return attrs
	}
	if ts := uint64(lr.ObservedTimestamp()); ts != 0 && ts <= math.MaxInt64 {
		return time.Unix(0, int64(ts)).UTC()
	}
	return now
}

// appendMap appends m as a JSON object, keys in their order, for the jsonl
// Parser to flatten: one path for JSON text and maps keeps their fields,
// aliases and times the same.
func appendMap(b []byte, m pcommon.Map) []byte {
	b = append(b, '{')
	first := true
	for k, v := range m.All() {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, k)
		b = append(b, ':')
		b = appendValue(b, v)
	}
	return append(b, '}')
}

func appendValue(b []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendString(b, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(b, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		f := v.Double()
		switch {
		case math.IsNaN(f):
			return append(b, `"NaN"`...)
		case math.IsInf(f, 1):
			return append(b, `"Infinity"`...)
		case math.IsInf(f, -1):
			return append(b, `"-Infinity"`...)
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(b, v.Bool())
	case pcommon.ValueTypeMap:
		return appendMap(b, v.Map())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		b = append(b, '[')
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, s.At(i))
		}
		return append(b, ']')
	case pcommon.ValueTypeBytes:
		// As OTLP's JSON encoding writes bytes.
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v.Bytes().AsRaw())
		return append(b, '"')
	}
	return append(b, "null"...)
}

// appendString appends s as a JSON string. Bytes that are not valid UTF-8
// are kept as they are, which the flattener keeps too, for fidelity to the
// evidence.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
