package jsonl

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/logtest"
	"github.com/bulwarkhq/bulwark/logs/internal/jsonflat"
)

// TestParserMatchesReader parses every line of the hand-made NDJSON inputs
// with one Parser and checks that it yields exactly what the Reader yields
// for that line: same fields, aliases and time.
func TestParserMatchesReader(t *testing.T) {
	for _, path := range []string{"testdata/winlogbeat.jsonl", "testdata/shapes.jsonl"} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p := NewParser()
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for line := 1; sc.Scan(); line++ {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			res := logtest.Run(New(), "x", sc.Bytes())
			var e event.Event
			err := p.Parse(&e, sc.Bytes())
			if len(res.Events) == 0 {
				if err == nil {
					t.Errorf("%s:%d: Parse accepted what Reader skipped", path, line)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s:%d: %v", path, line, err)
				continue
			}
			var got, want strings.Builder
			logtest.WriteEvent(&got, &e)
			r := res.Events[0]
			r.Source = event.Source{}
			logtest.WriteEvent(&want, r)
			if got.String() != want.String() {
				t.Errorf("%s:%d: Parser gave\n%s\nReader gave\n%s", path, line, got.String(), want.String())
			}
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		fields map[string]string // name → FormatValue; "" means absent
		time   string            // RFC 3339, "" for zero
	}{
		{
			name: "winlogbeat",
			in:   `{"@timestamp":"2024-05-01T10:00:00Z","winlog":{"event_id":"4688","channel":"Security","event_data":{"NewProcessName":"C:\\w\\cmd.exe","Threat Name":"X"}}}`,
			fields: map[string]string{
				"EventID":                       `int "4688"`,
				"Channel":                       `string "Security"`,
				"NewProcessName":                `string "C:\\w\\cmd.exe"`,
				"ThreatName":                    `string "X"`,
				"winlog.event_data.Threat Name": `string "X"`,
			},
			time: "2024-05-01T10:00:00Z",
		},
		{
			name: "evtx_dump",
			in:   `{"Event":{"System":{"EventID":1,"Computer":"ws1","TimeCreated":{"#attributes":{"SystemTime":"2024-05-01T10:00:00.5Z"}}},"EventData":{"Image":"C:\\a.exe"}}}`,
			fields: map[string]string{
				"EventID":  `int "1"`,
				"Computer": `string "ws1"`,
				"Image":    `string "C:\\a.exe"`,
			},
			time: "2024-05-01T10:00:00.5Z",
		},
		{
			name:   "plain, no time",
			in:     " {\"a\":{\"b\":[1,2]},\"c\":null}\n",
			fields: map[string]string{"a.b": `[int "1", int "2"]`, "c": "null", "EventID": ""},
		},
		{
			name:   "epoch seconds",
			in:     `{"ts":1714557600.25}`,
			fields: map[string]string{"ts": `float "1714557600.25"`},
			time:   "2024-05-01T10:00:00.25Z",
		},
		{
			name:   "source name wins over alias",
			in:     `{"winlog":{"event_data":{"Image":"alias"}},"Image":"own"}`,
			fields: map[string]string{"Image": `string "own"`},
		},
	}
	p := NewParser()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e event.Event
			if err := p.Parse(&e, []byte(tt.in)); err != nil {
				t.Fatal(err)
			}
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
			got := ""
			if !e.Time.IsZero() {
				got = e.Time.UTC().Format(time.RFC3339Nano)
			}
			if got != tt.time {
				t.Errorf("time %q, want %q", got, tt.time)
			}
			if e.Source != (event.Source{}) || e.Raw != nil {
				t.Errorf("Parse set Source %+v or Raw %q", e.Source, e.Raw)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string // substring of the error
		is   error
	}{
		{in: `{"a":1,}`, want: "byte 7"},
		{in: `{"a":1} x`, want: "byte 8"},
		{in: `[{"a":1}]`, is: jsonflat.ErrNotObject},
		{in: `"text"`, is: jsonflat.ErrNotObject},
		{in: ``, want: "empty record"},
		{in: `{"a":[` + strings.Repeat("1,", jsonflat.MaxValues) + `1]}`, is: jsonflat.ErrTooManyValues},
	}
	p := NewParser()
	for _, tt := range tests {
		name := tt.in
		if len(name) > 20 {
			name = name[:20]
		}
		t.Run(name, func(t *testing.T) {
			e := event.Event{Time: time.Unix(5, 0)}
			e.Add("keep", event.String("me"))
			err := p.Parse(&e, []byte(tt.in))
			switch {
			case err == nil:
				t.Fatal("no error")
			case tt.is != nil && !errors.Is(err, tt.is):
				t.Errorf("error %v, want %v", err, tt.is)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if len(e.Fields) != 1 || e.GetString("keep") != "me" || e.Time.Unix() != 5 {
				t.Errorf("event changed on error: %+v", e)
			}
		})
	}
}

// TestParseKeepsExistingFields checks that fields already in the event are
// neither aliased, nor taken for the time, nor merged with the record's.
func TestParseKeepsExistingFields(t *testing.T) {
	p := NewParser()
	e := event.Event{Fields: make([]event.Field, 0, 1)} // the record must not fit in place
	e.Add("winlog.event_id", event.String("1"))
	e.Add("@timestamp", event.String("2000-01-01T00:00:00Z"))
	e.Add("a", event.String("caller"))
	if err := p.Parse(&e, []byte(`{"a":"record","b":2}`)); err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	logtest.WriteEvent(&got, &e)
	want := "--- record 0 offset 0 time -\n" +
		"winlog.event_id = string \"1\"\n" +
		"@timestamp = string \"2000-01-01T00:00:00Z\"\n" +
		"a = string \"caller\"\n" +
		"a = string \"record\"\n" +
		"b = int \"2\"\n"
	if got.String() != want {
		t.Errorf("got\n%s\nwant\n%s", got.String(), want)
	}
}

// TestParseCopiesData checks that values survive the reuse of the input.
func TestParseCopiesData(t *testing.T) {
	p := NewParser()
	data := []byte(`{"a":"xyz","b":"q\"r"}`)
	var e event.Event
	if err := p.Parse(&e, data); err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = ' '
	}
	if e.GetString("a") != "xyz" || e.GetString("b") != `q"r` {
		t.Errorf("fields changed with the input: %+v", e.Fields)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"winlog":{"event_id":"1","event_data":{"Image":"a"}},"ts":1}`))
	f.Add([]byte(`{"Event":{"System":{"Keywords":"0x8020000000000000"},"UserData":{"X":{"Y":[1,2]}}}}`))
	f.Add([]byte(`{"a":{"b":[{"c":1},{"c":2}]},"a.b.c":3}`))
	f.Add([]byte(`{"a":`))
	p := NewParser()
	f.Fuzz(func(t *testing.T, data []byte) {
		var e event.Event
		e.Add("pre", event.Int(1))
		if err := p.Parse(&e, data); err != nil {
			if len(e.Fields) != 1 {
				t.Fatalf("error %v, but %d fields", err, len(e.Fields))
			}
			return
		}
		seen := map[string]bool{}
		for _, f := range e.Fields[1:] {
			if seen[f.Name] {
				t.Fatalf("duplicate field %q", f.Name)
			}
			seen[f.Name] = true
		}
	})
}
