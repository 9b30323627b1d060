package tail

import (
	"bytes"
	"io"
)

// maxHeader bounds the Zeek TSV header kept for sections read mid-file;
// real headers are a few hundred bytes.
const maxHeader = 64 << 10

// headerScan follows the '#' directive lines of a Zeek TSV log as its bytes
// go by, keeping those that set the schema for the lines after them: every
// directive since the last "#separator" line (which starts a new header
// block), or since the start of the file. Replayed before a section read
// mid-file, they put the reader in the state it would be in there.
type headerScan struct {
	header    []byte // the directives so far
	line      []byte // the current line, while it is a directive
	directive bool   // the current line starts with '#'
	lineStart bool   // the next byte starts a line
}

// newHeaderScan continues from header, at the start of a line.
func newHeaderScan(header []byte) *headerScan {
	return &headerScan{header: bytes.Clone(header), lineStart: true}
}

// Write observes bytes; it never fails.
func (h *headerScan) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if h.lineStart {
			h.directive, h.line, h.lineStart = p[0] == '#', h.line[:0], false
		}
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i+1]
		}
		if h.directive {
			if len(h.line)+len(seg) > maxHeader {
				h.directive = false // not a real directive: drop it
			} else {
				h.line = append(h.line, seg...)
			}
		}
		if i < 0 {
			break
		}
		if h.directive {
			h.add(h.line)
		}
		h.lineStart = true
		p = p[i+1:]
	}
	return n, nil
}

func (h *headerScan) add(line []byte) {
	if bytes.HasPrefix(line, []byte("#separator ")) {
		h.header = h.header[:0]
	}
	if len(h.header)+len(line) <= maxHeader {
		h.header = append(h.header, line...)
	}
}

// catchUp brings f's header from f.headerAt to start, reading the bytes in
// between (after a restart, or StartAtEnd, they were never read).
func (f *file) catchUp(start int64) error {
	h := newHeaderScan(f.header)
	if _, err := io.Copy(h, io.NewSectionReader(f.fd, f.headerAt, start-f.headerAt)); err != nil {
		return err
	}
	f.header, f.headerAt = h.header, start
	return nil
}
