// Package logs defines Reader, the extension point that turns the bytes of one
// log format into Events, and the plumbing every reader shares: opening files
// (gzip included), walking directories and reporting bad input as warnings
// that name the file and the offset.
//
// The readers themselves live in sub-packages (logs/evtx, logs/jsonl, ...);
// logs/list registers them in one place and picks one by sniffing a file's head.
package logs

import (
	"context"
	"fmt"
	"io"

	"github.com/bulwarkhq/bulwark/event"
)

// SniffLen is how many leading bytes of a file Sniff is given (fewer when the
// file is shorter).
const SniffLen = 64 << 10

// Reader turns the bytes of one log format into Events.
type Reader interface {
	// Name is the format's short name ("evtx", "jsonl", ...), used by
	// --format and recorded in event.Source.Format.
	Name() string
	// Sniff reports whether head, the first bytes of a (decompressed) file,
	// look like this format.
	Sniff(head []byte) bool
	// Read parses in.R and calls emit for each event, in input order. The
	// *event.Event handed to emit is reused once emit returns: emit must
	// Clone it to keep it. Damage to part of the input is reported through
	// in.Warn and reading goes on with the next record or chunk; Read returns
	// an error only when it cannot go on: the input cannot be read, emit
	// failed, or ctx was cancelled.
	Read(ctx context.Context, in Input, emit func(*event.Event) error) error
}

// Input is one stream for a Reader.
type Input struct {
	Path string    // shown in warnings and recorded in event.Source.Path
	R    io.Reader // the decompressed bytes
	// Warn receives recoverable problems. Readers report through Warnf,
	// which tolerates a nil Warn.
	Warn func(Warning)
}

// Warnf reports a recoverable problem at byte offset off (-1 if unknown).
func (in Input) Warnf(off int64, format string, args ...any) {
	if in.Warn != nil {
		in.Warn(Warning{Path: in.Path, Offset: off, Msg: fmt.Sprintf(format, args...)})
	}
}

// Warning is a recoverable problem in the input: a corrupt chunk, a line that
// is not valid JSON. Processing went on past it.
type Warning struct {
	Path   string
	Offset int64 // byte offset in the decompressed input; -1 if unknown
	Msg    string
}

func (w Warning) String() string {
	if w.Offset >= 0 {
		return fmt.Sprintf("%s: offset %d: %s", w.Path, w.Offset, w.Msg)
	}
	return fmt.Sprintf("%s: %s", w.Path, w.Msg)
}
