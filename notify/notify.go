// Package notify tells people about cases that need them: by webhook
// (generic JSON, or Slack's incoming-webhook format, which Mattermost and
// Rocket.Chat accept too) and by email over SMTP.
//
// A notifier sends one Message; deciding which cases deserve one (a new
// case over a score threshold) is the caller's business. Sending is
// bounded in time and retried on the failures that are worth retrying
// (timeouts, 429, 5xx); other failures come back at once with what the
// receiver said.
package notify

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Message is what a notification says about a case.
type Message struct {
	CaseID   int64             `json:"case_id"`
	Title    string            `json:"title"`
	Score    float64           `json:"score"`
	Severity string            `json:"severity,omitempty"`
	Reasons  []string          `json:"reasons,omitempty"`
	Entities map[string]string `json:"entities,omitempty"`
	Alerts   int               `json:"alerts"`
	First    time.Time         `json:"first_seen"`
	Last     time.Time         `json:"last_seen"`
	// URL links to the case in the web UI, when the server knows its own
	// address.
	URL string `json:"url,omitempty"`
}

// Notifier sends messages somewhere.
type Notifier interface {
	// Name says where, for logs ("webhook https://hooks.example/...").
	Name() string
	Notify(ctx context.Context, m Message) error
}

// Text renders m as a few lines of plain text, the body of an email and
// the fallback text of chat messages.
func (m Message) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Case %d: %s\n", m.CaseID, m.Title)
	fmt.Fprintf(&b, "Score %.1f", m.Score)
	if m.Severity != "" {
		fmt.Fprintf(&b, ", severity %s", m.Severity)
	}
	fmt.Fprintf(&b, ", %d alerts from %s to %s\n", m.Alerts, m.First.UTC().Format(time.RFC3339), m.Last.UTC().Format(time.RFC3339))
	if len(m.Entities) > 0 {
		keys := make([]string, 0, len(m.Entities))
		for k := range m.Entities {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("Entities:")
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%s", k, m.Entities[k])
		}
		b.WriteString("\n")
	}
	for _, r := range m.Reasons {
		fmt.Fprintf(&b, "- %s\n", r)
	}
	if m.URL != "" {
		fmt.Fprintf(&b, "%s\n", m.URL)
	}
	return b.String()
}

// retry calls send up to attempts times while it fails with a retryable
// error, waiting a little longer each time.
func retry(ctx context.Context, attempts int, send func() (retryable bool, err error)) error {
	var err error
	for i := 0; i < attempts; i++ {
		var again bool
		if again, err = send(); err == nil || !again {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (after: %v)", ctx.Err(), err)
		case <-time.After(time.Duration(1<<i) * 500 * time.Millisecond):
		}
	}
	return err
}
