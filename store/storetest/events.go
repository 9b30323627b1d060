package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
)

// scanAll returns copies of the events f selects, in scan order.
func scanAll(t *testing.T, h *harness, f store.EventFilter) []store.StoredEvent {
	t.Helper()
	var out []store.StoredEvent
	err := h.s.ScanEvents(h.ctx, f, func(se *store.StoredEvent) error {
		out = append(out, store.StoredEvent{ID: se.ID, Event: *se.Event.Clone()})
		return nil
	})
	check(t, fmt.Sprintf("ScanEvents(%+v)", f), err)
	return out
}

// checkEvent fails unless got is want as a store returns it. Raw is not
// compared: store.go does not promise to keep it.
func checkEvent(t *testing.T, what string, got, want *event.Event) {
	t.Helper()
	checkTime(t, what, got.Time, want.Time)
	if got.Source != want.Source {
		t.Errorf("%s: source %+v, want %+v", what, got.Source, want.Source)
	}
	if !reflect.DeepEqual(got.Fields, want.Fields) && (len(got.Fields) != 0 || len(want.Fields) != 0) {
		t.Errorf("%s: fields\n got %+v\nwant %+v", what, got.Fields, want.Fields)
	}
}

func testEventsEmpty(t *testing.T, h *harness) {
	last, err := h.s.LastEventID(h.ctx)
	check(t, "LastEventID", err)
	n, err := h.s.CountEvents(h.ctx)
	check(t, "CountEvents", err)
	if last != 0 || n != 0 {
		t.Errorf("empty store: last id %d, count %d", last, n)
	}
	if evs := scanAll(t, h, store.EventFilter{}); len(evs) != 0 {
		t.Errorf("empty store scanned %d events", len(evs))
	}
	// An empty batch stores nothing and has no first id.
	first, err := h.s.AppendEvents(h.ctx, nil)
	check(t, "AppendEvents(nil)", err)
	if first != 0 {
		t.Errorf("AppendEvents(nil) = %d, want 0", first)
	}
}

func testAppendOrder(t *testing.T, h *harness) {
	batch1 := []event.Event{WindowsEvent(0, base), WindowsEvent(1, base.Add(-time.Hour)), WindowsEvent(2, base)}
	batch2 := []event.Event{WindowsEvent(3, base), WindowsEvent(4, base.Add(time.Hour))}
	first1, err := h.s.AppendEvents(h.ctx, batch1)
	check(t, "AppendEvents", err)
	first2, err := h.s.AppendEvents(h.ctx, batch2)
	check(t, "AppendEvents", err)
	if first1 <= 0 || first2 != first1+int64(len(batch1)) {
		t.Fatalf("first ids %d and %d: want positive and consecutive across batches", first1, first2)
	}
	last, err := h.s.LastEventID(h.ctx)
	check(t, "LastEventID", err)
	if want := first2 + int64(len(batch2)) - 1; last != want {
		t.Errorf("LastEventID = %d, want %d", last, want)
	}
	n, err := h.s.CountEvents(h.ctx)
	check(t, "CountEvents", err)
	if n != 5 {
		t.Errorf("CountEvents = %d, want 5", n)
	}
	all := append(batch1, batch2...)
	got := scanAll(t, h, store.EventFilter{})
	if len(got) != len(all) {
		t.Fatalf("scanned %d events, want %d", len(got), len(all))
	}
	for i := range got {
		if got[i].ID != first1+int64(i) {
			t.Errorf("event %d has id %d, want %d (append order, not time order)", i, got[i].ID, first1+int64(i))
		}
		checkEvent(t, fmt.Sprintf("event %d", i), &got[i].Event, &all[i])
	}
}

