package version

import "strings"

// mavenScheme is Maven's ComparableVersion (maven-artifact 3.9): "." and "-"
// separate items, a change between digits and letters separates them too,
// "-" opens a sub-list that ranks below a number ("1-1" < "1.1"), letters
// followed by digits form one combination item ("rc1", "RC-1"), known
// qualifiers order alpha < beta < milestone < rc = cr < snapshot < "" = ga
// = final = release < sp, unknown qualifiers come after them in lexical
// order, and trailing zeros and empty qualifiers are dropped ("1.0" == "1").
type mavenScheme struct{}

func (mavenScheme) Name() string { return "Maven" }

type mvnKind uint8

const (
	mvnNumber mvnKind = iota
	mvnString
	mvnList
	mvnCombination
)

// mvnItem is one item of a parsed Maven version.
type mvnItem struct {
	kind mvnKind
	num  string // mvnNumber: digits without leading zeros ("0" for zero)
	str  string // mvnString: the qualifier after aliasing
	list []*mvnItem
	// mvnCombination: a qualifier and the number that follows it.
	combStr *mvnItem
	combNum *mvnItem
}

type maven struct {
	text  string
	items *mvnItem
}

var mvnZero = &mvnItem{kind: mvnNumber, num: "0"}

func (mavenScheme) Parse(text string) (Version, error) {
	if strings.TrimSpace(text) == "" {
		return nil, parseError("Maven", text, "empty")
	}
	v := strings.ToLower(text)
	root := &mvnItem{kind: mvnList}
	list := root
	stack := []*mvnItem{root}
	descend := func() {
		sub := &mvnItem{kind: mvnList}
		list.list = append(list.list, sub)
		list = sub
		stack = append(stack, sub)
	}
	digits, combination := false, false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.':
			if i == start {
				list.list = append(list.list, mvnZero)
			} else {
				list.list = append(list.list, mvnParseItem(combination, digits, v[start:i]))
			}
			combination = false
			start = i + 1
		case c == '-':
			if i == start {
				list.list = append(list.list, mvnZero)
			} else {
				// "X-1" is read as "X1".
				if !digits && i != len(v)-1 && isDigit(v[i+1]) {
					combination = true
					continue
				}
				list.list = append(list.list, mvnParseItem(combination, digits, v[start:i]))
			}
			start = i + 1
			if len(list.list) > 0 {
				descend()
			}
			combination = false
		case isDigit(c):
			if !digits && i > start {
				combination = true
				if len(list.list) > 0 {
					descend()
				}
			}
			digits = true
		default:
			if digits && i > start {
				list.list = append(list.list, mvnParseItem(combination, true, v[start:i]))
				start = i
				descend()
				combination = false
			}
			digits = false
		}
	}
	if len(v) > start {
		// "1.0.0.X1" < "1.0.0-X2": a trailing ".X" is read as "-X".
		if !digits && len(list.list) > 0 {
			descend()
		}
		list.list = append(list.list, mvnParseItem(combination, digits, v[start:]))
	}
	for i := len(stack) - 1; i >= 0; i-- {
		stack[i].normalize()
	}
	return &maven{text: text, items: root}, nil
}

func mvnParseItem(combination, digits bool, buf string) *mvnItem {
	switch {
	case combination:
		buf = strings.ReplaceAll(buf, "-", "")
		i := strings.IndexFunc(buf, func(r rune) bool { return '0' <= r && r <= '9' })
		if i < 0 || !allDigits(buf[i:]) {
			// Maven would fail here; a plain qualifier is the closest order.
			return mvnNewString(buf, false)
		}
		return &mvnItem{kind: mvnCombination, combStr: mvnNewString(buf[:i], true), combNum: mvnParseItem(false, true, buf[i:])}
	case digits:
		n := strings.TrimLeft(buf, "0")
		if n == "" {
			n = "0"
		}
		return &mvnItem{kind: mvnNumber, num: n}
	}
	return mvnNewString(buf, false)
}

func mvnNewString(s string, followedByDigit bool) *mvnItem {
	if followedByDigit && len(s) == 1 {
		switch s {
		case "a":
			s = "alpha"
		case "b":
			s = "beta"
		case "m":
			s = "milestone"
		}
	}
	if s == "cr" {
		s = "rc"
	}
	return &mvnItem{kind: mvnString, str: s}
}

