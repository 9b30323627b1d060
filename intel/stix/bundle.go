package stix

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Limits bound what the decoder accepts from an untrusted bundle.
type Limits struct {
	// MaxObjectBytes bounds the JSON text of one object, and of any other
	// top-level bundle value. The decoder's memory is a small multiple of it.
	MaxObjectBytes int64
	// MaxObjects bounds the number of objects in the bundle.
	MaxObjects int
}

// DefaultLimits fit the largest public feeds: ATT&CK Enterprise's largest
// object is under 100 KB and it has about 25,000 objects.
var DefaultLimits = Limits{MaxObjectBytes: 8 << 20, MaxObjects: 1_000_000}

// ErrTooLarge is wrapped by the error for an object over MaxObjectBytes.
var ErrTooLarge = errors.New("object exceeds the size limit")

// ErrTooMany is wrapped by the error for a bundle over MaxObjects.
var ErrTooMany = errors.New("bundle exceeds the object limit")

// DecodeError is a bundle decoding failure. It names the object's index and
// id (when known), the JSON path, and the byte offset in the input.
type DecodeError struct {
	Index  int    // index in "objects", -1 outside it
	ID     string // the object's id, when it could be read
	Path   string // JSON path from the bundle root: "$.objects[3].type"
	Offset int64  // byte offset in the input where the problem was seen
	Err    error
}

func (e *DecodeError) Error() string {
	s := "stix: " + e.Path
	if e.ID != "" {
		s += " (" + e.ID + ")"
	}
	return s + " at byte " + strconv.FormatInt(e.Offset, 10) + ": " + e.Err.Error()
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Decoder reads the objects of a bundle one at a time, so a feed of any
// length is processed in memory bounded by Limits. It also accepts a TAXII
// envelope ({"objects": [...], "more": ...}), which has no "type".
type Decoder struct {
	lim   Limits
	lr    *windowReader
	dec   *json.Decoder
	state int // 0 before the root, 1 in root keys, 2 in objects, 3 done
	index int
	// Type and ID are the bundle's, once read; a bundle may put them after
	// its objects, so they are final only after Next returns io.EOF.
	Type, ID string
	err      error
}

// NewDecoder returns a decoder reading a bundle from r.
func NewDecoder(r io.Reader, lim Limits) *Decoder {
	if lim.MaxObjectBytes <= 0 {
		lim.MaxObjectBytes = DefaultLimits.MaxObjectBytes
	}
	if lim.MaxObjects <= 0 {
		lim.MaxObjects = DefaultLimits.MaxObjects
	}
	lr := &windowReader{r: bufio.NewReaderSize(r, 64<<10)}
	d := &Decoder{lim: lim, lr: lr, dec: json.NewDecoder(lr), index: -1}
	return d
}

// windowReader lets the decoder read at most a window of bytes past a mark:
// json.Decoder buffers a whole value before returning it, so without this a
// single huge object would be read into memory before its size is known.
type windowReader struct {
	r     io.Reader
	n     int64 // bytes read so far
	limit int64 // n may not pass this
}

func (w *windowReader) Read(p []byte) (int, error) {
	if w.n >= w.limit {
		return 0, ErrTooLarge
	}
	if rem := w.limit - w.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := w.r.Read(p)
	w.n += int64(n)
	return n, err
}

func (d *Decoder) open() { d.lr.limit = d.lr.n + d.lim.MaxObjectBytes }

func (d *Decoder) fail(path string, err error) error {
	idx := -1
	if d.state == 2 {
		idx = d.index
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		err = fmt.Errorf("invalid JSON: %w", syn)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = fmt.Errorf("truncated input: %w", io.ErrUnexpectedEOF)
	}
	d.err = &DecodeError{Index: idx, Path: path, Offset: d.dec.InputOffset(), Err: err}
	d.state = 3
	return d.err
}

// Next returns the next object, or io.EOF after the last one.
func (d *Decoder) Next() (Object, error) {
	if d.err != nil {
		return Object{}, d.err
	}
	for {
		switch d.state {
		case 0:
			d.open()
			tok, err := d.dec.Token()
			if err != nil {
				return Object{}, d.fail("$", err)
			}
			if tok != json.Delim('{') {
				return Object{}, d.fail("$", errors.New("a bundle must be a JSON object"))
			}
			d.state = 1
		case 1:
			if err := d.rootKey(); err != nil {
				return Object{}, err
			}
		case 2:
			d.open()
			if !d.dec.More() {
				if _, err := d.dec.Token(); err != nil { // the closing ]
					return Object{}, d.fail("$.objects", err)
				}
				d.state = 1
				continue
			}
			return d.object()
		case 3:
			return Object{}, io.EOF
		}
	}
}

// rootKey reads one key of the bundle object and its value; on "objects"
// it only enters the array.
func (d *Decoder) rootKey() error {
	d.open()
	if !d.dec.More() {
		if _, err := d.dec.Token(); err != nil { // the closing }
			return d.fail("$", err)
		}
		if d.Type != "" && d.Type != "bundle" {
			return d.fail("$.type", fmt.Errorf("type is %q, not \"bundle\"", d.Type))
		}
		// Anything after the root object is an error, like json.Unmarshal.
		if _, err := d.dec.Token(); err != io.EOF {
			return d.fail("$", errors.New("data after the bundle"))
		}
		d.state = 3
		return nil
	}
	tok, err := d.dec.Token()
	if err != nil {
		return d.fail("$", err)
	}
	key, _ := tok.(string)
	path := "$." + key
	switch key {
	case "objects":
		d.open()
		tok, err := d.dec.Token()
		if err != nil {
			return d.fail(path, err)
		}
		if tok != json.Delim('[') {
			return d.fail(path, errors.New("objects must be an array"))
		}
		d.state = 2
		return nil
	case "type", "id":
		var s string
		if err := d.dec.Decode(&s); err != nil {
			return d.fail(path, err)
		}
		if key == "type" {
			d.Type = s
		} else {
			d.ID = s
		}
		return nil
	}
	// Other keys (spec_version in 2.0 bundles, TAXII's "more") are skipped,
	// still within the size window.
	var skip json.RawMessage
	if err := d.dec.Decode(&skip); err != nil {
		return d.fail(path, err)
	}
	return nil
}

func (d *Decoder) object() (Object, error) {
	d.index++
	path := "$.objects[" + strconv.Itoa(d.index) + "]"
	if d.index >= d.lim.MaxObjects {
		return Object{}, d.fail(path, fmt.Errorf("%w (%d)", ErrTooMany, d.lim.MaxObjects))
	}
	d.open()
	start := d.dec.InputOffset()
	var raw json.RawMessage
	if err := d.dec.Decode(&raw); err != nil {
		return Object{}, d.fail(path, err)
	}
	// The window bounds what was read; this bounds the object exactly, so
	// the limit does not depend on how much the decoder had buffered.
	if d.dec.InputOffset()-start > d.lim.MaxObjectBytes {
		return Object{}, d.fail(path, fmt.Errorf("%w (%d bytes)", ErrTooLarge, d.lim.MaxObjectBytes))
	}
	if len(raw) == 0 || raw[0] != '{' {
		return Object{}, d.fail(path, errors.New("an object must be a JSON object"))
	}
	var o Object
	if err := json.Unmarshal(raw, &o); err != nil {
		var pe *PathError
		if errors.As(err, &pe) {
			path += "." + pe.Path
			err = pe.Err
		}
		e := d.fail(path, err)
		d.err.(*DecodeError).ID = idOf(raw)
		return Object{}, e
	}
	return o, nil
}

// idOf digs the id out of an object that failed to decode, for the error.
func idOf(raw []byte) string {
	var v struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &v)
	return v.ID
}

