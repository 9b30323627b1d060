package sigma

import (
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// node is a compiled piece of a rule's logic.
type node interface {
	eval(s *Scratch) bool
}

type andNode []node

func (a andNode) eval(s *Scratch) bool {
	for _, n := range a {
		if !n.eval(s) {
			return false
		}
	}
	return true
}

type orNode []node

func (o orNode) eval(s *Scratch) bool {
	for _, n := range o {
		if n.eval(s) {
			return true
		}
	}
	return false
}

type notNode struct{ n node }

func (n notNode) eval(s *Scratch) bool { return !n.n.eval(s) }

type constNode bool

func (c constNode) eval(*Scratch) bool { return bool(c) }

// valueMatcher tests one field value. present is false when the event has
// no such field (v is then the zero Value).
type valueMatcher interface {
	matchValue(s *Scratch, v *event.Value, lower string, present bool) bool
}

// fieldNode is one "Field|modifiers: values" condition.
type fieldNode struct {
	key    string   // as written in the rule, for evidence: "CommandLine|contains|all"
	names  []string // event fields to look in; more than one when the mapping says so
	groups [][]valueMatcher
	all    bool // every group must match (the all modifier); otherwise any
	neq    bool // the condition holds when no group matches a present field
	// presence matchers (exists, null) must see absent fields; others
	// fail fast on them.
	presence bool
	// set, when not nil, evaluates the groups of a scalar value in one pass.
	set *containsSet
}

func (f *fieldNode) eval(s *Scratch) bool {
	for _, name := range f.names {
		if f.evalField(s, name) {
			return true
		}
	}
	return false
}

func (f *fieldNode) evalField(s *Scratch, name string) bool {
	i := s.Find(name)
	if i < 0 {
		if f.neq {
			return false
		}
		if !f.presence {
			return false
		}
		return f.matchGroups(s, nil, "", false)
	}
	v := &s.ev.Fields[i].Value
	var r bool
	switch {
	case v.Kind == event.KindList:
		r = f.matchList(s, v)
	case f.set != nil:
		r = v.Kind != event.KindNull && f.set.feed(s, f.set.begin(s), s.Lower(i))
	default:
		r = f.matchGroups(s, v, s.Lower(i), true)
	}
	if f.neq {
		return !r
	}
	return r
}

// matchList applies the groups to a list value: with all, each group may be
// satisfied by a different element; otherwise any element matching any
// group suffices.
func (f *fieldNode) matchList(s *Scratch, v *event.Value) bool {
	if len(v.List) == 0 {
		return f.matchGroups(s, v, lowerString(v.Str), true)
	}
	lows := make([]string, len(v.List))
	for i := range v.List {
		lows[i] = lowerString(v.List[i].Str)
	}
	for _, g := range f.groups {
		hit := false
		for i := range v.List {
			if anyMatch(g, s, &v.List[i], lows[i], true) {
				hit = true
				break
			}
		}
		if f.all && !hit {
			return false
		}
		if !f.all && hit {
			return true
		}
	}
	return f.all
}

// absentValue stands for a field the event does not have; matchers only
// read it.
var absentValue event.Value

func (f *fieldNode) matchGroups(s *Scratch, v *event.Value, lower string, present bool) bool {
	if v == nil {
		v = &absentValue
	}
	for _, g := range f.groups {
		hit := anyMatch(g, s, v, lower, present)
		if f.all && !hit {
			return false
		}
		if !f.all && hit {
			return true
		}
	}
	return f.all
}

func anyMatch(g []valueMatcher, s *Scratch, v *event.Value, lower string, present bool) bool {
	for _, m := range g {
		if m.matchValue(s, v, lower, present) {
			return true
		}
	}
	return false
}

func (m *strMatcher) matchValue(_ *Scratch, v *event.Value, lower string, present bool) bool {
	return present && v.Kind != event.KindNull && m.match(v.Str, lower)
}

// emptyMatcher matches the empty string (a null value renders as "").
type emptyMatcher struct{}

func (emptyMatcher) matchValue(_ *Scratch, v *event.Value, _ string, present bool) bool {
	return present && v.Str == ""
}

// nullMatcher implements "Field: null": the field is absent, null or empty.
type nullMatcher struct{}

func (nullMatcher) matchValue(_ *Scratch, v *event.Value, _ string, present bool) bool {
	return !present || v.Kind == event.KindNull || v.Str == ""
}

// existsMatcher implements the exists modifier.
type existsMatcher bool

func (e existsMatcher) matchValue(_ *Scratch, _ *event.Value, _ string, present bool) bool {
	return present == bool(e)
}

// reMatcher implements the re modifier on the original (not lower-cased)
// text: Sigma regular expressions are case-sensitive unless flagged i.
// Go's regexp engine is slow on long command lines, so a cheap necessary
// condition is tested first: the text is long enough, and holds one of the
// literals every match contains.
type reMatcher struct {
	re     *regexp.Regexp
	minLen int
	// maxLen bounds the text of a regular expression anchored at both ends
	// (^...$) with no unbounded repetition; -1 otherwise.
	maxLen int
	lits   []string // lower-case; one must occur (case-insensitively): the prefilter's needles
	// reqs are all the literal requirements: one of each set must occur.
	reqs [][]string
	// lineRun, when > 0, means the expression is just ".{N,}": some line
	// holds at least N characters. Go's regexp takes milliseconds on that.
	lineRun int
	// anchor, when set, searches from the occurrences of a literal.
	anchor *literalAnchor
}

func (m reMatcher) matchValue(_ *Scratch, v *event.Value, lower string, present bool) bool {
	if !present || v.Kind == event.KindNull || len(v.Str) < m.minLen {
		return false
	}
	if m.maxLen >= 0 && len(v.Str) > m.maxLen {
		return false
	}
	if m.lineRun > 0 {
		return hasLineRun(v.Str, m.lineRun)
	}
	if len(m.reqs) > 0 {
		if lower == "" && v.Str != "" {
			lower = lowerString(v.Str)
		}
		for _, set := range m.reqs {
			found := false
			for _, l := range set {
				if strings.Contains(lower, l) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	if m.anchor != nil {
		if r, ok := m.anchor.match(v.Str); ok {
			return r
		}
	}
	return m.re.MatchString(v.Str)
}

// hasLineRun reports whether some line of s has at least n characters.
func hasLineRun(s string, n int) bool {
	run := 0
	for _, r := range s {
		if r == '\n' {
			run = 0
			continue
		}
		if run++; run >= n {
			return true
		}
	}
	return false
}

// cidrMatcher implements the cidr modifier.
type cidrMatcher struct{ prefix netip.Prefix }

func (m cidrMatcher) matchValue(_ *Scratch, v *event.Value, _ string, present bool) bool {
	if !present {
		return false
	}
	addr, ok := parseAddr(v.Str)
	return ok && m.prefix.Contains(addr)
}

func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '[' {
		if i := strings.IndexByte(s, ']'); i > 0 {
			s = s[1:i]
		}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// numMatcher implements lt, lte, gt, gte and numeric equality.
type numMatcher struct {
	op string
	x  float64
}

func (m numMatcher) matchValue(_ *Scratch, v *event.Value, _ string, present bool) bool {
	if !present {
		return false
	}
	n, ok := numberOf(v)
	if !ok {
		return false
	}
	return compareNum(m.op, n, m.x)
}

func compareNum(op string, n, x float64) bool {
	switch op {
	case "lt":
		return n < x
	case "lte":
		return n <= x
	case "gt":
		return n > x
	case "gte":
		return n >= x
	}
	return n == x
}

// numberOf returns a value's number: ints and floats directly, strings when
// they parse (decimal or 0x hex).
func numberOf(v *event.Value) (float64, bool) {
	switch v.Kind {
	case event.KindInt, event.KindFloat, event.KindBool:
		return v.Num, true
	case event.KindString:
		s := strings.TrimSpace(v.Str)
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return float64(i), true
		}
		if u, err := strconv.ParseUint(s, 0, 64); err == nil {
			return float64(u), true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) {
			return f, true
		}
	}
	return 0, false
}

// timeMatcher implements the time-part modifiers (minute, hour, day, week,
// month, year), optionally followed by a numeric comparison.
type timeMatcher struct {
	part string
	op   string
	x    float64
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05Z07:00",
}

func (m timeMatcher) matchValue(_ *Scratch, v *event.Value, _ string, present bool) bool {
	if !present {
		return false
	}
	var t time.Time
	var err error
	for _, layout := range timeLayouts {
		if t, err = time.Parse(layout, strings.TrimSpace(v.Str)); err == nil {
			break
		}
	}
	if err != nil {
		return false
	}
	var n int
	switch m.part {
	case "minute":
		n = t.Minute()
	case "hour":
		n = t.Hour()
	case "day":
		n = t.Day()
	case "week":
		_, n = t.ISOWeek()
	case "month":
		n = int(t.Month())
	case "year":
		n = t.Year()
	}
	return compareNum(m.op, float64(n), m.x)
}

// fieldrefMatcher implements the fieldref modifier: the value is compared
// with another field of the same event.
type fieldrefMatcher struct {
	other  string
	op     strOp // opEq, opPrefix, opSuffix, opContains
	cased  bool
	negate bool
}

func (m fieldrefMatcher) matchValue(s *Scratch, v *event.Value, lower string, present bool) bool {
	if !present {
		return false
	}
	j := s.Find(m.other)
	if j < 0 {
		return false
	}
	a, b := lower, s.Lower(j)
	if m.cased {
		a, b = v.Str, s.ev.Fields[j].Value.Str
	}
	var r bool
	switch m.op {
	case opPrefix:
		r = strings.HasPrefix(a, b)
	case opSuffix:
		r = strings.HasSuffix(a, b)
	case opContains:
		r = strings.Contains(a, b)
	default:
		r = a == b
	}
	return r != m.negate
}

// windowsHeader are the fields of a Windows event's System header (see
// docs/windows-fields.md): record bookkeeping that keyword searches skip.
var windowsHeader = map[string]bool{
	"Provider_Name": true, "Provider_Guid": true, "Provider_EventSourceName": true,
	"EventID": true, "EventID_Qualifiers": true, "Version": true, "Level": true, "Task": true,
	"Opcode": true, "Keywords": true, "TimeCreated_SystemTime": true, "EventRecordID": true,
	"Correlation_ActivityID": true, "Correlation_RelatedActivityID": true,
	"Execution_ProcessID": true, "Execution_ThreadID": true, "Channel": true, "Computer": true,
	"Security_UserID": true,
}

// KeywordField reports whether keywords (field-less values) are searched
// for in the field called name of an event; windows says the event is a
// Windows event (it has a Channel). Keywords are searched in every field
// but the System header of Windows events: a keyword means something said
// in the event (its EventData, UserData or message), not a GUID, a
// timestamp or a record number; SIEMs search the rendered message the same
// way. Skipping the header also spares a fifth of the bytes the engine
// scans.
func KeywordField(windows bool, name string) bool { return !windows || !windowsHeader[name] }

// skipForKeywords applies KeywordField to the event being evaluated.
func (s *Scratch) skipForKeywords(name string) bool {
	if s.windows == 0 {
		s.windows = 2
		if s.Find("Channel") >= 0 {
			s.windows = 1
		}
	}
	return s.windows == 1 && windowsHeader[name]
}

// keywordNode matches field-less values against every field of the event.
type keywordNode struct {
	groups [][]valueMatcher
	all    bool
	set    *containsSet
}

func (k *keywordNode) eval(s *Scratch) bool {
	if k.set != nil {
		return k.evalSet(s)
	}
	for _, g := range k.groups {
		hit := k.anyField(s, g)
		if k.all && !hit {
			return false
		}
		if !k.all && hit {
			return true
		}
	}
	return k.all
}

func (k *keywordNode) evalSet(s *Scratch) bool {
	st := k.set.begin(s)
	return eachKeywordValue(s, func(_ *event.Value, lower string) bool {
		return k.set.feed(s, st, lower)
	})
}

func (k *keywordNode) anyField(s *Scratch, g []valueMatcher) bool {
	return eachKeywordValue(s, func(v *event.Value, lower string) bool {
		return anyMatch(g, s, v, lower, true)
	})
}

// eachKeywordValue calls f on every value keywords search (list elements
// one by one), lower-cased, until f returns true.
func eachKeywordValue(s *Scratch, f func(v *event.Value, lower string) bool) bool {
	fs := s.ev.Fields
	for i := range fs {
		if s.skipForKeywords(fs[i].Name) {
			continue
		}
		v := &fs[i].Value
		switch v.Kind {
		case event.KindNull:
			continue
		case event.KindList:
			for j := range v.List {
				if f(&v.List[j], lowerString(v.List[j].Str)) {
					return true
				}
			}
			continue
		}
		if f(v, s.Lower(i)) {
			return true
		}
	}
	return false
}
