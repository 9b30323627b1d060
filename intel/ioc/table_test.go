package ioc

import (
	"reflect"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/intel"
)

// TestTableRoundTrip checks that the compact copy gives every field back
// exactly, whatever form the id takes.
func TestTableRoundTrip(t *testing.T) {
	from := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	until := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	inds := []intel.Indicator{
		{
			ID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Name: "C2 server", Description: "Seen in the March campaign.",
			Pattern: "[ipv4-addr:value = '198.51.100.7']", PatternType: "stix", ValidFrom: from, ValidUntil: until,
			Confidence: 85, TLP: intel.TLPAmber, Labels: []string{"malicious-activity", "c2"}, Source: "taxii:isac",
			KillChain: []string{"T1071.001", "command-and-control"},
		},
		{ID: "indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F", Pattern: "[domain-name:value = 'evil.example']", Source: "taxii:isac"},
		{ID: "indicator--00000000-0000-0000-0000-000000000000", Pattern: "[domain-name:value = 'x.example']"},
		{ID: "my-own-id", Pattern: "[email-addr:value = 'a@b.example']", Labels: []string{"malicious-activity", "c2"}},
		{Pattern: "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", ValidFrom: time.Unix(0, 0).UTC()},
	}
	s, r := Compile(inds, Options{})
	if r.Compiled != len(inds) {
		t.Fatalf("report %+v", r)
	}
	got := s.Indicators()
	for i := range inds {
		if !reflect.DeepEqual(got[i], inds[i]) {
			t.Errorf("indicator %d:\n got %+v\nwant %+v", i, got[i], inds[i])
		}
	}
	// Validity is read from the compact form too.
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{from.Add(-time.Nanosecond), false},
		{from, true},
		{until.Add(-time.Second), true},
		{until, false},
	} {
		if v := s.tab.valid(0, tc.at); v != tc.want {
			t.Errorf("valid at %v = %v, want %v", tc.at, v, tc.want)
		}
	}
	if !s.tab.valid(3, time.Time{}) {
		t.Error("an indicator without validity bounds is not valid")
	}
}

func TestParseUUID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", true},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3", false},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3fa", false},
		{"indicator--8e2e2d2b017d4-4cbf-938f-98ee46b3cd3f", false},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cdg3", false},
		{"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", false},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd-f", false},
	} {
		u, ok := parseUUID(tc.id)
		if ok != tc.ok {
			t.Errorf("parseUUID(%q) ok = %v", tc.id, ok)
		}
		if ok && formatUUID(u) != tc.id {
			t.Errorf("formatUUID = %q, want %q", formatUUID(u), tc.id)
		}
	}
}
