package eve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/logtest"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/logs"
)

func TestGolden(t *testing.T) {
	res := logtest.RunFile(t, New(), "testdata/eve.json")
	if len(res.Events) != 5 || len(res.Warnings) != 1 {
		t.Errorf("%d events, warnings %v", len(res.Events), res.Warnings)
	}
	logtest.Golden(t, "eve.json.golden", logtest.Format(res))
}

func TestPrettyPrinted(t *testing.T) {
	data, _ := os.ReadFile("testdata/eve.json")
	var pretty bytes.Buffer
	for _, line := range bytes.Split(data, []byte("\n"))[:4] {
		json.Indent(&pretty, line, "", "  ")
		pretty.WriteByte('\n')
	}
	if !New().Sniff(pretty.Bytes()) {
		t.Error("Sniff = false")
	}
	res := logtest.Run(New(), "pretty", pretty.Bytes())
	if len(res.Events) != 4 || len(res.Warnings) != 0 || res.Events[1].GetString("dns.rrname") != "example.test" {
		t.Errorf("%d events, warnings %v", len(res.Events), res.Warnings)
	}
}

func TestSniff(t *testing.T) {
	for s, want := range map[string]bool{
		`{"timestamp":"2024-05-01T10:00:00.123456+0000","event_type":"alert","src_ip":"10.0.0.5"}` + "\n": true,
		`{"timestamp":"2024-05-01T10:00:00Z","event_type":1}`:                                             false,
		`{"timestamp":"2024-05-01T10:00:00Z","type":"alert"}`:                                             false,
		`{"event_type":"alert"}`: false,
		"not json":               false,
	} {
		if got := New().Sniff([]byte(s)); got != want {
			t.Errorf("Sniff(%s) = %v", s, got)
		}
	}
	long := []byte(`{"timestamp":"2024-05-01T10:00:00.123456+0000","flow_id":1,"event_type":"fileinfo","x":"` + strings.Repeat("x", logs.SniffLen))
	if !New().Sniff(long[:logs.SniffLen]) {
		t.Error("Sniff of a first line longer than the head = false")
	}
}

// expectation is one suricata-verify filter: dotted paths, with array
// indices, and the YAML text of their values.
type expectation struct {
	file  string
	paths []string
	vals  []string
}

var keyValue = regexp.MustCompile(`^(\s*)([A-Za-z0-9_.\[\]]+):\s*(.*)$`)

// readExpectations pulls the "match:" blocks out of a suricata-verify
// test.yaml; the files use a small regular subset of YAML.
func readExpectations(t *testing.T, path string) []expectation {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []expectation
	var cur *expectation
	matchIndent := -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if strings.TrimSpace(line) == "match:" {
			out = append(out, expectation{file: path})
			cur, matchIndent = &out[len(out)-1], indent
			continue
		}
		if cur == nil || indent <= matchIndent {
			cur, matchIndent = nil, -1
			continue
		}
		m := keyValue.FindStringSubmatch(line)
		if m == nil || m[3] == "" {
			t.Logf("%s: skipping the filter with %q", path, line)
			out = out[:len(out)-1]
			cur = nil
			continue
		}
		cur.paths = append(cur.paths, m[2])
		cur.vals = append(cur.vals, m[3])
	}
	return out
}

// node is an object or array being rebuilt from dotted paths.
type node struct {
	keys  []string
	kids  map[string]*node
	elems []*node
	leaf  *string // JSON text of a scalar
}

func (n *node) child(key string) *node {
	if n.kids == nil {
		n.kids = map[string]*node{}
	}
	c, ok := n.kids[key]
	if !ok {
		c = &node{}
		n.kids[key] = c
		n.keys = append(n.keys, key)
	}
	return c
}

var segment = regexp.MustCompile(`^([^\[]+)((?:\[\d+\])*)$`)

func (n *node) set(path string, jsonText string) {
	cur := n
	for _, seg := range strings.Split(path, ".") {
		m := segment.FindStringSubmatch(seg)
		cur = cur.child(m[1])
		for _, idx := range regexp.MustCompile(`\d+`).FindAllString(m[2], -1) {
			i, _ := strconv.Atoi(idx)
			for len(cur.elems) <= i {
				cur.elems = append(cur.elems, &node{})
			}
			cur = cur.elems[i]
		}
	}
	cur.leaf = &jsonText
}

