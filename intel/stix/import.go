package stix

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/bulwarkhq/bulwark/intel"
)

// Counts summarises a set of objects, as a feed's import report shows it.
type Counts struct {
	Total      int
	ByType     map[string]int
	Revoked    int
	Deprecated int // x_mitre_deprecated
	// SpecVersion counts objects per spec_version ("" when absent).
	SpecVersion map[string]int
}

// Count counts objs per type, revoked and deprecated.
func Count(objs []Object) Counts {
	c := Counts{ByType: map[string]int{}, SpecVersion: map[string]int{}}
	for _, o := range objs {
		c.Total++
		c.ByType[o.Type]++
		c.SpecVersion[o.String("spec_version")]++
		if o.Revoked() {
			c.Revoked++
		}
		if o.Deprecated() {
			c.Deprecated++
		}
	}
	return c
}

// ImportOptions tune Indicators.
type ImportOptions struct {
	// Source names the feed (a TAXII collection, a file); when empty, the
	// name of the identity in created_by_ref is used if the bundle has it.
	Source string
	// DefaultTLP applies to indicators without a TLP marking.
	DefaultTLP intel.TLP
}

// ImportError is an indicator that could not be imported; the others
// still are.
type ImportError struct {
	Index int
	ID    string
	Err   error
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("stix: objects[%d] (%s): %v", e.Index, e.ID, e.Err)
}

func (e *ImportError) Unwrap() error { return e.Err }

// Indicators extracts the indicators of objs for detection:
//   - revoked indicators are dropped, and of several versions of one id only
//     the latest (by modified) is kept, as the specification says consumers
//     should;
//   - TLP comes from object_marking_refs, by the fixed TLP ids or by the
//     marking definitions in objs, the strictest when several apply;
//   - KillChain holds the phase names of kill_chain_phases, then the ATT&CK
//     ids (T1059, T0801) of the attack-patterns the indicator "indicates".
//
// Indicators that do not decode or lack a pattern are returned as
// *ImportError values beside the good ones.
func Indicators(objs []Object, opt ImportOptions) ([]intel.Indicator, []error) {
	markings := map[string]intel.TLP{}
	names := map[string]string{}
	attackIDs := map[string]string{}
	indicates := map[string][]string{}
	latest := map[string]int{} // indicator id → index of its newest version
	var order []string
	for i, o := range objs {
		switch o.Type {
		case "marking-definition":
			if t, ok := MarkingTLP(o); ok {
				markings[o.ID] = t
			}
		case "identity":
			names[o.ID] = o.String("name")
		case "attack-pattern":
			if id := attackID(o); id != "" {
				attackIDs[o.ID] = id
			}
		case "relationship":
			if o.String("relationship_type") == "indicates" && !o.Revoked() {
				src := o.String("source_ref")
				indicates[src] = append(indicates[src], o.String("target_ref"))
			}
		case "indicator":
			j, seen := latest[o.ID]
			if !seen {
				order = append(order, o.ID)
				latest[o.ID] = i
			} else if o.String("modified") > objs[j].String("modified") {
				// Timestamps in the required Z form compare as strings.
				latest[o.ID] = i
			}
		}
	}
	var out []intel.Indicator
	var errs []error
	for _, id := range order {
		i := latest[id]
		o := objs[i]
		if o.Revoked() {
			continue
		}
		var s Indicator
		if err := o.Decode(&s); err != nil {
			errs = append(errs, &ImportError{Index: i, ID: id, Err: err})
			continue
		}
		if s.Pattern == "" || s.PatternType == "" {
			errs = append(errs, &ImportError{Index: i, ID: id, Err: fmt.Errorf("no pattern or pattern_type")})
			continue
		}
		ind := intel.Indicator{
			ID: s.ID, Name: s.Name, Description: s.Description,
			Pattern: s.Pattern, PatternType: s.PatternType,
			ValidFrom: s.ValidFrom.Time, ValidUntil: s.ValidUntil.Time,
			Labels: s.Labels, Source: opt.Source, TLP: opt.DefaultTLP,
		}
		if s.Confidence != nil {
			ind.Confidence = *s.Confidence
		}
		if ind.Source == "" {
			ind.Source = names[s.CreatedByRef]
		}
		best := 0
		for _, ref := range s.ObjectMarkingRefs {
			t, ok := tlpByID[ref]
			if !ok {
				t, ok = markings[ref]
			}
			if ok && tlpRank(t) > best {
				best, ind.TLP = tlpRank(t), t
			}
		}
		for _, p := range s.KillChainPhases {
			ind.KillChain = appendNew(ind.KillChain, p.PhaseName)
		}
		for _, target := range indicates[s.ID] {
			if t := attackIDs[target]; t != "" {
				ind.KillChain = appendNew(ind.KillChain, t)
			}
		}
		out = append(out, ind)
	}
	return out, errs
}

func appendNew(l []string, s string) []string {
	if s == "" || slices.Contains(l, s) {
		return l
	}
	return append(l, s)
}

// attackID returns the ATT&CK id (T1059.001, T0801) of an attack-pattern:
// the external_id of its mitre-* external reference.
func attackID(o Object) string {
	var c Common
	if o.Decode(&c) != nil {
		return ""
	}
	for _, r := range c.ExternalReferences {
		if strings.HasPrefix(r.SourceName, "mitre-") && r.ExternalID != "" {
			return r.ExternalID
		}
	}
	return ""
}

// SortedTypes returns the types of c by descending count, then name, the
// order of ATT&CK's published counts.
func (c Counts) SortedTypes() []string {
	types := make([]string, 0, len(c.ByType))
	for t := range c.ByType {
		types = append(types, t)
	}
	slices.SortFunc(types, func(a, b string) int {
		if n := cmp.Compare(c.ByType[b], c.ByType[a]); n != 0 {
			return n
		}
		return cmp.Compare(a, b)
	})
	return types
}
