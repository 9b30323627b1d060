// Package upload receives log files over HTTP: an NDJSON export, an .evtx
// file from a machine under investigation, a syslog file; gzip-compressed
// or not. The body is read with the same readers as `bulwark detect`, so
// an uploaded file yields the same events as the file on disk.
//
//	POST /api/v1/ingest?format=evtx&name=host1-security.evtx
//
// format is optional (the reader is picked by sniffing the first bytes);
// name is recorded as the events' source path. The response, sent once
// every event is stored, counts the events and lists recoverable problems
// (a corrupt EVTX chunk, a line that is not JSON) with their offsets.
package upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/ingest"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/list"
)

// Options tune the handler.
type Options struct {
	// MaxBodyBytes bounds an upload (default 256 MiB). The body is streamed,
	// so memory does not grow with it.
	MaxBodyBytes int64
	// Format forces a format for every upload on this handler ("" sniffs,
	// unless the request names one).
	Format string
	// BatchSize is how many events go to the sink at once (default 1024).
	BatchSize int
}

// maxWarnings bounds the problems listed in a response.
const maxWarnings = 100

// Result is the response body.
type Result struct {
	Format   string   `json:"format"`
	Events   int      `json:"events"`
	Warnings []string `json:"warnings,omitempty"`
	// MoreWarnings counts the warnings left out of the list.
	MoreWarnings int    `json:"more_warnings,omitempty"`
	Error        string `json:"error,omitempty"`
}

// New returns the upload handler.
func New(sink ingest.Sink, opts Options) http.Handler {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 256 << 20
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1024
	}
	return &handler{sink: sink, opts: opts}
}

type handler struct {
	sink ingest.Sink
	opts Options
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		writeJSON(w, http.StatusMethodNotAllowed, Result{Error: "use POST"})
		return
	}
	name := "upload"
	if n := r.URL.Query().Get("name"); n != "" {
		name = "upload/" + path.Base(strings.ReplaceAll(n, `\`, "/"))
	}
	format := h.opts.Format
	if f := r.URL.Query().Get("format"); f != "" && format == "" {
		format = f
	}
	body := http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)
	f, err := logs.NewFile(name, body)
	if err != nil {
		writeJSON(w, statusOf(err), Result{Error: err.Error()})
		return
	}
	defer f.Close()
	var rd logs.Reader
	switch {
	case format != "" && format != "auto":
		var ok bool
		if rd, ok = list.ByName(format); !ok {
			writeJSON(w, http.StatusBadRequest, Result{Error: fmt.Sprintf("unknown format %q; use one of %s", format, strings.Join(list.Names(), ", "))})
			return
		}
	default:
		if rd, err = list.Detect(f.Head); err != nil {
			writeJSON(w, http.StatusBadRequest, Result{Error: fmt.Sprintf("%s: %v", name, err)})
			return
		}
	}

	res := Result{Format: rd.Name()}
	warn := func(wn logs.Warning) {
		if len(res.Warnings) < maxWarnings {
			res.Warnings = append(res.Warnings, wn.String())
		} else {
			res.MoreWarnings++
		}
	}
	batch := make([]event.Event, 0, h.opts.BatchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		// Wait for room rather than fail: the upload is one request and
		// the client is already waiting for its answer.
		if err := h.sink.Submit(r.Context(), batch, true); err != nil {
			return sinkError{err}
		}
		res.Events += len(batch)
		batch = make([]event.Event, 0, h.opts.BatchSize) // the sink owns the old one
		return nil
	}
	err = rd.Read(r.Context(), f.Input(warn), func(e *event.Event) error {
		batch = append(batch, *e.Clone())
		if len(batch) == cap(batch) {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		res.Error = fmt.Sprintf("%v (the first %d events were stored)", err, res.Events)
		writeJSON(w, statusOf(err), res)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// sinkError marks a failure to store, as opposed to bad input.
type sinkError struct{ err error }

func (e sinkError) Error() string { return e.err.Error() }
func (e sinkError) Unwrap() error { return e.err }

func statusOf(err error) int {
	var mbe *http.MaxBytesError
	var se sinkError
	switch {
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ingest.ErrBusy), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	case errors.As(err, &se):
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", fmt.Sprint(ingest.RetryAfterSeconds))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
