package syslog

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/logtest"
	"github.com/bulwarkhq/bulwark/logs"
)

// ref is the reference time of the tests: early March 2025.
var ref = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func testReader() *Reader {
	return &Reader{Now: func() time.Time { return ref }, Location: time.UTC}
}

var inputs = []string{"auth.log", "rfc5424.log", "mixed.log"}

func TestGolden(t *testing.T) {
	for _, name := range inputs {
		t.Run(name, func(t *testing.T) {
			res := logtest.RunFile(t, testReader(), filepath.Join("testdata", name))
			logtest.Golden(t, name+".golden", logtest.Format(res))
		})
	}
}

func parse(line string) (*event.Event, Format) {
	p := &Parser{Now: func() time.Time { return ref }, Location: time.UTC}
	e := &event.Event{}
	f := p.ParseLine(e, []byte(line))
	return e, f
}

func fields(e *event.Event) string {
	var parts []string
	for _, f := range e.Fields {
		parts = append(parts, f.Name+"="+f.Value.Str)
	}
	t := "-"
	if !e.Time.IsZero() {
		t = e.Time.Format(time.RFC3339Nano)
	}
	return t + " " + strings.Join(parts, " | ")
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		line   string
		format Format
		want   string
	}{
		{"Feb  3 04:05:06 host sshd[42]: Accepted publickey for bob", RFC3164,
			"2025-02-03T04:05:06Z hostname=host | app_name=sshd | procid=42 | message=Accepted publickey for bob"},
		{"<38>Feb 13 04:05:06 host login: ROOT LOGIN ON tty1", RFC3164,
			"2025-02-13T04:05:06Z facility=auth | facility_code=4 | severity=info | severity_code=6 | hostname=host | app_name=login | message=ROOT LOGIN ON tty1"},
		{"Feb  3 04:05:06.250 host app: fraction", RFC3164, "2025-02-03T04:05:06.25Z hostname=host | app_name=app | message=fraction"},
		{"Feb  3 2021 04:05:06 host app: with year", RFC3164, "2021-02-03T04:05:06Z hostname=host | app_name=app | message=with year"},
		{"Feb  3 04:05:06 sshd[42]: no host", RFC3164, "2025-02-03T04:05:06Z app_name=sshd | procid=42 | message=no host"},
		{"Feb  3 04:05:06 host free text without a tag", RFC3164, "2025-02-03T04:05:06Z hostname=host | message=free text without a tag"},
		{"Feb  3 04:05:06 host ", RFC3164, "2025-02-03T04:05:06Z hostname=host | message="},
		{"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM'su root' failed", RFC5424,
			"2003-10-11T22:14:15.003Z facility=auth | facility_code=4 | severity=crit | severity_code=2 | hostname=mymachine.example.com | app_name=su | msgid=ID47 | message=BOM'su root' failed"},
		{"<13>1 - - - - - -", RFC5424, "- facility=user | facility_code=1 | severity=notice | severity_code=5 | message="},
		{`<13>1 2024-01-01T00:00:00Z h a 77 m [x@1 k="v\"q" k="w"][y@2] hi`, RFC5424,
			`2024-01-01T00:00:00Z facility=user | facility_code=1 | severity=notice | severity_code=5 | hostname=h | app_name=a | procid=77 | msgid=m | sd.x@1.k=v"q w | sd.y@2= | message=hi`},
		{"2024-05-01T10:00:00.123456+02:00 web1 nginx[99]: GET /", RFC3339,
			"2024-05-01T08:00:00.123456Z hostname=web1 | app_name=nginx | procid=99 | message=GET /"},
		{"<0>1 2024-01-01T00:00:00Z h a p m [unterminated", Unknown,
			"- facility=kern | facility_code=0 | severity=emerg | severity_code=0 | message=1 2024-01-01T00:00:00Z h a p m [unterminated"},
		{"<192>Feb  3 04:05:06 host a: pri out of range", Unknown, "- message=<192>Feb  3 04:05:06 host a: pri out of range"},
		{"<013>x", Unknown, "- message=<013>x"},
		{"Feb 30 04:05:06 host a: no such day", RFC3164, "- hostname=host | app_name=a | message=no such day"},
		{"Foo  3 04:05:06 host a: not a month", Unknown, "- message=Foo  3 04:05:06 host a: not a month"},
		{"2024-05-01 10:00:00 host app: no T", Unknown, "- message=2024-05-01 10:00:00 host app: no T"},
		{"plain text", Unknown, "- message=plain text"},
	}
	for _, tt := range tests {
		line := strings.Replace(tt.line, "BOM", "\xef\xbb\xbf", 1)
		e, f := parse(line)
		want := strings.Replace(tt.want, "message=BOM", "message=", 1)
		if got := fields(e); got != want || f != tt.format {
			t.Errorf("ParseLine(%q) = %s %s\nwant %s %s", tt.line, f, got, tt.format, want)
		}
	}
}

