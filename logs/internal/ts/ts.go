// Package ts parses the timestamps log formats write: ISO 8601 / RFC 3339 in
// its many spellings, a few textual layouts, and epoch numbers in seconds,
// milliseconds, microseconds or nanoseconds. Every reader sets Event.Time
// through it so that the same text always yields the same instant.
package ts

import (
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

// Parse parses s as a timestamp. Text without a zone is taken as UTC: the
// formats that omit it (Sysmon's UtcTime, Zeek's ISO option) write UTC.
// Numeric text is read as an epoch time (see Epoch).
func Parse(s string) (time.Time, bool) {
	if len(s) < 6 || len(s) > 64 {
		return time.Time{}, false
	}
	if c := s[0]; c >= '0' && c <= '9' {
		if t, ok := iso(s); ok {
			return t, true
		}
		if t, ok := Epoch(s); ok {
			return t, true
		}
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// layouts are tried after ISO 8601 fails; each is a layout seen in real logs.
var layouts = []string{
	time.RFC1123Z,
	time.RFC1123,
	time.RFC850,
	time.UnixDate,
	time.RubyDate,
	time.ANSIC,
	"02/Jan/2006:15:04:05 -0700", // Apache / nginx access logs
	"Jan 2, 2006 3:04:05 PM",     // Java's default DateFormat
	"2006/01/02 15:04:05",
	"01/02/2006 15:04:05",
}

// FromValue interprets a field value as a timestamp: numbers (and numeric
// text) as epoch times, other text as Parse does.
func FromValue(v event.Value) (time.Time, bool) {
	switch v.Kind {
	case event.KindInt, event.KindFloat:
		return Epoch(v.Str)
	case event.KindString:
		return Parse(v.Str)
	}
	return time.Time{}, false
}

// Epoch parses decimal text as a time since 1970, choosing the unit by
// magnitude: seconds below 1e11, then milliseconds, microseconds and
// nanoseconds. Values below 1e8 seconds (1973) are rejected, since a field
// called "time" holding a small number is far more often a duration. The
// fraction is parsed exactly rather than through float64, which would lose
// Zeek's microseconds.
func Epoch(s string) (time.Time, bool) {
	var whole uint64
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if whole > (1<<63-1)/10 {
			return time.Time{}, false
		}
		whole = whole*10 + uint64(s[i]-'0')
	}
	if i == 0 {
		return time.Time{}, false
	}
	var frac, scale uint64 = 0, 1
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if i-start < 9 {
				frac = frac*10 + uint64(s[i]-'0')
				scale *= 10
			}
		}
		if i == start {
			return time.Time{}, false
		}
	}
	if i != len(s) || whole < 1e8 {
		return time.Time{}, false
	}
	// nanos = (whole + frac/scale) * unit, with unit in nanoseconds.
	var unit uint64
	switch {
	case whole < 1e11:
		unit = 1e9
	case whole < 1e14:
		unit = 1e6
	case whole < 1e17:
		unit = 1e3
	default:
		unit = 1
	}
	sec := int64(whole / (1e9 / unit))
	nsec := int64(whole%(1e9/unit)*unit + frac*unit/scale)
	return time.Unix(sec, nsec).UTC(), true
}

// iso parses YYYY-MM-DD[T ]hh:mm[:ss[.frac]][zone], where zone is Z, ±hh:mm,
// ±hhmm, ±hh or absent, without allocating. A date alone is also accepted.
func iso(s string) (time.Time, bool) {
	num := func(i, n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	if !ok1 || !ok2 || !ok3 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	var hour, minute, sec, nsec int
	i := 10
	if i < len(s) && (s[i] == 'T' || s[i] == 't' || s[i] == ' ') {
		var ok bool
		if hour, ok = num(i+1, 2); !ok || i+3 >= len(s) || s[i+3] != ':' {
			return time.Time{}, false
		}
		if minute, ok = num(i+4, 2); !ok {
			return time.Time{}, false
		}
		i += 6
		if i < len(s) && s[i] == ':' {
			if sec, ok = num(i+1, 2); !ok {
				return time.Time{}, false
			}
			i += 3
			if i < len(s) && (s[i] == '.' || s[i] == ',') {
				i++
				start, scale := i, 1000000000
				for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
					if i-start < 9 {
						scale /= 10
						nsec += int(s[i]-'0') * scale
					}
				}
				if i == start {
					return time.Time{}, false
				}
			}
		}
	}
	loc := time.UTC
	if i < len(s) {
		switch c := s[i]; c {
		case 'Z', 'z':
			i++
		case '+', '-':
			zh, ok := num(i+1, 2)
			if !ok {
				return time.Time{}, false
			}
			zm := 0
			switch {
			case i+3 == len(s):
				i += 3
			case s[i+3] == ':':
				if zm, ok = num(i+4, 2); !ok {
					return time.Time{}, false
				}
				i += 6
			default:
				if zm, ok = num(i+3, 2); !ok {
					return time.Time{}, false
				}
				i += 5
			}
			if zh > 23 || zm > 59 {
				return time.Time{}, false
			}
			off := (zh*60 + zm) * 60
			if c == '-' {
				off = -off
			}
			if off != 0 {
				loc = time.FixedZone("", off)
			}
		case ' ':
			// "2024-01-02 03:04:05 UTC", as some tools print.
			if s[i:] != " UTC" && s[i:] != " GMT" {
				return time.Time{}, false
			}
			i = len(s)
		}
	}
	if i != len(s) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	if sec == 60 { // a leap second: time.Date would roll over; keep it in its minute
		sec, nsec = 59, 999999999
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc)
	if t.Day() != day { // 31 April and the like
		return time.Time{}, false
	}
	return t.UTC(), true
}
