package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Webhook posts messages to a URL.
type Webhook struct {
	URL string
	// Slack sends Slack's incoming-webhook payload ({"text": ...}) instead
	// of the Message as JSON.
	Slack bool
	// Secret, if set, signs each generic payload: the X-Bulwark-Signature
	// header carries "sha256=" and the hex HMAC-SHA256 of the body, so the
	// receiver can tell the message came from this server.
	Secret string
	// Client defaults to one with a 10 s timeout.
	Client *http.Client
}

// Name implements Notifier, without the URL's path and query, which
// often hold the hook's secret token.
func (w *Webhook) Name() string {
	u, err := url.Parse(w.URL)
	if err != nil {
		return "webhook"
	}
	return "webhook " + u.Scheme + "://" + u.Host
}

// Notify implements Notifier.
func (w *Webhook) Notify(ctx context.Context, m Message) error {
	body, err := w.payload(m)
	if err != nil {
		return err
	}
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return retry(ctx, 3, func() (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
		if err != nil {
			return false, fmt.Errorf("%s: %w", w.Name(), err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "bulwark")
		if w.Secret != "" && !w.Slack {
			mac := hmac.New(sha256.New, []byte(w.Secret))
			mac.Write(body)
			req.Header.Set("X-Bulwark-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		}
		resp, err := client.Do(req)
		if err != nil {
			return true, fmt.Errorf("%s: %w", w.Name(), err)
		}
		defer resp.Body.Close()
		said, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if resp.StatusCode/100 == 2 {
			return false, nil
		}
		again := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		return again, fmt.Errorf("%s: %s: %s", w.Name(), resp.Status, bytes.TrimSpace(said))
	})
}

func (w *Webhook) payload(m Message) ([]byte, error) {
	if !w.Slack {
		return json.Marshal(m)
	}
	// Slack's mrkdwn: the title in bold, linked when there is a URL.
	title := fmt.Sprintf("*Case %d: %s*", m.CaseID, m.Title)
	if m.URL != "" {
		title = fmt.Sprintf("*<%s|Case %d: %s>*", m.URL, m.CaseID, m.Title)
	}
	text := title + "\n" + Message{Score: m.Score, Severity: m.Severity, Reasons: m.Reasons,
		Entities: m.Entities, Alerts: m.Alerts, First: m.First, Last: m.Last}.details()
	return json.Marshal(map[string]string{"text": text})
}

// details is Text without the first line and the URL.
func (m Message) details() string {
	t := m.Text()
	if _, rest, ok := bytes.Cut([]byte(t), []byte("\n")); ok {
		return string(rest)
	}
	return t
}