func TestProcIDKind(t *testing.T) {
	e, _ := parse("<13>1 - h a 1234 - - x")
	if v, _ := e.Get("procid"); v.Kind != event.KindInt || v.Num != 1234 {
		t.Errorf("numeric procid %+v", v)
	}
	e, _ = parse("<13>1 - h a worker-3 - - x")
	if v, _ := e.Get("procid"); v.Kind != event.KindString {
		t.Errorf("textual procid %+v", v)
	}
}

// TestYearInference walks through the cases Parser's comment promises.
func TestYearInference(t *testing.T) {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	tests := []struct {
		name  string
		now   string
		lines []string
		want  []string
	}{
		{"new year in the file", "2025-03-01T00:00:00Z",
			[]string{"Dec 31 23:59:58", "Jan  1 00:00:01", "Feb 28 10:00:00"},
			[]string{"2024-12-31T23:59:58Z", "2025-01-01T00:00:01Z", "2025-02-28T10:00:00Z"}},
		{"read just after new year", "2025-01-01T00:10:00Z",
			[]string{"Dec 31 23:00:00", "Jan  1 00:05:00"},
			[]string{"2024-12-31T23:00:00Z", "2025-01-01T00:05:00Z"}},
		{"a little clock skew is this year", "2025-06-01T00:00:00Z",
			[]string{"Jun  2 00:00:00"}, []string{"2025-06-02T00:00:00Z"}},
		{"a gap of months goes forward", "2025-12-01T00:00:00Z",
			[]string{"Jan 10 00:00:00", "Oct  1 00:00:00", "Nov 30 00:00:00"},
			[]string{"2025-01-10T00:00:00Z", "2025-10-01T00:00:00Z", "2025-11-30T00:00:00Z"}},
		{"small reordering stays in the year", "2025-06-01T00:00:00Z",
			[]string{"May  1 10:00:05", "May  1 10:00:01", "May  1 10:00:06"},
			[]string{"2025-05-01T10:00:05Z", "2025-05-01T10:00:01Z", "2025-05-01T10:00:06Z"}},
		{"reordering across new year", "2025-06-01T00:00:00Z",
			[]string{"Jan  1 00:00:05", "Dec 31 23:59:59"},
			[]string{"2025-01-01T00:00:05Z", "2024-12-31T23:59:59Z"}},
		{"29 February", "2025-03-01T00:00:00Z",
			[]string{"Feb 29 10:00:00", "Mar  1 10:00:00"},
			[]string{"2024-02-29T10:00:00Z", "2024-03-01T10:00:00Z"}},
	}
	for _, tt := range tests {
		p := &Parser{Now: func() time.Time { return at(tt.now) }, Location: time.UTC}
		for i, l := range tt.lines {
			m := p.Parse([]byte(l + " host app: x"))
			if got := m.Time.Format(time.RFC3339); got != tt.want[i] {
				t.Errorf("%s: line %d %q = %s, want %s", tt.name, i+1, l, got, tt.want[i])
			}
		}
	}
}

func TestLocation(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	p := &Parser{Now: func() time.Time { return ref }, Location: loc}
	if got := p.Parse([]byte("Feb  3 04:05:06 h a: x")).Time.UTC().Format(time.RFC3339); got != "2025-02-03T03:05:06Z" {
		t.Errorf("time %s", got)
	}
}

func TestSniff(t *testing.T) {
	for name, want := range map[string]bool{"auth.log": true, "rfc5424.log": true, "mixed.log": true} {
		b, _ := os.ReadFile(filepath.Join("testdata", name))
		if got := New().Sniff(b); got != want {
			t.Errorf("Sniff(%s) = %v", name, got)
		}
	}
	for s, want := range map[string]bool{
		"plain\ntext\nlines\n":               false,
		`{"a":1}`:                            false,
		"#separator \\x09\n":                 false,
		"Jan  1 00:00:00 h a: x\nnot\nnot\n": false,
		"Jan  1 00:00:00 h a: x\nJan  1 00:00:00 h a: x\nnot\n": true,
		"": false,
	} {
		if got := New().Sniff([]byte(s)); got != want {
			t.Errorf("Sniff(%q) = %v", s, got)
		}
	}
	// A long head is judged on its complete lines only.
	head := bytes.Repeat([]byte("Jan  1 00:00:00 h a: x\n"), logs.SniffLen/23+1)[:logs.SniffLen]
	if !New().Sniff(head) {
		t.Error("Sniff of a full head = false")
	}
}

func TestReadSourceAndRaw(t *testing.T) {
	res := logtest.Run(testReader(), "auth", []byte("Jan  1 00:00:00 h a: one\r\n\nJan  1 00:00:01 h a: two"))
	if res.Err != nil || len(res.Events) != 2 {
		t.Fatalf("%d events, %v", len(res.Events), res.Err)
	}
	e := res.Events[1]
	if e.Source.Record != 3 || e.Source.Offset != 27 || string(e.Raw) != "Jan  1 00:00:01 h a: two" || e.Source.Format != Name {
		t.Errorf("source %+v raw %q", e.Source, e.Raw)
	}
	if string(res.Events[0].Raw) != "Jan  1 00:00:00 h a: one" {
		t.Errorf("raw %q", res.Events[0].Raw)
	}
}

