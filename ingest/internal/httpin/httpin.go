// Package httpin holds what the HTTP ingest endpoints (Splunk HEC, OTLP/HTTP)
// share: reading a request body within limits on the wire and after gzip
// decoding, so that a small compressed bomb cannot exhaust memory; bounding
// the values a request may turn into; turning a text record into fields;
// and merging fields into an event without letting a hostile request make
// it quadratic.
package httpin

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs/jsonl"
	"github.com/bulwarkhq/bulwark/logs/syslog"
)

// TooLargeError is a body over one of the limits of ReadBody. Endpoints
// answer it with 413.
type TooLargeError struct {
	What  string // "body" or "decoded body"
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s larger than the limit of %d bytes", e.What, e.Limit)
}

// EncodingError is a Content-Encoding the endpoints do not decode. Endpoints
// answer it with 415, as the HTTP specification asks.
type EncodingError struct{ Encoding string }

func (e *EncodingError) Error() string {
	return fmt.Sprintf("unsupported Content-Encoding %q (only gzip is decoded)", e.Encoding)
}

// CorruptError is a body that claims an encoding it does not have: a gzip
// stream that is damaged or cut short. Endpoints answer it with 400.
type CorruptError struct{ Err error }

func (e *CorruptError) Error() string { return "decoding the gzip body: " + e.Err.Error() }
func (e *CorruptError) Unwrap() error { return e.Err }

// ReadBody reads r's body, gunzipping it when Content-Encoding says gzip.
// At most maxBody bytes are read from the wire and at most maxDecoded bytes
// are produced by decoding; beyond either it returns a *TooLargeError
// without reading further. Other errors are a *EncodingError, a
// *CorruptError, or the error of reading the connection.
//
// A Content-Length over maxBody is refused before anything is read, and the
// body is read through http.MaxBytesReader so that the server closes the
// connection rather than draining an oversized body.
func ReadBody(w http.ResponseWriter, r *http.Request, maxBody, maxDecoded int64) ([]byte, error) {
	gz, err := isGzip(r.Header.Values("Content-Encoding"))
	if err != nil {
		return nil, err
	}
	if r.ContentLength > maxBody {
		return nil, &TooLargeError{What: "body", Limit: maxBody}
	}
	body := http.MaxBytesReader(w, r.Body, maxBody)
	defer body.Close()
	wire, err := readAll(body, r.ContentLength, maxBody+1)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &TooLargeError{What: "body", Limit: maxBody}
		}
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	if !gz {
		return wire, nil
	}
	return Gunzip(wire, maxDecoded)
}

// Gunzip decodes a gzip stream (one or more members, as gzip allows),
// producing at most limit bytes.
func Gunzip(data []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, &CorruptError{Err: err}
	}
	defer zr.Close()
	// Guess a size from the usual ratio of text logs; readAll grows from
	// there, up to one byte past the limit.
	out, err := readAll(io.LimitReader(zr, limit+1), int64(len(data))*4, limit+1)
	if err != nil {
		return nil, &CorruptError{Err: err}
	}
	if int64(len(out)) > limit {
		return nil, &TooLargeError{What: "decoded body", Limit: limit}
	}
	return out, nil
}

// readAll reads rd to the end. It starts from a buffer sized by hint (a
// Content-Length, or a guess) and doubles it, never beyond max bytes, which
// the caller makes one more than it accepts: a reader cut at the limit then
// shows an overflow as a full buffer, and an oversized body costs no
// allocation past the limit.
func readAll(rd io.Reader, hint, max int64) ([]byte, error) {
	size := int64(512)
	if hint > 0 {
		size = hint + 1 // +1 so that reading to EOF needs no growth
	}
	b := make([]byte, 0, min(size, max))
	for {
		if len(b) == cap(b) {
			if int64(cap(b)) >= max {
				return b, nil
			}
			b = slices.Grow(b, int(min(int64(cap(b)), max-int64(cap(b)))))
			b = b[:len(b):min(cap(b), int(max))]
		}
		n, err := rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// isGzip reads the Content-Encoding header: none or identity means plain,
// gzip (or its old alias x-gzip) means gzip; anything else, including a
// chain of encodings, is refused.
func isGzip(values []string) (bool, error) {
	var codings []string
	for _, v := range values {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "identity" {
				codings = append(codings, c)
			}
		}
	}
	switch {
	case len(codings) == 0:
		return false, nil
	case len(codings) == 1 && (codings[0] == "gzip" || codings[0] == "x-gzip"):
		return true, nil
	}
	return false, &EncodingError{Encoding: strings.Join(values, ", ")}
}

// Cost is what an event weighs against a request's budget of values: one
// for the event itself, one per field and one per element of a list, each
// some 60 to 120 bytes of memory. Endpoints sum it over a
// request so that the memory of the events a request becomes is bounded,
// whatever the request's shape: a body of small values costs far more in
// events than on the wire.
func Cost(e *event.Event) int {
	n := 1 + len(e.Fields)
	for i := range e.Fields {
		n += len(e.Fields[i].Value.List)
	}
	return n
}

// mapAt is the size of e.Fields×extra beyond which AddAbsent indexes the
// names rather than scanning: a request with many thousands of fields on
// each side must not make it quadratic.
const mapAt = 1 << 12

// AddAbsent appends each of extra to e unless e already has a field of that
// name (or an earlier element of extra did), and returns how many it added.
// Endpoints add metadata (HEC indexed fields, OTLP attributes) with it, so
// that the names the record itself uses win.
func AddAbsent(e *event.Event, extra []event.Field) int {
	if len(extra) == 0 {
		return 0
	}
	added := 0
	if len(e.Fields)*len(extra) <= mapAt {
		for _, f := range extra {
			if _, ok := e.Get(f.Name); !ok {
				e.Add(f.Name, f.Value)
				added++
			}
		}
		return added
	}
	have := make(map[string]struct{}, len(e.Fields)+len(extra))
	for i := range e.Fields {
		have[e.Fields[i].Name] = struct{}{}
	}
	for _, f := range extra {
		if _, ok := have[f.Name]; !ok {
			have[f.Name] = struct{}{}
			e.Add(f.Name, f.Value)
			added++
		}
	}
	return added
}

// Text fills e from a text record: a JSON object when it parses as one
// (flattened, with the Windows aliases, see jsonl.Parser), else the field
// "message", parsed as syslog when it is (syslog.Parser.ParseLine gives a
// line in no syslog dialect as the message alone). Line endings at the end
// are not part of the record: shippers reading files often keep them.
func Text(e *event.Event, b []byte, p *jsonl.Parser, sys *syslog.Parser) {
	b = bytes.TrimRight(b, "\r\n")
	if t := bytes.TrimLeft(b, " \t"); len(t) > 0 && t[0] == '{' {
		if p.Parse(e, t) == nil {
			return
		}
	}
	sys.ParseLine(e, b)
}

// Fields returns an empty field slice for the next event of a batch, sized
// like the batch's last event: events of one batch tend to have the same
// shape, and growing each slice field by field cost more CPU than decoding.
func Fields(batch []event.Event) []event.Field {
	n := 24
	if len(batch) > 0 {
		n = max(n, len(batch[len(batch)-1].Fields)+4)
	}
	return make([]event.Field, 0, n)
}
