package grammar

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// timeTerm is a time narrowing: the query term and words for the
// explanation.
type timeTerm struct{ query, words string }

// Time phrases, tried in order at the end of a question (where people put
// them) and then at its start ("yesterday, failed logons for bob").
var (
	relativeTime = regexp.MustCompile(`(?i)(?:^|\s+)(?:(?:in|during|over|within|for|from)\s+)?(?:the\s+)?(?:last|past|previous)\s+(?:(\d{1,4}|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|thirty)\s+)?(minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|months?)$`)
	sinceTime    = regexp.MustCompile(`(?i)(?:^|\s+)(?:since|after|from)\s+(yesterday|today|this morning|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{4}-\d{2}-\d{2})$`)
	dayTime      = regexp.MustCompile(`(?i)(?:^|\s+)(?:(?:on|for|during)\s+)?(yesterday|today|this week|last week|last night|\d{4}-\d{2}-\d{2})$`)
	leadingTime  = regexp.MustCompile(`(?i)^(yesterday|today|this week|last week|in the last (?:hour|day|week)|since (?:yesterday|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{4}-\d{2}-\d{2})),?\s+`)
)

var numberWords = map[string]int{"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
	"seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "thirty": 30}

// takeTime takes a time phrase off q and returns the rest and the term.
func takeTime(q string, now time.Time) (string, timeTerm, bool) {
	if m := leadingTime.FindStringSubmatch(q); m != nil {
		if t, ok := timePhrase(m[1], now); ok {
			return strings.TrimSpace(q[len(m[0]):]), t, true
		}
	}
	if m := relativeTime.FindStringSubmatchIndex(q); m != nil {
		n := 1
		if m[2] >= 0 {
			num := strings.ToLower(q[m[2]:m[3]])
			if v, ok := numberWords[num]; ok {
				n = v
			} else if v, err := strconv.Atoi(num); err == nil && v > 0 {
				n = v
			} else {
				return q, timeTerm{}, false
			}
		}
		if t, ok := lastN(n, strings.ToLower(q[m[4]:m[5]])); ok {
			return strings.TrimSpace(q[:m[0]]), t, true
		}
		return q, timeTerm{}, false
	}
	if m := sinceTime.FindStringSubmatchIndex(q); m != nil {
		if t, ok := since(q[m[2]:m[3]], now); ok {
			return strings.TrimSpace(q[:m[0]]), t, true
		}
	}
	if m := dayTime.FindStringSubmatchIndex(q); m != nil {
		if t, ok := timePhrase(q[m[2]:m[3]], now); ok {
			return strings.TrimSpace(q[:m[0]]), t, true
		}
	}
	return q, timeTerm{}, false
}

// maxRelative bounds "the last N units" to about ten years, far beyond
// any retention, so that the offset cannot overflow.
const maxRelative = 3660 * 24 * time.Hour

// lastN is "the last n units" as a relative time term.
func lastN(n int, unit string) (timeTerm, bool) {
	var suffix, word string
	var d time.Duration
	switch {
	case strings.HasPrefix(unit, "mo"):
		n, suffix, word, d = n*30, "d", "day", 24*time.Hour
	case strings.HasPrefix(unit, "m"):
		suffix, word, d = "m", "minute", time.Minute
	case strings.HasPrefix(unit, "h"):
		suffix, word, d = "h", "hour", time.Hour
	case strings.HasPrefix(unit, "d") && n == 1:
		// "The last day" reads best as the last 24 hours.
		n, suffix, word, d = 24, "h", "hour", time.Hour
	case strings.HasPrefix(unit, "d"):
		suffix, word, d = "d", "day", 24*time.Hour
	case strings.HasPrefix(unit, "w"):
		n, suffix, word, d = n*7, "d", "day", 24*time.Hour
	default:
		return timeTerm{}, false
	}
	if time.Duration(n)*d > maxRelative || n <= 0 {
		return timeTerm{}, false
	}
	words := fmt.Sprintf("in the last %d %ss", n, word)
	if n == 1 {
		words = "in the last " + word
	}
	return timeTerm{query: fmt.Sprintf("time:>now-%d%s", n, suffix), words: words}, true
}

// since is the time from the start of a day on.
func since(p string, now time.Time) (timeTerm, bool) {
	day, ok := dayOf(strings.ToLower(p), now)
	if !ok {
		return timeTerm{}, false
	}
	return timeTerm{query: "time:>=" + day.Format(time.DateOnly), words: "since " + day.Format("Monday 2 January 2006") + " (UTC)"}, true
}

// timePhrase reads a phrase naming a period.
func timePhrase(p string, now time.Time) (timeTerm, bool) {
	p = strings.ToLower(p)
	if day, ok := strings.CutPrefix(p, "since "); ok {
		return since(day, now)
	}
	switch p {
	case "this week":
		day, _ := dayOf("monday", now)
		return timeTerm{query: "time:>=" + day.Format(time.DateOnly), words: "this week (since Monday " + day.Format("2 January 2006") + ", UTC)"}, true
	case "last week":
		return lastN(1, "week")
	case "in the last hour":
		return lastN(1, "hour")
	case "in the last day":
		return lastN(1, "day")
	case "in the last week":
		return lastN(1, "week")
	case "last night":
		// From 18:00 yesterday to 06:00 today, UTC.
		today := midnight(now)
		from, to := today.Add(-6*time.Hour), today.Add(6*time.Hour)
		return timeTerm{query: "time:[" + from.Format(time.RFC3339) + " TO " + to.Format(time.RFC3339) + "}", words: "last night (18:00 to 06:00 UTC)"}, true
	case "today":
		day := midnight(now)
		return timeTerm{query: "time:>=" + day.Format(time.DateOnly), words: "today (" + day.Format("2 January 2006") + ", UTC)"}, true
	}
	day, ok := dayOf(p, now)
	if !ok {
		return timeTerm{}, false
	}
	return timeTerm{query: "time:" + day.Format(time.DateOnly), words: "on " + day.Format("Monday 2 January 2006") + " (UTC)"}, true
}

// dayOf resolves a day name against now, in UTC (the search language's
// dates are UTC days): yesterday, today, the latest such weekday (today
// if it is one), or a date.
func dayOf(p string, now time.Time) (time.Time, bool) {
	today := midnight(now)
	switch p {
	case "today", "this morning":
		return today, true
	case "yesterday":
		return today.AddDate(0, 0, -1), true
	}
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if strings.EqualFold(p, wd.String()) {
			back := (int(today.Weekday()) - int(wd) + 7) % 7
			return today.AddDate(0, 0, -back), true
		}
	}
	t, err := time.Parse(time.DateOnly, p)
	return t, err == nil
}

func midnight(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
