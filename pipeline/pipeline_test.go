package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/detect"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/ingest"
	"github.com/bulwarkhq/bulwark/rules"
	"github.com/bulwarkhq/bulwark/sigma"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/sqlite"
)

func builtinEngine(t testing.TB) *detect.Engine {
	t.Helper()
	// Only the built-in rules, whatever the machine has downloaded.
	return detect.New(sigma.Compile(rules.Builtin(), sigma.Options{}), detect.Options{})
}

func openStore(t testing.TB, dir string) *sqlite.DB {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// encodedPowerShell is a process creation the built-in rules alert on.
func encodedPowerShell(host string, n int) event.Event {
	var e event.Event
	e.Time = time.Date(2026, 11, 27, 10, 0, n, 0, time.UTC)
	e.Add("Channel", event.String("Microsoft-Windows-Sysmon/Operational"))
	e.Add("EventID", event.Int(1))
	e.Add("Computer", event.String(host))
	e.Add("Image", event.String(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`))
	e.Add("CommandLine", event.String("powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA"))
	e.Add("ParentImage", event.String(`C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`))
	return e
}

func benign(host string, n int) event.Event {
	var e event.Event
	e.Time = time.Date(2026, 11, 27, 10, 0, n, 0, time.UTC)
	e.Add("Channel", event.String("Microsoft-Windows-Sysmon/Operational"))
	e.Add("EventID", event.Int(1))
	e.Add("Computer", event.String(host))
	e.Add("Image", event.String(`C:\Windows\System32\notepad.exe`))
	e.Add("CommandLine", event.String(fmt.Sprintf("notepad.exe report-%d.txt", n)))
	return e
}

// run starts p and returns a function that stops it and waits.
func run(t *testing.T, p *Pipeline) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	select {
	case <-p.Started():
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// waitDetected waits until detection has processed every stored event.
func waitDetected(t *testing.T, p *Pipeline) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for p.Lag() > 0 || p.QueueDepth() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("detection still %d events behind", p.Lag())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSubmitStoresAndDetects(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	p := New(st, builtinEngine(t), Options{})
	stop := run(t, p)

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 25 {
				evs := []event.Event{benign("ws1", i), encodedPowerShell(fmt.Sprintf("ws%d", g), i)}
				if err := p.Submit(context.Background(), evs, true); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	waitDetected(t, p)
	stop()

	ctx := context.Background()
	if n, _ := st.CountEvents(ctx); n != 200 {
		t.Errorf("stored %d events, want 200", n)
	}
	alerts, err := st.ListAlerts(ctx, store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	hits := 0
	for _, a := range alerts {
		if a.EventID == 0 {
			t.Errorf("alert %q has no event id", a.Rule.Title)
		}
		if a.Host == "ws1" || a.Host == "ws0" || a.Host == "ws2" || a.Host == "ws3" {
			hits++
		}
	}
	if hits < 100 {
		t.Errorf("%d alerts on the 100 encoded PowerShell events, want at least 100", hits)
	}
	if through, _ := st.DetectedThrough(ctx); through != 200 {
		t.Errorf("detected through %d, want 200", through)
	}
}

// TestResumeAfterRestart stores events with no pipeline running detection
// (as after a crash between write and detect) and checks that the next
// start detects them exactly once.
func TestResumeAfterRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st := openStore(t, dir)
	if _, err := st.AppendEvents(ctx, []event.Event{encodedPowerShell("a", 1), benign("a", 2), encodedPowerShell("a", 3)}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	for round := range 2 {
		st = openStore(t, dir)
		p := New(st, builtinEngine(t), Options{})
		stop := run(t, p)
		waitDetected(t, p)
		stop()
		alerts, _ := st.ListAlerts(ctx, store.AlertFilter{})
		ids := map[int64]int{}
		for _, a := range alerts {
			ids[a.EventID]++
		}
		if len(ids) != 2 || ids[2] != 0 {
			t.Errorf("round %d: alerts on events %v, want events 1 and 3", round, ids)
		}
		st.Close()
	}
}

// TestBusy fills the queue of a pipeline whose writer is not running and
// checks that Submit without waiting refuses, and with waiting blocks until
// the writer starts.
func TestBusy(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	p := New(st, builtinEngine(t), Options{QueueEvents: 10})
	ctx := context.Background()

	first := make(chan error, 1)
	go func() { first <- p.Submit(ctx, make10(), false) }() // fills the queue, waits for the write
	deadline := time.Now().Add(5 * time.Second)
	for p.QueueDepth() != 10 {
		if time.Now().After(deadline) {
			t.Fatal("first batch never queued")
		}
		time.Sleep(time.Millisecond)
	}
	if err := p.Submit(ctx, make10(), false); !errors.Is(err, ingest.ErrBusy) {
		t.Fatalf("Submit on a full queue: %v, want ErrBusy", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- p.Submit(ctx, make10(), true) }()
	select {
	case err := <-waited:
		t.Fatalf("waiting Submit returned %v before there was room", err)
	case <-time.After(50 * time.Millisecond):
	}
	stop := run(t, p)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	stop()
	if n, _ := st.CountEvents(ctx); n != 20 {
		t.Errorf("stored %d, want 20", n)
	}
	if err := p.Submit(ctx, make10(), true); !errors.Is(err, ErrClosed) {
		t.Errorf("Submit after stop: %v, want ErrClosed", err)
	}
}

func make10() []event.Event {
	evs := make([]event.Event, 10)
	for i := range evs {
		evs[i] = benign("b", i)
	}
	return evs
}

// TestReload swaps the engine between batches.
func TestReload(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	ctx := context.Background()
	p := New(st, builtinEngine(t), Options{})
	stop := run(t, p)
	if err := p.Submit(ctx, []event.Event{encodedPowerShell("x", 1)}, true); err != nil {
		t.Fatal(err)
	}
	waitDetected(t, p)
	rs, _, err := rules.Selection{Dirs: []string{"testdata/none.yml"}, NoBuiltin: true}.Load()
	if err == nil {
		p.SetEngine(detect.New(rs, detect.Options{}))
	} else {
		t.Fatal(err)
	}
	if err := p.Submit(ctx, []event.Event{encodedPowerShell("x", 2)}, true); err != nil {
		t.Fatal(err)
	}
	waitDetected(t, p)
	stop()
	if n, _ := st.CountAlerts(ctx); n == 0 {
		t.Fatal("no alert from the first engine")
	}
	alerts, _ := st.ListAlerts(ctx, store.AlertFilter{})
	for _, a := range alerts {
		if a.EventID == 2 {
			t.Errorf("alert %q on event 2, raised after the engine without that rule was swapped in", a.Rule.Title)
		}
	}
}
