package postgres

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/search"
	"github.com/bulwarkhq/bulwark/store"
)

// SearchEvents calls fn for each event that f selects and q matches, in id
// order (or reverse with f.Desc), at most f.Limit of them (0: all), until
// fn returns an error or store.ErrStop. It gives exactly the events a scan
// of f followed by q.Match gives, reading fewer: the literal text the
// query requires narrows the scan through the trigram index on
// search_text, and q.Match decides. Pass q.Filter() (with Desc and Limit
// set) as f to narrow by time and host as well.
func (s *Store) SearchEvents(ctx context.Context, q *search.Query, f store.EventFilter, fn func(*store.StoredEvent) error) error {
	cond, args := searchCondition(q, 0)
	return scanErr("search events", s.scanPages(ctx, f, cond, args, q.Match, fn))
}

// scanPages scans what f selects and cond (on search_text; "" for none,
// with its arguments from $1) admits, page by page, passing the events
// keep accepts to fn.
func (s *Store) scanPages(ctx context.Context, f store.EventFilter, cond string, condArgs []any, keep func(*event.Event) bool, fn func(*store.StoredEvent) error) error {
	sc := &scanState{limit: f.Limit}
	if cond != "" {
		// First the newest (or, ascending, oldest) probeRows events the
		// filter selects, tested row by row: a word most events hold is
		// found there at once, where PostgreSQL, which cannot tell a
		// common word from a rare one, would read every candidate from
		// the trigram index first. Rows that fail cond come back without
		// their data, only to mark how far the probe went.
		inner, args := eventQueryCols("id, data, search_text", f, nil, slices.Clone(condArgs))
		order := " ORDER BY id"
		if f.Desc {
			order += " DESC"
		}
		q := "SELECT id, CASE WHEN " + cond + " THEN data END FROM (" + inner + " LIMIT " + strconv.Itoa(probeRows) + ") recent" + order
		sc.read = 0
		if err := s.scan(ctx, q, args, keep, sc, fn); err != nil || sc.done || sc.read < probeRows {
			return err
		}
	}
	page := firstPage
	for {
		var extra []string
		args := slices.Clone(condArgs)
		if cond != "" {
			extra = append(extra, cond)
		}
		pf := f
		if sc.lastID != 0 { // the next page starts after the last row read
			if f.Desc {
				args = append(args, sc.lastID)
				extra = append(extra, "id < $"+strconv.Itoa(len(args)))
			} else {
				pf.AfterID = sc.lastID
			}
		}
		sql, args := eventQuery(pf, extra, args)
		sc.read = 0
		err := s.scan(ctx, sql+" LIMIT "+strconv.Itoa(page), args, keep, sc, fn)
		if err != nil || sc.done || sc.read < page {
			return err
		}
		page = min(2*page, maxPage)
	}
}

// Scans and searches read in pages of ids, so that PostgreSQL plans each
// for a LIMIT: a scan then walks the id index and its first events come at
// once, a word most events hold is found by walking the id index from the
// newest event, and a rare one through the trigram index. Without a limit
// (a search's Match decides, so the SQL cannot stop at f.Limit matches; a
// scan's caller may stop at any event) PostgreSQL fetched and sorted every
// candidate first: half a second for 100 matches of 100,000 events. (Variables for the tests' sake.)
var (
	firstPage = 256
	maxPage   = 16384
	probeRows = 256
)

// folder builds search_text: every value of an event (list elements each)
// folded the way the search package compares text, one per line. Folding
// lower-cases each rune (the long s becomes s); bytes that are not UTF-8,
// and NUL, which PostgreSQL's text cannot hold, become U+FFFD. A pattern
// the search package finds in a value, folded the same way, is then a
// substring of search_text, which is all that SearchEvents relies on.
type folder struct{ b strings.Builder }

func (f *folder) searchText(e *event.Event) string {
	f.b.Reset()
	for i := range e.Fields {
		f.value(&e.Fields[i].Value)
	}
	return f.b.String()
}

func (f *folder) value(v *event.Value) {
	if v.Kind == event.KindList {
		for i := range v.List {
			f.value(&v.List[i])
		}
		return
	}
	if v.Str == "" {
		return
	}
	appendFolded(&f.b, v.Str)
	f.b.WriteByte('\n')
}

