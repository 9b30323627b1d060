// Package search parses and runs the event search language analysts and the
// copilot use for hunting: Lucene/KQL-style queries such as
//
//	EventID:4625 AND TargetUserName:admin*
//	Image:*\powershell.exe -CommandLine:*-enc*
//	time:>now-24h host:dc01 "mimikatz"
//
// docs/search.md documents the syntax for users, with examples.
//
// A search runs in three steps: Parse compiles the query once; Filter
// extracts the constraints every match implies (time bounds, exact host) so
// that the store scans fewer events; Match tests each scanned event. Match
// does not allocate: wildcards are compiled to prefix, suffix and substring
// checks or a small glob matcher, and patterns are lower-cased at compile
// time while event text is folded as it is compared.
//
// Parsing is safe on untrusted input: it never panics, queries are bounded
// in length, nesting and number of terms, regular expressions are Go's
// (RE2, linear time), and errors give the byte offset of the problem.
package search

import (
	"fmt"
	"strings"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/store"
)

// Limits on a query, so that a query (typed, pasted or generated) cannot
// make the parser or a search use unbounded memory or time.
const (
	MaxQueryLen = 4096 // bytes
	MaxDepth    = 32   // nested parentheses, field groups and negations
	MaxTerms    = 256  // field:value terms and bare words
)

// Error is a syntax error in a query. Offset is the byte offset in the
// query where the problem is, for pointing at it in an editor.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("search: offset %d: %s", e.Offset, e.Msg) }

// Query is a compiled query. It is immutable, so one Query may be matched
// from many goroutines at once.
type Query struct {
	root node // nil for the empty query, which matches every event
}

// Parse compiles q, resolving relative times (now-24h) against the current
// time. The empty query matches every event.
func Parse(q string) (*Query, error) { return ParseAt(q, time.Now()) }

// ParseAt is Parse with now as the current time, for tests and for
// re-running a search as it ran before.
func ParseAt(q string, now time.Time) (*Query, error) { return parse(q, now, MaxQueryLen) }

func parse(q string, now time.Time, maxLen int) (*Query, error) {
	if len(q) > maxLen {
		return nil, &Error{Offset: maxLen, Msg: fmt.Sprintf("query is longer than %d bytes", maxLen)}
	}
	p := &parser{src: q, now: now}
	p.skipSpace()
	if p.eof() {
		return &Query{}, nil
	}
	n, err := p.parseOr(nil)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() { // parseOr stops early only at a ')'
		return nil, p.errorf(p.pos, "unexpected ')' without a matching '('")
	}
	return &Query{root: n}, nil
}

// Match reports whether e matches the query. A nil Query, like the empty
// one, matches every event.
func (q *Query) Match(e *event.Event) bool {
	if q == nil || q.root == nil {
		return true
	}
	if e == nil {
		return false
	}
	return q.root.match(e)
}

// String returns the query in canonical form: explicit AND, OR and NOT,
// parentheses only where precedence needs them, field groups expanded, and
// relative times resolved to UTC timestamps (so the form records what was
// searched). Parsing it gives the same query, though it may be longer than
// MaxQueryLen when the query expanded field groups or had many escapes.
func (q *Query) String() string {
	if q == nil || q.root == nil {
		return ""
	}
	var b strings.Builder
	q.root.write(&b)
	return b.String()
}

// Filter returns the store filter that every matching event satisfies: the
// time bounds the query implies, and the host when every match needs
// host:X for one X without wildcards (which, like the store's Host, is
// exact and case-sensitive). The caller sets Desc and AfterID, and must
// leave Limit at 0 (the store cannot know how many of the events it
// returns will match) and stop the scan itself.
func (q *Query) Filter() store.EventFilter {
	if q == nil || q.root == nil {
		return store.EventFilter{}
	}
	b := impliedBy(q.root)
	return store.EventFilter{From: b.from, To: b.to, Host: b.host}
}

// implied is what a node requires of every event it matches; zero fields
// require nothing.
type implied struct {
	from, to time.Time // [from, to)
	host     string
}

func impliedBy(n node) implied {
	switch n := n.(type) {
	case timeNode:
		from, to := n.b.interval()
		return implied{from: from, to: to}
	case hostNode:
		if x, ok := n.v.(exactValue); ok {
			return implied{host: x.s}
		}
	case andNode:
		// Every constraint of every operand holds.
		var r implied
		for _, k := range n {
			c := impliedBy(k)
			if !c.from.IsZero() && (r.from.IsZero() || c.from.After(r.from)) {
				r.from = c.from
			}
			if !c.to.IsZero() && (r.to.IsZero() || c.to.Before(r.to)) {
				r.to = c.to
			}
			if r.host == "" {
				r.host = c.host
			}
		}
		return r
	case orNode:
		// Only what every operand requires: the span covering all their
		// intervals, and a host they share.
		r := impliedBy(n[0])
		for _, k := range n[1:] {
			c := impliedBy(k)
			if c.from.IsZero() || c.from.Before(r.from) {
				r.from = c.from
			}
			if c.to.IsZero() || (!r.to.IsZero() && c.to.After(r.to)) {
				r.to = c.to
			}
			if c.host != r.host {
				r.host = ""
			}
		}
		return r
	}
	return implied{}
}
