package hec

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/ingest"
	"github.com/bulwarkhq/bulwark/internal/logtest"
)

// receipt is the time of receipt in every test.
var receipt = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// sink records what it is given and answers err.
type sink struct {
	mu    sync.Mutex
	err   error
	calls int
	wait  bool
	evs   []event.Event
}

func (s *sink) Submit(_ context.Context, evs []event.Event, wait bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.wait = wait
	if s.err == nil {
		s.evs = append(s.evs, evs...)
	}
	return s.err
}

func testOptions() Options {
	return Options{Now: func() time.Time { return receipt }, Location: time.UTC}
}

func do(h http.Handler, method, target string, hdr map[string]string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGolden posts bodies shaped as the common shippers send them and
// compares the answer and the events with testdata/<name>.golden.
func TestGolden(t *testing.T) {
	tests := []struct {
		name, target, file string
		gzip               bool
		hdr                map[string]string
	}{
		// Fluent Bit's splunk output: one envelope per line, records of
		// its tail and winevtlog inputs.
		{"fluentbit", "/services/collector/event", "fluentbit.json", false,
			map[string]string{"Authorization": "Splunk 6b8f1c2e-0000-4000-8000-000000000001", "Content-Type": "application/json"}},
		// Vector's splunk_hec_logs sink: envelopes back to back, gzip.
		{"vector", "/services/collector/event/1.0", "vector.json", true,
			map[string]string{"Authorization": "Splunk x", "Content-Encoding": "gzip"}},
		// The OpenTelemetry Collector's splunk_hec exporter: string
		// events (the log body), attributes as indexed fields, gzip.
		{"otelcol", "/services/collector", "otelcol.json", true,
			map[string]string{"Authorization": "Splunk x", "Content-Encoding": "gzip", "X-Splunk-Request-Channel": "0c5a4b7e-6f1a-4d0e-9c3b-1a2b3c4d5e6f"}},
		// The raw endpoint, metadata in the query, as Vector sends it with
		// endpoint_target = "raw".
		{"raw", "/services/collector/raw?host=web-2&source=%2Fvar%2Flog%2Fsyslog&sourcetype=syslog&channel=0c5a4b7e-6f1a-4d0e-9c3b-1a2b3c4d5e6f", "raw.txt", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if tt.gzip {
				body = gz(t, body)
			}
			s := &sink{}
			rec := do(New(s, testOptions()), http.MethodPost, tt.target, tt.hdr, body)
			var out strings.Builder
			fmt.Fprintf(&out, "status %d\n%s\n", rec.Code, rec.Body.String())
			for i := range s.evs {
				writeEvent(&out, &s.evs[i])
			}
			logtest.Golden(t, tt.name+".golden", out.String())
			if s.wait {
				t.Error("Submit was asked to wait")
			}
		})
	}
}

func writeEvent(w io.Writer, e *event.Event) {
	fmt.Fprintf(w, "--- %s/%s record %d offset %d time %s\n", e.Source.Path, e.Source.Format,
		e.Source.Record, e.Source.Offset, e.Time.UTC().Format(time.RFC3339Nano))
	for _, f := range e.Fields {
		fmt.Fprintf(w, "%s = %s\n", f.Name, logtest.FormatValue(f.Value))
	}
	fmt.Fprintf(w, "raw %q\n", e.Raw)
}

