package pattern

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bulwarkhq/bulwark/guard"
)

// Alphabets for fake tokens.
const (
	alUpperNum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	alAlnum    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	alHex      = "0123456789abcdef"
	alB64URL   = alAlnum + "-_"
	alB64      = alAlnum + "+/"
)

// fake returns a deterministic pseudo-random string over alphabet. Test
// tokens are built at run time so that no format-valid credential sits in
// the repository for secret scanners to trip on.
func fake(alphabet string, n int) string {
	x := uint32(2463534242) ^ uint32(n*7919+len(alphabet)*104729)
	var b strings.Builder
	for range n {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b.WriteByte(alphabet[x%uint32(len(alphabet))])
	}
	return b.String()
}

func kinds(fs []guard.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Kind
	}
	return out
}

// checkSpans fails if a finding's span lies outside text, its Match is not
// the spanned text (exfiltration findings match the host), or its score is
// outside [0, 1].
func checkSpans(t testing.TB, text string, fs []guard.Finding) {
	t.Helper()
	for _, f := range fs {
		if f.Start < 0 || f.End > len(text) || f.Start > f.End {
			t.Fatalf("%s/%s: span [%d,%d) outside text of %d bytes", f.Scanner, f.Kind, f.Start, f.End, len(text))
		}
		if f.Score < 0 || f.Score > 1 {
			t.Fatalf("%s/%s: score %v outside [0,1]", f.Scanner, f.Kind, f.Score)
		}
		if f.Category == "" || f.Kind == "" {
			t.Fatalf("%s: finding without category or kind: %+v", f.Scanner, f)
		}
	}
}

// expectOne scans text and wants a finding of kind whose Match contains
// want (the whole text when want is "").
func expectOne(t *testing.T, s guard.Scanner, text, kind, want string) {
	t.Helper()
	fs := s.Scan(guard.Segment{Role: guard.RoleUser, Text: text})
	checkSpans(t, text, fs)
	for _, f := range fs {
		if f.Kind == kind && strings.Contains(f.Match, want) {
			return
		}
	}
	t.Errorf("%s: want %s matching %q in %q, got %s", s.Name(), kind, want, text, describe(fs))
}

func describe(fs []guard.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "[%s %q %.2f] ", f.Kind, f.Match, f.Score)
	}
	if b.Len() == 0 {
		return "nothing"
	}
	return b.String()
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
