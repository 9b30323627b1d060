package model

import (
	"fmt"

	"github.com/bulwarkhq/bulwark/guard"
)

// Scanner is the classifier as a guard.Scanner. It reports one finding per
// harmful class with that class's probability; the policy's thresholds
// decide which count. Assistant output and the team's own system prompt are
// not classified: injection comes in, it is not written by the model.
type Scanner struct{ m *Model }

// NewScanner returns a scanner using m (nil: the embedded model).
func NewScanner(m *Model) (*Scanner, error) {
	if m == nil {
		var err error
		if m, err = Default(); err != nil {
			return nil, err
		}
	}
	return &Scanner{m: m}, nil
}

// Name implements guard.Scanner.
func (s *Scanner) Name() string { return "classifier" }

// Scan implements guard.Scanner.
func (s *Scanner) Scan(seg guard.Segment) []guard.Finding {
	switch seg.Role {
	case guard.RoleSystem, guard.RoleAssistant, guard.RoleOutput:
		return nil
	}
	sc := s.m.Score(seg.Text)
	fs := make([]guard.Finding, 0, 3)
	for _, c := range []int{ClassInjection, ClassJailbreak, ClassMisuse} {
		p := sc.Of(c)
		fs = append(fs, guard.Finding{
			Scanner:  s.Name(),
			Category: classCategory[c],
			Kind:     ClassNames[c],
			Score:    p,
			Detail:   fmt.Sprintf("%s probability %.2f", ClassNames[c], p),
		})
	}
	return fs
}
