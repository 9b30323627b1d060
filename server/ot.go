package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/atomicfile"
	"github.com/bulwarkhq/bulwark/ot/capture"
	"github.com/bulwarkhq/bulwark/ot/detect"
	"github.com/bulwarkhq/bulwark/ot/monitor"
)

// OTConfig runs the OT monitor inside the server: Modbus/TCP and DNP3 from
// live interfaces or from capture files dropped in a folder, with alerts
// going into cases like every other alert.
type OTConfig struct {
	// Interfaces to capture from live (needs root or CAP_NET_RAW).
	Interfaces []string `yaml:"interfaces"`
	// Watch lists folders in which every pcap or pcapng file (gzip
	// allowed) is read once, in name order, when it has stopped growing.
	Watch []string `yaml:"watch"`
	// Baseline is the baseline file: loaded at start when it exists,
	// written after learning and at shutdown (default
	// <data_dir>/ot-baseline.json).
	Baseline string `yaml:"baseline"`
	// Learn is how long (capture time) to learn before detecting when no
	// baseline file exists yet (default 24h; the always-on rules fire
	// meanwhile).
	Learn Duration `yaml:"learn"`
	// ModbusPorts and DNP3Ports are the server ports decoded (default 502
	// and 20000).
	ModbusPorts []uint16 `yaml:"modbus_ports"`
	DNP3Ports   []uint16 `yaml:"dnp3_ports"`
}

func (c *OTConfig) enabled() bool { return len(c.Interfaces) > 0 || len(c.Watch) > 0 }

// otMonitor is the server's OT monitor: one detector, fed by every sensor.
type otMonitor struct {
	s    *Server
	cfg  OTConfig
	path string // baseline file

	mon *monitor.Monitor

	alerts  chan event.Event // to the pipeline, so a slow store never stalls capture
	dropped atomic.Int64     // alerts lost to a full queue
}

// otQueue bounds the OT alerts waiting for the pipeline.
const otQueue = 4096

func (s *Server) newOTMonitor() (*otMonitor, error) {
	c := s.cfg.OT
	m := &otMonitor{s: s, cfg: c, path: c.Baseline, alerts: make(chan event.Event, otQueue)}
	if m.path == "" {
		m.path = filepath.Join(s.cfg.DataDir, "ot-baseline.json")
	}
	dcfg := detect.DefaultConfig()
	dcfg.Source = "ot"
	dcfg.Learn = cmp.Or(max(time.Duration(c.Learn), 0), 24*time.Hour)
	var base *detect.Baseline
	if f, err := os.Open(m.path); err == nil {
		base, err = detect.Load(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("ot.baseline: %s: %w", m.path, err)
		}
		dcfg.Learn = time.Duration(c.Learn) // a reviewed baseline is checked from the start
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("ot.baseline: %w", err)
	}
	var err error
	m.mon, err = monitor.New(monitor.Config{ModbusPorts: c.ModbusPorts, DNP3Ports: c.DNP3Ports, Detect: dcfg, Baseline: base})
	if err != nil {
		return nil, fmt.Errorf("ot: %w", err)
	}
	return m, nil
}

// run starts every sensor and the alert submitter, and saves the baseline
// when ctx ends.
func (m *otMonitor) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { m.submitLoop(ctx) })
	for _, name := range m.cfg.Interfaces {
		wg.Go(func() { m.live(ctx, name) })
	}
	if len(m.cfg.Watch) > 0 {
		wg.Go(func() { m.watchLoop(ctx) })
	}
	wg.Go(func() { m.saveLoop(ctx) })
	wg.Wait()
	m.drain()
	if err := m.save(); err != nil {
		m.s.log.Error("ot: saving the baseline failed", "file", m.path, "err", err)
	}
}

func (m *otMonitor) live(ctx context.Context, name string) {
	for {
		src, err := capture.OpenInterface(name, capture.LiveOptions{})
		if err == nil {
			m.s.log.Info("ot: capturing", "interface", name)
			err = m.mon.Read(ctx, "ot/"+name, src, m.emit)
		}
		if ctx.Err() != nil {
			return
		}
		m.s.log.Error("ot: capture stopped; retrying in a minute", "interface", name, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Minute):
		}
	}
}

