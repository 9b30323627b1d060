package pattern

import (
	"fmt"
	"strings"
	"testing"

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

// TestAdversarialInputs runs every scanner over each adversarial pattern
// repeated to 256 KB: none may panic or report a span outside the text.
// How long they take is measured by BenchmarkAdversarial, not asserted
// here (machines are noisy).
func TestAdversarialInputs(t *testing.T) {
	scanners := append(All(Options{}), normalizer{})
	for _, a := range adversarial {
		text := strings.Repeat(a, (256<<10)/len(a))
		for _, s := range scanners {
			for _, f := range s.Scan(guard.Segment{Role: guard.RoleOutput, Text: text}) {
				if f.Start < 0 || f.End > len(text) || f.Start > f.End {
					t.Fatalf("%s on %q: span %d-%d outside %d bytes", s.Name(), a, f.Start, f.End, len(text))
				}
			}
		}
	}
}

// BenchmarkAdversarial times each adversarial pattern at 64 KB and 256 KB:
// the second should take about four times the first (linear time).
func BenchmarkAdversarial(b *testing.B) {
	scanners := append(All(Options{}), normalizer{})
	for i, a := range adversarial {
		for _, size := range []int{64 << 10, 256 << 10} {
			text := strings.Repeat(a, size/len(a))
			b.Run(fmt.Sprintf("%02d/%dKB", i, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					scanAll(scanners, guard.Segment{Role: guard.RoleOutput, Text: text})
				}
			})
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
