package logs

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// File is an opened log file: its decompressed bytes, of which the first
// SniffLen (or all, when shorter) are already read into Head for sniffing
// and are still returned by Read. gzip input, single or multi-member, is
// decompressed as it is read, so memory stays bounded whatever the
// compression ratio.
type File struct {
	Path string
	// Head is the start of the decompressed content, at most SniffLen bytes.
	// It aliases memory Read also returns; do not modify it.
	Head []byte
	// Gzip reports whether the file was gzip-compressed.
	Gzip bool
	// Size is the size of the file on disk (compressed), or -1 when unknown.
	Size int64

	r      io.Reader // Head, then the rest
	raw    *countingReader
	closer io.Closer
	gz     *gzip.Reader
}

// Open opens path for a Reader, transparently decompressing gzip, detected
// by its magic bytes (1f 8b) rather than by the file's name. The caller
// closes the File.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	size := int64(-1)
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			f.Close()
			return nil, fmt.Errorf("open %s: is a directory", path)
		}
		if st.Mode().IsRegular() {
			size = st.Size()
		}
	}
	lf, err := NewFile(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	lf.Size = size
	return lf, nil
}

// NewFile wraps r (standard input, a network stream) like Open wraps a
// file, taking ownership of rc: Close closes it. path names the input in
// errors and events.
func NewFile(path string, rc io.ReadCloser) (*File, error) {
	lf := &File{Path: path, Size: -1, closer: rc, raw: &countingReader{r: rc}}
	br := bufio.NewReaderSize(lf.raw, 64<<10)
	var src io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("open %s: gzip: %w", path, err)
		}
		lf.Gzip, lf.gz, src = true, gz, gz
	}
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(src, head)
	switch {
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
	case lf.Gzip && n > 0:
		// A damaged or truncated gzip stream (a log still being written, a
		// cut download) still yields its readable start; the error comes
		// back from Read after it, where the reader reports its offset.
		src = io.MultiReader(errReader{err})
	default:
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	lf.Head = head[:n:n]
	lf.r = io.MultiReader(bytes.NewReader(lf.Head), src)
	return lf, nil
}

// Read reads decompressed bytes, starting with Head.
func (f *File) Read(p []byte) (int, error) { return f.r.Read(p) }

// Close closes the underlying file.
func (f *File) Close() error {
	if f.gz != nil {
		f.gz.Close()
	}
	return f.closer.Close()
}

// Consumed returns how many bytes of the file on disk (compressed bytes for
// gzip) have been read so far, for progress reporting against Size. It may
// be called from another goroutine.
func (f *File) Consumed() int64 { return f.raw.n.Load() }

// Input returns the Input for reading f with a Reader.
func (f *File) Input(warn func(Warning)) Input {
	return Input{Path: f.Path, R: f, Warn: warn}
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
