// Package grammar turns common hunting questions ("failed logons for bob
// since yesterday", "what ran on ws-finance02 in the last hour") into
// queries in Bulwark's search language, with no model: the copilot answers
// them instantly and offline, and a model is asked only for the rest.
//
// A question is read in three steps. A time phrase ("in the last 2 days",
// "since monday", "yesterday") is taken off and becomes a time term; then a
// trailing host ("on dc01", "to fs01") becomes a host term; what remains
// must match one of the patterns in patterns.go, which names the events
// and fields (Windows Security and Sysmon, as docs/windows-fields.md lists
// them). Every query Translate returns parses (search.ParseAt); anything
// it does not understand it declines, never guesses. QUESTIONS.md lists
// the forms for users.
package grammar

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/search"
)

// Translation is a question turned into a search.
type Translation struct {
	// Query is in the search language of docs/search.md.
	Query string `json:"query"`
	// Explanation says in words what the query finds, for the analyst to
	// check that it is what they asked.
	Explanation string `json:"explanation"`
	// Pattern names the question form that matched ("failed-logons").
	Pattern string `json:"pattern"`
}

// MaxQuestionLen bounds the questions Translate reads: longer ones are not
// the short hunting questions it knows, and bounding them bounds the work.
const MaxQuestionLen = 300

// Translate turns a question into a search query, resolving calendar
// phrases ("since yesterday") against now. It reports false for questions
// it does not know.
func Translate(question string, now time.Time) (Translation, bool) {
	q, ok := normalize(question)
	if !ok {
		return Translation{}, false
	}
	rest, when, hasTime := takeTime(q, now)
	rest, host, hasHost := takeHost(rest)
	for _, p := range patterns() {
		m := p.re.FindStringSubmatch(rest)
		if m == nil {
			continue
		}
		groups := map[string]string{}
		for i, name := range p.re.SubexpNames() {
			if name != "" && m[i] != "" {
				groups[name] = m[i]
			}
		}
		ctx := &match{groups: groups, hasHost: hasHost, hasTime: hasTime}
		clause, what, ok := p.build(ctx)
		if !ok || (p.needsScope && !hasHost && !hasTime && !ctx.scoped) {
			continue
		}
		t, ok := compose(p.name, clause, what, host, when, now)
		if ok && p.note != "" {
			t.Explanation += " " + p.note
		}
		if ok {
			return t, true
		}
	}
	return Translation{}, false
}

// match is what a pattern's builder gets: the named groups of its regular
// expression and whether the question named a host or a time.
type match struct {
	groups           map[string]string
	hasHost, hasTime bool
	// scoped is set by builders whose clause narrows the search by itself
	// (a user, an image), so that needsScope is satisfied.
	scoped bool
}

func (m *match) get(name string) string { return m.groups[name] }

// compose joins the pattern's clause with the host and time terms and
// checks that the result parses.
func compose(pattern, clause, what string, host hostTerm, when timeTerm, now time.Time) (Translation, bool) {
	parts := []string{}
	if clause != "" {
		parts = append(parts, clause)
	}
	explain := what
	if host.query != "" {
		parts = append(parts, host.query)
		explain += ", " + host.words
	}
	if when.query != "" {
		parts = append(parts, when.query)
		explain += ", " + when.words
	}
	if len(parts) == 0 {
		return Translation{}, false // a search for everything answers nothing
	}
	query := strings.Join(parts, " ")
	if _, err := search.ParseAt(query, now); err != nil {
		return Translation{}, false
	}
	return Translation{Query: query, Explanation: upperFirst(explain) + ".", Pattern: pattern}, true
}

var (
	spaces = regexp.MustCompile(`\s+`)
	// Openers that add nothing to a hunting question.
	politeOpeners = regexp.MustCompile(`(?i)^(?:(?:please|can you|could you|hey)\s+)*(?:(?:show|find|list|search|search for|look for|hunt for|get|give|display)(?:\s+me)?\s+)?(?:(?:all|the|any)\s+)?`)
)

// normalize trims a question, collapses white space and drops the polite
// openers and the closing punctuation. Case is kept: values (paths, user
// names) are quoted as written; matching ignores case.
func normalize(q string) (string, bool) {
	if len(q) > MaxQuestionLen || !utf8.ValidString(q) {
		return "", false
	}
	q = strings.TrimSpace(spaces.ReplaceAllString(q, " "))
	q = strings.TrimRight(q, "?.! ")
	q = politeOpeners.ReplaceAllString(q, "")
	q = strings.TrimSpace(q)
	return q, q != ""
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

// hostTerm is a host narrowing: the query term and words for the
// explanation.
type hostTerm struct{ query, words string }

// A host name as questions write it: a short name or a DNS name.
const hostPattern = `[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*`

var trailingHost = regexp.MustCompile(`(?i)^(.*?)\s+(on|at|to|from)\s+(?:the\s+)?(?:(?:host|computer|machine|server|workstation|box|system|endpoint)\s+)?(` + hostPattern + `)$`)

var fromHostWord = regexp.MustCompile(`(?i)\sfrom\s+(?:the\s+)?(?:host|computer|machine|server|workstation|box|system|endpoint)\s`)

// logonWords end the questions where "to HOST" names the host logged on to.
var logonWords = regexp.MustCompile(`(?i)(?:log(?:ged|s)?\s*(?:on|in)|log-?ons?|log-?ins?|sign-?ins?|sessions?|rdp|rdp connections?|remote desktop connections?)$`)

// takeHost takes a trailing "on HOST" (or "at", "to" after logons, "from
// the host") off q. Addresses are left for the network patterns
// ("connections to 10.0.0.5"), as are "to" elsewhere ("DNS queries to
// evil.example") and "from" without the word host ("events from alice"
// names a user).
func takeHost(q string) (string, hostTerm, bool) {
	m := trailingHost.FindStringSubmatch(q)
	if m == nil {
		return q, hostTerm{}, false
	}
	prep, name := strings.ToLower(m[2]), m[3]
	if isIP(name) || isDigits(name) {
		return q, hostTerm{}, false
	}
	if prep == "from" && !fromHostWord.MatchString(q) || prep == "to" && !logonWords.MatchString(m[1]) {
		return q, hostTerm{}, false
	}
	// The stored host name is often the DNS name (ws-finance02.corp.local)
	// and in any case; a wildcard matches the short name too and ignores
	// case, at the price of the store's exact-host shortcut.
	return strings.TrimSpace(m[1]), hostTerm{
		query: "host:" + escapeValue(name, "", "*"),
		words: "on hosts named " + name + "*",
	}, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
