package guard

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Rule is what the policy does about one category.
type Rule struct {
	Action    Action  `yaml:"action" json:"action"`
	Threshold float64 `yaml:"threshold" json:"threshold"` // findings scoring below are ignored
	// Roles limits the rule to segments of these roles; empty means all.
	Roles []Role `yaml:"roles,omitempty" json:"roles,omitempty"`
	// Allow lists matches that never count: a literal, "*.example.com" for a
	// host and its subdomains, or "re:" followed by a regular expression.
	Allow []string `yaml:"allow,omitempty" json:"allow,omitempty"`

	allow []matcher
}

func (r Rule) applies(role Role) bool {
	return len(r.Roles) == 0 || slices.Contains(r.Roles, role)
}

func (r Rule) allowed(match string) bool {
	if match == "" {
		return false
	}
	for _, m := range r.allow {
		if m(match) {
			return true
		}
	}
	return false
}

type matcher func(string) bool

func compileAllow(entries []string) ([]matcher, error) {
	ms := make([]matcher, 0, len(entries))
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e, "re:"):
			re, err := regexp.Compile(e[3:])
			if err != nil {
				return nil, fmt.Errorf("allow %q: %w", e, err)
			}
			ms = append(ms, re.MatchString)
		case strings.HasPrefix(e, "*."):
			suffix := strings.ToLower(e[1:])
			ms = append(ms, func(s string) bool {
				s = strings.ToLower(s)
				return strings.HasSuffix(s, suffix) || s == suffix[1:]
			})
		default:
			ms = append(ms, func(s string) bool { return strings.EqualFold(s, e) })
		}
	}
	return ms, nil
}

// Policy maps each category to a rule, with overrides per application or
// API key name.
type Policy struct {
	Default map[Category]Rule            `yaml:"default" json:"default"`
	Apps    map[string]map[Category]Rule `yaml:"apps,omitempty" json:"apps,omitempty"`

	resolved map[string]map[Category]Rule
}

// DefaultPolicy blocks injection, jailbreaks, misuse and exfiltration,
// redacts secrets, personal data and hidden characters, and flags
// obfuscation. Injection is looked for where it comes from: user turns,
// tool results and retrieved documents, never the team's own system prompt.
func DefaultPolicy() *Policy {
	inbound := []Role{RoleUser, RoleTool, RoleDocument}
	p := &Policy{Default: map[Category]Rule{
		// The classifier's operating points (model.DefaultThresholds).
		Injection:    {Action: Block, Threshold: 0.9, Roles: inbound},
		Jailbreak:    {Action: Block, Threshold: 0.9, Roles: inbound},
		Misuse:       {Action: Block, Threshold: 0.65, Roles: []Role{RoleUser}},
		Secret:       {Action: Redact, Threshold: 0.5},
		PII:          {Action: Redact, Threshold: 0.5},
		HiddenText:   {Action: Redact, Threshold: 0.5},
		Obfuscation:  {Action: Flag, Threshold: 0.5, Roles: inbound},
		Exfiltration: {Action: Block, Threshold: 0.5, Roles: []Role{RoleOutput, RoleAssistant, RoleTool, RoleDocument}},
	}}
	if err := p.resolve(); err != nil {
		panic(err) // the defaults are constants
	}
	return p
}

// LoadPolicy reads a YAML policy file. Categories it leaves out keep the
// default rule; fields a rule leaves out keep the default's value.
func LoadPolicy(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := ParsePolicy(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParsePolicy reads a YAML policy; see LoadPolicy.
func ParsePolicy(r io.Reader) (*Policy, error) {
	var in Policy
	dec := yaml.NewDecoder(io.LimitReader(r, 1<<20))
	dec.KnownFields(true)
	if err := dec.Decode(&in); err != nil && err != io.EOF {
		return nil, err
	}
	p := DefaultPolicy()
	for c, r := range in.Default {
		p.Default[c] = merge(p.Default[c], r)
	}
	p.Apps = in.Apps
	if err := p.resolve(); err != nil {
		return nil, err
	}
	return p, nil
}

func merge(base, over Rule) Rule {
	if over.Action != "" {
		base.Action = over.Action
	}
	if over.Threshold != 0 {
		base.Threshold = over.Threshold
	}
	if over.Roles != nil {
		base.Roles = over.Roles
	}
	if over.Allow != nil {
		base.Allow = over.Allow
	}
	return base
}

// resolve validates the policy and merges each application's overrides
// with the defaults once, so Check does no work per call.
func (p *Policy) resolve() error {
	valid := func(where string, c Category, r *Rule) error {
		if !slices.Contains(Categories, c) {
			return fmt.Errorf("%s: unknown category %q (want one of %v)", where, c, Categories)
		}
		switch r.Action {
		case Allow, Flag, Redact, Block:
		default:
			return fmt.Errorf("%s.%s: unknown action %q (want allow, flag, redact or block)", where, c, r.Action)
		}
		if r.Threshold < 0 || r.Threshold > 1 {
			return fmt.Errorf("%s.%s: threshold %v outside [0, 1]", where, c, r.Threshold)
		}
		ms, err := compileAllow(r.Allow)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", where, c, err)
		}
		r.allow = ms
		return nil
	}
	for c, r := range p.Default {
		if err := valid("default", c, &r); err != nil {
			return err
		}
		p.Default[c] = r
	}
	p.resolved = map[string]map[Category]Rule{"": p.Default}
	for app, over := range p.Apps {
		rules := make(map[Category]Rule, len(p.Default))
		for c, r := range p.Default {
			rules[c] = r
		}
		for c, r := range over {
			m := merge(p.Default[c], r)
			if err := valid("apps."+app, c, &m); err != nil {
				return err
			}
			rules[c] = m
		}
		p.resolved[app] = rules
	}
	return nil
}

func (p *Policy) rulesFor(app string) map[Category]Rule {
	if r, ok := p.resolved[app]; ok {
		return r
	}
	return p.resolved[""]
}
