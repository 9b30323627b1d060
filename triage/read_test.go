package triage

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  bool
	}{
		{"1642118409", "2022-01-14T00:00:09Z", false},
		{"1642118409.5", "2022-01-14T00:00:09.5Z", false},
		{"1642118409000", "2022-01-14T00:00:09Z", false},
		{"2022-01-14T00:00:09Z", "2022-01-14T00:00:09Z", false},
		{"2022-01-14T01:00:09+01:00", "2022-01-14T00:00:09Z", false},
		{"yesterday", "", true},
		{"NaN", "", true},
		{"-5", "", true},
		{"1e300", "", true},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("ParseTime(%q) error %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if err == nil && got.Format(time.RFC3339Nano) != tt.want {
			t.Errorf("ParseTime(%q) = %s, want %s", tt.in, got.Format(time.RFC3339Nano), tt.want)
		}
	}
}

func TestParseMapping(t *testing.T) {
	tests := []struct {
		in, err string
	}{
		{"time=ts,name=rule.name,host=agent.name", ""},
		{"time=ts,colour=red", `unknown field "colour"`},
		{"time", "want field=column"},
		{"name=x", "time field must be mapped"},
	}
	for _, tt := range tests {
		_, err := ParseMapping(tt.in)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ParseMapping(%q) = %v, want error containing %q", tt.in, err, tt.err)
		}
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name, in string
		mapping  string
		want     string // one line per alert: line time rule entities
		err      string
	}{
		{name: "csv default mapping ignores label columns",
			in:   "time,name,ip,host,short,time_label,event_label\n1642118409,Rule A,10.0.0.1,web,R-A,x,dirb\n1642118410,Rule B,10.0.0.2,db,R-B,x,-\n",
			want: "0 2022-01-14T00:00:09Z R-A host=web,src_ip=10.0.0.1\n1 2022-01-14T00:00:10Z R-B host=db,src_ip=10.0.0.2\n"},
		{name: "csv mapping",
			in: "ts,rule,src,dst,sev\n2022-01-14T00:00:09Z,Brute force,1.2.3.4,5.6.7.8,high\n", mapping: "time=ts,name=rule,src_ip=src,dst_ip=dst,severity=sev",
			want: "0 2022-01-14T00:00:09Z Brute force dst_ip=5.6.7.8,src_ip=1.2.3.4 high\n"},
		{name: "ndjson dotted paths", mapping: "time=@timestamp,name=rule.name,host=agent.name,user=data.user",
			in:   `{"@timestamp":1642118409000,"rule":{"name":"Login"},"agent":{"name":"web"},"data":{"user":"bob"}}` + "\n\n" + `{"@timestamp":"2022-01-14T00:00:10Z","rule.name":"Flat","agent":{"name":"db"}}` + "\n",
			want: "0 2022-01-14T00:00:09Z Login host=web,user=bob\n2 2022-01-14T00:00:10Z Flat host=db\n"},
		{name: "bad time names the line", in: "time,name\n1,a\nsoon,b\n", err: "alerts.csv:3: time \"soon\""},
		{name: "missing column", in: "time,name\n1,a\n", mapping: "time=time,host=hostname", err: `alerts.csv:1: no column "hostname"`},
		{name: "no rule", in: "time,host\n1,a\n", err: "alerts.csv:2: no rule"},
		{name: "bad json", in: "{\"time\":1,\"name\":\"a\"}\n{oops\n", err: "alerts.csv:2: not a JSON object"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Mapping
			if tt.mapping != "" {
				var err error
				if m, err = ParseMapping(tt.mapping); err != nil {
					t.Fatal(err)
				}
			}
			alerts, err := Read(strings.NewReader(tt.in), "alerts.csv", m)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Errorf("error %T is not a *ParseError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := formatAlerts(alerts); got != tt.want {
				t.Errorf("got\n%swant\n%s", got, tt.want)
			}
		})
	}
}

func TestReadGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("time,name,host\n1642118409,A,web\n"))
	zw.Close()
	alerts, err := Read(&buf, "a.csv.gz", nil)
	if err != nil || len(alerts) != 1 || alerts[0].Entities[Host] != "web" {
		t.Fatalf("got %v, %v", alerts, err)
	}
}

func formatAlerts(alerts []Alert) string {
	var b strings.Builder
	for _, a := range alerts {
		var ents []string
		for _, k := range sortedKeys(a.Entities) {
			ents = append(ents, k+"="+a.Entities[k])
		}
		b.WriteString(strings.TrimSpace(strings.Join([]string{
			itoa(a.Line), a.Time.Format(time.RFC3339Nano), a.RuleKey(), strings.Join(ents, ","), a.Severity}, " ")))
		b.WriteByte('\n')
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// FuzzRead feeds arbitrary bytes to the CSV / NDJSON reader and the engine:
// neither may panic, and every alert read must carry its line and a rule.
func FuzzRead(f *testing.F) {
	f.Add([]byte("time,name,ip,host,short,time_label,event_label\n1642118409,Rule A,10.0.0.1,web,R-A,x,dirb\n"), "")
	f.Add([]byte("ts,rule,src\n2022-01-14T00:00:09Z,\"quoted, rule\",1.2.3.4\n1642118409000,x,y\n"), "time=ts,name=rule,src_ip=src")
	f.Add([]byte(`{"t":1642118409.25,"r":{"n":"A"},"h":["a","b"]}`+"\n"), "time=t,name=r.n,host=h")
	f.Add([]byte("time,name\n\"unterminated,1\n"), "")
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00}, "")
	f.Fuzz(func(t *testing.T, data []byte, mapping string) {
		var m Mapping
		if mapping != "" {
			var err error
			if m, err = ParseMapping(mapping); err != nil {
				return
			}
		}
		alerts, err := Read(bytes.NewReader(data), "fuzz", m)
		if err != nil {
			return
		}
		for i, a := range alerts {
			if a.RuleKey() == "" || a.Line < i {
				t.Fatalf("alert %d: line %d, rule %q", i, a.Line, a.RuleKey())
			}
		}
		New(Options{}).Run(alerts)
	})
}

func TestDefaultTimeColumn(t *testing.T) {
	for _, in := range []string{
		"Timestamp,name,host\n2022-01-14T00:00:09Z,A,web\n",
		`{"@timestamp":"2022-01-14T00:00:09Z","name":"A","host":"web"}` + "\n",
	} {
		alerts, err := Read(strings.NewReader(in), "x", nil)
		if err != nil || len(alerts) != 1 || alerts[0].Time.Unix() != 1642118409 {
			t.Errorf("%q: %v, %v", in, alerts, err)
		}
	}
}
