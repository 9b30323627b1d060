package sigma

import "sort"

// Evaluation order: AND and OR are commutative here (evaluation has no side
// effects), so each is reordered to try its cheapest operands first. A
// cheap test that fails spares an AND its regular expressions; one that
// succeeds spares an OR the rest.

// Relative costs of the kinds of test.
const (
	costField   = 2
	costSet     = 4
	costGlob    = 4
	costKeyword = 25 // every field of the event
	costRegex   = 60
)

// order sorts the operands of every AND and OR under n by estimated cost
// and returns n's cost. Shared nodes (a search used twice) are sorted once
// and their cost recomputed, which is harmless.
func order(n node) int {
	switch n := n.(type) {
	case andNode:
		return orderKids(n)
	case orNode:
		return orderKids(n)
	case notNode:
		return order(n.n)
	case *countNode:
		return orderKids(n.kids)
	case *fieldNode:
		if n.set != nil {
			return costSet
		}
		return costField + groupsCost(n.groups)
	case *keywordNode:
		if n.set != nil {
			return costKeyword
		}
		return costKeyword * (1 + groupsCost(n.groups))
	}
	return 1
}

func orderKids(kids []node) int {
	costs := make([]int, len(kids))
	total := 0
	for i, k := range kids {
		costs[i] = order(k)
		total += costs[i]
	}
	idx := make([]int, len(kids))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return costs[idx[a]] < costs[idx[b]] })
	sorted := make([]node, len(kids))
	for i, j := range idx {
		sorted[i] = kids[j]
	}
	copy(kids, sorted)
	return total
}

func groupsCost(groups [][]valueMatcher) int {
	c := 0
	for _, g := range groups {
		for _, m := range g {
			switch m := m.(type) {
			case reMatcher:
				c += costRegex
			case *strMatcher:
				if m.op == opGlob {
					c += costGlob
				} else {
					c++
				}
			default:
				c++
			}
		}
	}
	return c
}
