package otlp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/ingest"
	"github.com/bulwarkhq/bulwark/ingest/internal/httpin"
	"github.com/bulwarkhq/bulwark/logs/jsonl"
)

// Name is the value of Source.Path and Source.Format of the events.
const Name = "otlp"

// LogsPath is the path of the logs endpoint.
const LogsPath = "/v1/logs"

// Options configure the handler. Zero values mean the defaults.
type Options struct {
	// Limits bound one request (see ingest.Limits for the defaults).
	// MaxValues counts both the messages (or JSON objects and arrays) of
	// a request and the values of the events it becomes.
	ingest.Limits
	// Location is the zone of syslog timestamps that carry none (RFC
	// 3164's); nil means time.Local, as for syslog files.
	Location *time.Location
	// Now returns the time of receipt, given to records with no time of
	// their own; nil means time.Now.
	Now func() time.Time
	// Logger receives what the client is not told in full: sink failures
	// (at error level) and refused requests (at debug level). Nil discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	o.Limits = o.Limits.WithDefaults()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// New returns the OTLP/HTTP logs handler. It serves LogsPath and answers
// 404 to other paths, so the server may mount it at /v1/logs alone or at
// /v1/ (where traces and metrics get 404, which exporters report plainly).
func New(sink ingest.Sink, opts Options) http.Handler {
	h := &handler{sink: sink, opt: opts.withDefaults()}
	h.parsers.New = func() any { return jsonl.NewParser() }
	return h
}

type handler struct {
	sink ingest.Sink
	opt  Options
	// parsers holds jsonl Parsers between requests, which keep their name
	// caches warm; one is not safe for concurrent use.
	parsers sync.Pool
}

// encoding is the encoding of a request, and of its answer.
type encoding uint8

const (
	encJSON encoding = iota // also for answers to requests of no known type
	encProto
)

const (
	typeProto = "application/x-protobuf"
	typeJSON  = "application/json"
)

// failure is an answer other than 200: the HTTP status, the Status message
// sent (code and text), and the detail logged.
type failure struct {
	status int
	code   int32
	msg    string
	err    error
}

func (f *failure) Error() string { return f.msg }

func fail(status int, code int32, err error, format string, args ...any) *failure {
	return &failure{status: status, code: code, msg: fmt.Sprintf(format, args...), err: err}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	enc, resp, f := h.serve(w, r)
	if f != nil {
		level := slog.LevelDebug
		if f.err != nil && f.status == http.StatusServiceUnavailable {
			level = slog.LevelError // the data was good: the sink failed
		}
		h.opt.Logger.Log(r.Context(), level, "otlp request refused",
			"path", r.URL.Path, "remote", r.RemoteAddr, "status", f.status, "msg", f.msg, "err", f.err)
		writeStatus(w, enc, f)
		return
	}
	w.Header().Set("Content-Type", contentType(enc))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp)
}

// serve handles a request and returns the encoding of the answer and either
// the body of a 200 answer or the failure.
func (h *handler) serve(w http.ResponseWriter, r *http.Request) (encoding, []byte, *failure) {
	// Every answer is encoded like the request, once its type is known.
	enc, known := requestEncoding(r.Header.Get("Content-Type"))
	if strings.TrimSuffix(r.URL.Path, "/") != LogsPath {
		return enc, nil, fail(http.StatusNotFound, codeNotFound, nil, "no OTLP endpoint at %s; logs go to %s", r.URL.Path, LogsPath)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return enc, nil, fail(http.StatusMethodNotAllowed, codeUnimplemented, nil, "%s not allowed; OTLP uses POST", r.Method)
	}
	if !known {
		return enc, nil, fail(http.StatusUnsupportedMediaType, codeUnimplemented, nil,
			"unsupported Content-Type %q; OTLP/HTTP uses %s or %s", r.Header.Get("Content-Type"), typeProto, typeJSON)
	}
	body, err := httpin.ReadBody(w, r, h.opt.MaxBodyBytes, h.opt.MaxDecodedBytes)
	if err != nil {
		return enc, nil, readFailure(err)
	}
	req, f := h.decode(enc, body)
	if f != nil {
		return enc, nil, f
	}
	evs, f := h.convert(req)
	if f != nil {
		return enc, nil, f
	}
	if len(evs) > 0 {
		if f := h.submit(r.Context(), evs); f != nil {
			return enc, nil, f
		}
	}
	if enc == encProto {
		return enc, exportResponseProto, nil
	}
	return enc, exportResponseJSON, nil
}

