package upload

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/ingest"
)

// collect is a sink that keeps what it is given, or refuses with err.
type collect struct {
	evs []event.Event
	err error
}

func (c *collect) Submit(_ context.Context, evs []event.Event, _ bool) error {
	if c.err != nil {
		return c.err
	}
	c.evs = append(c.evs, evs...)
	return nil
}

func post(t *testing.T, h http.Handler, query string, body []byte) (*httptest.ResponseRecorder, Result) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/ingest"+query, bytes.NewReader(body)))
	var res Result
	json.Unmarshal(rec.Body.Bytes(), &res)
	return rec, res
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func TestUpload(t *testing.T) {
	evtxData, err := os.ReadFile("../../testdata/sample/WS-ACCT-07-sysmon.evtx")
	if err != nil {
		t.Fatal(err)
	}
	ndjson := []byte(`{"EventID":4625,"TargetUserName":"bob"}` + "\n" + `{"EventID":4625,"TargetUserName":"amy"}` + "\n")
	for _, tc := range []struct {
		name, query string
		body        []byte
		status      int
		format      string
		events      int
	}{
		{"evtx sniffed", "?name=C:%5Clogs%5Cws.evtx", evtxData, 200, "evtx", -1},
		{"ndjson gzip", "", gz(ndjson), 200, "jsonl", 2},
		{"forced format", "?format=jsonl", ndjson, 200, "jsonl", 2},
		{"unknown format", "?format=pdf", ndjson, 400, "", 0},
		{"not a log", "", []byte("\x00\x01\x02binary"), 400, "", 0},
	} {
		sink := &collect{}
		rec, res := post(t, New(sink, Options{BatchSize: 7}), tc.query, tc.body)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d (%s), want %d", tc.name, rec.Code, rec.Body, tc.status)
			continue
		}
		if tc.status != 200 {
			if res.Error == "" {
				t.Errorf("%s: no error message", tc.name)
			}
			continue
		}
		if res.Format != tc.format || res.Events != len(sink.evs) || (tc.events >= 0 && res.Events != tc.events) || res.Events == 0 {
			t.Errorf("%s: %+v with %d events stored", tc.name, res, len(sink.evs))
		}
		if tc.name == "evtx sniffed" && sink.evs[0].Source.Path != "upload/ws.evtx" {
			t.Errorf("source path %q, want upload/ws.evtx", sink.evs[0].Source.Path)
		}
	}
}

func TestUploadLimitsAndBusy(t *testing.T) {
	big := []byte(strings.Repeat(`{"a":1}`+"\n", 1000))
	rec, _ := post(t, New(&collect{}, Options{MaxBodyBytes: 100}), "", big)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized upload: %d, want 413", rec.Code)
	}
	rec, res := post(t, New(&collect{err: ingest.ErrBusy}, Options{}), "", big)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || res.Error == "" {
		t.Errorf("busy sink: %d, Retry-After %q, %+v", rec.Code, rec.Header().Get("Retry-After"), res)
	}
}
