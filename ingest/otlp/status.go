package otlp

import (
	"encoding/binary"
	"encoding/json"
)

// gRPC status codes sent in google.rpc.Status, as OTLP/HTTP asks.
const (
	codeInvalidArgument   = 3
	codeNotFound          = 5
	codeResourceExhausted = 8
	codeUnimplemented     = 12
	codeUnavailable       = 14
)

// statusProto encodes google.rpc.Status{code, message}: field 1 a varint,
// field 2 a string. Details (field 3) are never sent.
func statusProto(code int32, msg string) []byte {
	b := make([]byte, 0, 2*binary.MaxVarintLen64+2+len(msg))
	if code != 0 { // proto3 leaves defaults out
		b = append(b, 1<<3|0)
		b = binary.AppendUvarint(b, uint64(int64(code))) // int32 sign-extends
	}
	if msg != "" {
		b = append(b, 2<<3|2)
		b = binary.AppendUvarint(b, uint64(len(msg)))
		b = append(b, msg...)
	}
	return b
}

// statusJSON encodes google.rpc.Status in the JSON mapping of protobuf.
func statusJSON(code int32, msg string) []byte {
	b, _ := json.Marshal(struct {
		Code    int32  `json:"code,omitempty"`
		Message string `json:"message,omitempty"`
	}{code, msg})
	return b
}
