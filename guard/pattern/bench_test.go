package pattern

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/guard"
)

// prompt4KB is a realistic 4 KB prompt: English prose, a stack trace, a
// code snippet, a couple of emails, one AWS key and one phone number.
func prompt4KB() string {
	parts := []string{
		"Hi! I'm working on the quarterly migration of our billing service and I need help reviewing a few things before Friday's release. ",
		"Our team moved from the old monolith to three services last year, and since then the on-call rotation has been painful. ",
		"The main issue is that retries in the payment client are not idempotent, so a timeout at the gateway sometimes charges a customer twice. ",
		"Could you look at the snippet below and suggest how to add an idempotency key without changing the public API?\n\n",
		"```go\nfunc (c *Client) Charge(ctx context.Context, req ChargeRequest) (*Receipt, error) {\n\tfor attempt := 0; attempt < 3; attempt++ {\n\t\tresp, err := c.http.Post(c.base+\"/v2/charges\", \"application/json\", encode(req))\n\t\tif err == nil && resp.StatusCode < 500 {\n\t\t\treturn decode(resp)\n\t\t}\n\t\ttime.Sleep(backoff(attempt))\n\t}\n\treturn nil, ErrGatewayTimeout\n}\n```\n\n",
		"Also, the deploy script still has a hard-coded credential (AWS_ACCESS_KEY_ID=AKIA" + fake(alUpperNum, 16) + ") which I know is bad; ",
		"please tell me how to move it into the secrets manager. If anything is unclear, email me at maria.lopez@example.com or ",
		"ping my colleague jonas.schmidt@example.org, or call +1 415 555 0132 after 3 pm Pacific time.\n\n",
		"Here is the error we saw in production on 2024-03-18 at 02:14 UTC (request id 123e4567-e89b-12d3-a456-426614174000):\n",
		"panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x4a2b3c]\n",
		"goroutine 1 [running]:\nmain.(*Client).Charge(0xc000010000, {0x5a1f20, 0xc000012345})\n\t/app/billing/client.go:42 +0x1c5\n\n",
		"We are on version 1.14.2 of the client, Go 1.22, and the gateway is behind an nginx 1.25 proxy at 10.20.30.40. ",
		"The fix in commit 9fceb02d0ae598e95dc970b74767f19372d61af8 did not help. Order numbers like 100234567 appear twice in the ledger. ",
		"Finally, please summarise the trade-offs between storing idempotency keys in Redis with a 24-hour TTL versus a Postgres table with a unique index, ",
		"keeping in mind that we process about 1,200 charges per minute at peak and that the finance team wants a full audit trail for seven years. ",
		"Thanks a lot for your help; a short answer with bullet points is perfect, and a longer explanation of the retry semantics would be a bonus.\n",
	}
	var b strings.Builder
	for b.Len() < 4096 {
		for _, p := range parts {
			b.WriteString(p)
		}
	}
	return b.String()[:4096]
}

func scanAll(scanners []guard.Scanner, seg guard.Segment) int {
	n := 0
	for _, s := range scanners {
		n += len(s.Scan(seg))
	}
	return n
}

func BenchmarkAll4KB(b *testing.B) {
	scanners := All(Options{AllowedHosts: []string{"*.example.com"}})
	seg := guard.Segment{Role: guard.RoleUser, Text: prompt4KB()}
	b.SetBytes(int64(len(seg.Text)))
	b.ReportAllocs()
	for b.Loop() {
		scanAll(scanners, seg)
	}
}

// BenchmarkAll4KBLatency reports the median and 99th percentile of single
// scans of the 4 KB prompt by all pattern scanners.
func BenchmarkAll4KBLatency(b *testing.B) {
	scanners := All(Options{AllowedHosts: []string{"*.example.com"}})
	seg := guard.Segment{Role: guard.RoleUser, Text: prompt4KB()}
	var d []time.Duration
	for b.Loop() {
		start := time.Now()
		scanAll(scanners, seg)
		d = append(d, time.Since(start))
	}
	p50, p99 := percentiles(d)
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
}

func BenchmarkScanner4KB(b *testing.B) {
	seg := guard.Segment{Role: guard.RoleUser, Text: prompt4KB()}
	for _, s := range All(Options{}) {
		b.Run(s.Name(), func(b *testing.B) {
			b.SetBytes(int64(len(seg.Text)))
			for b.Loop() {
				s.Scan(seg)
			}
		})
	}
}

func BenchmarkNormalize4KB(b *testing.B) {
	s := prompt4KB()
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		Normalize(s)
	}
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	return d[len(d)/2], d[min(len(d)-1, len(d)*99/100)]
}

// TestPrompt4KBFindings keeps the benchmark honest: the prompt holds what
// it claims and the scanners find it.
func TestPrompt4KBFindings(t *testing.T) {
	seg := guard.Segment{Role: guard.RoleUser, Text: prompt4KB()}
	var got []string
	for _, s := range All(Options{}) {
		got = append(got, kinds(s.Scan(seg))...)
	}
	for _, want := range []string{"aws_access_key", "email", "phone"} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %s in %v", want, got)
		}
	}
	t.Logf("findings: %v", got)
}
