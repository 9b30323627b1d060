package otlp

import (
	"bytes"
	"strings"
	"testing"
)

func TestStatusProto(t *testing.T) {
	tests := []struct {
		code int32
		msg  string
		want []byte
	}{
		{3, "bad", []byte{0x08, 0x03, 0x12, 0x03, 'b', 'a', 'd'}},
		{14, "", []byte{0x08, 0x0e}},
		{0, "x", []byte{0x12, 0x01, 'x'}},
		{-1, "", []byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{8, strings.Repeat("m", 200), append([]byte{0x08, 0x08, 0x12, 0xc8, 0x01}, strings.Repeat("m", 200)...)},
	}
	for _, tt := range tests {
		if got := statusProto(tt.code, tt.msg); !bytes.Equal(got, tt.want) {
			t.Errorf("statusProto(%d, %.10q) = %x, want %x", tt.code, tt.msg, got, tt.want)
		}
	}
}

func TestStatusJSON(t *testing.T) {
	if got := string(statusJSON(3, `bad "x"`)); got != `{"code":3,"message":"bad \"x\""}` {
		t.Errorf("got %s", got)
	}
}
