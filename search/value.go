package search

import (
	"strconv"
	"strings"
	"time"
)

// pattern is a value as the query wrote it: literal text and the wildcards
// * (any run of characters) and ? (one character). It keeps the original
// case, for String; matching uses its folded units.
type pattern []ptok

type ptok struct {
	star, one bool   // a wildcard; otherwise a literal
	lit       string // the literal text
}

// literal returns the pattern's text when it has no wildcard.
func (p pattern) literal() (string, bool) {
	var b strings.Builder
	for _, t := range p {
		if t.star || t.one {
			return "", false
		}
		b.WriteString(t.lit)
	}
	return b.String(), true
}

// isStar reports whether the pattern is a lone *, which means "exists".
func (p pattern) isStar() bool { return len(p) == 1 && p[0].star }

// units folds the pattern, with uStar and uOne for the wildcards.
func (p pattern) units() []unit {
	var out []unit
	for _, t := range p {
		switch {
		case t.star:
			out = append(out, uStar)
		case t.one:
			out = append(out, uOne)
		default:
			out = append(out, foldUnits(t.lit)...)
		}
	}
	return out
}

// patternBuilder collects a pattern while a word is read, merging literal
// runs and collapsing runs of stars (** is *).
type patternBuilder struct {
	p   pattern
	lit []byte
}

func (b *patternBuilder) byte(c byte) { b.lit = append(b.lit, c) }

func (b *patternBuilder) flush() {
	if len(b.lit) > 0 {
		b.p = append(b.p, ptok{lit: string(b.lit)})
		b.lit = b.lit[:0]
	}
}

func (b *patternBuilder) star() {
	b.flush()
	if n := len(b.p); n == 0 || !b.p[n-1].star {
		b.p = append(b.p, ptok{star: true})
	}
}

func (b *patternBuilder) one() {
	b.flush()
	b.p = append(b.p, ptok{one: true})
}

func (b *patternBuilder) done() pattern {
	b.flush()
	return b.p
}

