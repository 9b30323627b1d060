package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/bulwarkhq/bulwark/detect"
)

// progress draws a one-line progress bar with an ETA on a terminal, from
// the counters of a running detection. It redraws in place a few times a
// second and erases itself when stopped.
type progress struct {
	w     io.Writer
	stats *detect.Stats
	stop  chan struct{}
	done  sync.WaitGroup
	mu    sync.Mutex // serialises drawing with warnings printed meanwhile
	drawn bool
}

func startProgress(w io.Writer, stats *detect.Stats) *progress {
	p := &progress{w: w, stats: stats, stop: make(chan struct{})}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				p.clear()
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

// Stop erases the bar.
func (p *progress) Stop() {
	close(p.stop)
	p.done.Wait()
}

// Println prints a line above the bar.
func (p *progress) Println(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[2K")
		p.drawn = false
	}
	fmt.Fprintln(p.w, s)
}

func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[2K")
		p.drawn = false
	}
}

func (p *progress) draw() {
	s := p.stats
	done, total := s.BytesRead(), s.BytesTotal
	frac := 0.0
	if total > 0 {
		frac = min(1, float64(done)/float64(total))
	}
	const width = 24
	fill := int(frac * width)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	elapsed := time.Since(s.Started)
	eta := "--"
	if frac > 0.01 && elapsed > time.Second {
		left := time.Duration(float64(elapsed) * (1 - frac) / frac)
		eta = left.Round(time.Second).String()
	}
	line := fmt.Sprintf("[%s] %3.0f%%  %s/%s  %d/%d files  %s events  %s alerts  ETA %s",
		bar, 100*frac, humanBytes(done), humanBytes(total), s.Files.Load(), s.FilesTotal,
		groupDigits(s.Events.Load()), groupDigits(s.Alerts.Load()), eta)
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\x1b[2K"+line)
	p.drawn = true
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// groupDigits renders 1234567 as 1,234,567.
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + groupDigits(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