var mvnQualifiers = []string{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"}

const mvnReleaseIndex = "5" // the index of "" in mvnQualifiers

// mvnComparableQualifier maps a qualifier to a string whose lexical order is
// the qualifier order, exactly as Maven does.
func mvnComparableQualifier(q string) string {
	switch q {
	case "ga", "final", "release":
		return mvnReleaseIndex
	}
	for i, k := range mvnQualifiers {
		if k == q {
			return string(rune('0' + i))
		}
	}
	return "7-" + q
}

func (it *mvnItem) isNull() bool {
	switch it.kind {
	case mvnNumber:
		return it.num == "0"
	case mvnString:
		return it.str == ""
	case mvnList:
		return len(it.list) == 0
	}
	return false
}

// normalize drops null items (0, "", empty lists) at the end of a list or
// before a qualifier, as Maven 3.9 does (MNG-6964).
func (it *mvnItem) normalize() {
	for i := len(it.list) - 1; i >= 0; i-- {
		if !it.list[i].isNull() {
			continue
		}
		remove := i == len(it.list)-1 || it.list[i+1].kind == mvnString
		if !remove && it.list[i+1].kind == mvnList && len(it.list[i+1].list) > 0 {
			k := it.list[i+1].list[0].kind
			remove = k == mvnCombination || k == mvnString
		}
		if remove {
			it.list = append(it.list[:i], it.list[i+1:]...)
		}
	}
}

// mvnCompare orders item a against b; b is nil when the other list has
// run out, which compares a with "nothing" (1.0 == 1, 1-rc < 1, 1-sp > 1).
func mvnCompare(a, b *mvnItem) int {
	switch a.kind {
	case mvnNumber:
		if b == nil {
			if a.num == "0" {
				return 0
			}
			return 1
		}
		if b.kind == mvnNumber {
			return cmpDigits(a.num, b.num)
		}
		return 1
	case mvnString:
		if b == nil {
			return strings.Compare(mvnComparableQualifier(a.str), mvnReleaseIndex)
		}
		switch b.kind {
		case mvnString:
			return strings.Compare(mvnComparableQualifier(a.str), mvnComparableQualifier(b.str))
		case mvnCombination:
			if c := mvnCompare(a, b.combStr); c != 0 {
				return c
			}
			return -1
		}
		return -1
	case mvnCombination:
		if b == nil {
			return mvnCompare(a.combStr, nil)
		}
		switch b.kind {
		case mvnString:
			if c := mvnCompare(a.combStr, b); c != 0 {
				return c
			}
			return 1 // X1 > X
		case mvnCombination:
			if c := mvnCompare(a.combStr, b.combStr); c != 0 {
				return c
			}
			return mvnCompare(a.combNum, b.combNum)
		}
		return -1
	}
	// a is a list.
	if b == nil {
		for _, x := range a.list {
			if c := mvnCompare(x, nil); c != 0 {
				return c
			}
		}
		return 0
	}
	switch b.kind {
	case mvnNumber:
		return -1
	case mvnString, mvnCombination:
		return 1
	}
	for i := 0; i < len(a.list) || i < len(b.list); i++ {
		var c int
		switch {
		case i >= len(a.list):
			c = -mvnCompare(b.list[i], nil)
		case i >= len(b.list):
			c = mvnCompare(a.list[i], nil)
		default:
			c = mvnCompare(a.list[i], b.list[i])
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func (v *maven) String() string { return v.text }

func (v *maven) Compare(w Version) int {
	o, ok := w.(*maven)
	if !ok {
		return mismatch(v, w)
	}
	return mvnCompare(v.items, o.items)
}

// Canonical returns Maven's canonical form of the version (ComparableVersion
// getCanonical), which the tests check against Maven's own examples.
func (v *maven) Canonical() string { return v.items.canonical() }

func (it *mvnItem) canonical() string {
	switch it.kind {
	case mvnNumber:
		return it.num
	case mvnString:
		return it.str
	case mvnCombination:
		return it.combStr.canonical() + it.combNum.canonical()
	}
	var b strings.Builder
	for _, x := range it.list {
		if b.Len() > 0 {
			if x.kind == mvnList {
				b.WriteByte('-')
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteString(x.canonical())
	}
	return b.String()
}
