package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// jsonWalker reads a JSON document token by token so that members of large
// objects can be decoded one at a time with the offset of their key, which
// gives each package its line in a single pass.
type jsonWalker struct {
	file string
	data []byte
	idx  *lineIndex
	dec  *json.Decoder
}

func newJSONWalker(file string, data []byte) *jsonWalker {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return &jsonWalker{file: file, data: data, idx: newLineIndex(data), dec: dec}
}

// fail wraps err with the file, position and path.
func (w *jsonWalker) fail(path string, err error) error {
	if _, ok := err.(*ParseError); ok {
		return err
	}
	return jsonError(w.file, w.data, w.idx, path, err)
}

// failHere reports msg at the decoder's current offset.
func (w *jsonWalker) failHere(path, msg string) error {
	off := w.dec.InputOffset()
	line, col := w.idx.position(off)
	return &ParseError{File: w.file, Line: line, Column: col, Offset: off, Path: path, Msg: msg}
}

// line returns the line of the decoder's current offset.
func (w *jsonWalker) line() int { return w.idx.line(w.dec.InputOffset()) }

// object expects an object next and calls member for each key with the line
// of the key; member must consume the value (decode or skip). A null is
// treated as an empty object.
func (w *jsonWalker) object(path string, member func(key string, line int) error) error {
	tok, err := w.dec.Token()
	if err != nil {
		return w.fail(path, err)
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return w.failHere(path, fmt.Sprintf("expected an object, found %v", describeToken(tok)))
	}
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return w.fail(path, err)
		}
		key, ok := tok.(string)
		if !ok {
			return w.failHere(path, "expected an object key")
		}
		if err := member(key, w.line()); err != nil {
			return err
		}
	}
	if _, err := w.dec.Token(); err != nil {
		return w.fail(path, err)
	}
	return nil
}

// array expects an array next and calls elem for each element with the
// line where it starts; elem must consume the value. A null is treated as
// an empty array.
func (w *jsonWalker) array(path string, elem func(i, line int) error) error {
	tok, err := w.dec.Token()
	if err != nil {
		return w.fail(path, err)
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return w.failHere(path, fmt.Sprintf("expected an array, found %v", describeToken(tok)))
	}
	for i := 0; w.dec.More(); i++ {
		// The next value starts after optional whitespace and comma.
		line := w.idx.line(w.nextValueOffset())
		if err := elem(i, line); err != nil {
			return err
		}
	}
	if _, err := w.dec.Token(); err != nil {
		return w.fail(path, err)
	}
	return nil
}

// nextValueOffset is the offset of the next non-space, non-comma byte.
func (w *jsonWalker) nextValueOffset() int64 {
	off := w.dec.InputOffset()
	for off < int64(len(w.data)) {
		switch w.data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
			continue
		}
		break
	}
	return off
}

// decode decodes the next value into v.
func (w *jsonWalker) decode(path string, v any) error {
	if err := w.dec.Decode(v); err != nil {
		return w.fail(path, err)
	}
	return nil
}

// skip consumes the next value. Decoding into a RawMessage runs the
// decoder's fast value scanner instead of one Token call per token.
func (w *jsonWalker) skip(path string) error {
	var raw json.RawMessage
	if err := w.dec.Decode(&raw); err != nil {
		return w.fail(path, err)
	}
	return nil
}

// end checks that nothing but whitespace follows the document.
func (w *jsonWalker) end() error {
	if _, err := w.dec.Token(); err == io.EOF {
		return nil
	}
	return w.failHere("", "unexpected data after the top-level value")
}

func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

// jsonPath joins a JSON path and a key, quoting keys that are not plain.
func jsonPath(path, key string) string {
	plain := key != ""
	for _, c := range key {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			plain = false
			break
		}
	}
	if plain {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return fmt.Sprintf("%s[%q]", path, key)
}