// Characters and how a backslash treats them. A backslash makes the next
// character literal only when that character means something to the
// parser; anywhere else it is an ordinary character, so that Windows paths
// (C:\Windows\System32) need no doubling except before one of these.

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// escapable characters end or change a word wherever they appear.
func escapable(c byte) bool {
	return isSpace(c) || strings.IndexByte(`()":*?\`, c) >= 0
}

// startEscapable characters can change the meaning of a word as its first
// character, so a backslash escapes them there: a comparison (> <), a
// range ([ {), a regular expression (/), a negation (-), and = after > or <.
func startEscapable(c byte) bool { return strings.IndexByte(`><[{/-=`, c) >= 0 }

// printCtx says where String writes a word, which decides what it must
// escape or quote.
type printCtx uint8

const (
	ctxBare  printCtx = iota // a bare word or a field name: ':' ends it, '-' starts a negation
	ctxValue                 // after field: ':' is ordinary; > < [ { / start other values
	ctxCmp                   // after > or <: = would be read as part of >=
	ctxBound                 // in a range: ']' and '}' end it
)

// startSpecial reports whether c as the first character of a word would be
// read as syntax in ctx.
func startSpecial(c byte, ctx printCtx) bool {
	switch ctx {
	case ctxBare:
		return c == '-'
	case ctxValue:
		return strings.IndexByte(`><[{/`, c) >= 0
	case ctxCmp:
		return c == '='
	}
	return false
}

// needsQuotes reports whether s must be written in quotes to read back as
// the same literal.
func needsQuotes(s string, ctx printCtx) bool {
	if s == "" || startSpecial(s[0], ctx) || (ctx == ctxBare && isKeyword(s)) {
		return true
	}
	for i := 0; i < len(s); i++ {
		if mustEscape(s[i], ctx) {
			return true
		}
	}
	return false
}

func isKeyword(s string) bool { return s == "AND" || s == "OR" || s == "NOT" }

// mustEscape reports whether c needs a backslash anywhere in a word in ctx.
func mustEscape(c byte, ctx printCtx) bool {
	switch {
	case c == ':':
		return ctx == ctxBare
	case c == ']' || c == '}':
		return ctx == ctxBound
	}
	return escapable(c)
}

// writeLiteral writes s as a word when it can, else in quotes. In quotes a
// backslash is doubled only where it would otherwise escape: before a
// quote, a backslash, or the closing quote.
func writeLiteral(b *strings.Builder, s string, ctx printCtx) {
	if !needsQuotes(s, ctx) {
		b.WriteString(s)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || (c == '\\' && (i+1 == len(s) || s[i+1] == '"' || s[i+1] == '\\')) {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
}

// writePattern writes p: as a literal when it has no wildcard, else as an
// unquoted word (quotes would make the wildcards literal) with escapes.
func writePattern(b *strings.Builder, p pattern, ctx printCtx) {
	if s, ok := p.literal(); ok {
		writeLiteral(b, s, ctx)
		return
	}
	// The characters as they will be written, with whether each is a
	// wildcard; then, from the end, whether each literal needs a backslash.
	// A backslash needs one when the parser would read it as an escape:
	// before a character it escapes (which includes another backslash
	// written for an escape) or at the end of the word.
	var cs []byte
	var wild []bool
	for _, t := range p {
		switch {
		case t.star:
			cs, wild = append(cs, '*'), append(wild, true)
		case t.one:
			cs, wild = append(cs, '?'), append(wild, true)
		default:
			for i := 0; i < len(t.lit); i++ {
				cs, wild = append(cs, t.lit[i]), append(wild, false)
			}
		}
	}
	esc := make([]bool, len(cs))
	for i := len(cs) - 1; i >= 0; i-- {
		c := cs[i]
		switch {
		case wild[i]:
		case c == '\\':
			next := byte(0)
			if i+1 < len(cs) {
				next = cs[i+1]
				if esc[i+1] {
					next = '\\'
				}
			}
			esc[i] = next == 0 || escapable(next) || (i == 0 && startEscapable(next))
		default:
			esc[i] = mustEscape(c, ctx) || (i == 0 && startSpecial(c, ctx))
		}
	}
	for i, c := range cs {
		if esc[i] {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
}

// parseNumber reads a number the way ranges compare them: a decimal
// integer or float, or a 0x-prefixed hexadecimal integer (how Windows writes
// access masks and logon ids), with an optional sign and surrounding
// spaces. It checks the syntax itself first because strconv allocates an
// error for every string that is not a number, and most field values are
// not.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	t := s
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		h := t[2:]
		if len(h) > 16 {
			return 0, false
		}
		for i := 0; i < len(h); i++ {
			if c := h[i] | 0x20; !('0' <= h[i] && h[i] <= '9') && !('a' <= c && c <= 'f') {
				return 0, false
			}
		}
		u, err := strconv.ParseUint(h, 16, 64)
		if err != nil {
			return 0, false
		}
		if neg {
			return -float64(u), true
		}
		return float64(u), true
	}
	if !decimalSyntax(t) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// decimalSyntax reports whether t is digits with an optional fraction and
// exponent: 12, 1.5, .5, 2., 1e6, 1.5E-3.
func decimalSyntax(t string) bool {
	i, digits := 0, 0
	for i < len(t) && '0' <= t[i] && t[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(t) && t[i] == '.' {
		i++
		for i < len(t) && '0' <= t[i] && t[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		exp := 0
		for i < len(t) && '0' <= t[i] && t[i] <= '9' {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(t)
}

// timeLayouts are the timestamps time values accept besides "now": RFC 3339
// with or without fractional seconds, with or without a zone (UTC when
// absent), with T or a space, to the minute or second. A date alone is
// handled apart because it stands for the whole day.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04",
}

const day = 24 * time.Hour

// maxRelative bounds now-N offsets so that resolved times stay in the years
// RFC 3339 can write.
const maxRelative = 100 * 365 * day

// parseTime reads a time value: an RFC 3339 timestamp, a date (the whole
// day, UTC), or now with an optional offset (now-15m, now-24h, now-7d,
// now+1h; units s, m, h, d and w, or any Go duration such as 1h30m). It
// returns the start and whether the value is a whole day.
func parseTime(s string, now time.Time) (time.Time, bool, string) {
	if rest, ok := strings.CutPrefix(s, "now"); ok {
		t, msg := relativeTime(rest, now)
		return t, false, msg
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true, checkYear(t.Add(day)) // the day's end is written too
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, false, checkYear(t)
		}
	}
	return time.Time{}, false, "cannot read " + strconv.Quote(s) + " as a time: use 2024-01-02T15:04:05Z, 2024-01-02 or now-24h"
}

func relativeTime(rest string, now time.Time) (time.Time, string) {
	if rest == "" {
		return now, checkYear(now)
	}
	bad := "cannot read now" + rest + " as a time: use now-15m, now-24h or now-7d (units s, m, h, d, w)"
	sign := rest[0]
	if sign != '-' && sign != '+' {
		return time.Time{}, bad
	}
	d, ok := parseOffset(rest[1:])
	if !ok || d > maxRelative {
		return time.Time{}, bad
	}
	if sign == '-' {
		d = -d
	}
	t := now.Add(d)
	return t, checkYear(t)
}

// parseOffset reads the offset after now- or now+: a number of days or
// weeks, or a Go duration.
func parseOffset(s string) (time.Duration, bool) {
	if n := len(s); n > 1 && (s[n-1] == 'd' || s[n-1] == 'w') {
		v, err := strconv.ParseUint(s[:n-1], 10, 32)
		if err != nil {
			return 0, false
		}
		unit := day
		if s[n-1] == 'w' {
			unit = 7 * day
		}
		if v > uint64(maxRelative/unit) {
			return 0, false
		}
		return time.Duration(v) * unit, true
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false // no sign of its own: now--1h is a mistake
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d >= 0
}

// checkYear rejects times RFC 3339 cannot write, so that String's form of
// every query parses again.
func checkYear(t time.Time) string {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return "time " + strconv.Quote(t.String()) + " is outside the years 1 to 9999"
	}
	return ""
}

// formatTime writes a time the way String does: UTC, RFC 3339, with as many
// fractional digits as it needs.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
