package model

import (
	"fmt"

	"github.com/bulwarkhq/bulwark/guard"
)

// Scanner is the classifier as a guard.Scanner. It reports one finding per
// harmful class with that class's probability; the policy's thresholds
// decide which count. Tool results and documents are scored as such (see
// Classifier.ScoreRole). Assistant output and the team's own system prompt
// are not classified: injection comes in, it is not written by the model.
type Scanner struct{ c *Classifier }

// NewScanner returns a scanner using c (nil: the embedded classifier).
func NewScanner(c *Classifier) (*Scanner, error) {
	if c == nil {
		var err error
		if c, err = DefaultClassifier(); err != nil {
			return nil, err
		}
	}
	return &Scanner{c: c}, nil
}

// Name implements guard.Scanner.
func (s *Scanner) Name() string { return "classifier" }

// Scan implements guard.Scanner.
func (s *Scanner) Scan(seg guard.Segment) []guard.Finding {
	switch seg.Role {
	case guard.RoleSystem, guard.RoleAssistant, guard.RoleOutput:
		return nil
	}
	sc := s.c.ScoreRole(seg.Text, seg.Role)
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
