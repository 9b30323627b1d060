package server

import (
	"testing"

	"github.com/bulwarkhq/bulwark/alert"
)

func TestIntelOf(t *testing.T) {
	tests := []struct {
		rule alert.Rule
		want string
	}{
		{alert.Rule{Title: "Mimikatz"}, ""},
		{alert.Rule{Title: "C2 server", Tags: []string{"intel", "source:isac-feed", "confidence:80", "tlp:amber"}}, `"C2 server" from isac-feed, confidence 80`},
		{alert.Rule{Title: "bad domain", Tags: []string{"intel"}}, `"bad domain"`},
	}
	for _, tt := range tests {
		if got := intelOf(&alert.Alert{Rule: tt.rule}); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.rule, got, tt.want)
		}
	}
}
