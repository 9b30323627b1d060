package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// lineIndex maps byte offsets to 1-based line and column numbers in one
// pass over the data, so looking up a position costs a binary search
// rather than a rescan of the file.
type lineIndex struct {
	starts []int // offset of the first byte of each line
}

func newLineIndex(data []byte) *lineIndex {
	starts := make([]int, 1, len(data)/32+1)
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &lineIndex{starts: starts}
}

// position returns the line and column (both 1-based) of offset.
func (x *lineIndex) position(offset int64) (line, col int) {
	i := sort.Search(len(x.starts), func(i int) bool { return int64(x.starts[i]) > offset }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, int(offset) - x.starts[i] + 1
}

func (x *lineIndex) line(offset int64) int {
	l, _ := x.position(offset)
	return l
}

// jsonError turns an encoding/json error into a ParseError with a line and
// column.
func jsonError(file string, data []byte, idx *lineIndex, path string, err error) error {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
		if typ.Field != "" {
			if path != "" {
				path += "."
			}
			path += typ.Field
		}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		off = int64(len(data))
		err = fmt.Errorf("unexpected end of JSON input")
	}
	pe := &ParseError{File: file, Offset: off, Path: path, Msg: err.Error()}
	if off >= 0 {
		if idx == nil {
			idx = newLineIndex(data)
		}
		pe.Line, pe.Column = idx.position(off)
	}
	return pe
}
