package postgres

import (
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/alert"
	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/supply"
)

// hostile is text PostgreSQL's text type refuses (NUL, invalid UTF-8) and
// that reaches the store from outside: a login attempt's user name, an
// event's host, a package name in an uploaded SBOM. SQLite keeps it as it
// is, and so must this store, or a failed login named so would go
// unaudited.
const hostile = "admin\x00\xff\xfe"

func TestHostileStrings(t *testing.T) {
	s := openTest(t, t.Name(), Options{})
	defer s.Close()
	ctx := t.Context()
	at := time.Date(2025, 11, 27, 7, 0, 0, 0, time.UTC)

	if err := s.AppendAudit(ctx, store.AuditEntry{Time: at, Actor: hostile, Action: "login.fail", Detail: hostile, Remote: hostile}); err != nil {
		t.Fatalf("audit: %v", err)
	}
	if es, err := s.ListAudit(ctx, 1); err != nil || len(es) != 1 || es[0].Actor != hostile || es[0].Detail != hostile || es[0].Remote != hostile {
		t.Errorf("audit read back %+v (%v)", es, err)
	}

	if err := s.CreateUser(ctx, store.User{Name: hostile, Role: store.RoleViewer, PasswordHash: "x"}); err != nil {
		t.Fatalf("user: %v", err)
	}
	if u, err := s.GetUser(ctx, hostile); err != nil || u.Name != hostile {
		t.Errorf("user read back %+v (%v)", u, err)
	}
	if err := s.CreateSession(ctx, store.Session{Hash: "h", User: hostile, CSRF: "c", Created: at, Expires: at.Add(time.Hour)}); err != nil {
		t.Fatalf("session: %v", err)
	}
	if sess, err := s.SessionByHash(ctx, "h"); err != nil || sess.User != hostile {
		t.Errorf("session read back %+v (%v)", sess, err)
	}

	c := store.Case{Title: hostile, Status: "new", Entities: map[string]string{"host": hostile}}
	if err := s.CreateCase(ctx, &c); err != nil {
		t.Fatalf("case: %v", err)
	}
	if got, err := s.GetCase(ctx, c.ID); err != nil || got.Title != hostile {
		t.Errorf("case read back %+v (%v)", got, err)
	}
	cm := store.CaseComment{CaseID: c.ID, Author: hostile, Text: hostile}
	if err := s.AddCaseComment(ctx, &cm); err != nil {
		t.Fatalf("comment: %v", err)
	}
	if cs, err := s.ListCaseComments(ctx, c.ID); err != nil || len(cs) != 1 || cs[0].Text != hostile {
		t.Errorf("comments read back %+v (%v)", cs, err)
	}

	if err := s.SetSetting(ctx, hostile, hostile); err != nil {
		t.Fatalf("setting: %v", err)
	}
	if v, ok, err := s.GetSetting(ctx, hostile); err != nil || !ok || v != hostile {
		t.Errorf("setting read back %q %v (%v)", v, ok, err)
	}

	sup := store.Suppression{RuleID: hostile, EntityKind: "host", Entity: hostile, Reason: hostile, Author: hostile, Expires: at.Add(time.Hour)}
	if err := s.CreateSuppression(ctx, &sup); err != nil {
		t.Fatalf("suppression: %v", err)
	}
	if ss, err := s.ListSuppressions(ctx, time.Time{}); err != nil || len(ss) != 1 || ss[0].Entity != hostile {
		t.Errorf("suppressions read back %+v (%v)", ss, err)
	}

	a := store.StoredAlert{Alert: alert.Alert{Time: at, Host: hostile, Rule: alert.Rule{ID: hostile, Level: "high"}}}
	if err := s.AddAlerts(ctx, []store.StoredAlert{a}, 0); err != nil {
		t.Fatalf("alert: %v", err)
	}
	if as, err := s.ListAlerts(ctx, store.AlertFilter{Host: hostile, RuleID: hostile}); err != nil || len(as) != 1 {
		t.Errorf("alerts by hostile host and rule: %+v (%v)", as, err)
	}

	f := supply.Finding{ID: "GHSA-x", Package: supply.Package{Ecosystem: "npm", Name: hostile, Version: "1.0.0"}}
	if _, err := s.RecordScan(ctx, hostile, at, []supply.Finding{f}); err != nil {
		t.Fatalf("supply scan: %v", err)
	}
	if fs, err := s.ListSupplyFindings(ctx, store.SupplyFilter{Project: hostile}); err != nil || len(fs) != 1 || fs[0].Project != hostile {
		t.Errorf("supply findings read back %+v (%v)", fs, err)
	}
	if ps, err := s.ListSupplyProjects(ctx); err != nil || len(ps) != 1 || ps[0].Name != hostile || ps[0].Open != 1 {
		t.Errorf("supply projects read back %+v (%v)", ps, err)
	}
}
