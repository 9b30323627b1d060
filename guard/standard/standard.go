// Package standard assembles Bulwark's standard guard: the prompt
// classifier and every pattern scanner under one policy. The CLI, the proxy
// inside `bulwark serve` and the copilot all build their guard here, so
// they scan alike.
package standard

import (
	"github.com/bulwarkhq/bulwark/guard"
	"github.com/bulwarkhq/bulwark/guard/model"
	"github.com/bulwarkhq/bulwark/guard/pattern"
)

// Options configures the standard guard.
type Options struct {
	// Policy decides what findings do; nil is guard.DefaultPolicy.
	Policy *guard.Policy
	// AllowedHosts may receive data in links and images of model output.
	AllowedHosts []string
}

// New returns the standard guard. Encoded payloads (base64, hex) are
// decoded and rescanned by the classifier as well as by the secret and
// personal-data scanners, so an injection does not hide in base64.
func New(opts Options) (*guard.Guard, error) {
	classifier, err := model.NewScanner(nil)
	if err != nil {
		return nil, err
	}
	secrets, pii := pattern.NewSecrets(), pattern.NewPII()
	return guard.New(opts.Policy,
		classifier,
		secrets,
		pii,
		pattern.NewHidden(),
		pattern.NewObfuscation(secrets, pii, classifier),
		pattern.NewExfil(opts.AllowedHosts),
	), nil
}

// Scorer adapts a guard to model.Evaluate: a text's scores are those of the
// whole guard checking it as a user turn, decoded payloads included.
type Scorer struct {
	Guard *guard.Guard
	App   string
}

// Score implements model.Scorer.
func (s Scorer) Score(text string) model.Scores { return s.ScoreRole(text, guard.RoleUser) }

// ScoreRole implements model.RoleScorer: the text is checked as a segment
// of that role (a tool result, a retrieved document).
func (s Scorer) ScoreRole(text string, role guard.Role) model.Scores {
	v := s.Guard.Check(s.App, []guard.Segment{{Role: role, Text: text}})
	return model.Scores{Injection: v.Scores[guard.Injection], Jailbreak: v.Scores[guard.Jailbreak], Misuse: v.Scores[guard.Misuse]}
}
