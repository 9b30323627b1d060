package tail

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs/list"
)

// mapStore is an in-memory OffsetStore.
type mapStore struct {
	mu sync.Mutex
	m  map[string]string
}

func newStore() *mapStore { return &mapStore{m: map[string]string{}} }

func (s *mapStore) GetSetting(_ context.Context, key string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok, nil
}

func (s *mapStore) SetSetting(_ context.Context, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = value
	return nil
}

func (s *mapStore) state(t *testing.T, path string) state {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[KeyPrefix+path]
	if !ok {
		t.Fatalf("no saved progress for %s", path)
	}
	var st state
	if err := json.Unmarshal([]byte(v), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// sink records events. fail makes that many Submits fail first.
type sink struct {
	mu   sync.Mutex
	evs  []event.Event
	fail int
}

func (s *sink) Submit(_ context.Context, evs []event.Event, wait bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !wait {
		return errors.New("the tailer must wait")
	}
	if s.fail > 0 {
		s.fail--
		return errors.New("disk full")
	}
	s.evs = append(s.evs, evs...)
	return nil
}

func (s *sink) events() []event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]event.Event(nil), s.evs...)
}

// messages returns the "message" field of every event.
func (s *sink) messages() []string {
	var out []string
	for _, e := range s.events() {
		out = append(out, e.GetString("message"))
	}
	return out
}

// run starts a Tailer; the returned function stops it and waits for Run.
func run(t *testing.T, sk *sink, st OffsetStore, o Options) (stop func()) {
	t.Helper()
	if o.PollInterval == 0 {
		o.PollInterval = 10 * time.Millisecond
	}
	tl := New(sk, st, o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitMessages waits until the sink holds exactly want, in order.
func waitMessages(t *testing.T, sk *sink, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := sk.messages()
		if reflect.DeepEqual(got, want) {
			return
		}
		if len(got) > len(want) || time.Now().After(deadline) {
			t.Fatalf("messages:\n got %q\nwant %q", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settle lets a running Tailer poll a few times.
func settle() { time.Sleep(80 * time.Millisecond) }

func line(msg string) string { return "Mar  1 10:00:00 web01 app[1]: " + msg + "\n" }

func lines(msgs ...string) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(line(m))
	}
	return b.String()
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestAppendAcrossPolls(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, lines("one", "two"))
	sk, st := &sink{}, newStore()
	run(t, sk, st, Options{Paths: []string{path}})
	waitMessages(t, sk, "one", "two")

	appendFile(t, path, lines("three"))
	waitMessages(t, sk, "one", "two", "three")

	// A line without its newline waits for it.
	appendFile(t, path, strings.TrimSuffix(line("four, half"), "\n"))
	settle()
	waitMessages(t, sk, "one", "two", "three")
	appendFile(t, path, " done\n"+line("five"))
	waitMessages(t, sk, "one", "two", "three", "four, half done", "five")

	evs := sk.events()
	var off int64
	for i, e := range evs {
		if e.Source.Path != path || e.Source.Format != "syslog" || e.Source.Record != int64(i+1) || e.Source.Offset != off {
			t.Errorf("event %d source %+v, want record %d offset %d", i, e.Source, i+1, off)
		}
		if e.GetString("hostname") != "web01" || e.GetString("app_name") != "app" {
			t.Errorf("event %d fields %v", i, e.Fields)
		}
		off += int64(len(e.Raw)) + 1
	}
	fi, _ := os.Stat(path)
	if s := st.state(t, path); s.Offset != fi.Size() || s.Line != 5 || s.Format != "syslog" || s.FPLen == 0 {
		t.Errorf("saved %+v, want offset %d after 5 lines", s, fi.Size())
	}
}

func TestRestartResumes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, lines("one", "two", "three"))
	sk, st := &sink{}, newStore()
	stop := run(t, sk, st, Options{Paths: []string{path}})
	waitMessages(t, sk, "one", "two", "three")
	stop()

	// Lines written while the tailer was down.
	appendFile(t, path, lines("four", "five"))
	run(t, sk, st, Options{Paths: []string{path}})
	waitMessages(t, sk, "one", "two", "three", "four", "five")
	settle()
	waitMessages(t, sk, "one", "two", "three", "four", "five")
	if r := sk.events()[3].Source.Record; r != 4 {
		t.Errorf("line number after restart %d, want 4", r)
	}
}

func TestSubmitFailureIsRetried(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, lines("one", "two", "three"))
	sk, st := &sink{fail: 3}, newStore()
	// Batches of two: the first batch fails three times, then goes through.
	run(t, sk, st, Options{Paths: []string{path}, BatchSize: 2})
	waitMessages(t, sk, "one", "two", "three")
}

