package ts

import (
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

func TestParse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
		{"2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.123456789Z"},
		{"2024-01-02T03:04:05.1234567891Z", "2024-01-02T03:04:05.123456789Z"},
		{"2024-01-02T03:04:05+01:00", "2024-01-02T02:04:05Z"},
		{"2016-02-27T14:57:37.019209+0000", "2016-02-27T14:57:37.019209Z"}, // Suricata
		{"2024-01-02T03:04:05-05", "2024-01-02T08:04:05Z"},
		{"2025-11-27 07:40:10.132", "2025-11-27T07:40:10.132Z"}, // Sysmon UtcTime
		{"2024-01-02 03:04:05,5", "2024-01-02T03:04:05.5Z"},
		{"2024-01-02T03:04", "2024-01-02T03:04:00Z"},
		{"2024-01-02", "2024-01-02T00:00:00Z"},
		{"2024-01-02 03:04:05 UTC", "2024-01-02T03:04:05Z"},
		{"2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999999999Z"},
		{"1700000000", "2023-11-14T22:13:20Z"},
		{"1700000000.123456", "2023-11-14T22:13:20.123456Z"},
		{"1700000000123", "2023-11-14T22:13:20.123Z"},
		{"1700000000123456", "2023-11-14T22:13:20.123456Z"},
		{"1700000000123456789", "2023-11-14T22:13:20.123456789Z"},
		{"Mon, 02 Jan 2006 15:04:05 -0700", "2006-01-02T22:04:05Z"},
		{"10/Oct/2000:13:55:36 -0700", "2000-10-10T20:55:36Z"},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in)
		if !ok {
			t.Errorf("Parse(%q) failed", tt.in)
			continue
		}
		if s := got.Format(time.RFC3339Nano); s != tt.want {
			t.Errorf("Parse(%q) = %s, want %s", tt.in, s, tt.want)
		}
	}
	for _, bad := range []string{"", "12", "12.5", "2024-13-01", "2024-02-30", "2024-01-02T25:00:00Z",
		"2024-01-02T03:04:05+25:00", "2024-01-02X", "XXXXXXXXXX.XXXXXX", "1e9", "-1700000000", "not a time", "2024-01-02T03:04:05.Z"} {
		if got, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) = %v, want failure", bad, got)
		}
	}
}

func TestFromValue(t *testing.T) {
	if got, ok := FromValue(event.Value{Kind: event.KindFloat, Str: "1700000000.5"}); !ok || got.UnixMilli() != 1700000000500 {
		t.Errorf("float: %v %v", got, ok)
	}
	if _, ok := FromValue(event.Bool(true)); ok {
		t.Error("bool accepted")
	}
	if _, ok := FromValue(event.Int(42)); ok {
		t.Error("small int accepted as a time")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2024-01-02T03:04:05.123+01:00", "1700000000.123", "Mon, 02 Jan 2006 15:04:05 -0700"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		Parse(s)
		Epoch(s)
	})
}
