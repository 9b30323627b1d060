package hec

import "testing"

func TestSkipString(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{`"abc"x`, 5},
		{`"a\"b"x`, 6},
		{`"a\\"x`, 5},
		{`"a\\\"b"x`, 8},
		{`"C:\\Windows\\"x`, 15},
		{`""`, 2},
		{`"\\\\"`, 6},
	} {
		got, err := skipString([]byte(tc.in), 0)
		if err != nil || got != tc.want {
			t.Errorf("skipString(%s) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{`"abc`, `"a\"`, `"\`} {
		if _, err := skipString([]byte(in), 0); err == nil {
			t.Errorf("skipString(%s): no error for an unterminated string", in)
		}
	}
}