// TestAnswers checks the answer to each kind of request, byte for byte as
// Splunk sends it, and that refused requests reach the sink not at all.
func TestAnswers(t *testing.T) {
	const ev = "/services/collector/event"
	tests := []struct {
		name, method, target, body string
		hdr                        map[string]string
		sinkErr                    error
		status                     int
		want                       string
		submitted                  int // events the sink is given
	}{
		{name: "one event", body: `{"event":"hello"}`, status: 200, want: `{"text":"Success","code":0}`, submitted: 1},
		{name: "whitespace between", body: " \n{\"event\":1}\r\n\t{\"event\":true}\n", status: 200, want: `{"text":"Success","code":0}`, submitted: 2},
		{name: "unknown keys ignored", body: `{"event":"x","extra":{"deep":[1,2]},"Event":7}`, status: 200, want: `{"text":"Success","code":0}`, submitted: 1},
		{name: "empty body", body: ``, status: 400, want: `{"text":"No data","code":5}`},
		{name: "blank body", body: " \n\t", status: 400, want: `{"text":"No data","code":5}`},
		{name: "event missing", body: `{"host":"a"}`, status: 400, want: `{"text":"Event field is required","code":12,"invalid-event-number":0}`},
		{name: "event missing in second", body: `{"event":"a"}{"time":1}`, status: 400, want: `{"text":"Event field is required","code":12,"invalid-event-number":1}`},
		{name: "event key case differs", body: `{"Event":"a"}`, status: 400, want: `{"text":"Event field is required","code":12,"invalid-event-number":0}`},
		{name: "event blank", body: `{"event":""}`, status: 400, want: `{"text":"Event field cannot be blank","code":13,"invalid-event-number":0}`},
		{name: "event null", body: `{"event":"a"}{"event":null}`, status: 400, want: `{"text":"Event field cannot be blank","code":13,"invalid-event-number":1}`},
		{name: "truncated", body: `{"event":"a"}` + "\n" + `{"event":`, status: 400, want: `{"text":"Invalid data format","code":6,"invalid-event-number":1}`},
		{name: "not JSON", body: `event=a`, status: 400, want: `{"text":"Invalid data format","code":6,"invalid-event-number":0}`},
		{name: "array", body: `[{"event":"a"}]`, status: 400, want: `{"text":"Invalid data format","code":6,"invalid-event-number":0}`},
		{name: "bad time", body: `{"event":"a","time":"yesterday"}`, status: 400, want: `{"text":"Invalid data format","code":6,"invalid-event-number":0}`},
		{name: "negative time", body: `{"event":"a","time":-5}`, status: 400, want: `{"text":"Invalid data format","code":6,"invalid-event-number":0}`},
		{name: "host not text", body: `{"event":"a","host":{"name":"x"}}`, status: 400, want: `{"text":"Invalid data format","code":6,"invalid-event-number":0}`},
		{name: "fields not object", body: `{"event":"a","fields":["x"]}`, status: 400, want: `{"text":"Error in handling indexed fields","code":15,"invalid-event-number":0}`},
		{name: "busy", body: `{"event":"a"}`, sinkErr: ingest.ErrBusy, status: 503, want: `{"text":"Server is busy","code":9}`, submitted: 1},
		{name: "busy wrapped", body: `{"event":"a"}`, sinkErr: fmt.Errorf("queue: %w", ingest.ErrBusy), status: 503, want: `{"text":"Server is busy","code":9}`, submitted: 1},
		{name: "sink fails", body: `{"event":"a"}`, sinkErr: errors.New("disk full"), status: 500, want: `{"text":"Internal server error","code":8}`, submitted: 1},
		{name: "raw empty", target: "/services/collector/raw", body: "\n\n", status: 400, want: `{"text":"No data","code":5}`},
		{name: "raw", target: "/services/collector/raw/1.0", body: "a\nb", status: 200, want: `{"text":"Success","code":0}`, submitted: 2},
		{name: "health", method: "GET", target: "/services/collector/health", status: 200, want: `{"text":"HEC is healthy","code":17}`},
		{name: "health 1.0", method: "GET", target: "/services/collector/health/1.0", status: 200, want: `{"text":"HEC is healthy","code":17}`},
		{name: "ack", target: "/services/collector/ack", body: `{"acks":[0]}`, status: 400, want: `{"text":"ACK is disabled","code":14}`},
		{name: "unknown path", target: "/services/collector/metrics", body: `{"event":"a"}`, status: 404, want: `{"text":"The requested URL was not found on this server.","code":404}`},
		{name: "GET event", method: "GET", target: ev, status: 405, want: `{"text":"Method not allowed","code":405}`},
		{name: "trailing slash", target: ev + "/", body: `{"event":"a"}`, status: 200, want: `{"text":"Success","code":0}`, submitted: 1},
		{name: "deflate", body: `{"event":"a"}`, hdr: map[string]string{"Content-Encoding": "deflate"}, status: 415, want: `{"text":"Unsupported Content-Encoding","code":415}`},
		{name: "not gzip", body: `{"event":"a"}`, hdr: map[string]string{"Content-Encoding": "gzip"}, status: 400, want: `{"text":"Invalid data format","code":6}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, target := tt.method, tt.target
			if method == "" {
				method = http.MethodPost
			}
			if target == "" {
				target = ev
			}
			s := &sink{err: tt.sinkErr}
			rec := do(New(s, testOptions()), method, target, tt.hdr, []byte(tt.body))
			if rec.Code != tt.status || rec.Body.String() != tt.want {
				t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body.String(), tt.status, tt.want)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=UTF-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if ra := rec.Header().Get("Retry-After"); (ra == "1") != (tt.status == 503) {
				t.Errorf("Retry-After %q with status %d", ra, tt.status)
			}
			if got := submitted(s); got != tt.submitted {
				t.Errorf("sink given %d events, want %d", got, tt.submitted)
			}
			if tt.submitted == 0 && s.calls != 0 {
				t.Errorf("sink called %d times", s.calls)
			}
		})
	}
}

// submitted counts the events the sink was given, stored or not.
func submitted(s *sink) int {
	if s.err == nil {
		return len(s.evs)
	}
	return s.calls // one event per request in the failing cases
}

// TestLimits checks the three bounds on a request: bytes on the wire,
// bytes after gzip, and values.
func TestLimits(t *testing.T) {
	big := bytes.Repeat([]byte(`{"event":"0123456789"}`), 1000) // 22 000 bytes
	tests := []struct {
		name   string
		opt    Options
		body   []byte
		gzip   bool
		length bool // send Content-Length
		status int
	}{
		{"within", Options{Limits: ingest.Limits{MaxBodyBytes: 30000}}, big, false, true, 200},
		{"wire, Content-Length", Options{Limits: ingest.Limits{MaxBodyBytes: 20000}}, big, false, true, 413},
		{"wire, chunked", Options{Limits: ingest.Limits{MaxBodyBytes: 20000}}, big, false, false, 413},
		{"bomb", Options{Limits: ingest.Limits{MaxDecodedBytes: 20000}}, big, true, true, 413},
		{"bomb just fits", Options{Limits: ingest.Limits{MaxDecodedBytes: 22000}}, big, true, true, 200},
		{"values", Options{Limits: ingest.Limits{MaxValues: 2999}}, big, false, true, 413}, // 3 a event: itself, message, source
		{"values just fit", Options{Limits: ingest.Limits{MaxValues: 3000}}, big, false, true, 200},
		{"raw values", Options{Limits: ingest.Limits{MaxValues: 10}}, []byte(strings.Repeat("x\n", 4)), false, true, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := tt.opt
			opt.Now, opt.Location = testOptions().Now, time.UTC
			s := &sink{}
			body := tt.body
			hdr := map[string]string{}
			if tt.gzip {
				body = gz(t, body)
				hdr["Content-Encoding"] = "gzip"
			}
			target := "/services/collector/event"
			if tt.name == "raw values" {
				target = "/services/collector/raw"
			}
			req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
			if !tt.length {
				req.ContentLength = -1
				req.Body = io.NopCloser(bytes.NewReader(body))
			}
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			New(s, opt).ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d %s, want %d", rec.Code, rec.Body.String(), tt.status)
			}
			if tt.status == 413 && (s.calls != 0 || !strings.Contains(rec.Body.String(), `"code":413`)) {
				t.Errorf("calls %d, body %s", s.calls, rec.Body.String())
			}
		})
	}
}

// TestGzipBomb sends a megabyte that inflates to a gigabyte (one gzip
// member of a mebibyte of zeros, repeated: gzip allows many members), which
// must be refused without inflating it all.
func TestGzipBomb(t *testing.T) {
	member := gz(t, make([]byte, 1<<20))
	bomb := bytes.Repeat(member, 1024)
	start := time.Now()
	rec := do(New(&sink{}, testOptions()), http.MethodPost, "/services/collector/event",
		map[string]string{"Content-Encoding": "gzip"}, bomb)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d", rec.Code)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestEnvelopeMapping(t *testing.T) {
	tests := []struct {
		name, body, query string
		fields            map[string]string // name → formatted value; "" means absent
		time              string
	}{
		{
			name:   "host added when absent",
			body:   `{"event":{"msg":"x"},"host":"h1","source":"s","sourcetype":"st","index":"i"}`,
			fields: map[string]string{"host": `string "h1"`, "source": `string "s"`, "sourcetype": `string "st"`, "index": `string "i"`, "msg": `string "x"`},
			time:   "2024-06-01T00:00:00Z",
		},
		{
			name:   "event's host wins",
			body:   `{"event":{"host":"own","hostname":"x"},"host":"h1"}`,
			fields: map[string]string{"host": `string "own"`},
		},
		{
			name:   "query defaults, envelope wins",
			query:  "?host=qh&index=qi&sourcetype=qst",
			body:   `{"event":"x","host":"h1"}`,
			fields: map[string]string{"host": `string "h1"`, "index": `string "qi"`, "sourcetype": `string "qst"`, "source": `string "hec"`},
		},
		{
			name:   "numeric host kept as text",
			body:   `{"event":"x","host":10}`,
			fields: map[string]string{"host": `string "10"`},
		},
		{
			name:   "fields flattened, event wins",
			body:   `{"event":{"a":1},"fields":{"a":"no","b":["x","y"],"c":{"d":2}}}`,
			fields: map[string]string{"a": `int "1"`, "b": `[string "x", string "y"]`, "c.d": `int "2"`},
		},
		{
			name:   "number event",
			body:   `{"event":42.5}`,
			fields: map[string]string{"message": `string "42.5"`},
		},
		{
			name:   "array event",
			body:   `{"event":[1,"a"]}`,
			fields: map[string]string{"message": `string "[1,\"a\"]"`},
		},
		{
			name:   "string holding JSON",
			body:   `{"event":" {\"winlog\":{\"event_id\":4624,\"event_data\":{\"LogonType\":\"3\"}}}"}`,
			fields: map[string]string{"EventID": `int "4624"`, "LogonType": `string "3"`, "message": ""},
		},
		{
			name:   "string with broken JSON stays text",
			body:   `{"event":"{not json"}`,
			fields: map[string]string{"message": `string "{not json"`},
		},
		{
			name:   "syslog string, line ending dropped",
			body:   `{"event":"<86>May  1 10:00:00 h sshd[5]: hi\n"}`,
			fields: map[string]string{"message": `string "hi"`, "app_name": `string "sshd"`, "facility": `string "authpriv"`},
		},
		{
			name: "envelope time wins over the event's",
			body: `{"event":{"@timestamp":"2020-01-01T00:00:00Z"},"time":1714557600.5}`,
			time: "2024-05-01T10:00:00.5Z",
		},
		{
			name: "event time when the envelope has none",
			body: `{"event":{"@timestamp":"2020-01-01T00:00:00Z"}}`,
			time: "2020-01-01T00:00:00Z",
		},
		{
			name: "syslog time",
			body: `{"event":"<13>1 2021-02-03T04:05:06Z h app - - - m"}`,
			time: "2021-02-03T04:05:06Z",
		},
		{name: "time as text", body: `{"event":"x","time":"1714557600.123456789123"}`, time: "2024-05-01T10:00:00.123456789Z"},
		{name: "time with exponent", body: `{"event":"x","time":1.7145576e9}`, time: "2024-05-01T10:00:00Z"},
		{name: "time in milliseconds", body: `{"event":"x","time":1714557600250}`, time: "2024-05-01T10:00:00.25Z"},
		{name: "time in nanoseconds", body: `{"event":"x","time":1714557600250000001}`, time: "2024-05-01T10:00:00.250000001Z"},
		{name: "time null", body: `{"event":"x","time":null}`, time: "2024-06-01T00:00:00Z"},
		{name: "time empty text", body: `{"event":"x","time":""}`, time: "2024-06-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sink{}
			rec := do(New(s, testOptions()), http.MethodPost, "/services/collector/event"+tt.query, nil, []byte(tt.body))
			if rec.Code != 200 || len(s.evs) != 1 {
				t.Fatalf("status %d %s, %d events", rec.Code, rec.Body.String(), len(s.evs))
			}
			e := &s.evs[0]
			for name, want := range tt.fields {
				v, ok := e.Get(name)
				switch {
				case want == "" && ok:
					t.Errorf("%s = %s, want absent", name, logtest.FormatValue(v))
				case want != "" && !ok:
					t.Errorf("%s absent, want %s", name, want)
				case want != "" && logtest.FormatValue(v) != want:
					t.Errorf("%s = %s, want %s", name, logtest.FormatValue(v), want)
				}
			}
			if tt.time != "" {
				if got := e.Time.UTC().Format(time.RFC3339Nano); got != tt.time {
					t.Errorf("time %s, want %s", got, tt.time)
				}
			}
			seen := map[string]bool{}
			for _, f := range e.Fields {
				if seen[f.Name] {
					t.Errorf("field %s twice", f.Name)
				}
				seen[f.Name] = true
			}
		})
	}
}

// TestConcurrent runs requests in parallel, for the race detector: each
// must get parsers of its own.
func TestConcurrent(t *testing.T) {
	s := &sink{}
	h := New(s, testOptions())
	body, err := os.ReadFile("testdata/fluentbit.json")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if rec := do(h, http.MethodPost, "/services/collector", nil, body); rec.Code != 200 {
					t.Errorf("status %d", rec.Code)
				}
			}
		})
	}
	wg.Wait()
	if len(s.evs) != 8*20*2 {
		t.Errorf("%d events", len(s.evs))
	}
}
