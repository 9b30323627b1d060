package jsonl

import (
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs/internal/jsonflat"
)

// Parser turns single JSON objects into events exactly as Reader turns each
// record of a file: flattened to dotted names, with the Windows aliases, and
// Event.Time from the usual timestamp fields. Network receivers (Splunk HEC,
// OTLP) use it for JSON that arrives one record at a time rather than as a
// stream.
//
// A Parser keeps caches of the names it has seen, bounded in size, so that
// records of one shape are cheap after the first; it is not safe for
// concurrent use. The zero value is not usable: call NewParser.
type Parser struct {
	f *jsonflat.Flattener
	a *aliaser
}

// NewParser returns a Parser.
func NewParser() *Parser {
	return &Parser{f: jsonflat.New(), a: newAliaser()}
}

// Parse parses data, which must hold exactly one JSON object (surrounding
// whitespace allowed), and appends its fields to e.Fields. It sets e.Time
// when one of the timestamp fields holds a time, and otherwise leaves e.Time
// as it was. It sets neither e.Source nor e.Raw.
//
// Fields that e holds before the call are kept and play no part: they get
// no aliases, do not set the time, and do not stop the record from using
// their names. A caller that adds fields of its own does so afterwards,
// checking Event.Get first, so that the record's names win.
//
// Field values never alias data, so the caller may reuse it. On error, which
// for malformed JSON names the byte offset in data, e is left as it was, so
// that the caller can keep the text some other way.
func (p *Parser) Parse(e *event.Event, data []byte) error {
	// The record is built in an event of its own over e's spare capacity,
	// so that the flattener's deduplication, the aliases and the time see
	// the record alone; in the common case it then takes no copy.
	n := len(e.Fields)
	rec := event.Event{Fields: e.Fields[n:n:cap(e.Fields)]}
	if err := p.f.Object(&rec, data); err != nil {
		return err
	}
	// The same two steps, in the same order, as jsonflat.Read applies to
	// every record of the Reader (Options.Fix, then Options.Time).
	p.a.fix(p.f, &rec)
	timeFields.Set(&rec)
	e.Fields = append(e.Fields, rec.Fields...)
	if !rec.Time.IsZero() {
		e.Time = rec.Time
	}
	return nil
}
