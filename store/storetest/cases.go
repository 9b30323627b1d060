package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/store"
)

// checkCase compares cases by value, times by instant.
func checkCase(t *testing.T, what string, got, want store.Case) {
	t.Helper()
	checkTime(t, what+" created", got.Created, want.Created)
	checkTime(t, what+" updated", got.Updated, want.Updated)
	got.Created, got.Updated, want.Created, want.Updated = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func testCasesCRUD(t *testing.T, h *harness) {
	before := time.Now().Add(-time.Second)
	c := store.Case{
		Title:    "PowerShell download cradle on ws1",
		Status:   "open",
		Severity: "high",
		Score:    87.5,
		Reasons:  []string{"encoded command", "rare parent"},
		AlertIDs: []int64{3, 5, 8},
		RuleIDs:  []string{"r1", "r2"},
		Entities: map[string]string{"host": "ws1", "user": `CORP\amy`},
		// Times in UTC: the store returns them so.
		FirstSeen: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC),
		LastSeen:  time.Date(2026, 11, 27, 9, 20, 0, 123, time.UTC),
	}
	check(t, "CreateCase", h.s.CreateCase(h.ctx, &c))
	if c.ID <= 0 || c.Created.Before(before) || !c.Updated.Equal(c.Created) {
		t.Fatalf("CreateCase set id %d, created %v, updated %v", c.ID, c.Created, c.Updated)
	}
	got, err := h.s.GetCase(h.ctx, c.ID)
	check(t, "GetCase", err)
	checkCase(t, "created case", got, c)

	time.Sleep(2 * time.Millisecond) // so that Updated moves on clocks with coarse ticks
	u := c
	u.Status, u.Assignee, u.Verdict, u.Score = "closed", "alice", "true-positive", 99
	u.Acknowledged = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	u.Closed = time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC)
	u.Entities = map[string]string{"host": "ws1"}
	u.Reasons = nil
	u.AlertIDs = append(u.AlertIDs, 13)
	u.Created = time.Time{} // the store keeps the creation time, whatever the caller sends
	check(t, "UpdateCase", h.s.UpdateCase(h.ctx, &u))
	if !u.Updated.After(c.Updated) {
		t.Errorf("UpdateCase set Updated %v, not after %v", u.Updated, c.Updated)
	}
	got, err = h.s.GetCase(h.ctx, c.ID)
	check(t, "GetCase", err)
	want := u
	want.Created = c.Created
	checkCase(t, "updated case", got, want)

	missing := store.Case{ID: 424242, Title: "x"}
	checkIs(t, "UpdateCase unknown id", h.s.UpdateCase(h.ctx, &missing), store.ErrNotFound)
	check(t, "DeleteCase", h.s.DeleteCase(h.ctx, c.ID))
	_, err = h.s.GetCase(h.ctx, c.ID)
	checkIs(t, "GetCase after delete", err, store.ErrNotFound)
	checkIs(t, "DeleteCase twice", h.s.DeleteCase(h.ctx, c.ID), store.ErrNotFound)
}

// Cases list by score, highest first; equal scores put the newer case
// first, so that a fresh case is not buried under old ones of its score.
func testListCases(t *testing.T, h *harness) {
	specs := []struct {
		score  float64
		status string
	}{
		{10, "open"}, {90, "closed"}, {50, "open"}, {90, "open"}, {-1, "in-progress"}, {70, "open"},
	}
	ids := make([]int64, len(specs))
	for i, s := range specs {
		c := store.Case{Title: "case", Status: s.status, Severity: "medium", Score: s.score}
		check(t, "CreateCase", h.s.CreateCase(h.ctx, &c))
		ids[i] = c.ID
	}
	tests := []struct {
		name   string
		filter store.CaseFilter
		want   []int
	}{
		{"everything", store.CaseFilter{}, []int{3, 1, 5, 2, 0, 4}},
		{"status", store.CaseFilter{Status: "open"}, []int{3, 5, 2, 0}},
		{"limit", store.CaseFilter{Limit: 2}, []int{3, 1}},
		{"status and limit", store.CaseFilter{Status: "open", Limit: 3}, []int{3, 5, 2}},
		{"unknown status", store.CaseFilter{Status: "Open"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.s.ListCases(h.ctx, tt.filter)
			check(t, "ListCases", err)
			var idx []int
			for _, c := range got {
				idx = append(idx, slices.Index(ids, c.ID))
			}
			if !slices.Equal(idx, tt.want) {
				t.Errorf("ListCases(%+v) = cases %v, want %v", tt.filter, idx, tt.want)
			}
		})
	}
}

func testCaseComments(t *testing.T, h *harness) {
	c := store.Case{Title: "commented", Status: "new", Severity: "low"}
	check(t, "CreateCase", h.s.CreateCase(h.ctx, &c))
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	first := store.CaseComment{CaseID: c.ID, Author: "alice", Time: at, Text: "looking"}
	check(t, "AddCaseComment", h.s.AddCaseComment(h.ctx, &first))
	second := store.CaseComment{CaseID: c.ID, Author: "bob", Text: "contained"}
	check(t, "AddCaseComment", h.s.AddCaseComment(h.ctx, &second))
	if first.ID <= 0 || second.ID <= first.ID || second.Time.IsZero() {
		t.Fatalf("comments got ids %d, %d and time %v", first.ID, second.ID, second.Time)
	}
	got, err := h.s.ListCaseComments(h.ctx, c.ID)
	check(t, "ListCaseComments", err)
	if len(got) != 2 || got[0].Text != "looking" || got[0].Author != "alice" || !got[0].Time.Equal(at) || got[1].Text != "contained" {
		t.Errorf("comments: %+v", got)
	}
	missing := store.CaseComment{CaseID: 424242, Author: "x", Text: "y"}
	checkIs(t, "AddCaseComment on a missing case", h.s.AddCaseComment(h.ctx, &missing), store.ErrNotFound)
	check(t, "DeleteCase", h.s.DeleteCase(h.ctx, c.ID))
	got, err = h.s.ListCaseComments(h.ctx, c.ID)
	check(t, "ListCaseComments", err)
	if len(got) != 0 {
		t.Errorf("%d comments left after the case was deleted", len(got))
	}
}
