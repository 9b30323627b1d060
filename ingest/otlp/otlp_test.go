package otlp

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/ingest"
	"github.com/bulwarkhq/bulwark/internal/logtest"
)

var receipt = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

func testOptions() Options {
	return Options{Now: func() time.Time { return receipt }, Location: time.UTC}
}

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

func ts(s string) pcommon.Timestamp {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return pcommon.NewTimestampFromTime(t)
}

// sampleLogs builds what the OpenTelemetry Collector sends: a filelog
// receiver's syslog lines, a Winlogbeat-shaped JSON body, an evtx-shaped map
// body, and the SDKs' structured records.
func sampleLogs() plog.Logs {
	ld := plog.NewLogs()

	rl := ld.ResourceLogs().AppendEmpty()
	res := rl.Resource().Attributes()
	res.PutStr("host.name", "web-1")
	res.PutStr("service.name", "sshd")
	res.PutStr("os.type", "linux")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("github.com/open-telemetry/opentelemetry-collector-contrib/receiver/filelogreceiver")
	sl.Scope().SetVersion("0.140.0")

	// filelog: only the observed time, the line's own time wins over it.
	lr := sl.LogRecords().AppendEmpty()
	lr.SetObservedTimestamp(ts("2024-05-01T10:00:09Z"))
	lr.Body().SetStr("<38>1 2024-05-01T10:00:05.001Z web-1 sshd 1234 - - Failed password for root from 203.0.113.5 port 52113 ssh2\n")
	lr.Attributes().PutStr("log.file.name", "auth.log")
	lr.Attributes().PutStr("log.file.path", "/var/log/auth.log")

	lr = sl.LogRecords().AppendEmpty()
	lr.SetObservedTimestamp(ts("2024-05-01T10:00:09Z"))
	lr.Body().SetStr("May  1 10:00:06 web-1 sudo[991]: deploy : TTY=pts/0 ; COMMAND=/usr/bin/id")
	lr.Attributes().PutStr("log.file.name", "auth.log")

	// A line no parser knows: the observed time.
	lr = sl.LogRecords().AppendEmpty()
	lr.SetObservedTimestamp(ts("2024-05-01T10:00:07Z"))
	lr.Body().SetStr("free text")

	rl = ld.ResourceLogs().AppendEmpty()
	res = rl.Resource().Attributes()
	res.PutStr("host.name", "ws1.corp.local")
	res.PutStr("os.type", "windows")
	sl = rl.ScopeLogs().AppendEmpty()

	// Winlogbeat JSON forwarded as the body string; the record time wins.
	lr = sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(ts("2024-05-01T10:00:01.5Z"))
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetSeverityText("Information")
	lr.Body().SetStr(`{"@timestamp":"2020-01-01T00:00:00Z","winlog":{"event_id":1,"channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"ws1.corp.local","event_data":{"Image":"C:\\Tools\\a.exe","CommandLine":"a.exe -x"}}}`)

	// An evtx-shaped map body.
	lr = sl.LogRecords().AppendEmpty()
	ev := lr.Body().SetEmptyMap().PutEmptyMap("Event")
	sys := ev.PutEmptyMap("System")
	sys.PutEmptyMap("Provider").PutEmptyMap("#attributes").PutStr("Name", "Microsoft-Windows-Security-Auditing")
	sys.PutInt("EventID", 4688)
	sys.PutStr("Channel", "Security")
	sys.PutStr("Computer", "ws1.corp.local")
	sys.PutEmptyMap("TimeCreated").PutEmptyMap("#attributes").PutStr("SystemTime", "2024-05-01T10:00:02.000000Z")
	data := ev.PutEmptyMap("EventData")
	data.PutStr("NewProcessName", `C:\Windows\System32\whoami.exe`)
	data.PutStr("CommandLine", "whoami /all")
	data.PutStr("TokenElevationType", "%%1936")

	rl = ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "checkout")
	sl = rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("checkout.logger")

	// An SDK record: attributes of every type, trace context, no body.
	lr = sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(ts("2024-05-01T10:00:03Z"))
	lr.SetSeverityNumber(plog.SeverityNumberError)
	lr.SetSeverityText("ERROR")
	lr.SetEventName("checkout.failed")
	lr.SetTraceID(pcommon.TraceID{0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c})
	lr.SetSpanID(pcommon.SpanID{0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74})
	a := lr.Attributes()
	a.PutStr("user.id", "u-17")
	a.PutInt("http.response.status_code", 500)
	a.PutDouble("duration", 1.25)
	a.PutDouble("ratio", math.NaN())
	a.PutBool("retry", true)
	a.PutEmptyBytes("payload").FromRaw([]byte{0xde, 0xad, 0xbe, 0xef})
	items := a.PutEmptySlice("items")
	items.AppendEmpty().SetStr("a")
	items.AppendEmpty().SetInt(2)
	a.PutEmptyMap("http.request").PutStr("method", "POST")
	a.PutStr("service.name", "the record's attribute wins over the resource's")

	// A number body, no time at all.
	lr = sl.LogRecords().AppendEmpty()
	lr.Body().SetInt(42)
	return ld
}

