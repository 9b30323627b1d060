package alert

import (
	"reflect"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

func TestEmbedRoundTrip(t *testing.T) {
	a := &Alert{
		Rule:     Rule{ID: "ot.modbus.write-unknown-master", Title: "Modbus write from a host that is not a master", Level: "high", Attack: []string{"T0855"}, Tags: []string{"ot", "modbus"}},
		Time:     time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC),
		Host:     "10.0.0.8",
		Source:   event.Source{Format: "pcap", Record: 1172},
		Matches:  []Match{{Condition: "function", Field: "modbus.func", Value: "6 WriteSingleRegister"}},
		Entities: map[string]string{EntitySrcIP: "10.0.0.66", EntityDstIP: "10.0.0.8"},
	}
	ev, err := Embed(a, "ot/eth0", []event.Field{{Name: "proto", Value: event.String("modbus")}})
	if err != nil {
		t.Fatal(err)
	}
	if ev.GetString("proto") != "modbus" || ev.GetString("rule.title") != a.Rule.Title || !ev.Time.Equal(a.Time) {
		t.Errorf("event %+v", ev)
	}
	got, ok := Embedded(&ev)
	if !ok {
		t.Fatal("not embedded")
	}
	want := *a
	want.Source = event.Source{Path: "ot/eth0", Format: EmbeddedFormat, Record: 1172}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got %+v\nwant %+v", *got, want)
	}
	// Only Bulwark's own format carries alerts: the same fields from an
	// ingested log raise nothing.
	ev.Source.Format = "jsonl"
	if _, ok := Embedded(&ev); ok {
		t.Error("an ingested event posed as an alert")
	}
}
