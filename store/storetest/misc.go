package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
)

func testAudit(t *testing.T, h *harness) {
	entries := make([]store.AuditEntry, 5)
	for i := range entries {
		entries[i] = store.AuditEntry{
			Time:   base.Add(time.Duration(i) * time.Second),
			Actor:  "alice",
			Action: fmt.Sprintf("action.%d", i),
			Target: "bob",
			Detail: "role viewer -> analyst",
			Remote: "192.0.2.10:51234",
		}
		check(t, "AppendAudit", h.s.AppendAudit(h.ctx, entries[i]))
	}
	tests := []struct {
		limit int
		want  []int // indexes into entries, newest first
	}{
		{0, []int{4, 3, 2, 1, 0}},
		{2, []int{4, 3}},
		{10, []int{4, 3, 2, 1, 0}},
	}
	for _, tt := range tests {
		got, err := h.s.ListAudit(h.ctx, tt.limit)
		check(t, "ListAudit", err)
		if len(got) != len(tt.want) {
			t.Fatalf("ListAudit(%d) returned %d entries, want %d", tt.limit, len(got), len(tt.want))
		}
		for i, e := range got {
			want := entries[tt.want[i]]
			checkTime(t, "audit entry", e.Time, want.Time)
			if e.ID <= 0 || (i > 0 && e.ID >= got[i-1].ID) {
				t.Errorf("ListAudit(%d): entry %d has id %d, want positive ids, newest first", tt.limit, i, e.ID)
			}
			e.ID, e.Time, want.Time = 0, time.Time{}, time.Time{}
			if e != want {
				t.Errorf("ListAudit(%d)[%d] = %+v, want %+v", tt.limit, i, e, want)
			}
		}
	}
}

func testSettings(t *testing.T, h *harness) {
	get := func(key string) (string, bool) {
		t.Helper()
		v, ok, err := h.s.GetSetting(h.ctx, key)
		check(t, "GetSetting", err)
		return v, ok
	}
	if v, ok := get("first_start"); ok || v != "" {
		t.Errorf("unset key: got %q, %v", v, ok)
	}
	check(t, "SetSetting", h.s.SetSetting(h.ctx, "first_start", "2025-11-27"))
	check(t, "SetSetting", h.s.SetSetting(h.ctx, "tail./var/log/syslog", "1024"))
	if v, ok := get("first_start"); !ok || v != "2025-11-27" {
		t.Errorf("got %q, %v; want the value set", v, ok)
	}
	check(t, "SetSetting overwrite", h.s.SetSetting(h.ctx, "tail./var/log/syslog", "2048"))
	if v, ok := get("tail./var/log/syslog"); !ok || v != "2048" {
		t.Errorf("after overwrite: got %q, %v", v, ok)
	}
	// An empty value is set, unlike a key never written.
	check(t, "SetSetting empty", h.s.SetSetting(h.ctx, "empty", ""))
	if v, ok := get("empty"); !ok || v != "" {
		t.Errorf("empty value: got %q, %v; want \"\", true", v, ok)
	}
}

