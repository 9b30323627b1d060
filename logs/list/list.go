// Package list is the one place where log readers are registered, in the
// order Detect tries them, and where a reader is chosen by name (--format)
// or by sniffing a file's head.
//
// The order matters because formats nest: EVTX is binary and unambiguous;
// CloudTrail, EVE and Zeek JSON are JSON with telltale fields, so each must
// be tried before the generic jsonl reader, which accepts any JSON object;
// syslog, the loosest text format, comes last.
package list

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/cloudtrail"
	"github.com/bulwarkhq/bulwark/logs/eve"
	"github.com/bulwarkhq/bulwark/logs/evtx"
	"github.com/bulwarkhq/bulwark/logs/jsonl"
	"github.com/bulwarkhq/bulwark/logs/syslog"
	"github.com/bulwarkhq/bulwark/logs/zeek"
)

// All returns a new instance of every reader, in sniffing order.
func All() []logs.Reader {
	return []logs.Reader{
		evtx.New(),
		cloudtrail.New(),
		eve.New(),
		zeek.New(),
		jsonl.New(),
		syslog.New(),
	}
}

// Names returns the readers' names, in sniffing order.
func Names() []string {
	var names []string
	for _, r := range All() {
		names = append(names, r.Name())
	}
	return names
}

// ByName returns the reader called name.
func ByName(name string) (logs.Reader, bool) {
	for _, r := range All() {
		if r.Name() == name {
			return r, true
		}
	}
	return nil, false
}

// ErrUnknownFormat is wrapped by Detect's error when no reader recognises
// the input.
var ErrUnknownFormat = errors.New("cannot recognise the format")

// ErrEmpty is returned by Detect for an empty input, which has no events
// in any format.
var ErrEmpty = errors.New("the input is empty")

// Detect returns the first reader, in All's order, whose Sniff accepts
// head, the first logs.SniffLen bytes of a decompressed input (File.Head).
func Detect(head []byte) (logs.Reader, error) {
	if len(head) == 0 {
		return nil, ErrEmpty
	}
	for _, r := range All() {
		if r.Sniff(head) {
			return r, nil
		}
	}
	return nil, fmt.Errorf("%w (it starts with %s); pass --format one of %s",
		ErrUnknownFormat, preview(head), strings.Join(Names(), ", "))
}

// Open opens path with logs.Open and picks its reader: the one called
// format, or by sniffing when format is "" or "auto". An empty file (or one
// that decompresses to nothing) holds no events in any format and is not an
// error: it gets the jsonl reader, which finds nothing in it. The caller
// closes the File.
func Open(path, format string) (*logs.File, logs.Reader, error) {
	var r logs.Reader
	if format != "" && format != "auto" {
		var ok bool
		if r, ok = ByName(format); !ok {
			return nil, nil, fmt.Errorf("unknown format %q; use one of %s", format, strings.Join(Names(), ", "))
		}
	}
	f, err := logs.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if r == nil && len(f.Head) == 0 {
		r = jsonl.New()
	}
	if r == nil {
		if r, err = Detect(f.Head); err != nil {
			f.Close()
			if errors.Is(err, ErrUnknownFormat) {
				return nil, nil, fmt.Errorf("%w of %s (it starts with %s); pass --format one of %s",
					ErrUnknownFormat, path, preview(f.Head), strings.Join(Names(), ", "))
			}
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return f, r, nil
}

// preview quotes the start of head for error messages: text as text, binary
// as hex.
func preview(head []byte) string {
	const n = 24
	b := head
	if len(b) > n {
		b = b[:n]
	}
	text := true
	for i := 0; i < len(b); {
		c, size := utf8.DecodeRune(b[i:])
		if c == utf8.RuneError && size == 1 && len(head) > n && len(b)-i < utf8.UTFMax {
			b = b[:i] // a character cut by the preview's end
			break
		}
		if c == utf8.RuneError || (c < ' ' && c != '\t' && c != '\n' && c != '\r') {
			text = false
			break
		}
		i += size
	}
	if text {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("bytes % x", b)
}