// ReadBundle reads every object of a bundle with DefaultLimits.
func ReadBundle(r io.Reader) ([]Object, error) {
	return ReadBundleLimits(r, DefaultLimits)
}

// ReadBundleLimits reads every object of a bundle within lim.
func ReadBundleLimits(r io.Reader, lim Limits) ([]Object, error) {
	d := NewDecoder(r, lim)
	var objs []Object
	for {
		o, err := d.Next()
		if err == io.EOF {
			return objs, nil
		}
		if err != nil {
			return objs, err
		}
		objs = append(objs, o)
	}
}

// Encoder writes a bundle one object at a time.
type Encoder struct {
	w      io.Writer
	id     string
	n      int
	err    error
	closed bool
}

// NewEncoder returns an encoder writing a bundle with this id
// ("bundle--<uuid>") to w.
func NewEncoder(w io.Writer, id string) *Encoder { return &Encoder{w: w, id: id} }

// Encode appends o to the bundle.
func (e *Encoder) Encode(o Object) error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return errors.New("stix: encode after close")
	}
	b, err := o.MarshalJSON()
	if err != nil {
		return err // the bundle is still writable: nothing was written
	}
	var buf bytes.Buffer
	if e.n == 0 {
		e.header(&buf)
	} else {
		buf.WriteString(",\n")
	}
	buf.Write(b)
	e.n++
	_, e.err = e.w.Write(buf.Bytes())
	return e.err
}

func (e *Encoder) header(buf *bytes.Buffer) {
	id, _ := json.Marshal(e.id)
	buf.WriteString(`{"type":"bundle","id":`)
	buf.Write(id)
	buf.WriteString(`,"objects":[` + "\n")
}

// Close ends the bundle. A bundle with no objects is written without the
// objects property, which the specification requires to be non-empty.
func (e *Encoder) Close() error {
	if e.err != nil || e.closed {
		return e.err
	}
	e.closed = true
	if e.n == 0 {
		id, _ := json.Marshal(e.id)
		_, e.err = fmt.Fprintf(e.w, `{"type":"bundle","id":%s}`+"\n", id)
		return e.err
	}
	_, e.err = io.WriteString(e.w, "\n]}\n")
	return e.err
}

// WriteBundle writes objs as one bundle.
func WriteBundle(w io.Writer, id string, objs []Object) error {
	e := NewEncoder(w, id)
	for i, o := range objs {
		if err := e.Encode(o); err != nil {
			return fmt.Errorf("stix: objects[%d] (%s): %w", i, o.ID, err)
		}
	}
	return e.Close()
}
