package stix

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzDecoder feeds arbitrary bytes to the bundle decoder: it must never
// panic, must stop at the object limit, and whatever it accepts must
// encode and decode back to the same objects.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte(sampleBundle))
	f.Add([]byte(`{"objects":[{"type":"x-a","id":"x-a--1"}],"id":"bundle--2"}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"ipv4-addr","value":"1.2.3.4"},{"type":`))
	f.Add([]byte(`{"objects":[[[[[[[[[[]]]]]]]]]]}`))
	f.Add([]byte(`{"objects":[{"type":"file","hashes":{"MD5":"x"},"x_y":{"a":[1e400]}}]}`))
	lim := Limits{MaxObjectBytes: 4 << 10, MaxObjects: 64}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(bytes.NewReader(b), lim)
		var objs []Object
		for {
			o, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("error %v is not a *DecodeError", err)
				}
				return
			}
			if len(objs) >= lim.MaxObjects {
				t.Fatalf("more than %d objects accepted", lim.MaxObjects)
			}
			objs = append(objs, o)
			// These must not panic on any accepted object.
			_ = Validate(o)
			_, _, _ = o.DeterministicID()
			_, _ = o.Typed()
		}
		_, _ = Indicators(objs, ImportOptions{})
		var buf bytes.Buffer
		if err := WriteBundle(&buf, "bundle--1", objs); err != nil {
			t.Fatalf("encode: %v", err)
		}
		again, err := ReadBundleLimits(&buf, Limits{MaxObjects: lim.MaxObjects})
		if err != nil || len(again) != len(objs) {
			t.Fatalf("re-read: %v, %d of %d objects", err, len(again), len(objs))
		}
		for i := range objs {
			if !Equal(objs[i], again[i]) && canonicalOK(objs[i]) {
				t.Fatalf("objects[%d] changed: %v / %v", i, objs[i].Props, again[i].Props)
			}
		}
	})
}

// canonicalOK reports whether every property canonicalises; Equal treats
// values it cannot canonicalise (numbers beyond float64) as unequal.
func canonicalOK(o Object) bool {
	for _, v := range o.Props {
		if _, err := Canonical(v); err != nil {
			return false
		}
	}
	return true
}

// TestDecoderMemoryBound checks that a huge object is refused after reading
// about the limit, not after buffering all of it.
func TestDecoderMemoryBound(t *testing.T) {
	const limit = 1 << 16
	r := &countingReader{r: io.MultiReader(
		strings.NewReader(`{"objects":[{"type":"x","pad":"`),
		infinite('a'),
	)}
	_, err := ReadBundleLimits(r, Limits{MaxObjectBytes: limit})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if r.n > 4*limit {
		t.Errorf("read %d bytes for a %d-byte limit", r.n, limit)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type infinite byte

func (b infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}