func (n *node) json(b *strings.Builder) {
	switch {
	case n.leaf != nil:
		b.WriteString(*n.leaf)
	case n.elems != nil:
		b.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			e.json(b)
		}
		b.WriteByte(']')
	default:
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			q, _ := json.Marshal(k)
			b.Write(q)
			b.WriteByte(':')
			n.kids[k].json(b)
		}
		b.WriteByte('}')
	}
}

// yamlScalar returns the JSON text, the expected kind and the expected
// Value.Str of a YAML scalar.
func yamlScalar(s string) (string, event.Kind, string) {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		v := s[1 : len(s)-1]
		q, _ := json.Marshal(v)
		return string(q), event.KindString, v
	}
	switch s {
	case "true", "false":
		return s, event.KindBool, s
	}
	if regexp.MustCompile(`^-?(0|[1-9]\d*)$`).MatchString(s) {
		return s, event.KindInt, s
	}
	if regexp.MustCompile(`^-?(0|[1-9]\d*)\.\d+$`).MatchString(s) {
		return s, event.KindFloat, s
	}
	q, _ := json.Marshal(s)
	return string(q), event.KindString, s
}

// TestSuricataVerify rebuilds EVE records from suricata-verify's
// expectations for real DNP3 and Modbus captures (nested objects, arrays of
// objects holding arrays), reads them, and checks that every expected value
// is found under its index-free dotted name, with the text and kind
// Suricata gave it.
func TestSuricataVerify(t *testing.T) {
	root := testdata.Path(t, "pcap", "suricata-verify", "tests")
	files, _ := filepath.Glob(filepath.Join(root, "*", "test.yaml"))
	more, _ := filepath.Glob(filepath.Join(root, "*", "*", "test.yaml"))
	files = append(files, more...)
	var lines strings.Builder
	var exps []expectation
	for _, p := range files {
		for _, x := range readExpectations(t, p) {
			n := &node{}
			n.set("timestamp", `"2024-05-01T10:00:00.123456+0000"`)
			for i, path := range x.paths {
				js, _, _ := yamlScalar(x.vals[i])
				n.set(path, js)
			}
			n.json(&lines)
			lines.WriteByte('\n')
			exps = append(exps, x)
		}
	}
	if len(exps) < 100 {
		t.Fatalf("only %d expectations found", len(exps))
	}
	res := logtest.Run(New(), "suricata-verify", []byte(lines.String()))
	if res.Err != nil || len(res.Warnings) > 0 || len(res.Events) != len(exps) {
		t.Fatalf("%d events for %d expectations, warnings %v, error %v", len(res.Events), len(exps), res.Warnings, res.Err)
	}
	checked := 0
	indices := regexp.MustCompile(`\[\d+\]`)
	for i, x := range exps {
		e := res.Events[i]
		if e.Time.IsZero() {
			t.Errorf("%s: no time", x.file)
		}
		for k, path := range x.paths {
			_, kind, text := yamlScalar(x.vals[k])
			name := indices.ReplaceAllString(path, "")
			v, ok := e.Get(name)
			if !ok {
				t.Errorf("%s: no field %s (for %s)", x.file, name, path)
				continue
			}
			found := false
			if name != path {
				for _, el := range v.List {
					found = found || (el.Str == text && el.Kind == kind)
				}
			} else {
				found = v.Str == text && v.Kind == kind
			}
			if !found {
				t.Errorf("%s: %s = %s, want %s %q", x.file, name, logtest.FormatValue(v), kind, text)
			}
			checked++
		}
	}
	t.Logf("%d files, %d records, %d values checked", len(files), len(exps), checked)
}

func FuzzRead(f *testing.F) {
	if b, err := os.ReadFile("testdata/eve.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"timestamp":"2024-05-01T10:00:00Z","event_type":"x","a":[{"b":[{"c":1}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		logtest.CheckInvariants(t, New(), data)
		New().Sniff(data)
	})
}
