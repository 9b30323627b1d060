package zeek

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/logtest"
	"github.com/bulwarkhq/bulwark/internal/testdata"
)

func TestGolden(t *testing.T) {
	for _, name := range []string{"conn.log", "orphan.log", "dns.2024-05-01.log"} {
		t.Run(name, func(t *testing.T) {
			res := logtest.RunFile(t, New(), filepath.Join("testdata", name))
			logtest.Golden(t, name+".golden", logtest.Format(res))
		})
	}
}

func TestTypes(t *testing.T) {
	res := logtest.RunFile(t, New(), "testdata/conn.log")
	if res.Err != nil || len(res.Events) != 4 {
		t.Fatalf("%d events, error %v", len(res.Events), res.Err)
	}
	get := func(i int, name string) string {
		v, ok := res.Events[i].Get(name)
		if !ok {
			return "<absent>"
		}
		return logtest.FormatValue(v)
	}
	for _, c := range []struct {
		i          int
		name, want string
	}{
		{0, "id.orig_p", `int "49152"`},
		{0, "duration", `float "0.512000"`},
		{0, "local_orig", `bool "true"`},
		{0, "tunnel_parents", `[]`},
		{0, "note", "<absent>"},
		{0, "vals", `[int "1", int "2", int "3"]`},
		{0, "_path", `string "conn"`},
		{0, "ts", `float "1714557600.123456"`},
		{1, "service", "<absent>"},
		{1, "tunnel_parents", `[string "Cx1", string "Cx2"]`},
		{1, "note", `string "-"`},
		{1, "vals", `[]`},
		{2, "service", `string ""`},
		{2, "duration", `string "not-a-number"`},
		{2, "note", `string "tab\tinside"`},
		{2, "vals", `[int "7", null, int "9"]`},
		{3, "_path", `string "dns"`},
		{3, "answers", `[string "a.example.test", string "203.0.113.7"]`},
		{3, "TTLs", `[float "60.000000", float "300.000000"]`},
	} {
		if got := get(c.i, c.name); got != c.want {
			t.Errorf("event %d: %s = %s, want %s", c.i+1, c.name, got, c.want)
		}
	}
	if got := res.Events[0].Time.UnixMicro(); got != 1714557600123456 {
		t.Errorf("time %d", got)
	}
	// One warning for the bad duration, one for the short line.
	if len(res.Warnings) != 2 {
		t.Errorf("warnings %v", res.Warnings)
	}
}

func TestDuplicateColumns(t *testing.T) {
	res := logtest.Run(New(), "x.log", []byte("#separator \\x09\n#fields\ta\tb\ta\n#types\tstring\tstring\tcount\nfirst\tb\t5\n"))
	if len(res.Events) != 1 {
		t.Fatalf("%d events, warnings %v", len(res.Events), res.Warnings)
	}
	if got := logtest.Format(logtest.Result{Events: res.Events}); !strings.Contains(got, `a = int "5"`) || strings.Contains(got, "first") {
		t.Errorf("the last of two columns named a must win:\n%s", got)
	}
}

func TestPathFromName(t *testing.T) {
	for in, want := range map[string]string{
		"/var/zeek/conn.log":                     "conn",
		"dns.04:00:00-05:00:00.log.gz":           "dns",
		"logs/2024-05-01/http.2024-05-01.log.gz": "http",
		"notes.txt":                              "",
		"eve.json":                               "",
	} {
		if got := PathFromName(in); got != want {
			t.Errorf("PathFromName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSniff(t *testing.T) {
	for s, want := range map[string]bool{
		"#separator \\x09\n#set_separator\t,\n":                 true,
		"### BTest baseline data\n#separator \\x09\n":           true,
		`{"ts":1714557600.1,"uid":"C1","id.orig_h":"10.0.0.1"}`: true,
		`{"ts":"2024-05-01T10:00:00Z","fuid":"F1"}`:             true,
		`{"ts":1714557600.1,"msg":"no zeek identifiers"}`:       false,
		"# a comment\nnot zeek\n":                               false,
	} {
		if got := New().Sniff([]byte(s)); got != want {
			t.Errorf("Sniff(%q) = %v", s, got)
		}
	}
}

// TestICSNPP reads the Zeek ICSNPP parsers' baseline logs (real Modbus and
// DNP3 traffic): every data line is an event with the header's path and
// typed columns; the masked timestamps give one warning per file.
func TestICSNPP(t *testing.T) {
	root := testdata.Dir(t)
	files, _ := filepath.Glob(filepath.Join(root, "pcap", "*", "icsnpp-*", "baseline", "*.log"))
	if len(files) == 0 {
		t.Skip("no ICSNPP baselines")
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "\n#fields\t") {
			// Some baselines were saved without their header: the columns
			// have no names, and the reader says so once.
			res := logtest.RunFile(t, New(), p)
			if len(res.Events) != 0 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Msg, "before any #fields header") {
				t.Errorf("%s: headerless: %d events, warnings %v", p, len(res.Events), res.Warnings)
			}
			continue
		}
		if !New().Sniff(data) {
			t.Errorf("%s: Sniff = false", p)
		}
		var dataLines int
		var path string
		var cols []string
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			l := sc.Text()
			switch {
			case strings.HasPrefix(l, "#path\t"):
				path = strings.TrimPrefix(l, "#path\t")
			case strings.HasPrefix(l, "#types\t"):
				cols = strings.Split(l, "\t")[1:]
			case l != "" && !strings.HasPrefix(l, "#"):
				dataLines++
			}
		}
		res := logtest.RunFile(t, New(), p)
		if res.Err != nil || len(res.Events) != dataLines {
			t.Errorf("%s: %d events for %d lines, error %v", p, len(res.Events), dataLines, res.Err)
			continue
		}
		for _, w := range res.Warnings {
			if !strings.Contains(w.Msg, "column ts") {
				t.Errorf("%s: unexpected warning %s", p, w)
			}
		}
		for _, e := range res.Events {
			if e.GetString("_path") != path || e.GetString("uid") == "" {
				t.Errorf("%s line %d: _path %q uid %q", p, e.Source.Record, e.GetString("_path"), e.GetString("uid"))
			}
			if v, ok := e.Get("id.orig_p"); ok && v.Kind != event.KindInt {
				t.Errorf("%s: id.orig_p kind %s", p, v.Kind)
			}
			if len(e.Fields) > len(cols)+1 {
				t.Errorf("%s: %d fields for %d columns", p, len(e.Fields), len(cols))
			}
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"conn.log", "orphan.log", "dns.2024-05-01.log"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		logtest.CheckInvariants(t, New(), data)
		New().Sniff(data)
	})
}