// watchLoop reads capture files appearing in the watched folders. What
// was read is remembered in the store's settings (by path, size and
// modification time), so a restart does not read a file twice.
func (m *otMonitor) watchLoop(ctx context.Context) {
	w := &watchState{sizes: map[string]int64{}, read: map[string]string{}}
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		for _, dir := range m.cfg.Watch {
			m.scan(ctx, dir, w)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// watchState is what the folder watch remembers between looks.
type watchState struct {
	sizes map[string]int64  // size at the last look: a file still growing waits
	read  map[string]string // path -> mark of the version read, so settings are asked once a file
}

func (m *otMonitor) scan(ctx context.Context, dir string, w *watchState) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		m.s.log.Error("ot: watch folder unreadable", "dir", dir, "err", err)
		return
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !isCaptureName(name) || ctx.Err() != nil {
			continue
		}
		path := filepath.Join(dir, name)
		fi, err := e.Info()
		if err != nil {
			continue
		}
		key := "ot.read." + path
		mark := strconv.FormatInt(fi.Size(), 10) + "@" + fi.ModTime().UTC().Format(time.RFC3339Nano)
		if w.read[path] == mark {
			continue
		}
		if v, ok, _ := m.s.st.GetSetting(ctx, key); ok && v == mark {
			w.read[path] = mark
			continue
		}
		if prev, ok := w.sizes[path]; !ok || prev != fi.Size() {
			w.sizes[path] = fi.Size() // wait one round for the writer to finish
			continue
		}
		src, err := capture.OpenFile(path)
		if err == nil {
			err = m.mon.Read(ctx, path, src, m.emit)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			m.s.log.Error("ot: capture file failed", "file", path, "err", err)
		} else {
			m.s.log.Info("ot: capture file read", "file", path)
		}
		if err := m.s.st.SetSetting(ctx, key, mark); err != nil {
			m.s.log.Error("ot: remembering a read file failed", "file", path, "err", err)
		}
		w.read[path] = mark
		delete(w.sizes, path)
	}
}

func isCaptureName(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	return strings.HasSuffix(name, ".pcap") || strings.HasSuffix(name, ".pcapng") || strings.HasSuffix(name, ".cap")
}

// emit queues an alert for the pipeline.
func (m *otMonitor) emit(a *alert.Alert) {
	ev, err := alert.Embed(a, a.Source.Path, otEvidence(a))
	if err != nil {
		m.s.log.Error("ot: alert not stored", "rule", a.Rule.ID, "err", err)
		return
	}
	select {
	case m.alerts <- ev:
	default:
		if n := m.dropped.Add(1); n == 1 || n%1000 == 0 {
			m.s.log.Error("ot: alerts dropped: the pipeline is not keeping up", "dropped", n)
		}
	}
}

// otEvidence are the fields of an OT alert's event: who talked to whom
// and what the alert matched, for people and searches.
func otEvidence(a *alert.Alert) []event.Field {
	var fs []event.Field
	for _, k := range []string{alert.EntitySrcIP, alert.EntityDstIP} {
		if v := a.Entities[k]; v != "" {
			fs = append(fs, event.Field{Name: k, Value: event.String(v)})
		}
	}
	for _, mt := range a.Matches {
		fs = append(fs, event.Field{Name: mt.Field, Value: event.String(mt.Value)})
	}
	if len(a.Rule.Attack) > 0 {
		fs = append(fs, event.Field{Name: "attack", Value: event.String(strings.Join(a.Rule.Attack, ","))})
	}
	return fs
}

// submitLoop hands queued alerts to the pipeline in small batches.
func (m *otMonitor) submitLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-m.alerts:
			batch := []event.Event{ev}
		more:
			for len(batch) < 256 {
				select {
				case ev := <-m.alerts:
					batch = append(batch, ev)
				default:
					break more
				}
			}
			m.submit(ctx, batch)
		}
	}
}

// drain submits what is still queued, at shutdown.
func (m *otMonitor) drain() {
	var batch []event.Event
	for {
		select {
		case ev := <-m.alerts:
			batch = append(batch, ev)
		default:
			if len(batch) > 0 {
				m.submit(context.Background(), batch)
			}
			return
		}
	}
}

func (m *otMonitor) submit(ctx context.Context, batch []event.Event) {
	if err := m.s.pipe.Submit(ctx, batch, true); err != nil {
		m.s.log.Error("ot: alerts not stored", "count", len(batch), "err", err)
	}
}

// saveLoop writes the baseline every ten minutes while learning and once
// learning ends, so a crash keeps what was learnt.
func (m *otMonitor) saveLoop(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.save(); err != nil {
				m.s.log.Error("ot: saving the baseline failed", "file", m.path, "err", err)
			}
		}
	}
}

// save writes the baseline whole or not at all.
func (m *otMonitor) save() error {
	// Sensors may be learning into the baseline: save a copy taken under
	// the lock.
	b := detect.NewBaseline()
	m.mon.With(func(d *detect.Detector) { b.Merge(d.Baseline()) })
	if len(b.Pairs) == 0 && len(b.Flows) == 0 {
		return nil
	}
	return atomicfile.Write(m.path, 0o644, b.Save)
}

// listOTAssets answers GET /api/v1/ot/assets: the OT asset inventory.
func (s *Server) listOTAssets(w http.ResponseWriter, r *http.Request) error {
	if s.ot == nil {
		writeJSON(w, http.StatusOK, map[string]any{"enabled": false, "assets": []detect.Asset{}})
		return nil
	}
	var inv *detect.Inventory
	var learning bool
	s.ot.mon.With(func(d *detect.Detector) { inv, learning = d.Inventory(), d.Learning() })
	writeJSON(w, http.StatusOK, map[string]any{"enabled": true, "learning": learning, "assets": inv.Assets})
	return nil
}
