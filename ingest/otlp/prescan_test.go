package otlp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// msg builds a length-delimited field holding parts.
func msg(field byte, parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	b := []byte{field<<3 | 2}
	b = binary.AppendUvarint(b, uint64(len(body)))
	return append(b, body...)
}

func TestCountProto(t *testing.T) {
	str := func(field byte, s string) []byte { return msg(field, []byte(s)) }
	kv := msg(1, str(1, "k"), msg(2, str(1, "v"))) // KeyValue{key, value: AnyValue{string}}
	record := msg(2,
		[]byte{0x09, 1, 2, 3, 4, 5, 6, 7, 8}, // time_unix_nano, fixed64
		[]byte{0x10, 9},                      // severity_number
		str(3, "INFO"),                       // severity_text
		msg(5, str(1, "body")),               // body
		msg(6, str(1, "a"), msg(2, msg(6, msg(1, str(1, "b"), msg(2, []byte{0x18, 1}))))), // attribute a = {b: 1}
		[]byte{0x45, 1, 0, 0, 0},           // flags, fixed32
		str(9, strings.Repeat("\x01", 16)), // trace_id: bytes, not a message
	)
	tests := []struct {
		name string
		body []byte
		want int
		err  string // substring; "" for none
	}{
		{"empty", nil, 0, ""},
		// resource_logs, resource, its attribute and value, scope_logs,
		// scope, the record, its body, attribute, value, kvlist, its
		// entry and value: 13.
		{"request", msg(1, msg(1, kv), msg(2, msg(1, str(1, "scope")), record)), 13, ""},
		{"unknown fields skipped", msg(1, str(15, "x"), []byte{0xf8, 0x01, 1}), 1, ""},
		{"entity refs not entered", msg(1, msg(1, msg(3, str(1, "x"), str(1, "y")))), 3, ""},
		{"truncated length", []byte{0x0a, 0x05, 0x01}, 0, "byte 2"},
		{"truncated varint", []byte{0x08, 0x80}, 0, "byte 1"},
		{"truncated fixed64", []byte{0x09, 1, 2}, 0, "byte 1"},
		{"field zero", []byte{0x00, 0x00}, 0, "byte 0"},
		{"group", []byte{0x0b}, 0, "wire type 3"},
		{"nested too deep", nestedArrays(600), 0, "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := countProto(tt.body, 1000)
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one with %q", err, tt.err)
			case tt.err == "" && n != tt.want:
				t.Errorf("counted %d, want %d", n, tt.want)
			}
		})
	}
}

// nestedArrays builds a body whose record's body nests arrays depth deep.
func nestedArrays(depth int) []byte {
	v := []byte{}
	for range depth {
		v = msg(1, msg(5, v)) // ArrayValue{values: AnyValue{array_value: ...}}
	}
	return msg(1, msg(2, msg(2, msg(5, msg(5, v)))))
}

func TestCountBudget(t *testing.T) {
	body := bytes.Repeat([]byte{0x0a, 0x00}, 100)
	if n, err := countProto(body, 100); err != nil || n != 100 {
		t.Errorf("at the budget: %d, %v", n, err)
	}
	if _, err := countProto(body, 99); !errors.Is(err, errTooMany) {
		t.Errorf("over the budget: %v", err)
	}
	js := []byte(`{"a":[{},{"s":"{[\"{"}]}`)
	if n, err := countJSON(js, 4); err != nil || n != 4 {
		t.Errorf("JSON: %d, %v", n, err)
	}
	if _, err := countJSON(js, 3); !errors.Is(err, errTooMany) {
		t.Errorf("JSON over the budget: %v", err)
	}
}

func FuzzCountProto(f *testing.F) {
	f.Add(nestedArrays(3))
	f.Add(msg(1, msg(2, msg(2, []byte{0x10, 9}, msg(6, msg(2, msg(5)))))))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := countProto(b, 1<<10)
		if err == nil && n > 1<<10 {
			t.Fatalf("counted %d past the budget", n)
		}
		var we *wireError
		if errors.As(err, &we) && (we.Off < 0 || we.Off > len(b)) {
			t.Fatalf("offset %d outside the body of %d bytes", we.Off, len(b))
		}
	})
}

func FuzzCountJSON(f *testing.F) {
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"\"{"}}]}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := countJSON(b, 1<<10)
		if err == nil && n > 1<<10 {
			t.Fatalf("counted %d past the budget", n)
		}
	})
}
