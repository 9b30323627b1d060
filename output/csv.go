package output

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
)

var csvHeader = []string{
	"time", "level", "rule_id", "rule_title", "status", "attack", "host", "channel", "event_id",
	"file", "record", "matches", "author", "link",
}

type csvOut struct {
	w      *csv.Writer
	header bool
}

func newCSV(w io.Writer) *csvOut { return &csvOut{w: csv.NewWriter(w)} }

func (c *csvOut) Alert(a *alert.Alert) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(csvHeader); err != nil {
			return err
		}
	}
	ts := ""
	if !a.Time.IsZero() {
		ts = a.Time.UTC().Format(time.RFC3339Nano)
	}
	record := ""
	if a.Source.Record > 0 {
		record = strconv.FormatInt(a.Source.Record, 10)
	}
	var m []string
	for _, x := range a.Matches {
		m = append(m, x.Field+"="+x.Value)
	}
	return c.w.Write([]string{
		ts, a.Rule.Level, a.Rule.ID, a.Rule.Title, a.Rule.Status, strings.Join(a.Rule.Attack, " "),
		a.Host, a.Channel, a.EventID, a.Source.Path, record, strings.Join(m, "; "), a.Rule.Author, a.Rule.Link,
	})
}

func (c *csvOut) Close() error {
	c.w.Flush()
	return c.w.Error()
}