func post(h http.Handler, target, contentType string, hdr map[string]string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func marshal(t testing.TB, ld plog.Logs, enc encoding) []byte {
	t.Helper()
	req := plogotlp.NewExportRequestFromLogs(ld)
	var b []byte
	var err error
	if enc == encProto {
		b, err = req.MarshalProto()
	} else {
		b, err = req.MarshalJSON()
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGolden posts the sample in both encodings, gzipped and not, and
// checks that each gives the events of testdata/sample.golden.
func TestGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		enc  encoding
		gzip bool
	}{
		{"protobuf", encProto, false},
		{"protobuf gzip", encProto, true},
		{"json", encJSON, false},
		{"json gzip", encJSON, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := marshal(t, sampleLogs(), tt.enc)
			hdr := map[string]string{}
			if tt.gzip {
				body = gz(t, body)
				hdr["Content-Encoding"] = "gzip"
			}
			s := &sink{}
			rec := post(New(s, testOptions()), LogsPath, contentType(tt.enc), hdr, body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
			}
			if ct := rec.Header().Get("Content-Type"); ct != contentType(tt.enc) {
				t.Errorf("Content-Type %q", ct)
			}
			resp := plogotlp.NewExportResponse()
			var err error
			if tt.enc == encProto {
				err = resp.UnmarshalProto(rec.Body.Bytes())
			} else {
				err = resp.UnmarshalJSON(rec.Body.Bytes())
			}
			if err != nil {
				t.Errorf("answer %q is no ExportLogsServiceResponse: %v", rec.Body.String(), err)
			}
			if s.calls != 1 || s.wait {
				t.Errorf("Submit called %d times, wait %v", s.calls, s.wait)
			}
			var out strings.Builder
			for i := range s.evs {
				writeEvent(&out, &s.evs[i])
			}
			logtest.Golden(t, "sample.golden", out.String())
		})
	}
}

func writeEvent(w io.Writer, e *event.Event) {
	fmt.Fprintf(w, "--- %s/%s record %d offset %d time %s\n", e.Source.Path, e.Source.Format,
		e.Source.Record, e.Source.Offset, e.Time.UTC().Format(time.RFC3339Nano))
	for _, f := range e.Fields {
		fmt.Fprintf(w, "%s = %s\n", f.Name, logtest.FormatValue(f.Value))
	}
	if e.Raw != nil {
		fmt.Fprintf(w, "raw %q\n", e.Raw)
	}
}