// appendFolded writes s folded to b.
func appendFolded(b *strings.Builder, s string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf && c != 0 {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1, r == 0:
			b.WriteRune(utf8.RuneError)
		case r == 'ſ':
			b.WriteByte('s')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
}

// minRun is the shortest literal worth a condition: pg_trgm indexes
// three-character sequences, and a shorter LIKE pattern would make
// PostgreSQL read the whole index.
const minRun = 3

// searchCondition returns a condition on search_text that every event q
// matches satisfies, with its arguments numbered after the first argBase,
// or "" when the query requires no literal text (or its text could not be
// read, which only costs speed). It reads q's canonical String, whose
// syntax the search package documents: explicit AND, OR and NOT,
// parentheses, field:value terms and bare words.
func searchCondition(q *search.Query, argBase int) (string, []any) {
	if q == nil {
		return "", nil
	}
	r := &queryReader{src: q.String()}
	c, ok := r.or()
	r.space()
	if !ok || r.pos != len(r.src) || c == nil {
		return "", nil
	}
	var args []any
	return c.sql(argBase, &args), args
}

// cond is a condition on search_text: all of (AND) or any of (OR) its
// kids, or LIKE a pattern. nil is no condition.
type cond struct {
	or      bool
	kids    []*cond
	pattern string // for a leaf
}

// sql writes c with its patterns as arguments after argBase.
func (c *cond) sql(argBase int, args *[]any) string {
	if c.kids == nil {
		*args = append(*args, c.pattern)
		return "search_text LIKE $" + strconv.Itoa(argBase+len(*args))
	}
	parts := make([]string, len(c.kids))
	for i, k := range c.kids {
		parts[i] = k.sql(argBase, args)
	}
	op := " AND "
	if c.or {
		op = " OR "
	}
	return "(" + strings.Join(parts, op) + ")"
}

// queryReader reads a canonical query into a condition. Each method
// returns nil for "no condition" and false when the text is not what it
// expects.
type queryReader struct {
	src string
	pos int
}

func (r *queryReader) space() {
	for r.pos < len(r.src) && isSpace(r.src[r.pos]) {
		r.pos++
	}
}

// keyword reports whether kw is next, as a whole word, and skips it.
func (r *queryReader) keyword(kw string) bool {
	r.space()
	end := r.pos + len(kw)
	if !strings.HasPrefix(r.src[r.pos:], kw) || (end < len(r.src) && !isSpace(r.src[end]) && r.src[end] != '(') {
		return false
	}
	r.pos = end
	return true
}

func (r *queryReader) or() (*cond, bool) {
	var kids []*cond
	all := true // every alternative has a condition
	for {
		c, ok := r.and()
		if !ok {
			return nil, false
		}
		kids = append(kids, c)
		all = all && c != nil
		if !r.keyword("OR") {
			break
		}
	}
	if !all {
		return nil, true
	}
	if len(kids) == 1 {
		return kids[0], true
	}
	return &cond{or: true, kids: kids}, true
}

func (r *queryReader) and() (*cond, bool) {
	var kids []*cond
	for {
		c, ok := r.unary()
		if !ok {
			return nil, false
		}
		switch {
		case c == nil:
		case c.kids != nil && !c.or: // flatten a AND (b AND c)
			kids = append(kids, c.kids...)
		default:
			kids = append(kids, c)
		}
		if r.keyword("AND") {
			continue
		}
		r.space()
		if r.pos == len(r.src) || r.src[r.pos] == ')' || strings.HasPrefix(r.src[r.pos:], "OR ") {
			break
		}
	}
	if len(kids) == 0 {
		return nil, true
	}
	return &cond{kids: kids}, true
}

func (r *queryReader) unary() (*cond, bool) {
	if r.keyword("NOT") {
		_, ok := r.unary() // what must not match requires nothing
		return nil, ok
	}
	r.space()
	if r.pos < len(r.src) && r.src[r.pos] == '(' {
		r.pos++
		c, ok := r.or()
		r.space()
		if !ok || r.pos >= len(r.src) || r.src[r.pos] != ')' {
			return nil, false
		}
		r.pos++
		return c, true
	}
	return r.term()
}

// term reads a bare word or phrase, or field:value.
func (r *queryReader) term() (*cond, bool) {
	if r.pos >= len(r.src) {
		return nil, false
	}
	var name string
	var runs []string
	if r.src[r.pos] == '"' {
		s, ok := r.quoted()
		if !ok {
			return nil, false
		}
		name, runs = s, []string{s}
	} else {
		if r.src[r.pos] == '-' { // a negation the canonical form never writes
			return nil, false
		}
		w, ok := r.word(false)
		if !ok {
			return nil, false
		}
		name, runs = strings.Join(w, ""), w
	}
	if r.pos < len(r.src) && r.src[r.pos] == ':' {
		r.pos++
		return r.fieldValue(name)
	}
	return r.like(runs), true
}

// fieldValue reads the value after name:. Time terms test the event's
// time, not its fields, and comparisons, ranges and field existence
// require no text; regular expressions are not read at all.
func (r *queryReader) fieldValue(name string) (*cond, bool) {
	if r.pos >= len(r.src) {
		return nil, false
	}
	isTime := strings.EqualFold(name, "time") || strings.EqualFold(name, "@timestamp")
	var runs []string
	switch c := r.src[r.pos]; c {
	case '"':
		s, ok := r.quoted()
		if !ok {
			return nil, false
		}
		runs = []string{s}
	case '/', '(':
		return nil, false
	case '[', '{':
		return nil, r.skipRange()
	case '>', '<':
		r.pos++
		if r.pos < len(r.src) && r.src[r.pos] == '=' {
			r.pos++
		}
		if r.pos < len(r.src) && r.src[r.pos] == '"' {
			_, ok := r.quoted()
			return nil, ok
		}
		_, ok := r.word(true)
		return nil, ok
	default:
		w, ok := r.word(true)
		if !ok {
			return nil, false
		}
		runs = w
	}
	if isTime {
		return nil, true
	}
	return r.like(runs), true
}

// skipRange skips [lo TO hi] or {lo TO hi}, either bracket at either end.
func (r *queryReader) skipRange() bool {
	for r.pos++; r.pos < len(r.src); r.pos++ {
		switch r.src[r.pos] {
		case '\\':
			r.pos++
		case '"':
			if _, ok := r.quoted(); !ok {
				return false
			}
			r.pos--
		case ']', '}':
			r.pos++
			return true
		}
	}
	return false
}

// quoted reads "...", where \" and \\ are escapes.
func (r *queryReader) quoted() (string, bool) {
	var b []byte
	for r.pos++; r.pos < len(r.src); r.pos++ {
		c := r.src[r.pos]
		if c == '"' {
			r.pos++
			return string(b), true
		}
		if c == '\\' && r.pos+1 < len(r.src) && (r.src[r.pos+1] == '"' || r.src[r.pos+1] == '\\') {
			r.pos++
			c = r.src[r.pos]
		}
		b = append(b, c)
	}
	return "", false
}

// word reads an unquoted word and returns its literal runs, split at the
// wildcards * and ?. Outside a value a ':' ends the word. A backslash
// escapes what the search package's escapable and startEscapable list.
func (r *queryReader) word(value bool) ([]string, bool) {
	start := r.pos
	var runs []string
	var cur []byte
	for ; r.pos < len(r.src); r.pos++ {
		c := r.src[r.pos]
		if isSpace(c) || c == '(' || c == ')' || (c == ':' && !value) {
			break
		}
		switch c {
		case '"':
			return nil, false
		case '*', '?':
			runs, cur = append(runs, string(cur)), cur[:0]
		case '\\':
			if r.pos+1 < len(r.src) {
				d := r.src[r.pos+1]
				if isSpace(d) || strings.IndexByte(`()":*?\`, d) >= 0 || (r.pos == start && strings.IndexByte(`><[{/-=`, d) >= 0) {
					cur = append(cur, d)
					r.pos++
					continue
				}
			}
			cur = append(cur, c)
		default:
			cur = append(cur, c)
		}
	}
	if r.pos == start {
		return nil, false
	}
	return append(runs, string(cur)), true
}

// like returns the condition that search_text holds each literal run,
// folded, of at least minRun characters.
func (r *queryReader) like(runs []string) *cond {
	var kids []*cond
	var f, b strings.Builder
	for _, run := range runs {
		for _, part := range splitUnfoldable(run) {
			if utf8.RuneCountInString(part) < minRun {
				continue
			}
			f.Reset()
			appendFolded(&f, part)
			b.Reset()
			b.WriteByte('%')
			for _, c := range []byte(f.String()) {
				if c == '%' || c == '_' || c == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(c)
			}
			b.WriteByte('%')
			kids = append(kids, &cond{pattern: b.String()})
		}
	}
	switch len(kids) {
	case 0:
		return nil
	case 1:
		return kids[0]
	}
	return &cond{kids: kids}
}

// splitUnfoldable cuts s at bytes search_text cannot hold as they are
// (invalid UTF-8, NUL): the search package matches those byte for byte,
// and the text around them is still required.
func splitUnfoldable(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == 0 || r == utf8.RuneError {
			out = append(out, s[start:i])
			start = i + n
		}
		i += n
	}
	return append(out, s[start:])
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
