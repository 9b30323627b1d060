package evidence

import (
	"context"
	"slices"
	"strings"

	"github.com/bulwarkhq/bulwark/attack"
	"github.com/bulwarkhq/bulwark/copilot"
	"github.com/bulwarkhq/bulwark/sigma"
	"github.com/bulwarkhq/bulwark/store"
)

// StoreReader is the part of a store.Store that Gather reads.
type StoreReader interface {
	GetCase(ctx context.Context, id int64) (store.Case, error)
	GetAlert(ctx context.Context, id int64) (store.StoredAlert, error)
	ScanEvents(ctx context.Context, f store.EventFilter, fn func(*store.StoredEvent) error) error
}

// RuleLookup describes a rule by the key RuleKey gives its alerts.
type RuleLookup func(key string) (copilot.RuleInfo, bool)

// FromStore makes a Source of a store, a rule lookup (RuleIndex of the
// running rule set) and an ATT&CK knowledge base. rules and kb may be nil:
// rules are then described from the copy each alert keeps, and techniques
// by id alone.
func FromStore(st StoreReader, rules RuleLookup, kb *attack.KB) Source {
	return storeSource{StoreReader: st, rules: rules, kb: kb}
}

type storeSource struct {
	StoreReader
	rules RuleLookup
	kb    *attack.KB
}

func (s storeSource) Rule(key string) (copilot.RuleInfo, bool) {
	if s.rules == nil {
		return copilot.RuleInfo{}, false
	}
	return s.rules(key)
}

func (s storeSource) Technique(id string) (attack.Technique, bool) {
	if s.kb == nil {
		return attack.Technique{}, false
	}
	return s.kb.Technique(id)
}

// RuleIndex indexes a compiled rule set's rules and correlations by the
// key their alerts get (id, else title), keeping what the copilot needs.
// The index is a snapshot: build a new one when the rules are reloaded.
func RuleIndex(rs *sigma.RuleSet) RuleLookup {
	idx := map[string]copilot.RuleInfo{}
	add := func(m *sigma.Meta) {
		key := m.ID
		if key == "" {
			key = m.Title
		}
		if _, dup := idx[key]; dup || key == "" {
			return
		}
		idx[key] = copilot.RuleInfo{
			ID: key, Title: m.Title, Description: strings.TrimSpace(m.Description), Level: m.Level.String(),
			Techniques: techniqueIDs(m.Techniques(), nil), FalsePositives: slices.Clone(m.Falsepositives),
		}
	}
	if rs != nil {
		for _, r := range rs.Rules {
			add(&r.Meta)
		}
		for _, c := range rs.Correlations {
			if c.Correlation != nil {
				add(&c.Correlation.Meta)
			}
		}
	}
	return func(key string) (copilot.RuleInfo, bool) {
		r, ok := idx[key]
		r.Techniques = slices.Clone(r.Techniques)
		r.FalsePositives = slices.Clone(r.FalsePositives)
		return r, ok
	}
}

// techniqueIDs returns the technique ids among ids and Sigma tags
// ("attack.t1003.001"), upper-case, each once, in order.
func techniqueIDs(ids, tags []string) []string {
	var out []string
	add := func(s string) {
		s = strings.ToUpper(strings.TrimSpace(s))
		if isTechniqueID(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, id := range ids {
		add(id)
	}
	for _, t := range tags {
		if rest, ok := strings.CutPrefix(strings.ToLower(t), "attack."); ok {
			add(rest)
		}
	}
	return out
}

// isTechniqueID accepts T1234 and T1234.123.
func isTechniqueID(s string) bool {
	if len(s) != 5 && len(s) != 9 || s[0] != 'T' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if i == 5 {
			if s[i] != '.' {
				return false
			}
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