// status decodes an error answer, in either encoding, to its code and
// message.
func status(t *testing.T, rec *httptest.ResponseRecorder) (int32, string) {
	t.Helper()
	body := rec.Body.Bytes()
	if rec.Header().Get("Content-Type") == typeJSON {
		var st struct {
			Code    int32  `json:"code"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatalf("answer %q: %v", body, err)
		}
		return st.Code, st.Message
	}
	// google.rpc.Status: 08 <code> 12 <len> <message>, as statusProto
	// writes it; TestStatusProto checks that against the wire format.
	if len(body) < 2 || body[0] != 0x08 {
		t.Fatalf("answer %x is no Status", body)
	}
	code := int32(body[1])
	msg := ""
	if len(body) > 4 && body[2] == 0x12 {
		msg = string(body[4:])
		if body[3]&0x80 != 0 {
			msg = string(body[5:])
		}
	}
	return code, msg
}

func TestAnswers(t *testing.T) {
	proto := marshal(t, sampleLogs(), encProto)
	tests := []struct {
		name, method, target, ctype string
		hdr                         map[string]string
		body                        []byte
		opt                         Options
		sinkErr                     error
		status                      int
		code                        int32  // of the Status sent, 0 for 200
		msg                         string // in the Status message
		calls                       int
	}{
		{name: "ok", body: proto, status: 200, calls: 1},
		{name: "charset parameter", ctype: "application/json; charset=utf-8", body: []byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"}}]}]}]}`), status: 200, calls: 1},
		{name: "empty request", body: nil, status: 200},
		{name: "empty JSON request", ctype: typeJSON, body: []byte(`{}`), status: 200},
		{name: "wrong path", target: "/v1/traces", body: proto, status: 404, code: codeNotFound},
		{name: "GET", method: "GET", status: 405, code: codeUnimplemented},
		{name: "text/plain", ctype: "text/plain", body: proto, status: 415, code: codeUnimplemented, msg: "Content-Type"},
		{name: "no Content-Type", ctype: "-", body: proto, status: 415, code: codeUnimplemented},
		{name: "deflate", hdr: map[string]string{"Content-Encoding": "deflate"}, body: proto, status: 415, code: codeUnimplemented},
		{name: "bad protobuf", body: []byte{0x0a, 0x05, 0x01}, status: 400, code: codeInvalidArgument, msg: "byte 2"},
		{name: "bad JSON", ctype: typeJSON, body: []byte(`{"resourceLogs":[{]}`), status: 400, code: codeInvalidArgument},
		{name: "bad gzip", hdr: map[string]string{"Content-Encoding": "gzip"}, body: proto, status: 400, code: codeInvalidArgument, msg: "gzip"},
		{name: "too large", opt: Options{Limits: ingest.Limits{MaxBodyBytes: int64(len(proto) - 1)}}, body: proto, status: 413, code: codeResourceExhausted},
		{name: "too many messages", opt: Options{Limits: ingest.Limits{MaxValues: 10}}, body: proto, status: 413, code: codeResourceExhausted, msg: "send smaller batches"},
		{name: "busy", body: proto, sinkErr: ingest.ErrBusy, status: 503, code: codeUnavailable, msg: "retry later", calls: 1},
		{name: "sink fails", body: proto, sinkErr: errors.New("disk full"), status: 503, code: codeUnavailable, msg: "retry later", calls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, target, ctype := tt.method, tt.target, tt.ctype
			if method == "" {
				method = http.MethodPost
			}
			if target == "" {
				target = LogsPath
			}
			switch ctype {
			case "":
				ctype = typeProto
			case "-":
				ctype = ""
			}
			opt := tt.opt
			opt.Now = testOptions().Now
			s := &sink{err: tt.sinkErr}
			req := httptest.NewRequest(method, target, bytes.NewReader(tt.body))
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			for k, v := range tt.hdr {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			New(s, opt).ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d %q, want %d", rec.Code, rec.Body.String(), tt.status)
			}
			if s.calls != tt.calls {
				t.Errorf("Submit called %d times, want %d", s.calls, tt.calls)
			}
			if ra := rec.Header().Get("Retry-After"); (ra == "1") != (tt.status == 503) {
				t.Errorf("Retry-After %q", ra)
			}
			if tt.status == 200 {
				return
			}
			wantType := typeJSON
			if ctype == typeProto {
				wantType = typeProto
			}
			if got := rec.Header().Get("Content-Type"); got != wantType {
				t.Errorf("Content-Type %q, want %q", got, wantType)
			}
			code, msg := status(t, rec)
			if code != tt.code || !strings.Contains(msg, tt.msg) {
				t.Errorf("Status %d %q, want %d containing %q", code, msg, tt.code, tt.msg)
			}
		})
	}
}

