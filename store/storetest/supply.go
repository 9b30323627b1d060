package storetest

import (
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/store"
	"github.com/bulwarkhq/bulwark/supply"
)

// supplyFinding is a finding of advisory id on an npm package, KEV-listed
// when kev is set.
func supplyFinding(name, ver, id, priority string, kev bool) supply.Finding {
	f := supply.Finding{
		Package:  supply.Package{Ecosystem: supply.Npm, Name: name, Version: ver, Locations: []supply.Location{{File: "package-lock.json", Line: 12}}},
		ID:       id,
		Aliases:  []string{"CVE-2021-" + id[len(id)-4:]},
		Fixed:    []string{"9.9.9"},
		Priority: priority,
		CVSS:     7.5,
	}
	if kev {
		f.KEV = &supply.KEVEntry{CVE: f.Aliases[0], DateAdded: "2024-01-02"}
	}
	return f
}

// The lifecycle of one finding: open, still open (first seen kept, last
// seen and enrichment updated), fixed when a scan lacks it, and when it
// comes back a new open row with a new id and first seen: the store
// chooses a new exposure over reopening the old one, so that "open for N
// days" never counts the time it was gone.
func testSupplyLifecycle(t *testing.T, h *harness) {
	t1, t2, t3, t4 := base, base.Add(24*time.Hour), base.Add(48*time.Hour), base.Add(72*time.Hour)
	lodash := supplyFinding("lodash", "4.17.20", "GHSA-0001", "medium", false)
	other := supplyFinding("minimist", "1.2.0", "GHSA-0002", "low", false)

	sum, err := h.s.RecordScan(h.ctx, "shop", t1, []supply.Finding{lodash, other, lodash})
	check(t, "RecordScan 1", err)
	if sum.Findings != 2 || sum.Opened != 2 || sum.Fixed != 0 || sum.Stale {
		t.Errorf("scan 1 = %+v, want 2 findings, 2 opened", sum)
	}
	// The same package spelled differently is the same finding.
	upd := lodash
	upd.Package.Name = "Lodash"
	upd.KEV = &supply.KEVEntry{CVE: "CVE-2021-0001", DateAdded: "2025-01-01"}
	upd.Priority = "critical"
	sum, err = h.s.RecordScan(h.ctx, "shop", t2, []supply.Finding{upd, other})
	check(t, "RecordScan 2", err)
	if sum.Opened != 0 || sum.Fixed != 0 {
		t.Errorf("scan 2 = %+v, want nothing opened or fixed", sum)
	}
	got := listSupply(t, h, store.SupplyFilter{Project: "shop"})
	if len(got) != 2 {
		t.Fatalf("after scan 2: %d findings, want 2", len(got))
	}
	first := got[0]
	if first.Finding.ID != "GHSA-0001" || first.Finding.KEV == nil || first.Finding.Priority != "critical" {
		t.Errorf("first = %+v, want the updated, now KEV-listed lodash finding first", first.Finding)
	}
	checkTime(t, "first seen kept", first.FirstSeen, t1)
	checkTime(t, "last seen", first.LastSeen, t2)
	if !first.Open() {
		t.Errorf("finding closed after scan 2")
	}

	// Scan 3 lacks lodash: it is fixed at the scan's time.
	sum, err = h.s.RecordScan(h.ctx, "shop", t3, []supply.Finding{other})
	check(t, "RecordScan 3", err)
	if sum.Fixed != 1 || sum.Opened != 0 {
		t.Errorf("scan 3 = %+v, want 1 fixed", sum)
	}
	if open := listSupply(t, h, store.SupplyFilter{Project: "shop", Open: true}); len(open) != 1 || open[0].Finding.ID != "GHSA-0002" {
		t.Errorf("open after scan 3: %+v", open)
	}
	all := listSupply(t, h, store.SupplyFilter{Project: "shop"})
	if len(all) != 2 || all[1].ID != first.ID {
		t.Fatalf("after scan 3: %+v, want the fixed finding listed after the open one", all)
	}
	checkTime(t, "fixed", all[1].Fixed, t3)

	// Back in scan 4: a new exposure.
	sum, err = h.s.RecordScan(h.ctx, "shop", t4, []supply.Finding{lodash, other})
	check(t, "RecordScan 4", err)
	if sum.Opened != 1 {
		t.Errorf("scan 4 = %+v, want 1 opened", sum)
	}
	open := listSupply(t, h, store.SupplyFilter{Project: "shop", Open: true})
	var back store.SupplyFinding
	for _, f := range open {
		if f.Finding.ID == "GHSA-0001" {
			back = f
		}
	}
	if back.ID == 0 || back.ID == first.ID {
		t.Fatalf("reappeared finding: id %d, want a new row (old id %d)", back.ID, first.ID)
	}
	checkTime(t, "reopened first seen", back.FirstSeen, t4)
	if all := listSupply(t, h, store.SupplyFilter{Project: "shop"}); len(all) != 3 {
		t.Errorf("history: %d rows, want 3 (the fixed one kept)", len(all))
	}

	// A scan older than the latest is recorded but changes nothing.
	sum, err = h.s.RecordScan(h.ctx, "shop", t2, nil)
	check(t, "RecordScan stale", err)
	if !sum.Stale || sum.Fixed != 0 {
		t.Errorf("stale scan = %+v, want stale, nothing fixed", sum)
	}
	if open := listSupply(t, h, store.SupplyFilter{Project: "shop", Open: true}); len(open) != 2 {
		t.Errorf("after a stale scan: %d open, want 2", len(open))
	}

	h.reopen()
	if open := listSupply(t, h, store.SupplyFilter{Project: "shop", Open: true}); len(open) != 2 {
		t.Errorf("after reopen: %d open, want 2", len(open))
	}
}

