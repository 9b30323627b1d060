package proxy

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"sync"
	"time"

	"github.com/bulwarkhq/bulwark/guard"
)

// Auditor receives one record per request the proxy handled. The proxy
// depends on nothing more, so a server can hand it a store-backed sink.
type Auditor interface {
	Audit(ctx context.Context, rec Record) error
}

// Record is what the audit trail keeps about one request. It holds no
// prompt or answer text: findings name categories, kinds and places, and
// guard.Finding never serialises the matched text.
type Record struct {
	Time     time.Time `json:"time"`
	Key      string    `json:"key,omitempty"` // key name; empty in open mode
	App      string    `json:"app,omitempty"`
	Endpoint string    `json:"endpoint"`
	Model    string    `json:"model,omitempty"`
	Stream   bool      `json:"stream,omitempty"`
	// Action is the strongest action taken on the request or the answer.
	Action         guard.Action   `json:"action"`
	RequestAction  guard.Action   `json:"request_action,omitempty"`
	ResponseAction guard.Action   `json:"response_action,omitempty"`
	Findings       []AuditFinding `json:"findings,omitempty"`
	Status         int            `json:"status"`                    // sent to the client
	UpstreamStatus int            `json:"upstream_status,omitempty"` // 0 when upstream was not asked or not reached
	// Cut is set when a streamed answer was stopped by a blocking finding.
	Cut        bool    `json:"cut,omitempty"`
	LatencyMS  float64 `json:"latency_ms"`
	GuardMS    float64 `json:"guard_ms"`    // time spent scanning and rewriting
	UpstreamMS float64 `json:"upstream_ms"` // time waiting on upstream
	Error      string  `json:"error,omitempty"`
}

// AuditFinding is a finding and whether it was in the request or the answer.
type AuditFinding struct {
	Direction string `json:"direction"` // "request" or "response"
	guard.Finding
}

// JSONLAuditor writes each record as one JSON line.
type JSONLAuditor struct {
	mu sync.Mutex
	w  io.Writer
	c  io.Closer
}

// NewJSONLAuditor writes records to w.
func NewJSONLAuditor(w io.Writer) *JSONLAuditor { return &JSONLAuditor{w: w} }

// OpenJSONLAuditor appends records to the file at path, creating it
// readable by its owner only.
func OpenJSONLAuditor(path string) (*JSONLAuditor, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &JSONLAuditor{w: f, c: f}, nil
}

// Audit writes one line. Lines are written whole, one at a time, so
// concurrent requests never interleave.
func (a *JSONLAuditor) Audit(_ context.Context, rec Record) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	_, err = a.w.Write(line)
	return err
}

// Close closes the file OpenJSONLAuditor opened.
func (a *JSONLAuditor) Close() error {
	if a.c == nil {
		return nil
	}
	return a.c.Close()
}
