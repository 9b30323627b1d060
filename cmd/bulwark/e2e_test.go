package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/testbin"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/evtx"
	"github.com/bulwarkhq/bulwark/logs/list"
	"github.com/bulwarkhq/bulwark/rules"
	"github.com/bulwarkhq/bulwark/sigma"
)

// readEVTX returns the events of one shared EVTX file.
func readEVTX(t testing.TB, path string) []event.Event {
	t.Helper()
	f, rd, err := list.Open(path, evtx.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []event.Event
	if err := rd.Read(context.Background(), f.Input(nil), func(e *event.Event) error {
		evs = append(evs, *e.Clone())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return evs
}

// fieldsJSON renders an event's fields as one flat JSON object, the shape
// a log shipper sends.
func fieldsJSON(t *testing.T, e *event.Event) map[string]any {
	t.Helper()
	data, err := e.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Fields map[string]any `json:"fields"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Fields
}

// ruleCounts counts alerts by rule title (correlations left out: their
// windows depend on the order events arrive over three transports).
func ruleCounts(alerts []alert.Alert) map[string]int {
	m := map[string]int{}
	for _, a := range alerts {
		if a.Correlation == nil {
			m[a.Rule.Title]++
		}
	}
	return m
}

// TestEndToEnd sends the events of every shared attack EVTX file to the
// running binary, each file over one of Splunk HEC, OTLP/HTTP and syslog in
// turn, and checks that the alerts the API returns are the ones `bulwark
// detect` raises on the same files with the same rules.
func TestEndToEnd(t *testing.T) {
	dir := testdata.Path(t, "evtx")
	ruleDir := testdata.Path(t, "sigma", "rules", "windows")
	srv := startServer(t, t.TempDir(), "--no-builtin", "-r", ruleDir, "--syslog-tcp", "127.0.0.1:0", "--log-level", "debug")
	admin := srv.admin()
	ingest := admin.newToken("e2e-ingest", "ingest")
	syslogAddr := syslogTCPAddr(t, srv)

	// What detect finds on the files themselves.
	rs := loadRules(t, ruleDir)
	var want []alert.Alert
	total := 0
	var sent [3]int
	all, err := logs.Files([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, fi := range all {
		if filepath.Ext(fi.Path) == ".evtx" {
			files = append(files, fi.Path)
		}
	}
	for i, name := range files {
		evs := readEVTX(t, name)
		total += len(evs)
		want = append(want, detectAll(rs, evs)...)
		switch i % 3 {
		case 0:
			sendHEC(t, srv.Base, ingest.token, evs, fieldsJSON)
		case 1:
			sendOTLP(t, srv.Base, ingest.token, evs, fieldsJSON)
		case 2:
			sendSyslog(t, syslogAddr, evs, fieldsJSON)
		}
		sent[i%3] += len(evs)
	}
	t.Logf("%d EVTX files, %d events: %d sent over HEC, %d over OTLP, %d over syslog", len(files), total, sent[0], sent[1], sent[2])
	st := admin.waitIngested(int64(total), 5*time.Minute)
	var got struct {
		Alerts []alert.Alert `json:"alerts"`
	}
	if code := admin.do("GET", "/api/v1/alerts?limit=10000", nil, &got); code != http.StatusOK {
		t.Fatalf("alerts: status %d", code)
	}
	t.Logf("%d events stored, %d alerts through the API; detect on the files: %d", st.Events, len(got.Alerts), len(want))
	wantN, gotN := ruleCounts(want), ruleCounts(got.Alerts)
	var diffs []string
	for _, title := range sortedKeys(wantN, gotN) {
		if wantN[title] != gotN[title] {
			diffs = append(diffs, fmt.Sprintf("%q: api %d, detect %d", title, gotN[title], wantN[title]))
		}
	}
	if len(diffs) > 0 {
		t.Errorf("alerts differ from detect on the same files:\n  %s", strings.Join(diffs, "\n  "))
	}
	if len(wantN) < 5 {
		t.Errorf("only %d rules fired on the chosen files; the test means little", len(wantN))
	}
}

func sortedKeys(ms ...map[string]int) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

func loadRules(t *testing.T, dir string) *sigma.RuleSet {
	t.Helper()
	rs, _, err := rules.Selection{Dirs: []string{dir}, NoBuiltin: true}.Load()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func detectAll(rs *sigma.RuleSet, evs []event.Event) []alert.Alert {
	e := detect.New(rs, detect.Options{})
	var out []alert.Alert
	d := e.NewDetector(nil, sigma.LevelLow, func(a *alert.Alert) error {
		out = append(out, *a)
		return nil
	})
	for i := range evs {
		d.Process(&evs[i])
	}
	return out
}

// syslogTCPAddr finds the bound syslog address in the server's log.
func syslogTCPAddr(t *testing.T, p *proc) string {
	t.Helper()
	for _, f := range strings.Fields(p.Log()) {
		if a, ok := strings.CutPrefix(f, "syslog_tcp="); ok {
			return strings.Trim(a, `"[],`)
		}
	}
	t.Fatalf("no syslog tcp address in the log:\n%s", p.Log())
	return ""
}

type render func(*testing.T, *event.Event) map[string]any

// sendHEC posts events as HEC envelopes in batches of 100.
func sendHEC(t *testing.T, base, token string, evs []event.Event, fields render) {
	t.Helper()
	for start := 0; start < len(evs); start += 100 {
		var body bytes.Buffer
		for i := start; i < min(start+100, len(evs)); i++ {
			env := map[string]any{"time": float64(evs[i].Time.UnixMicro()) / 1e6, "sourcetype": "_json", "event": fields(t, &evs[i])}
			data, _ := json.Marshal(env)
			body.Write(data)
			body.WriteByte('\n')
		}
		post(t, base+"/services/collector/event", "Splunk "+token, "application/json", body.Bytes())
	}
}

// sendOTLP posts events as OTLP log records with map bodies.
func sendOTLP(t *testing.T, base, token string, evs []event.Event, fields render) {
	t.Helper()
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "winlogbeat")
	sl := rl.ScopeLogs().AppendEmpty()
	for i := range evs {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(evs[i].Time))
		if err := lr.Body().SetEmptyMap().FromRaw(fields(t, &evs[i])); err != nil {
			t.Fatal(err)
		}
	}
	data, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	post(t, base+"/v1/logs", "Bearer "+token, "application/x-protobuf", data)
}

// sendSyslog sends events as RFC 5424 messages over TCP with octet
// counting, the JSON of the event as the message (as NXLog's to_json or
// rsyslog's mmjsonparse users ship Windows events).
func sendSyslog(t *testing.T, addr string, evs []event.Event, fields render) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var buf bytes.Buffer
	for i := range evs {
		msg, _ := json.Marshal(fields(t, &evs[i]))
		host := evs[i].GetString("Computer")
		if host == "" {
			host = "-"
		}
		line := fmt.Sprintf("<14>1 %s %s winlogbeat - - - %s", evs[i].Time.UTC().Format(time.RFC3339Nano), host, msg)
		fmt.Fprintf(&buf, "%d %s", len(line), line)
	}
	if _, err := conn.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
}

func post(t *testing.T, url, authz, contentType string, body []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Authorization", authz)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %s: %s", url, resp.Status, msg)
	}
}

func TestMain(m *testing.M) { testbin.Main(m) }