func TestSaveOnlyAfterSubmit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, lines("one", "two"))
	sk, st := &sink{fail: 1 << 30}, newStore()
	stop := run(t, sk, st, Options{Paths: []string{path}})
	settle()
	stop()
	if _, ok, _ := st.GetSetting(context.Background(), KeyPrefix+path); ok {
		t.Fatal("progress saved although no Submit succeeded")
	}
	sk.fail = 0
	run(t, sk, st, Options{Paths: []string{path}})
	waitMessages(t, sk, "one", "two")
}

func TestRotationByRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, lines("old 1", "old 2"))
	sk, st := &sink{}, newStore()
	run(t, sk, st, Options{Paths: []string{path}})
	waitMessages(t, sk, "old 1", "old 2")

	// logrotate: rename, then the writer still appends to the old file
	// (it has not reopened yet, and its last line lacks a newline), then
	// the new file appears.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path+".1", line("old 3")+"old 4 unterminated")
	appendFile(t, path, lines("new 1", "new 2"))
	waitMessages(t, sk, "old 1", "old 2", "old 3", "old 4 unterminated", "new 1", "new 2")

	appendFile(t, path, lines("new 3"))
	waitMessages(t, sk, "old 1", "old 2", "old 3", "old 4 unterminated", "new 1", "new 2", "new 3")
	evs := sk.events()
	if r := evs[4].Source.Record; r != 1 {
		t.Errorf("first line of the new file has record %d", r)
	}
	fi, _ := os.Stat(path)
	if s := st.state(t, path); s.Inode != statID(fi).Ino || s.Offset != fi.Size() {
		t.Errorf("saved %+v, want the new file's inode %d at %d", s, statID(fi).Ino, fi.Size())
	}
}

func TestRenameIntoGlobFollowsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, lines("old 1"))
	sk, st := &sink{}, newStore()
	stop := run(t, sk, st, Options{Paths: []string{filepath.Join(dir, "app.log*")}})
	waitMessages(t, sk, "old 1")
	os.Rename(path, path+".1")
	appendFile(t, path+".1", lines("old 2"))
	waitMessages(t, sk, "old 1", "old 2")
	stop()

	// Renamed again while the tailer is down: its progress is found by
	// inode under the old name.
	os.Rename(path+".1", path+".2")
	appendFile(t, path+".2", lines("old 3"))
	appendFile(t, path, lines("new 1"))
	run(t, sk, st, Options{Paths: []string{filepath.Join(dir, "app.log*")}})
	deadline := time.Now().Add(5 * time.Second)
	for len(sk.events()) < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	settle()
	got := sk.messages()
	// The two files are read in path order, so only the set is fixed.
	if len(got) != 4 || got[0] != "old 1" || got[1] != "old 2" ||
		!(got[2] == "new 1" && got[3] == "old 3" || got[2] == "old 3" && got[3] == "new 1") {
		t.Fatalf("messages %q", got)
	}
}

