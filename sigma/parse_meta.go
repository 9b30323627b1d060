package sigma

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var correlationTypes = map[string]bool{
	"event_count":      true,
	"value_count":      true,
	"temporal":         true,
	"temporal_ordered": true,
}

func parseCorrelation(path string, n *yaml.Node, meta Meta) (*Correlation, *Error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(path, n, "correlation must be a map")
	}
	k := mapKeys(n)
	c := &Correlation{Meta: meta}
	var err *Error
	if c.Type, err = scalarString(path, k["type"], "correlation.type"); err != nil {
		return nil, err
	}
	if !correlationTypes[c.Type] {
		return nil, errAt(path, firstNode(k["type"], n), "correlation.type %q is not one of event_count, value_count, temporal, temporal_ordered", c.Type)
	}
	if c.Rules, err = stringList(path, k["rules"], "correlation.rules"); err != nil {
		return nil, err
	}
	if len(c.Rules) == 0 {
		return nil, errAt(path, n, "correlation.rules must name at least one rule")
	}
	if c.GroupBy, err = stringList(path, k["group-by"], "correlation.group-by"); err != nil {
		return nil, err
	}
	ts, err := scalarString(path, k["timespan"], "correlation.timespan")
	if err != nil {
		return nil, err
	}
	if ts == "" {
		return nil, errAt(path, n, "correlation.timespan is required (e.g. 5m)")
	}
	d, perr := ParseTimespan(ts)
	if perr != nil {
		return nil, errAt(path, k["timespan"], "correlation.timespan: %v", perr)
	}
	c.Timespan = d
	if g := k["generate"]; g != nil {
		c.Generate = g.Value == "true"
	}
	if cond := k["condition"]; cond != nil {
		if c.Condition, err = parseCountCondition(path, cond); err != nil {
			return nil, err
		}
	}
	switch c.Type {
	case "event_count", "value_count":
		if len(c.Condition.Ops) == 0 {
			return nil, errAt(path, n, "%s correlation needs a condition such as 'gte: 10'", c.Type)
		}
		if c.Type == "value_count" && c.Condition.Field == "" {
			return nil, errAt(path, n, "value_count correlation needs condition.field, the field whose distinct values are counted")
		}
	case "temporal", "temporal_ordered":
		if len(c.Condition.Ops) == 0 {
			// Default: every referenced rule must match.
			c.Condition.Ops = []CountOp{{Op: "gte", Value: int64(len(c.Rules))}}
		}
	}
	if al := k["aliases"]; al != nil {
		if al.Kind != yaml.MappingNode {
			return nil, errAt(path, al, "correlation.aliases must be a map")
		}
		c.Aliases = map[string]map[string]string{}
		for i := 0; i+1 < len(al.Content); i += 2 {
			name, m := al.Content[i].Value, resolveAlias(al.Content[i+1])
			if m.Kind != yaml.MappingNode {
				return nil, errAt(path, m, "correlation.aliases.%s must map rule names to fields", name)
			}
			c.Aliases[name] = map[string]string{}
			for j := 0; j+1 < len(m.Content); j += 2 {
				c.Aliases[name][m.Content[j].Value] = m.Content[j+1].Value
			}
		}
	}
	return c, nil
}

func firstNode(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

func parseCountCondition(path string, n *yaml.Node) (CorrelationCondition, *Error) {
	var cc CorrelationCondition
	if n.Kind != yaml.MappingNode {
		return cc, errAt(path, n, "correlation.condition must be a map such as {gte: 10}")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, v := n.Content[i].Value, resolveAlias(n.Content[i+1])
		switch key {
		case "field":
			cc.Field = v.Value
		case "gt", "gte", "lt", "lte", "eq", "neq":
			x, err := strconv.ParseInt(v.Value, 10, 64)
			if err != nil {
				return cc, errAt(path, v, "correlation.condition.%s must be an integer, not %q", key, v.Value)
			}
			cc.Ops = append(cc.Ops, CountOp{Op: key, Value: x})
		default:
			return cc, errAt(path, n.Content[i], "unknown correlation condition %q (want gt, gte, lt, lte, eq, neq or field)", key)
		}
	}
	return cc, nil
}

// ParseTimespan parses Sigma's timespan syntax: an integer and one of the
// units s, m, h, d (and w for weeks).
func ParseTimespan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("invalid timespan %q: want a number and a unit (s, m, h, d), e.g. 5m", s)
	}
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid timespan %q: want a positive number and a unit (s, m, h, d), e.g. 5m", s)
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 's':
		unit = time.Second
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	default:
		return 0, fmt.Errorf("invalid timespan %q: unit must be s, m, h, d or w", s)
	}
	if n > int64(365*24*time.Hour/unit) {
		return 0, fmt.Errorf("timespan %q is longer than a year", s)
	}
	return time.Duration(n) * unit, nil
}

func parseFilter(path string, n *yaml.Node, meta Meta) (*Filter, *Error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(path, n, "filter must be a map")
	}
	f := &Filter{Meta: meta}
	k := mapKeys(n)
	rules, err := stringList(path, k["rules"], "filter.rules")
	if err != nil {
		return nil, err
	}
	if k["rules"] == nil {
		return nil, errAt(path, n, "filter.rules is required: rule ids or names, or 'any'")
	}
	// pySigma takes "all" as a synonym of "any".
	if !(len(rules) == 1 && (strings.EqualFold(rules[0], "any") || strings.EqualFold(rules[0], "all"))) {
		f.Rules = rules
	}
	// The rest of the filter section is a detection: search identifiers and
	// a condition.
	det := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "rules" {
			continue
		}
		det.Content = append(det.Content, n.Content[i], n.Content[i+1])
	}
	d, err := parseDetection(path, det)
	if err != nil {
		return nil, err
	}
	f.Detection = d
	return f, nil
}
