package model

import "testing"

// TestPresenceLinks checks counts, distinct features and the links to a
// feature's previous instance, through growth and reset.
func TestPresenceLinks(t *testing.T) {
	var p presence
	p.reset(1) // 64 slots: the loop below grows the table twice
	const n = 100
	for k := range 2 * n {
		index := uint32(k%n) * 64 // every index wants the same home slot
		count, prev := p.addAt(index, int32(k))
		wantCount, wantPrev := 1, int32(-1)
		if k >= n {
			wantCount, wantPrev = 2, int32(k-n)
		}
		if count != wantCount || prev != wantPrev {
			t.Fatalf("addAt(%d, %d) = %d, %d; want %d, %d", index, k, count, prev, wantCount, wantPrev)
		}
	}
	if p.distinct != n {
		t.Errorf("distinct = %d, want %d", p.distinct, n)
	}
	if got := p.remove(0); got != 1 {
		t.Errorf("remove(0) = %d, want 1", got)
	}
	if got := p.remove(0); got != 0 || p.distinct != n-1 {
		t.Errorf("second remove(0) = %d (distinct %d), want 0 (%d)", got, p.distinct, n-1)
	}
	p.reset(4)
	if count, prev := p.addAt(64, 7); count != 1 || prev != -1 || p.distinct != 1 {
		t.Errorf("after reset: addAt = %d, %d (distinct %d), want 1, -1 (1)", count, prev, p.distinct)
	}
}
