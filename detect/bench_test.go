package detect

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/gctune"
	"github.com/bulwarkhq/bulwark/internal/testdata"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/evtx"
	"github.com/bulwarkhq/bulwark/sigma"
)

// windowsRuleSet compiles every SigmaHQ rule for product windows.
func windowsRuleSet(tb testing.TB) *sigma.RuleSet {
	var docs []sigma.Document
	for _, d := range loadSigmaHQ(tb) {
		if d.Rule != nil && strings.EqualFold(d.Rule.Logsource.Product, "windows") {
			docs = append(docs, d)
		}
	}
	return sigma.Compile(docs, sigma.Options{})
}

// evtxFiles lists the shared attack EVTX files.
func evtxFiles(tb testing.TB) []string {
	dir := testdata.Path(tb, "evtx")
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".evtx") {
			files = append(files, p)
		}
		return err
	})
	return files
}

// BenchmarkSigmaHQWindows parses every shared EVTX file and evaluates every
// Windows SigmaHQ rule on each event, end to end, and reports events/s.
// Run with -cpu=1 for the per-core figure.
func BenchmarkSigmaHQWindows(b *testing.B) {
	rs := windowsRuleSet(b)
	files := evtxFiles(b)
	// Read the files into memory once: the benchmark measures parsing and
	// detection, not the disk.
	data := make([][]byte, len(files))
	for i, f := range files {
		var err error
		if data[i], err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
	}
	e := New(rs, Options{})
	gctune.Tune() // as bulwark detect does once its rules are loaded
	events, alerts := 0, 0
	evaluated := int64(0)
	// Build the prefilters before timing, as a long run amortises them.
	warm := e.NewDetector(nil, sigma.LevelUnknown, func(*alert.Alert) error { return nil })
	for j, buf := range data {
		evtx.New().Read(context.Background(), logs.Input{Path: files[j], R: bytes.NewReader(buf)}, warm.Process)
	}
	b.ResetTimer()
	start := time.Now()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		d := e.NewDetector(e.NewCorrelations(), sigma.LevelUnknown, func(*alert.Alert) error { alerts++; return nil })
		for j, buf := range data {
			in := logs.Input{Path: files[j], R: bytes.NewReader(buf)}
			err := evtx.New().Read(context.Background(), in, func(ev *event.Event) error {
				events++
				return d.Process(ev)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		d.Flush()
		evaluated += d.Session().Evaluated
	}
	el := time.Since(start).Seconds()
	cpu := (cpuTime() - cpu0).Seconds()
	b.ReportMetric(float64(events)/el, "events/s")
	// Per CPU-second as well: the figure that does not depend on what else
	// the machine is doing.
	b.ReportMetric(float64(events)/cpu, "events/cpu-s")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
	b.ReportMetric(float64(alerts)/float64(b.N), "alerts/op")
	b.ReportMetric(float64(len(rs.Rules)), "rules")
	b.ReportMetric(float64(evaluated)/float64(events), "evals/event")
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestCountPass runs one detection pass for instruction counting under
// valgrind (BULWARK_COUNT_PASS=1; see runPass); it is skipped otherwise.
// Counting instructions is repeatable on a busy machine where timings are
// not (GOGC=off keeps collections, which come at varying moments, out of
// the count):
//
//	go test -c -o /tmp/detect.test ./detect
//	BULWARK_COUNT_PASS=1 GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind \
//	  --toggle-collect='*detect.runPass' /tmp/detect.test -test.run TestCountPass
func TestCountPass(t *testing.T) {
	if os.Getenv("BULWARK_COUNT_PASS") == "" {
		t.Skip("set BULWARK_COUNT_PASS=1 to run one pass for instruction counting")
	}
	rs := windowsRuleSet(t)
	files := evtxFiles(t)
	data := make([][]byte, len(files))
	for i, f := range files {
		data[i], _ = os.ReadFile(f)
	}
	e := New(rs, Options{})
	passBody(e, files, data) // warm: build the prefilters, outside the count
	n := runPass(e, files, data)
	t.Logf("%d events", n)
}

// runPass is the function valgrind counts.
//
//go:noinline
func runPass(e *Engine, files []string, data [][]byte) int { return passBody(e, files, data) }

//go:noinline
func passBody(e *Engine, files []string, data [][]byte) int {
	events := 0
	d := e.NewDetector(e.NewCorrelations(), sigma.LevelUnknown, func(*alert.Alert) error { return nil })
	for j, buf := range data {
		evtx.New().Read(context.Background(), logs.Input{Path: files[j], R: bytes.NewReader(buf)}, func(ev *event.Event) error {
			events++
			return d.Process(ev)
		})
	}
	d.Flush()
	return events
}
