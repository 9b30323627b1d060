package httpin

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/event"
)

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadBody(t *testing.T) {
	plain := []byte(strings.Repeat("log line\n", 100)) // 900 bytes
	packed := gz(t, plain)
	tests := []struct {
		name       string
		body       []byte
		encoding   []string
		chunked    bool // no Content-Length
		maxBody    int64
		maxDecoded int64
		want       []byte
		err        any // nil, or a pointer to the error type expected
	}{
		{name: "plain", body: plain, maxBody: 900, maxDecoded: 1, want: plain},
		{name: "identity", body: plain, encoding: []string{"identity"}, maxBody: 900, want: plain},
		{name: "gzip", body: packed, encoding: []string{"gzip"}, maxBody: 900, maxDecoded: 900, want: plain},
		{name: "x-gzip, any case", body: packed, encoding: []string{" X-GZIP "}, maxBody: 900, maxDecoded: 900, want: plain},
		{name: "two members", body: append(gz(t, plain[:400]), gz(t, plain[400:])...), encoding: []string{"gzip"}, maxBody: 900, maxDecoded: 900, want: plain},
		{name: "empty", body: nil, maxBody: 10, want: []byte{}},
		{name: "over, Content-Length", body: plain, maxBody: 899, err: new(*TooLargeError)},
		{name: "over, chunked", body: plain, chunked: true, maxBody: 899, err: new(*TooLargeError)},
		{name: "decoded over", body: packed, encoding: []string{"gzip"}, maxBody: 900, maxDecoded: 899, err: new(*TooLargeError)},
		{name: "deflate", body: plain, encoding: []string{"deflate"}, maxBody: 900, err: new(*EncodingError)},
		{name: "gzip twice", body: packed, encoding: []string{"gzip, gzip"}, maxBody: 900, err: new(*EncodingError)},
		{name: "gzip in two headers", body: packed, encoding: []string{"gzip", "br"}, maxBody: 900, err: new(*EncodingError)},
		{name: "not gzip", body: plain, encoding: []string{"gzip"}, maxBody: 900, maxDecoded: 900, err: new(*CorruptError)},
		{name: "cut short", body: packed[:len(packed)-5], encoding: []string{"gzip"}, maxBody: 900, maxDecoded: 900, err: new(*CorruptError)},
		{name: "trailing garbage", body: append(append([]byte{}, packed...), "junk"...), encoding: []string{"gzip"}, maxBody: 900, maxDecoded: 900, err: new(*CorruptError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(tt.body))
			if tt.chunked {
				req.ContentLength = -1
				req.Body = io.NopCloser(bytes.NewReader(tt.body))
			}
			for _, e := range tt.encoding {
				req.Header.Add("Content-Encoding", e)
			}
			got, err := ReadBody(httptest.NewRecorder(), req, tt.maxBody, tt.maxDecoded)
			if tt.err != nil {
				if err == nil || !errors.As(err, tt.err) {
					t.Fatalf("error %v, want a %T", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("got %d bytes, want %d", len(got), len(tt.want))
			}
		})
	}
}

func TestTooLargeMessage(t *testing.T) {
	err := error(&TooLargeError{What: "decoded body", Limit: 10})
	if err.Error() != "decoded body larger than the limit of 10 bytes" {
		t.Error(err)
	}
}

func TestCost(t *testing.T) {
	var e event.Event
	if Cost(&e) != 1 {
		t.Errorf("empty event costs %d", Cost(&e))
	}
	e.Add("a", event.String("x"))
	e.Add("b", event.List(event.Int(1), event.Int(2), event.Int(3)))
	if Cost(&e) != 6 {
		t.Errorf("cost %d, want 6", Cost(&e))
	}
}

func TestAddAbsent(t *testing.T) {
	tests := []struct {
		name        string
		have, extra int // fields named f0.. in the event, and g0.. plus overlaps in extra
		overlap     int // extra also carries f0..f(overlap-1)
	}{
		{"small", 3, 3, 2},
		{"indexed", 200, 100, 50}, // 200×150 fields: past mapAt, takes the map
		{"empty extra", 5, 0, 0},
		{"empty event", 0, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e event.Event
			for i := range tt.have {
				e.Add(fmt.Sprintf("f%d", i), event.String("own"))
			}
			var extra []event.Field
			for i := range tt.overlap {
				extra = append(extra, event.Field{Name: fmt.Sprintf("f%d", i), Value: event.String("extra")})
			}
			for i := range tt.extra {
				name := fmt.Sprintf("g%d", i)
				extra = append(extra, event.Field{Name: name, Value: event.String("first")},
					event.Field{Name: name, Value: event.String("second")})
			}
			if n := AddAbsent(&e, extra); n != tt.extra {
				t.Errorf("added %d, want %d", n, tt.extra)
			}
			if len(e.Fields) != tt.have+tt.extra {
				t.Errorf("%d fields", len(e.Fields))
			}
			for _, f := range e.Fields {
				if want := map[byte]string{'f': "own", 'g': "first"}[f.Name[0]]; f.Value.Str != want {
					t.Errorf("%s = %q, want %q", f.Name, f.Value.Str, want)
				}
			}
		})
	}
}