// Filters, order and the per-project summary.
func testSupplyList(t *testing.T, h *harness) {
	at := base
	_, err := h.s.RecordScan(h.ctx, "api", at, []supply.Finding{
		supplyFinding("low-pkg", "1.0.0", "GHSA-1001", "low", false),
		supplyFinding("kev-pkg", "2.0.0", "GHSA-1002", "critical", true),
		supplyFinding("high-pkg", "3.0.0", "GHSA-1003", "high", false),
	})
	check(t, "RecordScan api", err)
	_, err = h.s.RecordScan(h.ctx, "web", at.Add(time.Hour), []supply.Finding{
		supplyFinding("kev-pkg", "2.0.0", "GHSA-1002", "critical", true),
	})
	check(t, "RecordScan web", err)
	_, err = h.s.RecordScan(h.ctx, "web", at.Add(2*time.Hour), nil)
	check(t, "RecordScan web empty", err)

	tests := []struct {
		name string
		f    store.SupplyFilter
		want []string // project/advisory, in order
	}{
		{"all", store.SupplyFilter{}, []string{"api/GHSA-1002", "api/GHSA-1003", "api/GHSA-1001", "web/GHSA-1002"}},
		{"open", store.SupplyFilter{Open: true}, []string{"api/GHSA-1002", "api/GHSA-1003", "api/GHSA-1001"}},
		{"kev", store.SupplyFilter{KEV: true}, []string{"api/GHSA-1002", "web/GHSA-1002"}},
		{"project", store.SupplyFilter{Project: "web"}, []string{"web/GHSA-1002"}},
		{"limit", store.SupplyFilter{Open: true, Limit: 2}, []string{"api/GHSA-1002", "api/GHSA-1003"}},
		{"none", store.SupplyFilter{Project: "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listSupply(t, h, tt.f)
			var keys []string
			for _, f := range got {
				keys = append(keys, f.Project+"/"+f.Finding.ID)
			}
			if len(keys) != len(tt.want) {
				t.Fatalf("got %v, want %v", keys, tt.want)
			}
			for i := range keys {
				if keys[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", keys, tt.want)
				}
			}
		})
	}
	projects, err := h.s.ListSupplyProjects(h.ctx)
	check(t, "ListSupplyProjects", err)
	if len(projects) != 2 || projects[0].Name != "api" || projects[1].Name != "web" {
		t.Fatalf("projects = %+v", projects)
	}
	api, web := projects[0], projects[1]
	if api.Open != 3 || api.OpenKEV != 1 || api.Scans != 1 || api.ByPriority["critical"] != 1 || api.ByPriority["high"] != 1 || api.ByPriority["low"] != 1 {
		t.Errorf("api = %+v", api)
	}
	checkTime(t, "api last scan", api.LastScan, at)
	if web.Open != 0 || web.Scans != 2 || web.ByPriority["critical"] != 0 {
		t.Errorf("web = %+v", web)
	}
	checkTime(t, "web last scan", web.LastScan, at.Add(2*time.Hour))
	if _, err := h.s.RecordScan(h.ctx, "", at, nil); err == nil {
		t.Errorf("RecordScan with no project: no error")
	}
}

func listSupply(t *testing.T, h *harness, f store.SupplyFilter) []store.SupplyFinding {
	t.Helper()
	got, err := h.s.ListSupplyFindings(h.ctx, f)
	check(t, "ListSupplyFindings", err)
	return got
}
