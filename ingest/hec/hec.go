// Package hec receives events over the Splunk HTTP Event Collector protocol,
// so that shippers configured for Splunk (Fluent Bit's splunk output, Vector's
// splunk_hec_logs sink, the OpenTelemetry Collector's splunk_hec exporter,
// Splunk's own forwarders) send to Bulwark unchanged.
//
// Endpoints, under /services/collector:
//
//   - /services/collector, /event and /event/1.0 take JSON envelopes,
//     concatenated or separated by whitespace:
//     {"time": 1714557600.25, "host": "ws1", "source": "...", "sourcetype":
//     "...", "index": "...", "event": ..., "fields": {...}};
//   - /raw and /raw/1.0 take text, one event per line, with host, source,
//     sourcetype and index as query parameters;
//   - /health and /health/1.0 answer {"text":"HEC is healthy","code":17};
//   - /ack answers that acknowledgement is disabled: Bulwark answers 200
//     only once the events are stored (see below), which is what indexer
//     acknowledgement exists to tell.
//
// An envelope's event becomes an event.Event like this. A JSON object is
// flattened to dotted names with the jsonl reader's Windows aliases
// (Winlogbeat and evtx_dump JSON get Image, EventID, Channel, ...), and its
// timestamp fields set the time. A string holding a JSON object is parsed
// the same way; any other string is the field "message", and when it is a
// syslog line its parts become fields too (see logs/syslog). Other JSON
// values are kept as their text in "message". The envelope's fields become
// event fields, and host, source, sourcetype and index become the fields of
// those names; in both cases a name the event itself has wins. The
// envelope's time (epoch seconds, a number or numeric text) wins over the
// event's own; without either the time is that of receipt. Source.Path and
// Source.Format are "hec", Source.Record the event's 1-based position in the
// request (Splunk's invalid-event-number is the 0-based one), Source.Offset
// its byte offset in the decoded body, and Raw the envelope's text.
//
// A request is all or nothing: the whole body is decoded and checked first,
// then its events go to the Sink in one Submit, and the answer is 200 only
// once Submit has returned nil, that is once the events are on disk. When
// the Sink is full the answer is 503 with Retry-After, and the shipper
// retries the whole request; answers are Splunk's, text and code, which
// shippers log and some act on.
//
// Authentication is the server's: it checks the "Authorization: Splunk
// <token>" header in front of this handler, which ignores it.
package hec

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/ingest"
	"github.com/bulwarkhq/bulwark/ingest/internal/httpin"
	"github.com/bulwarkhq/bulwark/logs/jsonl"
)

// Name is the value of Source.Path and Source.Format of the events.
const Name = "hec"

// DefaultSource is Options.Source when unset.
const DefaultSource = "hec"

