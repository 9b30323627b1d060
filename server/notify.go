package server

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/notify"
	"github.com/bulwarkhq/bulwark/store"
)

// notifiers builds the configured notifiers.
func (s *Server) notifiers() []notify.Notifier {
	var ns []notify.Notifier
	for _, w := range s.cfg.Notify.Webhooks {
		if w.URL != "" {
			ns = append(ns, &notify.Webhook{URL: w.URL, Slack: w.Slack, Secret: w.Secret})
		}
	}
	if e := s.cfg.Notify.Email; e.Addr != "" {
		ns = append(ns, &notify.Email{Addr: e.Addr, From: e.From, To: e.To, Username: e.Username,
			Password: e.Password, Security: e.Security})
	}
	return ns
}

// announce tells the notifiers about a new case that scores high enough,
// in the background: a slow receiver must not hold up triage.
func (s *Server) announce(c store.Case, alerts int) {
	if c.Score < s.cfg.Notify.MinScore || len(s.notify) == 0 {
		return
	}
	m := notify.Message{CaseID: c.ID, Title: c.Title, Score: c.Score, Severity: c.Severity, Reasons: c.Reasons,
		Entities: c.Entities, Alerts: alerts, First: c.FirstSeen, Last: c.LastSeen}
	if base := strings.TrimRight(s.cfg.Notify.BaseURL, "/"); base != "" {
		m.URL = base + "/cases/" + strconv.FormatInt(c.ID, 10)
	}
	for _, n := range s.notify {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := n.Notify(ctx, m); err != nil {
				s.log.Warn("notification failed", "to", n.Name(), "case", c.ID, "err", err)
				return
			}
			s.log.Info("notified", "to", n.Name(), "case", c.ID)
		}()
	}
}