// TestHostile sends bodies built to make decoding costly: a megabyte of
// empty messages, which would cost some 100 MiB decoded, and a gzip bomb.
func TestHostile(t *testing.T) {
	empties := bytes.Repeat([]byte{0x0a, 0x00}, 1<<19) // empty ResourceLogs
	member := gz(t, make([]byte, 1<<20))
	tests := []struct {
		name, ctype string
		body        []byte
		gzip        bool
	}{
		{"empty messages", typeProto, empties, false},
		{"empty JSON objects", typeJSON, []byte(`{"resourceLogs":[` + strings.Repeat(`{},`, 1<<20) + `{}]}`), false},
		{"gzip bomb", typeProto, bytes.Repeat(member, 1024), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.gzip {
				hdr["Content-Encoding"] = "gzip"
			}
			opt := testOptions()
			opt.MaxValues = 1 << 16
			var before, after runtimeMem
			before.read()
			rec := post(New(&sink{}, opt), LogsPath, tt.ctype, hdr, tt.body)
			after.read()
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d %q", rec.Code, rec.Body.String())
			}
			if alloc := after.total - before.total; alloc > 100<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
		})
	}
}

// runtimeMem reads the bytes allocated so far.
type runtimeMem struct{ total uint64 }

func (m *runtimeMem) read() {
	runtime.GC()
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.total = s.TotalAlloc
}

// TestConcurrent runs requests in parallel, for the race detector.
func TestConcurrent(t *testing.T) {
	s := &sink{}
	h := New(s, testOptions())
	body := marshal(t, sampleLogs(), encProto)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if rec := post(h, LogsPath, typeProto, nil, body); rec.Code != 200 {
					t.Errorf("status %d", rec.Code)
				}
			}
		})
	}
	wg.Wait()
	if want := 8 * 20 * sampleLogs().LogRecordCount(); len(s.evs) != want {
		t.Errorf("%d events, want %d", len(s.evs), want)
	}
}

// FuzzProto decodes arbitrary protobuf bodies: no panic, no input slow,
// and events only within the budget.
func FuzzProto(f *testing.F) {
	f.Add(marshal(f, sampleLogs(), encProto))
	f.Add([]byte{0x0a, 0x02, 0x12, 0x00})
	f.Add([]byte{0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x2a, 0x00})
	fuzzDecode(f, encProto)
}

// FuzzJSON decodes arbitrary JSON bodies.
func FuzzJSON(f *testing.F) {
	f.Add(marshal(f, sampleLogs(), encJSON))
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1714557600000000000","body":{"kvlistValue":{"values":[{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"}]}}}]}}}]}]}]}`))
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"zz","body":{"stringValue":"{\"winlog\":{\"event_id\":1}}"}}]}]}]}`))
	fuzzDecode(f, encJSON)
}

func fuzzDecode(f *testing.F, enc encoding) {
	opt := testOptions()
	opt.MaxValues = 1 << 12
	h := New(&sink{}, opt).(*handler)
	f.Fuzz(func(t *testing.T, body []byte) {
		// Time is a resource too: no input may take long.
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("took %v", d)
			}
		}()
		req, fl := h.decode(enc, body)
		if fl != nil {
			return
		}
		evs, fl := h.convert(req)
		if fl != nil {
			return
		}
		cost := 0
		for i := range evs {
			cost += 1 + len(evs[i].Fields)
			if evs[i].Source.Record != int64(i)+1 || evs[i].Time.IsZero() {
				t.Fatalf("event %d: %+v", i, evs[i].Source)
			}
		}
		if cost > opt.MaxValues {
			t.Fatalf("cost %d over the budget", cost)
		}
	})
}