func testEventRoundTrip(t *testing.T, h *harness) {
	odd := event.Event{
		Time:   time.Date(2024, 3, 1, 13, 30, 45, 123456789, time.FixedZone("CET", 3600)),
		Source: event.Source{Path: "syslog/udp", Format: "syslog", Offset: -1},
		Fields: []event.Field{
			{Name: "null", Value: event.Null()},
			{Name: "int", Value: event.Int(math.MinInt64)},
			{Name: "uint", Value: event.Uint(math.MaxUint64)},
			{Name: "hex", Value: event.Hex(0x1f)},
			{Name: "float", Value: event.Float(-2.5e-10)},
			{Name: "bool", Value: event.Bool(true)},
			{Name: "list", Value: event.List(event.String("a"), event.List(event.Int(1)), event.Null())},
			{Name: "dup", Value: event.String("1")},
			{Name: "dup", Value: event.String("2")},
			{Name: "unicode", Value: event.String("Ünïcödé 名前 \x00")},
		},
		Raw: []byte("<13>Nov 27 07:40:10 host app: message"),
	}
	zero := event.Event{Fields: []event.Field{{Name: "no time", Value: event.String("x")}}}
	first, err := h.s.AppendEvents(h.ctx, []event.Event{odd, zero})
	check(t, "AppendEvents", err)
	got := scanAll(t, h, store.EventFilter{})
	if len(got) != 2 || got[0].ID != first {
		t.Fatalf("scanned %+v", got)
	}
	checkEvent(t, "every kind", &got[0].Event, &odd)
	checkEvent(t, "zero time", &got[1].Event, &zero)
}

// eventFilterCase is one filter and, as a predicate over the test events'
// indexes, what it must select.
type eventFilterCase struct {
	name    string
	filter  func(id func(i int) int64) store.EventFilter
	selects func(i int) bool
}

