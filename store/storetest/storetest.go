// Package storetest is the conformance suite every store implementation
// must pass. An implementation's tests call Run with a function that opens
// its store in a directory; the suite checks each role's contract as
// store.go states it, including that writes survive closing and reopening.
//
// Where store.go leaves a choice open, the suite says which one it expects
// and why, in the test's comment, so that every implementation makes the
// same one.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/store"
)

// Opener opens the store kept in dir, creating it when dir is empty. The
// suite calls it with a fresh t.TempDir() for each test and again with the
// same dir after Close to check that writes are durable. It should fail t
// rather than return an error.
type Opener func(t *testing.T, dir string) store.Store

// Run runs the conformance suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		{"Events/Empty", testEventsEmpty},
		{"Events/AppendOrder", testAppendOrder},
		{"Events/RoundTrip", testEventRoundTrip},
		{"Events/Filter", testEventFilter},
		{"Events/HostFields", testHostFields},
		{"Events/Stop", testScanStop},
		{"Events/Cancel", testScanCancel},
		{"Events/Reopen", testEventsReopen},
		{"Events/DeleteBefore", testDeleteBefore},
		{"Events/ConcurrentAppend", testConcurrentAppend},
		{"Alerts/AddGetDelete", testAlertsCRUD},
		{"Alerts/DetectedThrough", testDetectedThrough},
		{"Alerts/Atomic", testAlertsAtomic},
		{"Alerts/List", testListAlerts},
		{"Cases/CRUD", testCasesCRUD},
		{"Cases/List", testListCases},
		{"Cases/Comments", testCaseComments},
		{"Suppressions", testSuppressions},
		{"Events/PerHour", testEventsPerHour},
		{"Users/CRUD", testUsersCRUD},
		{"Users/Tokens", testTokens},
		{"Users/Sessions", testSessions},
		{"Users/ExpiredSessions", testExpiredSessions},
		{"Audit", testAudit},
		{"Settings", testSettings},
		{"Supply/Lifecycle", testSupplyLifecycle},
		{"Supply/List", testSupplyList},
		{"Reopen", testReopenEveryRole},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newHarness(t, open))
		})
	}
}

// harness holds the store under test and can close and reopen it.
type harness struct {
	t    *testing.T
	open Opener
	dir  string
	s    store.Store
	ctx  context.Context
}

func newHarness(t *testing.T, open Opener) *harness {
	h := &harness{t: t, open: open, dir: t.TempDir(), ctx: t.Context()}
	h.s = open(t, h.dir)
	t.Cleanup(func() {
		if h.s != nil {
			if err := h.s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	})
	return h
}

// reopen closes the store and opens it again from the same directory.
func (h *harness) reopen() {
	h.t.Helper()
	err := h.s.Close()
	h.s = nil
	if err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	h.s = h.open(h.t, h.dir)
}

// check fails the test at once on an unexpected error: later steps of a
// contract test make no sense once one failed.
func check(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// checkIs fails unless err wraps want.
func checkIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

// checkTime fails unless got is the same instant as want and, when set, in
// UTC: the store returns every time in UTC.
func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s: time %v, want %v", what, got, want)
	}
	if !got.IsZero() && got.Location() != time.UTC {
		t.Errorf("%s: time %v not in UTC", what, got)
	}
}

// base is a fixed time for test data, so that failures reproduce.
var base = time.Date(2025, 11, 27, 7, 40, 10, 165324100, time.UTC)