// Every role's writes are durable: they are all there after Close and a
// fresh open of the same directory.
func testReopenEveryRole(t *testing.T, h *harness) {
	first, err := h.s.AppendEvents(h.ctx, []event.Event{WindowsEvent(0, base)})
	check(t, "AppendEvents", err)
	alerts := []store.StoredAlert{sampleAlert("r1", "high", "ws0.corp.local", base, first)}
	check(t, "AddAlerts", h.s.AddAlerts(h.ctx, alerts, first))
	c := store.Case{Title: "t", Status: "open", Severity: "high", Score: 1, AlertIDs: []int64{alerts[0].ID}}
	check(t, "CreateCase", h.s.CreateCase(h.ctx, &c))
	check(t, "CreateUser", h.s.CreateUser(h.ctx, store.User{Name: "alice", Role: store.RoleAdmin, PasswordHash: "x", Created: base}))
	tok := store.Token{Name: "agent", Role: store.RoleIngest, Hash: "h", Created: base}
	check(t, "CreateToken", h.s.CreateToken(h.ctx, &tok))
	check(t, "CreateSession", h.s.CreateSession(h.ctx, store.Session{Hash: "s", User: "alice", CSRF: "c", Created: base, Expires: base.Add(time.Hour)}))
	check(t, "AppendAudit", h.s.AppendAudit(h.ctx, store.AuditEntry{Time: base, Actor: "alice", Action: "user.create"}))
	check(t, "SetSetting", h.s.SetSetting(h.ctx, "k", "v"))

	h.reopen()

	if evs := scanAll(t, h, store.EventFilter{}); len(evs) != 1 || evs[0].ID != first {
		t.Errorf("events after reopen: %+v", evs)
	}
	if a, err := h.s.GetAlert(h.ctx, alerts[0].ID); err != nil {
		t.Errorf("alert after reopen: %v", err)
	} else {
		checkAlert(t, "alert after reopen", a, alerts[0])
	}
	if through, err := h.s.DetectedThrough(h.ctx); err != nil || through != first {
		t.Errorf("DetectedThrough after reopen = %d (%v), want %d", through, err, first)
	}
	if got, err := h.s.GetCase(h.ctx, c.ID); err != nil {
		t.Errorf("case after reopen: %v", err)
	} else {
		checkCase(t, "case after reopen", got, c)
	}
	if _, err := h.s.GetUser(h.ctx, "alice"); err != nil {
		t.Errorf("user after reopen: %v", err)
	}
	if _, err := h.s.TokenByHash(h.ctx, "h"); err != nil {
		t.Errorf("token after reopen: %v", err)
	}
	if _, err := h.s.SessionByHash(h.ctx, "s"); err != nil {
		t.Errorf("session after reopen: %v", err)
	}
	if audit, err := h.s.ListAudit(h.ctx, 0); err != nil || len(audit) != 1 {
		t.Errorf("audit after reopen: %d entries (%v)", len(audit), err)
	}
	if v, ok, err := h.s.GetSetting(h.ctx, "k"); err != nil || !ok || v != "v" {
		t.Errorf("setting after reopen: %q, %v, %v", v, ok, err)
	}
}

func testSuppressions(t *testing.T, h *harness) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	live := store.Suppression{RuleID: "r1", EntityKind: "host", Entity: "backup01", Reason: "nightly backup job",
		CaseID: 3, Author: "alice", Created: now.Add(-time.Hour), Expires: now.Add(30 * 24 * time.Hour)}
	check(t, "CreateSuppression", h.s.CreateSuppression(h.ctx, &live))
	old := store.Suppression{RuleID: "r2", Reason: "test", Author: "bob", Expires: now.Add(-time.Minute)}
	check(t, "CreateSuppression", h.s.CreateSuppression(h.ctx, &old))
	if live.ID <= 0 || old.ID <= live.ID || old.Created.IsZero() {
		t.Fatalf("ids %d, %d, created %v", live.ID, old.ID, old.Created)
	}
	got, err := h.s.ListSuppressions(h.ctx, now)
	check(t, "ListSuppressions", err)
	if len(got) != 1 || got[0].ID != live.ID || got[0].Entity != "backup01" || got[0].CaseID != 3 || !got[0].Expires.Equal(live.Expires) {
		t.Errorf("live suppressions: %+v", got)
	}
	all, err := h.s.ListSuppressions(h.ctx, time.Time{})
	check(t, "ListSuppressions", err)
	if len(all) != 2 || all[0].ID != old.ID {
		t.Errorf("all suppressions, newest first: %+v", all)
	}
	check(t, "DeleteSuppression", h.s.DeleteSuppression(h.ctx, live.ID))
	checkIs(t, "DeleteSuppression twice", h.s.DeleteSuppression(h.ctx, live.ID), store.ErrNotFound)
}
