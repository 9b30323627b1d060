package sigma

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/cases/*.txt")

// Golden cases: each testdata/cases/*.txt file is an archive in the txtar
// layout (a free comment, then sections opened by "-- name --" lines):
//
//	-- rule.yml --     one or more Sigma documents (rules, filters)
//	-- events.jsonl -- one JSON object per line; "@format" sets the reader
//	                   format (default jsonl), nested objects are dotted
//	-- want --         per event: the rules that match it and the evidence;
//	                   and the documents that fail to load
//
// go test ./sigma -run Golden -update rewrites the want sections.

type archive struct {
	comment  string
	sections []section
}

type section struct {
	name string
	data string
}

func parseArchive(data string) archive {
	var a archive
	cur := -1
	var b strings.Builder
	flush := func() {
		if cur < 0 {
			a.comment = b.String()
		} else {
			a.sections[cur].data = b.String()
		}
		b.Reset()
	}
	for _, line := range strings.SplitAfter(data, "\n") {
		t := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(t, "-- ") && strings.HasSuffix(t, " --") && len(t) > 6 {
			flush()
			a.sections = append(a.sections, section{name: strings.TrimSpace(t[3 : len(t)-3])})
			cur = len(a.sections) - 1
			continue
		}
		b.WriteString(line)
	}
	flush()
	return a
}

func (a archive) format() string {
	var b strings.Builder
	b.WriteString(a.comment)
	for _, s := range a.sections {
		fmt.Fprintf(&b, "-- %s --\n", s.name)
		b.WriteString(s.data)
		if s.data != "" && !strings.HasSuffix(s.data, "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func (a archive) get(name string) (string, bool) {
	for _, s := range a.sections {
		if s.name == name {
			return s.data, true
		}
	}
	return "", false
}

func (a *archive) set(name, data string) {
	for i := range a.sections {
		if a.sections[i].name == name {
			a.sections[i].data = data
			return
		}
	}
	a.sections = append(a.sections, section{name: name, data: data})
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "cases", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			a := parseArchive(string(data))
			got, err := runGolden(a)
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				a.set("want", got)
				if err := os.WriteFile(file, []byte(a.format()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, _ := a.get("want")
			if got != want {
				t.Errorf("%s: results differ (run with -update to accept)\n--- got\n%s--- want\n%s", file, got, want)
			}
		})
	}
}

// runGolden compiles the case's documents, evaluates its events and
// renders the results.
func runGolden(a archive) (string, error) {
	rules, ok := a.get("rule.yml")
	if !ok {
		return "", fmt.Errorf("no rule.yml section")
	}
	events, _ := a.get("events.jsonl")
	rs := Compile(Parse("rule.yml", []byte(rules)), Options{})
	var b strings.Builder
	for _, f := range rs.Failed() {
		fmt.Fprintf(&b, "error: %s: %v\n", f.Title, f.Err)
	}
	n := 0
	for _, line := range strings.Split(events, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		n++
		e, err := eventFromJSON([]byte(line))
		if err != nil {
			return "", fmt.Errorf("event %d: %v", n, err)
		}
		s := NewScratch()
		s.Reset(e)
		var hits []string
		seen := map[string]bool{}
		for _, c := range rs.Compiled {
			if !c.Match(s) || seen[c.Rule.Title] {
				continue
			}
			seen[c.Rule.Title] = true
			var ev []string
			for _, x := range c.Evidence(s) {
				ev = append(ev, fmt.Sprintf("%s: %s=%q", x.Condition, x.Field, x.Value))
			}
			sort.Strings(ev)
			hit := c.Rule.Title
			if len(ev) > 0 {
				hit += " [" + strings.Join(ev, "; ") + "]"
			}
			hits = append(hits, hit)
		}
		sort.Strings(hits)
		if len(hits) == 0 {
			fmt.Fprintf(&b, "%d: no match\n", n)
			continue
		}
		for _, h := range hits {
			fmt.Fprintf(&b, "%d: %s\n", n, h)
		}
	}
	return b.String(), nil
}

func TestArchiveRoundTrip(t *testing.T) {
	in := "comment\n-- a --\nx\n-- b --\n-- c --\ny\nz\n"
	a := parseArchive(in)
	if len(a.sections) != 3 || a.comment != "comment\n" || a.sections[2].data != "y\nz\n" {
		t.Fatalf("parsed %+v", a)
	}
	if out := a.format(); !bytes.Equal([]byte(out), []byte(in)) {
		t.Errorf("round trip: %q", out)
	}
}
