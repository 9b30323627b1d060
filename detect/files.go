package detect

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/logs"
	"github.com/bulwarkhq/bulwark/logs/list"
	"github.com/bulwarkhq/bulwark/sigma"
)

// FileOptions configure a run over files.
type FileOptions struct {
	// Format forces a reader ("evtx", "jsonl", ...); "" or "auto" sniffs
	// each file.
	Format string
	// Workers is the number of files read at once; 0 means GOMAXPROCS.
	Workers int
	// MinLevel drops alerts below this level.
	MinLevel sigma.Level
	// OnAlert receives alerts in input order: file by file in the order of
	// the file list, record by record within a file. Correlation alerts
	// follow the event that completed them, or come at the end.
	OnAlert func(*alert.Alert) error
	// OnWarning receives recoverable problems (damaged records, unreadable
	// files); may be nil. It is called from several goroutines.
	OnWarning func(logs.Warning)
}

// Stats describe a finished (or progressing) run. Counters are safe to read
// while the run goes on.
type Stats struct {
	Files      atomic.Int64 // files read (or failed)
	FilesTotal int64
	Failed     atomic.Int64 // files that could not be read at all
	Skipped    atomic.Int64 // files in no format Bulwark reads (a README in a log folder)
	Events     atomic.Int64
	Alerts     atomic.Int64
	Warnings   atomic.Int64
	BytesTotal int64
	bytesDone  atomic.Int64 // of finished files
	inFlight   sync.Map     // *logs.File → struct{}
	ByLevel    [sigma.LevelCritical + 1]atomic.Int64
	Evaluated  atomic.Int64 // full rule evaluations
	Started    time.Time
}

// BytesRead returns the bytes read so far, including files in progress.
func (s *Stats) BytesRead() int64 {
	n := s.bytesDone.Load()
	s.inFlight.Range(func(k, _ any) bool {
		n += k.(*logs.File).Consumed()
		return true
	})
	return n
}

// RunFiles reads every file, detects, and delivers alerts in input order.
// A file that cannot be opened or recognised is reported as a warning and
// the run goes on; the error returned is a cancellation or an OnAlert
// failure. stats may be observed while RunFiles works (for progress).
func (e *Engine) RunFiles(ctx context.Context, files []logs.FileInfo, opts FileOptions, stats *Stats) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers > len(files) {
		workers = max(1, len(files))
	}
	stats.FilesTotal = int64(len(files))
	for _, f := range files {
		stats.BytesTotal += f.Size
	}
	if stats.Started.IsZero() {
		stats.Started = time.Now()
	}
	warn := func(w logs.Warning) {
		stats.Warnings.Add(1)
		if opts.OnWarning != nil {
			opts.OnWarning(w)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	corr := e.NewCorrelations()

	// Each file's alerts are collected by its worker and handed over in
	// file order: results[i] is closed when file i is done.
	type result struct {
		alerts []*alert.Alert
		done   chan struct{}
	}
	results := make([]result, len(files))
	for i := range results {
		results[i].done = make(chan struct{})
	}
	// Workers start on file i only when fewer than window files wait to be
	// delivered, which bounds the alerts held in memory.
	window := make(chan struct{}, 4*workers)
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range files {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cur *[]*alert.Alert
			d := e.NewDetector(corr, opts.MinLevel, func(a *alert.Alert) error {
				*cur = append(*cur, a)
				return nil
			})
			for i := range next {
				cur = &results[i].alerts
				e.runFile(ctx, d, files[i], opts.Format, stats, warn)
				close(results[i].done)
			}
			stats.Evaluated.Add(d.Session().Evaluated)
		}()
	}
	var emitErr error
	deliver := func(a *alert.Alert) {
		if emitErr != nil {
			return
		}
		stats.Alerts.Add(1)
		if lv, err := sigma.ParseLevel(a.Rule.Level); err == nil {
			stats.ByLevel[lv].Add(1)
		}
		if err := opts.OnAlert(a); err != nil {
			emitErr = err
			cancel()
		}
	}
	for i := range results {
		select {
		case <-results[i].done:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		for _, a := range results[i].alerts {
			deliver(a)
		}
		results[i].alerts = nil
		<-window
	}
	wg.Wait()
	if emitErr != nil {
		return emitErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Correlation windows still open at the end of the input.
	var tail []*alert.Alert
	fl := e.NewDetector(corr, opts.MinLevel, func(a *alert.Alert) error { tail = append(tail, a); return nil })
	if err := fl.Flush(); err != nil {
		return err
	}
	for _, a := range tail {
		deliver(a)
	}
	return emitErr
}

// runFile reads one file through the detector.
func (e *Engine) runFile(ctx context.Context, d *Detector, fi logs.FileInfo, format string, stats *Stats, warn func(logs.Warning)) {
	defer stats.Files.Add(1)
	f, r, err := list.Open(fi.Path, format)
	if err != nil {
		stats.bytesDone.Add(max(fi.Size, 0))
		if errors.Is(err, list.ErrUnknownFormat) {
			stats.Skipped.Add(1)
			warn(logs.Warning{Path: fi.Path, Offset: -1, Msg: "skipped: not a log format Bulwark recognises (--format forces one)"})
			return
		}
		stats.Failed.Add(1)
		warn(logs.Warning{Path: fi.Path, Offset: -1, Msg: err.Error()})
		return
	}
	stats.inFlight.Store(f, struct{}{})
	defer func() {
		stats.inFlight.Delete(f)
		stats.bytesDone.Add(f.Consumed())
		f.Close()
	}()
	var n int64
	err = r.Read(ctx, f.Input(warn), func(ev *event.Event) error {
		n++
		if n&1023 == 0 {
			stats.Events.Add(1024)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return d.Process(ev)
	})
	stats.Events.Add(n & 1023)
	if err != nil && !errors.Is(err, context.Canceled) {
		warn(logs.Warning{Path: fi.Path, Offset: -1, Msg: err.Error()})
	}
}
