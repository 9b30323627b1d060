package pattern

import (
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/guard"
)

// adversarial are inputs built to make a careless matcher rescan: anchors
// repeated without their closing parts.
var adversarial = []string{
	"](", "![a](", "<img ", "<img src=x", "[", "eyJ-", "eyJ" + strings.Repeat("a", 30) + ".",
	"-----BEGIN RSA PRIVATE KEY-----\n", "-----BEGIN ", "PuTTY-User-Key-File-\n",
	"password=", "a=", "api_key: x", "://", "x://a:b", "@", "a@b", "a.", "1 ", "+1 ", "(1", "1-",
	"\u200B", "\U000E0041", "\u202E", "раураӏ ", "1gn0r3 ", "𝐢", "QUFB", "41", "sk-", "ghp_", "AKIA",
	"hooks.slack.com/", "https://x/", "DE89 ", "AB 12 ",
}

// TestLinearTime feeds each adversarial pattern at two sizes and wants the
// larger (4x the bytes) to take well under 16x as long, i.e. no quadratic
// behaviour. Times are the best of three to shrug off a busy machine.
func TestLinearTime(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("timing test")
	}
	scanners := All(Options{})
	scanners = append(scanners, normalizer{})
	best := func(text string) time.Duration {
		b := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			scanAll(scanners, guard.Segment{Role: guard.RoleOutput, Text: text})
			b = min(b, time.Since(start))
		}
		return b
	}
	for _, a := range adversarial {
		small := strings.Repeat(a, (64<<10)/len(a))
		large := strings.Repeat(a, (256<<10)/len(a))
		ts, tl := best(small), best(large)
		if tl > 10*time.Millisecond {
			t.Logf("%q: 256 KB in %v", a, tl)
		}
		if tl > 8*ts+5*time.Millisecond {
			t.Errorf("%q: 64 KB in %v, 256 KB in %v: worse than linear", a, ts, tl)
		}
		if tl > 500*time.Millisecond {
			t.Errorf("%q: 256 KB took %v", a, tl)
		}
	}
}

// normalizer runs Normalize and Decoded as if they were a scanner.
type normalizer struct{}

func (normalizer) Name() string { return "normalize" }
func (normalizer) Scan(seg guard.Segment) []guard.Finding {
	Normalize(seg.Text)
	Decoded(seg.Text)
	return nil
}