func testEventFilter(t *testing.T, h *harness) {
	// Times are shuffled against append order, so that selecting by time
	// and ordering by id are told apart.
	minutes := []int{3, 0, 7, 1, 9, 4, 2, 8, 5, 6}
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	host := func(i int) string { return []string{"a", "b"}[i%2] }
	evs := make([]event.Event, len(minutes))
	for i, m := range minutes {
		evs[i] = event.Event{Time: at(m), Fields: []event.Field{
			{Name: "Computer", Value: event.String(host(i))},
			{Name: "Index", Value: event.Int(int64(i))},
		}}
	}
	first, err := h.s.AppendEvents(h.ctx, evs)
	check(t, "AppendEvents", err)

	all := func(int) bool { return true }
	tests := []struct {
		eventFilterCase
		desc  bool
		limit int
	}{
		{eventFilterCase{"everything", func(func(int) int64) store.EventFilter { return store.EventFilter{} }, all}, false, 0},
		{eventFilterCase{"after id", func(id func(int) int64) store.EventFilter { return store.EventFilter{AfterID: id(4)} },
			func(i int) bool { return i > 4 }}, false, 0},
		{eventFilterCase{"after the last id", func(id func(int) int64) store.EventFilter { return store.EventFilter{AfterID: id(9)} },
			func(int) bool { return false }}, false, 0},
		{eventFilterCase{"from is inclusive", func(func(int) int64) store.EventFilter { return store.EventFilter{From: at(5)} },
			func(i int) bool { return minutes[i] >= 5 }}, false, 0},
		{eventFilterCase{"to is exclusive", func(func(int) int64) store.EventFilter { return store.EventFilter{To: at(5)} },
			func(i int) bool { return minutes[i] < 5 }}, false, 0},
		{eventFilterCase{"from and to", func(func(int) int64) store.EventFilter { return store.EventFilter{From: at(2), To: at(7)} },
			func(i int) bool { return minutes[i] >= 2 && minutes[i] < 7 }}, false, 0},
		{eventFilterCase{"from equals to", func(func(int) int64) store.EventFilter { return store.EventFilter{From: at(3), To: at(3)} },
			func(int) bool { return false }}, false, 0},
		{eventFilterCase{"from in another zone", func(func(int) int64) store.EventFilter {
			return store.EventFilter{From: at(5).In(time.FixedZone("EST", -5*3600))}
		}, func(i int) bool { return minutes[i] >= 5 }}, false, 0},
		{eventFilterCase{"host", func(func(int) int64) store.EventFilter { return store.EventFilter{Host: "a"} },
			func(i int) bool { return host(i) == "a" }}, false, 0},
		{eventFilterCase{"unknown host", func(func(int) int64) store.EventFilter { return store.EventFilter{Host: "A"} },
			func(int) bool { return false }}, false, 0},
		{eventFilterCase{"desc", func(func(int) int64) store.EventFilter { return store.EventFilter{Desc: true} }, all}, true, 0},
		{eventFilterCase{"limit", func(func(int) int64) store.EventFilter { return store.EventFilter{Limit: 3} }, all}, false, 3},
		{eventFilterCase{"limit one", func(func(int) int64) store.EventFilter { return store.EventFilter{Limit: 1} }, all}, false, 1},
		{eventFilterCase{"limit beyond count", func(func(int) int64) store.EventFilter { return store.EventFilter{Limit: 100} }, all}, false, 100},
		{eventFilterCase{"desc limit", func(func(int) int64) store.EventFilter { return store.EventFilter{Desc: true, Limit: 3} }, all}, true, 3},
		{eventFilterCase{"everything at once", func(id func(int) int64) store.EventFilter {
			return store.EventFilter{AfterID: id(2), From: at(1), To: at(9), Host: "b", Desc: true, Limit: 2}
		}, func(i int) bool { return i > 2 && minutes[i] >= 1 && minutes[i] < 9 && host(i) == "b" }}, true, 2},
	}
	id := func(i int) int64 { return first + int64(i) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []int
			for i := range evs {
				if tt.selects(i) {
					want = append(want, i)
				}
			}
			if tt.desc {
				slices.Reverse(want)
			}
			if tt.limit > 0 && len(want) > tt.limit {
				want = want[:tt.limit]
			}
			var got []int
			for _, se := range scanAll(t, h, tt.filter(id)) {
				i := int(se.ID - first)
				if i < 0 || i >= len(evs) || se.GetString("Index") != fmt.Sprint(i) {
					t.Fatalf("event with id %d does not hold event %d: %+v", se.ID, i, se.Fields)
				}
				got = append(got, i)
			}
			if !slices.Equal(got, want) {
				t.Errorf("selected events %v, want %v", got, want)
			}
		})
	}
}

// The host an event belongs to is the first non-empty of these fields, by
// this precedence rather than by position in the event: EVTX's Computer,
// then ECS's host.name, then the spellings syslog and JSON sources use.
func testHostFields(t *testing.T, h *harness) {
	f := func(name, value string) event.Field { return event.Field{Name: name, Value: event.String(value)} }
	tests := []struct {
		fields []event.Field
		host   string
	}{
		{[]event.Field{f("Computer", "c1"), f("host.name", "h")}, "c1"},
		{[]event.Field{f("hostname", "x"), f("host.name", "h2")}, "h2"},
		{[]event.Field{f("Computer", ""), f("hostname", "x3")}, "x3"},
		{[]event.Field{f("host", "z"), f("Hostname", "y4")}, "y4"},
		{[]event.Field{f("host", "z5")}, "z5"},
		{[]event.Field{f("HOST", "not a host field")}, ""},
	}
	evs := make([]event.Event, len(tests))
	for i, tt := range tests {
		evs[i] = event.Event{Time: base, Fields: tt.fields}
	}
	first, err := h.s.AppendEvents(h.ctx, evs)
	check(t, "AppendEvents", err)
	for i, tt := range tests {
		if tt.host == "" {
			continue
		}
		got := scanAll(t, h, store.EventFilter{Host: tt.host})
		if len(got) != 1 || got[0].ID != first+int64(i) {
			t.Errorf("host %q selects %d events, want only event %d with fields %+v", tt.host, len(got), i, tt.fields)
		}
	}
	if got := scanAll(t, h, store.EventFilter{Host: "not a host field"}); len(got) != 0 {
		t.Errorf("a field named HOST was taken for the host")
	}
}

