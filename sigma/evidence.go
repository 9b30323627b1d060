package sigma

// Evidence is a field value that made a rule match: what an analyst needs
// to see to trust (or dismiss) an alert.
type Evidence struct {
	// Condition is the rule's condition key as written ("CommandLine|contains|all",
	// or "keywords" for field-less values).
	Condition string `json:"condition"`
	Field     string `json:"field"`
	Value     string `json:"value"`
}

// maxEvidenceValue bounds each value shown; script blocks can be megabytes.
const maxEvidenceValue = 1024

// Evidence returns the field values that satisfied the rule's detection in
// the event held by s (the positive parts only: what a "not filter" did not
// find is not evidence). Call it after Match returned true.
//
// It walks the tree knowing which parts are true (every operand of a true
// AND is true), so it re-evaluates only the operands of ORs, until one is
// found true, and field conditions that look in several fields: evidence
// costs little even for rules with regular expressions.
func (c *Compiled) Evidence(s *Scratch) []Evidence {
	var out []Evidence
	seen := map[Evidence]bool{}
	collectEvidence(c.detection, s, &out, seen)
	return out
}

// collectEvidence gathers the evidence of n, which is known to be true.
func collectEvidence(n node, s *Scratch, out *[]Evidence, seen map[Evidence]bool) {
	switch n := n.(type) {
	case andNode:
		for _, k := range n {
			collectEvidence(k, s, out, seen)
		}
	case orNode:
		for _, k := range n {
			if k.eval(s) {
				collectEvidence(k, s, out, seen)
				return
			}
		}
	case *countNode:
		for _, k := range n.kids {
			if k.eval(s) {
				collectEvidence(k, s, out, seen)
			}
		}
	case *fieldNode:
		for _, name := range n.names {
			if len(n.names) > 1 && !n.evalField(s, name) {
				continue
			}
			v := "(absent)"
			if i := s.Find(name); i >= 0 {
				v = s.ev.Fields[i].Value.Str
			}
			add(out, seen, Evidence{Condition: n.key, Field: name, Value: clip(v)})
			if len(n.names) > 1 {
				break
			}
		}
	case *keywordNode:
		for i := range s.ev.Fields {
			f := &s.ev.Fields[i]
			if s.skipForKeywords(f.Name) {
				continue
			}
			for _, g := range n.groups {
				if anyMatch(g, s, &f.Value, s.Lower(i), true) {
					add(out, seen, Evidence{Condition: "keywords", Field: f.Name, Value: clip(f.Value.Str)})
					break
				}
			}
		}
	}
}

func add(out *[]Evidence, seen map[Evidence]bool, e Evidence) {
	if !seen[e] {
		seen[e] = true
		*out = append(*out, e)
	}
}

func clip(s string) string {
	if len(s) <= maxEvidenceValue {
		return s
	}
	cut := maxEvidenceValue
	for cut > 0 && s[cut]&0xc0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
