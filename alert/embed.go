package alert

import (
	"encoding/json"

	"github.com/bulwarkhq/bulwark/event"
)

// EmbeddedFormat is the Source.Format of an event that carries an alert a
// sensor of Bulwark's own has already raised (the OT monitor): the event
// is the alert's evidence, stored and searched like any other, and the
// pipeline raises the alert from it. No reader produces this format, so
// events ingested from outside cannot pose as such alerts.
const EmbeddedFormat = "bulwark-alert"

// embeddedField holds the alert as JSON.
const embeddedField = "alert"

// Embed returns the event that carries a: its time, the fields given
// (the evidence, for people and searches; field order kept), the rule's
// id, title and level, and the alert itself. path names where it came
// from ("ot/eth0", a capture file).
func Embed(a *Alert, path string, fields []event.Field) (event.Event, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return event.Event{}, err
	}
	ev := event.Event{Time: a.Time, Source: a.Source}
	ev.Source.Path, ev.Source.Format = path, EmbeddedFormat
	ev.Fields = append(ev.Fields, fields...)
	ev.Add("rule.id", event.String(a.Rule.ID))
	ev.Add("rule.title", event.String(a.Rule.Title))
	ev.Add("rule.level", event.String(a.Rule.Level))
	ev.Add(embeddedField, event.String(string(b)))
	return ev, nil
}

// Embedded returns the alert an event made by Embed carries.
func Embedded(ev *event.Event) (*Alert, bool) {
	if ev.Source.Format != EmbeddedFormat {
		return nil, false
	}
	s := ev.GetString(embeddedField)
	if s == "" {
		return nil, false
	}
	var a Alert
	if json.Unmarshal([]byte(s), &a) != nil {
		return nil, false
	}
	a.Source = ev.Source
	return &a, true
}