func testScanStop(t *testing.T, h *harness) {
	evs := []event.Event{WindowsEvent(0, base), WindowsEvent(1, base), WindowsEvent(2, base), WindowsEvent(3, base)}
	_, err := h.s.AppendEvents(h.ctx, evs)
	check(t, "AppendEvents", err)
	calls := 0
	err = h.s.ScanEvents(h.ctx, store.EventFilter{}, func(*store.StoredEvent) error {
		calls++
		if calls == 2 {
			return store.ErrStop
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Errorf("ErrStop after 2 events: err %v after %d calls, want nil after 2", err, calls)
	}
	boom := errors.New("boom")
	calls = 0
	err = h.s.ScanEvents(h.ctx, store.EventFilter{}, func(*store.StoredEvent) error {
		calls++
		return boom
	})
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("callback error: got %v after %d calls, want boom after 1", err, calls)
	}
}

func testScanCancel(t *testing.T, h *harness) {
	_, err := h.s.AppendEvents(h.ctx, []event.Event{WindowsEvent(0, base)})
	check(t, "AppendEvents", err)
	ctx, cancel := context.WithCancel(h.ctx)
	cancel()
	if err := h.s.ScanEvents(ctx, store.EventFilter{}, func(*store.StoredEvent) error { return nil }); err == nil {
		t.Error("ScanEvents with a cancelled context returned no error")
	}
	if _, err := h.s.AppendEvents(ctx, []event.Event{WindowsEvent(1, base)}); err == nil {
		t.Error("AppendEvents with a cancelled context returned no error")
	}
	if n, err := h.s.CountEvents(h.ctx); err != nil || n != 1 {
		t.Errorf("after a cancelled append: %d events (%v), want 1", n, err)
	}
}

func testEventsReopen(t *testing.T, h *harness) {
	evs := []event.Event{WindowsEvent(0, base), WindowsEvent(1, base.Add(time.Second)), WindowsEvent(2, base)}
	first, err := h.s.AppendEvents(h.ctx, evs)
	check(t, "AppendEvents", err)
	h.reopen()
	got := scanAll(t, h, store.EventFilter{})
	if len(got) != len(evs) {
		t.Fatalf("after reopen: %d events, want %d", len(got), len(evs))
	}
	for i := range got {
		if got[i].ID != first+int64(i) {
			t.Errorf("after reopen: event %d has id %d, want %d", i, got[i].ID, first+int64(i))
		}
		checkEvent(t, fmt.Sprintf("after reopen, event %d", i), &got[i].Event, &evs[i])
	}
	last, err := h.s.LastEventID(h.ctx)
	check(t, "LastEventID", err)
	next, err := h.s.AppendEvents(h.ctx, []event.Event{WindowsEvent(3, base)})
	check(t, "AppendEvents", err)
	if last != first+2 || next != first+3 {
		t.Errorf("after reopen: last id %d, next id %d; want %d and %d", last, next, first+2, first+3)
	}
}

func testDeleteBefore(t *testing.T, h *harness) {
	cutoff := base
	// Old and new events alternate in the log, so that deleting by time
	// cannot pass for deleting a range of ids.
	var evs []event.Event
	var kept []int
	for i := range 17 {
		at := cutoff.Add(-time.Hour + time.Duration(i)*time.Second)
		if i%3 == 0 {
			at = cutoff.Add(time.Duration(i) * time.Second) // at or after the cutoff: kept
			kept = append(kept, i)
		}
		evs = append(evs, WindowsEvent(i, at))
	}
	first, err := h.s.AppendEvents(h.ctx, evs)
	check(t, "AppendEvents", err)
	lastBefore, err := h.s.LastEventID(h.ctx)
	check(t, "LastEventID", err)

	n, err := h.s.DeleteEventsBefore(h.ctx, cutoff)
	check(t, "DeleteEventsBefore", err)
	if want := int64(len(evs) - len(kept)); n != want {
		t.Errorf("DeleteEventsBefore removed %d, want %d", n, want)
	}
	var got []int
	for _, se := range scanAll(t, h, store.EventFilter{}) {
		got = append(got, int(se.ID-first))
	}
	if !slices.Equal(got, kept) {
		t.Errorf("kept events %v, want %v (the event exactly at the cutoff stays)", got, kept)
	}
	if n, err := h.s.DeleteEventsBefore(h.ctx, cutoff); err != nil || n != 0 {
		t.Errorf("deleting again removed %d (%v), want 0", n, err)
	}
	// Deleting everything must not let ids be given out again.
	if _, err := h.s.DeleteEventsBefore(h.ctx, cutoff.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c, err := h.s.CountEvents(h.ctx); err != nil || c != 0 {
		t.Errorf("after deleting all: %d events (%v)", c, err)
	}
	if last, err := h.s.LastEventID(h.ctx); err != nil || last != lastBefore {
		t.Errorf("LastEventID after deletes = %d (%v), want %d", last, err, lastBefore)
	}
	next, err := h.s.AppendEvents(h.ctx, []event.Event{WindowsEvent(99, base)})
	check(t, "AppendEvents", err)
	if next <= lastBefore {
		t.Errorf("id %d given out again after retention (last was %d)", next, lastBefore)
	}
}

// Concurrent batches each get a run of consecutive ids, and no id twice.
func testConcurrentAppend(t *testing.T, h *harness) {
	const writers, batches, size = 4, 8, 25
	type tag struct{ writer, batch, index int }
	firsts := make([][]int64, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				evs := make([]event.Event, size)
				for i := range evs {
					evs[i] = event.Event{Time: base, Fields: []event.Field{
						{Name: "Writer", Value: event.Int(int64(w))},
						{Name: "Batch", Value: event.Int(int64(b))},
						{Name: "Index", Value: event.Int(int64(i))},
					}}
				}
				first, err := h.s.AppendEvents(h.ctx, evs)
				if err != nil {
					t.Errorf("writer %d batch %d: %v", w, b, err)
					return
				}
				firsts[w] = append(firsts[w], first)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	byID := map[int64]tag{}
	for _, se := range scanAll(t, h, store.EventFilter{}) {
		var tg tag
		fmt.Sscan(se.GetString("Writer"), &tg.writer)
		fmt.Sscan(se.GetString("Batch"), &tg.batch)
		fmt.Sscan(se.GetString("Index"), &tg.index)
		byID[se.ID] = tg
	}
	if len(byID) != writers*batches*size {
		t.Fatalf("%d distinct ids, want %d", len(byID), writers*batches*size)
	}
	for w := range writers {
		for b, first := range firsts[w] {
			for i := range size {
				want := tag{w, b, i}
				if got, ok := byID[first+int64(i)]; !ok || got != want {
					t.Fatalf("id %d holds %+v, want %+v: batch ids not consecutive", first+int64(i), got, want)
				}
			}
		}
	}
}

func testEventsPerHour(t *testing.T, h *harness) {
	base := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	var evs []event.Event
	for i, at := range []time.Duration{10 * time.Minute, 20 * time.Minute, 2*time.Hour + time.Minute} {
		evs = append(evs, WindowsEvent(i, base.Add(at)))
	}
	// Separate appends, so that each event is its own write.
	for i := range evs {
		_, err := h.s.AppendEvents(h.ctx, evs[i:i+1])
		check(t, "AppendEvents", err)
	}
	got, err := h.s.EventsPerHour(h.ctx, base, 4)
	check(t, "EventsPerHour", err)
	if len(got) != 4 || got[0] != 2 || got[1] != 0 || got[2] != 1 || got[3] != 0 {
		t.Errorf("EventsPerHour = %v, want [2 0 1 0]", got)
	}
}
