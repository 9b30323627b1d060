package ac

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
)

func naive(needles []string, s string) []int32 {
	var out []int32
	for i, n := range needles {
		if n != "" && strings.Contains(s, n) {
			out = append(out, int32(i))
		}
	}
	return out
}

func TestScan(t *testing.T) {
	tests := []struct {
		needles []string
		text    string
	}{
		{[]string{"he", "she", "his", "hers"}, "ushers"},
		{[]string{"cmd.exe", "cmd", "md.e", "exe"}, `c:\windows\system32\cmd.exe /c whoami`},
		{[]string{"aaa", "aa", "a"}, "aaaa"},
		{[]string{"abc"}, ""},
		{[]string{"", "x"}, "xyz"},
		{[]string{"\xe2\x80\x93", "-"}, "a\xe2\x80\x93b"},
	}
	for _, tt := range tests {
		a := Build(tt.needles)
		marks := make([]uint32, a.Len())
		got, _ := a.Scan(tt.text, marks, 1, nil)
		slices.Sort(got)
		if want := naive(tt.needles, tt.text); !slices.Equal(got, want) {
			t.Errorf("needles %q in %q: got %v, want %v", tt.needles, tt.text, got, want)
		}
	}
}

func TestScanRandom(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcd\\.x"[r.Intn(7)]
		}
		return string(b)
	}
	for iter := 0; iter < 300; iter++ {
		needles := make([]string, 1+r.Intn(30))
		for i := range needles {
			needles[i] = word(1 + r.Intn(5))
		}
		a := Build(needles)
		marks := make([]uint32, a.Len())
		for k := 0; k < 5; k++ {
			text := word(r.Intn(60))
			got, _ := a.Scan(text, marks, uint32(iter*5+k+1), nil)
			slices.Sort(got)
			// Duplicate needles: each id is reported.
			if want := naive(needles, text); !slices.Equal(got, want) {
				t.Fatalf("needles %q in %q: got %v, want %v", needles, text, got, want)
			}
		}
	}
}

func BenchmarkScan(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	needles := make([]string, 10000)
	for i := range needles {
		n := make([]byte, 6+r.Intn(10))
		for j := range n {
			n[j] = byte('a' + r.Intn(26))
		}
		needles[i] = string(n)
	}
	a := Build(needles)
	text := strings.Repeat(`c:\windows\system32\windowspowershell\v1.0\powershell.exe -nop -w hidden -enc `, 4)
	marks := make([]uint32, a.Len())
	b.ResetTimer()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	var hits []int32
	for i := 0; i < b.N; i++ {
		hits, _ = a.Scan(text, marks, uint32(i+1), hits[:0])
	}
	b.ReportMetric(float64(a.States()), "states")
}

func TestFoldASCII(t *testing.T) {
	a := Build([]string{"powershell", "kiwi", "é"})
	a.FoldASCII()
	marks := make([]uint32, a.Len())
	got, ascii := a.Scan(`C:\Windows\PowerShell.EXE KIWI`, marks, 1, nil)
	slices.Sort(got)
	if !slices.Equal(got, []int32{0, 1}) || !ascii {
		t.Errorf("got %v ascii=%v", got, ascii)
	}
	if _, ascii := a.Scan("Éclair", marks, 2, nil); ascii {
		t.Error("non-ASCII text reported as ASCII")
	}
}