func FuzzParseLine(f *testing.F) {
	for _, name := range inputs {
		b, _ := os.ReadFile(filepath.Join("testdata", name))
		for _, l := range bytes.Split(b, []byte("\n")) {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		p := &Parser{Now: func() time.Time { return ref }, Location: time.UTC}
		e := &event.Event{}
		format := p.ParseLine(e, line)
		msg, ok := e.Get("message")
		if !ok {
			t.Fatal("no message field")
		}
		if format == Unknown && !bytes.HasSuffix(line, []byte(msg.Str)) {
			t.Fatalf("unknown line %q lost text: message %q", line, msg.Str)
		}
		for _, fl := range e.Fields {
			if fl.Name != "message" && fl.Name != "facility" && fl.Name != "severity" && !strings.HasPrefix(fl.Name, "sd.") && fl.Value.Kind == event.KindString && !bytes.Contains(line, []byte(fl.Value.Str)) {
				t.Fatalf("field %s = %q is not from the line %q", fl.Name, fl.Value.Str, line)
			}
		}
	})
}

func FuzzRead(f *testing.F) {
	for _, name := range inputs {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res := logtest.CheckInvariants(t, testReader(), data)
		for _, e := range res.Events {
			if _, ok := e.Get("message"); !ok {
				t.Fatal("event without message")
			}
		}
		testReader().Sniff(data)
	})
}

// authLines makes n auth.log lines of the usual kinds.
func authLines(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		ts := fmt.Sprintf("May %2d %02d:%02d:%02d", 1+i/86400%28, i/3600%24, i/60%60, i%60)
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "%s bastion sshd[%d]: Failed password for invalid user admin%d from 198.51.100.%d port %d ssh2\n", ts, 2000+i%5000, i%100, i%256, 30000+i%30000)
		case 1:
			fmt.Fprintf(&b, "%s bastion sshd[%d]: Accepted publickey for alice from 10.0.0.%d port %d ssh2: RSA SHA256:abcdefghijklmnop\n", ts, 2000+i%5000, i%256, 30000+i%30000)
		case 2:
			fmt.Fprintf(&b, "%s bastion CRON[%d]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n", ts, 3000+i%5000)
		case 3:
			fmt.Fprintf(&b, "%s bastion sudo:    alice : TTY=pts/%d ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx\n", ts, i%10)
		}
	}
	return b.Bytes()
}

func BenchmarkRead(b *testing.B) {
	for _, bc := range []struct {
		name string
		data []byte
	}{
		{"rfc3164", authLines(20000)},
		{"rfc5424", bytes.Repeat([]byte(`<165>1 2024-05-01T10:00:01.123456+02:00 host1.corp.local myapp 8710 ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event log entry`+"\n"), 20000)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := testReader()
			var events int
			b.SetBytes(int64(len(bc.data)))
			b.ReportAllocs()
			for b.Loop() {
				in := logs.Input{Path: "bench", R: bytes.NewReader(bc.data)}
				if err := r.Read(context.Background(), in, func(*event.Event) error { events++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// TestJSONMessage checks that a JSON object message becomes fields named
// as in a JSON file, with the Windows aliases, and that other messages
// stay text.
func TestJSONMessage(t *testing.T) {
	for _, tc := range []struct {
		line      string
		field     string
		want      string
		noMessage bool
	}{
		{`<14>1 2024-05-01T10:00:00Z dc01 nxlog - - - {"EventID":4625,"Channel":"Security","TargetUserName":"bob"}`, "TargetUserName", "bob", true},
		{`<14>1 2024-05-01T10:00:00Z dc01 nxlog - - - @cee: {"winlog":{"event_id":1,"event_data":{"Image":"C:\\x.exe"}}}`, "Image", `C:\x.exe`, true},
		{`<14>May  1 10:00:00 web1 app: {"user":"amy"}`, "user", "amy", true},
		{`<14>1 2024-05-01T10:00:00Z h a - - - {not json}`, "message", "{not json}", false},
		{`<14>1 2024-05-01T10:00:00Z h a - - - plain text`, "message", "plain text", false},
	} {
		var p Parser
		var e event.Event
		p.ParseLine(&e, []byte(tc.line))
		if got := e.GetString(tc.field); got != tc.want {
			t.Errorf("%s: %s = %q, want %q", tc.line, tc.field, got, tc.want)
		}
		if _, has := e.Get("message"); has == tc.noMessage {
			t.Errorf("%s: message field present: %v, want %v", tc.line, has, !tc.noMessage)
		}
	}
}
