package pattern

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/internal/testdata"
)

func fuzzSeeds(f *testing.F) {
	for _, s := range []string{
		`[file:hashes.'SHA-256' = 'aa' AND file:name NOT LIKE '%.exe']`,
		`([a:b = 1] FOLLOWEDBY [a:c IN (1, 'x', true)]) WITHIN 2.5 SECONDS`,
		`[a:b[*].'c-d'[0] >= t'2020-01-01T00:00:00.5Z'] REPEATS 2 TIMES START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'`,
		`[EXISTS a:b OR (a:c MATCHES '^x' AND a:d ISSUBSET '10.0.0.0/8')]`,
		`[a:b = h'ff' OR a:c = b'aGk=' OR a:d = -0.5] OR [a:e != 'it\'s']`,
		`[ipv4-addr:value ISSUPERSET '::1']`,
	} {
		f.Add(s)
	}
	if dir, ok := testdata.Find(); ok {
		if b, err := os.ReadFile(dir + "/stix/patterns/spec_examples.txt"); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					f.Add(l)
				}
			}
		}
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts
// prints to a canonical text that parses to the same tree.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		roundTrip(t, p)
	})
}

// FuzzEval compiles fuzzed patterns and evaluates them, singly and as a
// stream, over events carrying every default-mapped field.
func FuzzEval(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := CompileString(s, nil)
		if err != nil {
			return
		}
		m := c.NewMatcher(16)
		for i, v := range []string{"1.2.3.4", "::ffff:10.0.0.1", "C:\\x\\evil.exe", "SHA256=AA,MD5=BB", "443", "HKLM\\x", "", "0x10", "2020-01-01T00:00:00Z", "ffd8"} {
			e := &event.Event{Time: time.Unix(int64(i), 0)}
			for _, r := range DefaultTable {
				for _, fl := range append(append([]string{}, r.Fields...), r.ConvFields...) {
					e.Set(fl, event.String(v))
				}
			}
			e.Add("extra", event.List(event.String(v), event.Int(int64(i))))
			c.MatchEvent(e)
			m.Feed(e)
		}
	})
}