// Options configure the handler. Zero values mean the defaults.
type Options struct {
	// Limits bound one request (see ingest.Limits for the defaults).
	ingest.Limits
	// Source is the "source" field of events whose envelope and request
	// name none. Splunk's default is "http:" and the token's name.
	Source string
	// Location is the zone of syslog timestamps that carry none (RFC
	// 3164's); nil means time.Local, as for syslog files.
	Location *time.Location
	// Now returns the time of receipt, given to events with no time of
	// their own; nil means time.Now. Tests set it.
	Now func() time.Time
	// Logger receives what the client is not told: the field and byte
	// offset of bad input (at debug level) and sink failures (at error
	// level). Nil discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	o.Limits = o.Limits.WithDefaults()
	if o.Source == "" {
		o.Source = DefaultSource
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// New returns the HEC handler. It serves the paths listed in the package
// documentation and answers 404 to others, so the server may mount it at
// /services/collector and below.
func New(sink ingest.Sink, opts Options) http.Handler {
	h := &handler{sink: sink, opt: opts.withDefaults()}
	h.parsers.New = func() any { return jsonl.NewParser() }
	return h
}

type handler struct {
	sink ingest.Sink
	opt  Options
	// parsers holds jsonl Parsers between requests, which keep their name
	// caches warm for a shipper's next request; one is not safe for
	// concurrent use, so each request takes its own.
	parsers sync.Pool
}

// reply is a Splunk HEC answer. Event is the 0-based number of the event at
// fault, sent as invalid-event-number when set.
type reply struct {
	status int
	text   string
	code   int
	event  int // -1 when not about one event
}

// Splunk's answers, text and code as Splunk sends them.
var (
	replySuccess = reply{http.StatusOK, "Success", 0, -1}
	replyNoData  = reply{http.StatusBadRequest, "No data", 5, -1}
	replyBusy    = reply{http.StatusServiceUnavailable, "Server is busy", 9, -1}
	replyHealthy = reply{http.StatusOK, "HEC is healthy", 17, -1}
	replyNoAck   = reply{http.StatusBadRequest, "ACK is disabled", 14, -1}
	replyServer  = reply{http.StatusInternalServerError, "Internal server error", 8, -1}
	// Splunk answers unknown paths with this text and the HTTP status as
	// the code.
	replyNotFound = reply{http.StatusNotFound, "The requested URL was not found on this server.", 404, -1}
	replyMethod   = reply{http.StatusMethodNotAllowed, "Method not allowed", 405, -1}
	// Splunk answers 413 with no HEC code of its own; these keep the
	// shape clients parse.
	replyTooLarge = reply{http.StatusRequestEntityTooLarge, "Request entity too large", 413, -1}
	replyEncoding = reply{http.StatusUnsupportedMediaType, "Unsupported Content-Encoding", 415, -1}
)

// Codes of the answers about one event.
const (
	codeInvalidFormat = 6  // "Invalid data format"
	codeEventRequired = 12 // "Event field is required"
	codeEventBlank    = 13 // "Event field cannot be blank"
	codeFields        = 15 // "Error in handling indexed fields"
)

var codeText = map[int]string{
	codeInvalidFormat: "Invalid data format",
	codeEventRequired: "Event field is required",
	codeEventBlank:    "Event field cannot be blank",
	codeFields:        "Error in handling indexed fields",
}

// badEvent is the answer about event n (0-based).
func badEvent(code, n int) reply {
	return reply{http.StatusBadRequest, codeText[code], code, n}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep, err := h.serve(w, r)
	if err != nil {
		level := slog.LevelDebug
		if rep.status >= 500 && rep.status != http.StatusServiceUnavailable {
			level = slog.LevelError
		}
		h.opt.Logger.Log(r.Context(), level, "hec request refused",
			"path", r.URL.Path, "remote", r.RemoteAddr, "status", rep.status, "code", rep.code, "err", err)
	}
	writeReply(w, rep)
}

// serve handles one request and returns the answer, with the detail the
// client is not sent.
func (h *handler) serve(w http.ResponseWriter, r *http.Request) (reply, error) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	kind, ok := endpoints[path]
	if !ok {
		return replyNotFound, nil
	}
	if kind == epHealth {
		return replyHealthy, nil
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return replyMethod, nil
	}
	if kind == epAck {
		return replyNoAck, nil
	}
	body, err := httpin.ReadBody(w, r, h.opt.MaxBodyBytes, h.opt.MaxDecodedBytes)
	if err != nil {
		return readError(err), err
	}
	evs, err := h.decode(kind, body, r.URL.Query())
	if err != nil {
		var de *decodeError
		if errors.As(err, &de) {
			return de.reply, err
		}
		return replyServer, err
	}
	if len(evs) == 0 {
		return replyNoData, nil
	}
	return h.submit(r.Context(), evs)
}

// decode turns a body into events, with a parser taken for the request
// and given back before the events are submitted, which may take a while.
func (h *handler) decode(kind endpoint, body []byte, q url.Values) ([]event.Event, error) {
	p := h.parsers.Get().(*jsonl.Parser)
	defer h.parsers.Put(p)
	d := newDecoder(p, h.opt, q)
	if kind == epRaw {
		return d.raw(body)
	}
	return d.envelopes(body)
}

// submit hands the events to the sink, without waiting for room: a full
// queue is the shipper's cue to retry later, which it does far better than
// a server holding connections open.
func (h *handler) submit(ctx context.Context, evs []event.Event) (reply, error) {
	err := h.sink.Submit(ctx, evs, false)
	switch {
	case err == nil:
		return replySuccess, nil
	case errors.Is(err, ingest.ErrBusy):
		return replyBusy, err
	case ctx.Err() != nil:
		// The client is gone; it will not read the answer, and will
		// retry the request, as for any answer but 200.
		return replyBusy, err
	}
	return replyServer, err
}

// readError maps an error of httpin.ReadBody to its answer.
func readError(err error) reply {
	var tl *httpin.TooLargeError
	var enc *httpin.EncodingError
	switch {
	case errors.As(err, &tl):
		return replyTooLarge
	case errors.As(err, &enc):
		return replyEncoding
	}
	// A damaged gzip stream, or a connection that failed mid-body (then
	// nobody reads the answer).
	return reply{http.StatusBadRequest, codeText[codeInvalidFormat], codeInvalidFormat, -1}
}

// writeReply sends rep as Splunk does.
func writeReply(w http.ResponseWriter, rep reply) {
	b := make([]byte, 0, 96)
	b = append(b, `{"text":`...)
	b, _ = appendJSONString(b, rep.text)
	b = append(b, `,"code":`...)
	b = strconv.AppendInt(b, int64(rep.code), 10)
	if rep.event >= 0 {
		b = append(b, `,"invalid-event-number":`...)
		b = strconv.AppendInt(b, int64(rep.event), 10)
	}
	b = append(b, '}')
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=UTF-8")
	hd.Set("X-Content-Type-Options", "nosniff")
	if rep.status == http.StatusServiceUnavailable {
		hd.Set("Retry-After", strconv.Itoa(ingest.RetryAfterSeconds))
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(b)
}

func appendJSONString(b []byte, s string) ([]byte, error) {
	q, err := json.Marshal(s)
	return append(b, q...), err
}

// The endpoints.
type endpoint uint8

const (
	epEvent endpoint = iota
	epRaw
	epHealth
	epAck
)

var endpoints = map[string]endpoint{
	"/services/collector":            epEvent,
	"/services/collector/event":      epEvent,
	"/services/collector/event/1.0":  epEvent,
	"/services/collector/raw":        epRaw,
	"/services/collector/raw/1.0":    epRaw,
	"/services/collector/health":     epHealth,
	"/services/collector/health/1.0": epHealth,
	"/services/collector/ack":        epAck,
}