func TestTruncation(t *testing.T) {
	tests := []struct {
		name    string
		rewrite string
	}{
		// Shorter than what was read: the size gives it away.
		{"shorter", lines("a")},
		// Longer by the next poll: the fingerprint gives it away.
		{"longer", lines("after truncation 1", "after truncation 2", "after truncation 3")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "app.log")
			appendFile(t, path, lines("before 1", "before 2"))
			sk, st := &sink{}, newStore()
			stop := run(t, sk, st, Options{Paths: []string{path}, PollInterval: 50 * time.Millisecond})
			waitMessages(t, sk, "before 1", "before 2")
			// copytruncate, rewritten between two polls.
			if err := os.WriteFile(path, []byte(tt.rewrite), 0o644); err != nil {
				t.Fatal(err)
			}
			want := append([]string{"before 1", "before 2"}, strings.Split(strings.TrimSuffix(tt.rewrite, "\n"), "\n")...)
			for i := 2; i < len(want); i++ {
				want[i] = strings.TrimPrefix(want[i], "Mar  1 10:00:00 web01 app[1]: ")
			}
			waitMessages(t, sk, want...)
			stop()
			fi, _ := os.Stat(path)
			if s := st.state(t, path); s.Offset != fi.Size() {
				t.Errorf("saved offset %d, want %d", s.Offset, fi.Size())
			}
		})
	}
}

func TestGlobPicksUpNewFiles(t *testing.T) {
	dir := t.TempDir()
	appendFile(t, filepath.Join(dir, "a.log"), lines("a1"))
	appendFile(t, filepath.Join(dir, "ignored.txt"), lines("ignored"))
	os.Mkdir(filepath.Join(dir, "dir.log"), 0o755)
	sk, st := &sink{}, newStore()
	run(t, sk, st, Options{Paths: []string{filepath.Join(dir, "*.log")}})
	waitMessages(t, sk, "a1")
	appendFile(t, filepath.Join(dir, "b.log"), lines("b1", "b2"))
	waitMessages(t, sk, "a1", "b1", "b2")
}

func TestStartAtEnd(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.log")
	appendFile(t, old, lines("history 1", "history 2")+"history 3, half")
	sk, st := &sink{}, newStore()
	run(t, sk, st, Options{Paths: []string{filepath.Join(dir, "*.log")}, StartAtEnd: true})
	settle()
	appendFile(t, old, " written\n"+line("live 1"))
	// Files that appear later are new: read from their start.
	appendFile(t, filepath.Join(dir, "new.log"), lines("new 1"))
	deadline := time.Now().Add(5 * time.Second)
	for len(sk.events()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	settle()
	got := map[string]int64{}
	for _, e := range sk.events() {
		got[e.GetString("message")] = e.Source.Record
	}
	want := map[string]int64{"history 3, half written": 3, "live 1": 4, "new 1": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("message → line: got %v, want %v", got, want)
	}
}

func TestSniffWaitsForData(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.json")
	appendFile(t, path, "")
	sk, st := &sink{}, newStore()
	run(t, sk, st, Options{Paths: []string{path}})
	settle()
	appendFile(t, path, `{"@timestamp":"2025-03-01T10:00:00Z","message":"first"}`)
	settle()
	appendFile(t, path, "\n"+`{"@timestamp":"2025-03-01T10:00:01Z","message":"second"}`+"\n")
	waitMessages(t, sk, "first", "second")
	if e := sk.events()[1]; e.Source.Format != "jsonl" || e.Source.Record != 2 || e.Time.IsZero() {
		t.Errorf("source %+v time %v", e.Source, e.Time)
	}
}

func TestGzipReadWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log.1.gz")
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(lines("z1", "z2", "z3")))
	zw.Close()
	os.WriteFile(path, b.Bytes(), 0o644)
	sk, st := &sink{}, newStore()
	stop := run(t, sk, st, Options{Paths: []string{path}, BatchSize: 2})
	waitMessages(t, sk, "z1", "z2", "z3")
	stop()
	if s := st.state(t, path); s.Offset != int64(b.Len()) || s.Events != 3 {
		t.Errorf("saved %+v", s)
	}
	run(t, sk, st, Options{Paths: []string{path}})
	settle()
	waitMessages(t, sk, "z1", "z2", "z3")
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no paths", Options{}, "no paths"},
		{"bad pattern", Options{Paths: []string{"/var/log/[.log"}}, "syntax error"},
		{"unknown format", Options{Paths: []string{"/tmp/x"}, Format: "nope"}, "unknown format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(&sink{}, newStore(), tt.o).Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run: %v, want %q", err, tt.want)
			}
		})
	}
}