// The answer to an accepted export: an ExportLogsServiceResponse whose
// partial_success is present and empty (nothing rejected), as the
// collector's own receiver writes it.
var (
	exportResponseProto = []byte{0x0a, 0x00}
	exportResponseJSON  = []byte(`{"partialSuccess":{}}`)
)

// decode checks the size of the request, then decodes it.
//
// An ExportLogsServiceRequest has the wire shape of a LogsData (field 1,
// repeated ResourceLogs, in both the protobuf and the JSON encoding), so
// plog's unmarshalers read it. plogotlp would do the same but links gRPC
// into every bulwark command: 6 MB more resident at start-up.
func (h *handler) decode(enc encoding, body []byte) (plog.Logs, *failure) {
	var req plog.Logs
	var err error
	if enc == encProto {
		_, err = countProto(body, h.opt.MaxValues)
	} else {
		_, err = countJSON(body, h.opt.MaxValues)
	}
	switch {
	case errors.Is(err, errTooMany):
		return req, fail(http.StatusRequestEntityTooLarge, codeResourceExhausted, err,
			"the request holds more than %d messages; send smaller batches", h.opt.MaxValues)
	case err != nil:
		return req, fail(http.StatusBadRequest, codeInvalidArgument, err, "%v", err)
	}
	if enc == encProto {
		req, err = (&plog.ProtoUnmarshaler{}).UnmarshalLogs(body)
	} else {
		req, err = (&plog.JSONUnmarshaler{}).UnmarshalLogs(body)
	}
	if err != nil {
		return req, fail(http.StatusBadRequest, codeInvalidArgument, err, "decoding the ExportLogsServiceRequest: %v", err)
	}
	return req, nil
}

// convert turns the request's records into events, with a parser taken for
// the request and given back before they are submitted.
func (h *handler) convert(req plog.Logs) ([]event.Event, *failure) {
	p := h.parsers.Get().(*jsonl.Parser)
	defer h.parsers.Put(p)
	c := newConverter(p, h.opt)
	evs, err := c.logs(req)
	switch {
	case errors.Is(err, errTooMany):
		return nil, fail(http.StatusRequestEntityTooLarge, codeResourceExhausted, err,
			"the request's records hold more than %d values; send smaller batches", h.opt.MaxValues)
	case err != nil:
		return nil, fail(http.StatusBadRequest, codeInvalidArgument, err, "%v", err)
	}
	return evs, nil
}

// submit hands the events to the sink without waiting for room: a full
// queue is the client's cue to retry later. Any failure is 503, the one
// answer OTLP clients retry (honouring Retry-After): the data was good.
func (h *handler) submit(ctx context.Context, evs []event.Event) *failure {
	err := h.sink.Submit(ctx, evs, false)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ingest.ErrBusy):
		return fail(http.StatusServiceUnavailable, codeUnavailable, nil, "server busy; retry later")
	}
	return fail(http.StatusServiceUnavailable, codeUnavailable, err, "storing the logs failed; retry later")
}

// readFailure maps an error of httpin.ReadBody to its answer.
func readFailure(err error) *failure {
	var tl *httpin.TooLargeError
	var enc *httpin.EncodingError
	switch {
	case errors.As(err, &tl):
		return fail(http.StatusRequestEntityTooLarge, codeResourceExhausted, err, "%v", err)
	case errors.As(err, &enc):
		return fail(http.StatusUnsupportedMediaType, codeUnimplemented, err, "%v", err)
	}
	return fail(http.StatusBadRequest, codeInvalidArgument, err, "%v", err)
}

// requestEncoding reads Content-Type, parameters (charset) ignored. An
// unknown type gives encJSON, for the answer.
func requestEncoding(ct string) (encoding, bool) {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return encJSON, false
	}
	switch mt {
	case typeProto:
		return encProto, true
	case typeJSON:
		return encJSON, true
	}
	return encJSON, false
}

func contentType(enc encoding) string {
	if enc == encProto {
		return typeProto
	}
	return typeJSON
}

// writeStatus sends a failure as a google.rpc.Status encoded like the
// request, as OTLP/HTTP asks.
func writeStatus(w http.ResponseWriter, enc encoding, f *failure) {
	var b []byte
	if enc == encProto {
		b = statusProto(f.code, f.msg)
	} else {
		b = statusJSON(f.code, f.msg)
	}
	hd := w.Header()
	hd.Set("Content-Type", contentType(enc))
	hd.Set("X-Content-Type-Options", "nosniff")
	if f.status == http.StatusServiceUnavailable {
		hd.Set("Retry-After", strconv.Itoa(ingest.RetryAfterSeconds))
	}
	w.WriteHeader(f.status)
	_, _ = w.Write(b)
}
