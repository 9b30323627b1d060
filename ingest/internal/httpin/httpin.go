// Package httpin holds what the HTTP ingest endpoints (Splunk HEC, OTLP/HTTP)
// share: reading a request body within limits on the wire and after gzip
// decoding, so that a small compressed bomb cannot exhaust memory; bounding
// the values a request may turn into; and merging fields into an event
// without letting a hostile request make it quadratic.
package httpin

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/bulwarkhq/bulwark/event"
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
	wire, err := readAll(body, r.ContentLength, maxBody)
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
	// Guess a size from the usual ratio of text logs, capped by the limit;
	// readAll grows from there.
	out, err := readAll(io.LimitReader(zr, limit+1), min(int64(len(data))*4, limit), limit+1)
	if err != nil {
		return nil, &CorruptError{Err: err}
	}
	if int64(len(out)) > limit {
		return nil, &TooLargeError{What: "decoded body", Limit: limit}
	}
	return out, nil
}

// readAll reads rd to the end into a buffer sized from hint when it is
// known (a Content-Length), never allocating more than max up front: the
// hint comes from the client.
func readAll(rd io.Reader, hint, max int64) ([]byte, error) {
	size := int64(512)
	if hint > 0 {
		size = min(hint, max) + 1 // +1 so that reading to EOF needs no growth
	}
	var buf bytes.Buffer
	buf.Grow(int(size))
	_, err := buf.ReadFrom(rd)
	return buf.Bytes(), err
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