// TestSameEventsAsDetect reads sample files through the Tailer, in small
// batches so that line formats are read in many sections, and compares
// with reading each file in one go as `bulwark detect` does.
func TestSameEventsAsDetect(t *testing.T) {
	samples := []string{
		"../../testdata/sample/web01-auth.log",
		"../../testdata/sample/DC01-security.evtx",
		"../../logs/syslog/testdata/rfc5424.log",
		"../../logs/zeek/testdata/conn.log",
		"../../logs/zeek/testdata/dns.2024-05-01.log",
		"../../logs/eve/testdata/eve.json",
		"../../logs/jsonl/testdata/winlogbeat.jsonl",
		"../../logs/cloudtrail/testdata/s3.json",
	}
	for _, sample := range samples {
		t.Run(filepath.Base(sample), func(t *testing.T) {
			data, err := os.ReadFile(sample)
			if err != nil {
				t.Skip(err)
			}
			path := filepath.Join(t.TempDir(), filepath.Base(sample))
			os.WriteFile(path, data, 0o644)
			want := readAll(t, path)
			if len(want) == 0 {
				t.Fatal("no events in the sample")
			}
			sk := &sink{}
			run(t, sk, newStore(), Options{Paths: []string{path}, BatchSize: 3})
			deadline := time.Now().Add(10 * time.Second)
			for len(sk.events()) < len(want) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			settle()
			got := sk.events()
			if len(got) != len(want) {
				t.Fatalf("%d events, want %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("event %d differs:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
		})
	}
}

func readAll(t *testing.T, path string) []event.Event {
	t.Helper()
	f, r, err := list.Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []event.Event
	err = r.Read(context.Background(), f.Input(nil), func(e *event.Event) error {
		evs = append(evs, *e.Clone())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestDecodeState(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`{"inode":5,"offset":10,"line":2}`, true},
		{`{"offset":-1}`, false},
		{`{"fp_len":5000}`, false},
		{`not json`, false},
	}
	for _, tt := range tests {
		_, err := decodeState(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("decodeState(%s): %v", tt.in, err)
		}
	}
	s := state{Inode: 7, Offset: 3, Format: "syslog"}
	back, err := decodeState(s.encode())
	if err != nil || *back != s {
		t.Errorf("round trip: %+v %v", back, err)
	}
	_ = fmt.Sprint
}

// TestRestartsLoseAndRepeatNothing writes line-format samples in pieces,
// cut anywhere (mid-line too), restarting the Tailer between pieces: the
// events must be those of one read of the whole file, each once.
func TestRestartsLoseAndRepeatNothing(t *testing.T) {
	samples := []string{
		"../../testdata/sample/web01-auth.log",
		"../../logs/zeek/testdata/conn.log",
		"../../logs/eve/testdata/eve.json",
	}
	for _, sample := range samples {
		t.Run(filepath.Base(sample), func(t *testing.T) {
			data, err := os.ReadFile(sample)
			if err != nil {
				t.Skip(err)
			}
			path := filepath.Join(t.TempDir(), filepath.Base(sample))
			os.WriteFile(path, data, 0o644)
			want := readAll(t, path)
			os.WriteFile(path, nil, 0o644)

			sk, st := &sink{}, newStore()
			const pieces = 5
			for i := range pieces {
				from, to := len(data)*i/pieces, len(data)*(i+1)/pieces
				appendFile(t, path, string(data[from:to]))
				stop := run(t, sk, st, Options{Paths: []string{path}, BatchSize: 2})
				settle()
				stop()
			}
			// The last piece ends with a newline: everything is read.
			got := sk.events()
			if len(got) != len(want) {
				t.Fatalf("%d events, want %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("event %d differs:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
		})
	}
}
