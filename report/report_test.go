package report

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/store/sqlite"
)

func TestReport(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	rule := alert.Rule{ID: "r1", Title: "LSASS <Memory> Dumped", Level: "high", Attack: []string{"T1003.001"}}
	if err := st.AddAlerts(ctx, []store.StoredAlert{
		{Alert: alert.Alert{Rule: rule, Time: now.Add(-time.Minute), Host: "ws1"}},
		{Alert: alert.Alert{Rule: alert.Rule{ID: "r2", Title: "Encoded PowerShell", Level: "medium"}, Time: now.Add(-time.Minute), Host: "ws1"}},
	}, 0); err != nil {
		t.Fatal(err)
	}
	c := store.Case{Title: "c", Status: "closed", Verdict: "true-positive", Severity: "high"}
	if err := st.CreateCase(ctx, &c); err != nil {
		t.Fatal(err)
	}
	d, err := Build(ctx, st, "Riverside Water", now.AddDate(0, 0, -7), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := d.Write(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{"Riverside Water", "<b>2</b>alerts", "LSASS &lt;Memory&gt; Dumped", "T1003.001", "true-positive", "week of"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, bad := range []string{"http://", "https://", "<script"} {
		if strings.Contains(html, bad) {
			t.Errorf("report contains %q: it must stand alone", bad)
		}
	}
}
