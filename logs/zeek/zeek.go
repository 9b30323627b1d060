// Package zeek reads Zeek logs, in the ASCII (TSV) writer's format and in
// the JSON writer's (one object per line).
//
// TSV logs carry their own schema in a header (#separator, #set_separator,
// #empty_field, #unset_field, #path, #fields, #types); values get typed
// from #types: count, int and port become ints, double, interval and time
// floats (their text kept, as Zeek wrote it), bool T/F booleans, set[...]
// and vector[...] lists of their element type, everything else strings.
// The unset field ("-") gives no field at all and the empty field
// ("(empty)") an empty list, or an empty string for string columns; \xHH
// escapes are decoded. A value that does not parse as its type (ICSNPP test
// baselines mask times as XXXXXXXXXX.XXXXXX) is kept as text, with one
// warning per column. A file may hold several header blocks (concatenated
// logs); each applies to the lines after it.
//
// JSON logs are flattened like the jsonl reader's; their names are Zeek's
// own ("id.orig_h").
//
// Every event gets "_path", the log's name (conn, dns, http, ...), from the
// #path header or the file name (dns.log, dns.04:00:00-05:00:00.log.gz),
// unless the record has it already. Event.Time comes from "ts".
package zeek

import (
	"bufio"
	"bytes"
	"context"
	"path/filepath"
	"strings"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/internal/jsonflat"
)

// Name is the format's name.
const Name = "zeek"

// Reader reads Zeek logs.
type Reader struct{}

// New returns a Reader.
func New() *Reader { return &Reader{} }

// Name returns "zeek".
func (*Reader) Name() string { return Name }

var timeFields = jsonflat.NewTimeFields("ts")

// Sniff reports a TSV header, or a first JSON record with Zeek's "ts" and a
// connection or file identifier.
func (*Reader) Sniff(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	// The header may follow comment lines ("### BTest baseline ...").
	for rest, k := head, 0; k < 8 && len(rest) > 0 && rest[0] == '#'; k++ {
		if bytes.HasPrefix(rest, []byte("#separator ")) {
			return true
		}
		_, rest, _ = bytes.Cut(rest, []byte("\n"))
	}
	e, _ := jsonflat.First(head)
	if e == nil {
		return false
	}
	if _, ok := e.Get("ts"); !ok {
		return false
	}
	for _, name := range []string{"uid", "_path", "id.orig_h", "fuid"} {
		if _, ok := e.Get(name); ok {
			return true
		}
	}
	return false
}

// Read reads a Zeek log in either format.
func (*Reader) Read(ctx context.Context, in logs.Input, emit func(*event.Event) error) error {
	br := bufio.NewReaderSize(in.R, 4096)
	in.R = br
	path := PathFromName(in.Path)
	// JSON logs start with an object; anything else is TSV, with or
	// without its header.
	first, _ := br.Peek(64)
	first = bytes.TrimLeft(bytes.TrimPrefix(first, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(first) == 0 || first[0] != '{' {
		return readTSV(ctx, in, path, emit)
	}
	var pathValue event.Value
	if path != "" {
		pathValue = event.String(path)
	}
	return jsonflat.Read(ctx, in, jsonflat.Options{
		Format: Name,
		Time:   timeFields,
		Fix: func(f *jsonflat.Flattener, e *event.Event) {
			if path != "" {
				f.AddIfAbsent(e, "_path", pathValue)
			}
		},
	}, emit)
}

// PathFromName returns the Zeek log name a file name implies: "dns" for
// dns.log, dns.log.gz or dns.04:00:00-05:00:00.log.gz; "" when the name
// does not look like a Zeek log.
func PathFromName(name string) string {
	base := filepath.Base(name)
	if !strings.Contains(base, ".log") {
		return ""
	}
	p, _, _ := strings.Cut(base, ".")
	return p
}
