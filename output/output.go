// Package output renders detection results. JSON is the canonical form (one
// alert object per line); the table and CSV are handlers over the same
// alerts, so every format carries the same facts.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/bulwarkhq/bulwark/alert"
)

// Handler receives alerts one at a time, then Close.
type Handler interface {
	Alert(*alert.Alert) error
	Close() error
}

// Formats lists the names New accepts.
var Formats = []string{"table", "jsonl", "csv"}

// Options tune the human-readable formats.
type Options struct {
	Color bool // ANSI colours by level (table)
	// Width is the terminal width for the table; 0 means 120.
	Width int
}

// New returns the handler called name writing to w.
func New(name string, w io.Writer, opts Options) (Handler, error) {
	switch strings.ToLower(name) {
	case "table", "":
		return newTable(w, opts), nil
	case "jsonl", "json", "ndjson":
		return &jsonl{enc: json.NewEncoder(w)}, nil
	case "csv":
		return newCSV(w), nil
	}
	return nil, fmt.Errorf("unknown output format %q; use one of %s", name, strings.Join(Formats, ", "))
}

// jsonl writes one JSON object per alert: the canonical form.
type jsonl struct{ enc *json.Encoder }

func (j *jsonl) Alert(a *alert.Alert) error { return j.enc.Encode(a) }
func (j *jsonl) Close() error               { return nil }
