package ioc

import (
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
	"github.com/bulwarkhq/bulwark/intel"
)

const (
	md5Hex    = "44d88612fea8a8f36de82e1278abb02f"
	sha1Hex   = "3395856ce81f2b7382dee72602f798b642f14140"
	sha256Hex = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
)

var sha512Hex = strings.Repeat("ab", 64)

// testSet compiles one indicator per pattern, with ids ind-<n>.
func testSet(t *testing.T, patterns ...string) *Set {
	t.Helper()
	inds := make([]intel.Indicator, len(patterns))
	for i, p := range patterns {
		inds[i] = intel.Indicator{ID: "ind-" + string(rune('a'+i)), Pattern: p, PatternType: "stix", Source: "test", Confidence: 80, TLP: intel.TLPGreen}
	}
	s, r := Compile(inds, Options{})
	if len(r.Invalid) > 0 || len(r.NotSimple) > 0 {
		t.Fatalf("compile: %+v", r)
	}
	return s
}

func ev(kv ...string) *event.Event {
	e := &event.Event{Time: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Add(kv[i], event.String(kv[i+1]))
	}
	return e
}

func ids(hits []Hit) string {
	var b []string
	for _, h := range hits {
		b = append(b, h.Indicator.ID)
	}
	return strings.Join(b, ",")
}

func TestMatch(t *testing.T) {
	s := testSet(t,
		`[ipv4-addr:value = '203.0.113.45']`,                                                             // a
		`[ipv4-addr:value ISSUBSET '198.51.100.0/24']`,                                                   // b
		`[ipv4-addr:value ISSUBSET '198.51.0.0/16']`,                                                     // c
		`[ipv6-addr:value = '2001:db8::1']`,                                                              // d
		`[ipv6-addr:value ISSUBSET '2001:db8:1::/48']`,                                                   // e
		`[domain-name:value = 'evil.example']`,                                                           // f
		`[url:value = 'http://Bad.Example:80/a%7Eb/c%2fd?q=1#frag']`,                                     // g
		`[file:hashes.'SHA-256' = '`+sha256Hex+`'] OR [file:hashes.MD5 = '`+strings.ToUpper(md5Hex)+`']`, // h
		`[email-addr:value = 'Phish@Bad.Example']`,                                                       // i
		`[file:hashes.SHA1 = '`+sha1Hex+`']`,                                                             // j
		`[file:hashes.'SHA-512' = '`+sha512Hex+`']`,                                                      // k
		`[ipv4-addr:value = '10.0.0.0/8']`,                                                               // l: equality with a CIDR
		`[ipv6-addr:value ISSUBSET '::/0']`,                                                              // m
	)
	tests := []struct {
		name string
		ev   *event.Event
		want string
	}{
		{"exact ip", ev("DestinationIp", "203.0.113.45"), "ind-a"},
		{"neighbour ip", ev("DestinationIp", "203.0.113.46"), ""},
		{"v4-mapped", ev("IpAddress", "::ffff:203.0.113.45"), "ind-a"},
		{"cidr nested", ev("src_ip", "198.51.100.7"), "ind-b,ind-c"},
		{"cidr outer only", ev("src_ip", "198.51.101.7"), "ind-c"},
		{"outside cidr", ev("src_ip", "198.52.0.0"), ""},
		{"cidr last address", ev("src_ip", "198.51.255.255"), "ind-c"},
		{"equality cidr", ev("id.resp_h", "10.200.1.1"), "ind-l"},
		{"v6 exact", ev("dest_ip", "2001:DB8::1"), "ind-d,ind-m"},
		{"v6 cidr", ev("dest_ip", "2001:db8:1:ffff::5"), "ind-e,ind-m"},
		{"v6 outside", ev("dest_ip", "2001:db8:2::5"), "ind-m"},
		{"domain", ev("QueryName", "evil.example"), "ind-f"},
		{"subdomain", ev("QueryName", "A.B.Evil.Example."), "ind-f"},
		{"suffix without label boundary", ev("QueryName", "notevil.example"), ""},
		{"parent domain", ev("QueryName", "example"), ""},
		{"host header with port", ev("Host", "www.evil.example:8080"), "ind-f"},
		{"host is address", ev("host", "203.0.113.45:443"), "ind-a"},
		{"url normalised", ev("url", "HTTP://bad.example/a~b/c%2Fd?q=1"), "ind-g"},
		{"url other query", ev("url", "http://bad.example/a~b/c%2Fd?q=2"), ""},
		{"url host is domain", ev("http.url", "https://x.evil.example/"), "ind-f"},
		{"zeek uri and host", ev("host", "bad.example", "uri", "/a%7eb/c%2fd?q=1"), "ind-g"},
		{"sysmon hashes", ev("Hashes", "SHA1=0000000000000000000000000000000000000000,MD5="+md5Hex+",IMPHASH=00"), "ind-h"},
		{"sysmon sha256", ev("Hashes", "SHA256="+strings.ToUpper(sha256Hex)), "ind-h"},
		{"imphash is not md5", ev("Hashes", "IMPHASH="+md5Hex), ""},
		{"sha1 field", ev("sha1", sha1Hex), "ind-j"},
		{"sha512 field", ev("file.hash.sha512", sha512Hex), "ind-k"},
		{"md5 value in sha1 slot", ev("Hashes", "SHA1="+md5Hex), ""},
		{"email field", ev("sender", "<phish@bad.example>"), "ind-i"},
		{"email any field", ev("Recipients_Custom", "PHISH@bad.example"), "ind-i"},
		{"email other", ev("sender", "phish@bad.example.org"), ""},
		{"once per indicator", ev("SourceIp", "203.0.113.45", "DestinationIp", "203.0.113.45"), "ind-a"},
		{"unlisted field", ev("CommandLine", "203.0.113.45"), ""},
	}
	m := s.NewMatcher()
	for _, tt := range tests {
		hits := m.Match(tt.ev, nil)
		if got := ids(hits); got != tt.want {
			t.Errorf("%s: hits %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestMatchList(t *testing.T) {
	s := testSet(t, `[ipv4-addr:value = '203.0.113.45']`)
	e := &event.Event{}
	e.Add("dest_ip", event.List(event.String("1.1.1.1"), event.String("203.0.113.45")))
	hits := s.NewMatcher().Match(e, nil)
	if len(hits) != 1 || hits[0].Value != "203.0.113.45" || hits[0].Field != "dest_ip" {
		t.Fatalf("hits %+v", hits)
	}
}

func TestHitEvidence(t *testing.T) {
	s := testSet(t, `[domain-name:value = 'evil.example']`, `[ipv4-addr:value ISSUBSET '198.51.100.0/24']`, `[file:hashes.MD5 = '`+md5Hex+`']`)
	m := s.NewMatcher()
	for _, tt := range []struct {
		ev                          *event.Event
		field, value, match, observ string
	}{
		{ev("QueryName", "x.evil.example"), "QueryName", "x.evil.example", "evil.example", "domain-name:value = 'evil.example'"},
		{ev("SourceIp", "198.51.100.9"), "SourceIp", "198.51.100.9", "198.51.100.0/24", "ipv4-addr:value ISSUBSET '198.51.100.0/24'"},
		{ev("Hashes", "SHA1=00,MD5="+strings.ToUpper(md5Hex)), "Hashes", "MD5=" + strings.ToUpper(md5Hex), md5Hex, "file:hashes.MD5 = '" + md5Hex + "'"},
	} {
		hits := m.Match(tt.ev, nil)
		if len(hits) != 1 {
			t.Fatalf("hits %+v", hits)
		}
		h := hits[0]
		if h.Field != tt.field || h.Value != tt.value || h.Match != tt.match || h.Observed() != tt.observ {
			t.Errorf("hit %+v (observed %q)", h, h.Observed())
		}
		if h.Indicator.Source != "test" || h.Indicator.Confidence != 80 || h.Indicator.TLP != intel.TLPGreen {
			t.Errorf("indicator %+v", h.Indicator)
		}
	}
}

func TestValidity(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	inds := []intel.Indicator{
		{ID: "old", Pattern: `[domain-name:value = 'evil.example']`, ValidFrom: t0, ValidUntil: t0.Add(24 * time.Hour)},
		{ID: "new", Pattern: `[domain-name:value = 'evil.example']`, ValidFrom: t0.Add(48 * time.Hour)},
		{ID: "gone", Pattern: `[domain-name:value = 'evil.example']`, ValidUntil: t0.Add(-time.Hour)},
	}
	s, r := Compile(inds, Options{ExpiredBefore: t0})
	if r.Expired != 1 || r.Compiled != 2 || s.Len() != 2 {
		t.Fatalf("report %+v, len %d", r, s.Len())
	}
	m := s.NewMatcher()
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{t0.Add(-time.Second), ""},
		{t0, "old"},
		{t0.Add(24*time.Hour - 1), "old"},
		{t0.Add(24 * time.Hour), ""}, // valid_until is exclusive
		{t0.Add(48 * time.Hour), "new"},
	} {
		e := ev("QueryName", "evil.example")
		e.Time = tt.at
		if got := ids(m.Match(e, nil)); got != tt.want {
			t.Errorf("at %v: %q, want %q", tt.at, got, tt.want)
		}
	}
}

func TestCompileReport(t *testing.T) {
	inds := []intel.Indicator{
		{ID: "ok", Pattern: `[ipv4-addr:value = '1.2.3.4']`},
		{ID: "complex", Pattern: `[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x.example']`},
		{ID: "yara", Pattern: `rule x {}`, PatternType: "yara"},
		{ID: "badip", Pattern: `[ipv4-addr:value = '1.2.3.400']`},
		{ID: "family", Pattern: `[ipv4-addr:value = '2001:db8::1']`},
		{ID: "badhash", Pattern: `[file:hashes.MD5 = 'abc'] OR [ipv4-addr:value = '5.6.7.8']`},
		{ID: "baddomain", Pattern: `[domain-name:value = 'a b']`},
		{ID: "badurl", Pattern: `[url:value = '/relative']`},
		{ID: "bademail", Pattern: `[email-addr:value = 'nobody']`},
	}
	s, r := Compile(inds, Options{})
	if r.Compiled != 1 || r.Unsupported != 1 || len(r.NotSimple) != 1 || r.NotSimple[0].ID != "complex" || len(r.Invalid) != 6 {
		t.Fatalf("report %+v", r)
	}
	// The invalid indicator's valid comparison is not half-compiled.
	if hits := s.NewMatcher().Match(ev("SourceIp", "5.6.7.8"), nil); len(hits) != 0 {
		t.Fatalf("hits %+v", hits)
	}
}

func TestSharedValues(t *testing.T) {
	s := testSet(t,
		`[domain-name:value = 'evil.example']`,
		`[domain-name:value = 'evil.example' OR domain-name:value = 'EVIL.example']`,
		`[ipv4-addr:value ISSUBSET '198.51.100.0/24']`,
		`[ipv4-addr:value ISSUBSET '198.51.100.0/24']`,
	)
	m := s.NewMatcher()
	if got := ids(m.Match(ev("QueryName", "evil.example"), nil)); got != "ind-b,ind-a" && got != "ind-a,ind-b" {
		t.Errorf("domain hits %q", got)
	}
	if got := ids(m.Match(ev("SourceIp", "198.51.100.1"), nil)); got != "ind-d,ind-c" && got != "ind-c,ind-d" {
		t.Errorf("cidr hits %q", got)
	}
}

func TestURLNormalisation(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"HTTP://Example.COM", "http://example.com/"},
		{"http://example.com:80/a", "http://example.com/a"},
		{"https://example.com:443/a", "https://example.com/a"},
		{"https://example.com:8443/a", "https://example.com:8443/a"},
		{"http://example.com:/a", "http://example.com/a"},
		{"http://example.com/%7euser/%2f%41", "http://example.com/~user/%2FA"},
		{"http://example.com/a#frag", "http://example.com/a"},
		{"http://example.com?q=A", "http://example.com/?q=A"},
		{"http://User:Pw@Example.com/P", "http://User:Pw@example.com/P"},
		{"http://[2001:DB8::1]:80/", "http://[2001:db8::1]/"},
		{"http://example.com./", "http://example.com/"},
		{"http://example.com/%zz%4", "http://example.com/%zz%4"},
	} {
		got, _, _, ok := appendURL(nil, tt.in)
		if !ok || string(got) != tt.want {
			t.Errorf("appendURL(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "example.com/a", "://x", "1http://x", "http:///path"} {
		if _, _, _, ok := appendURL(nil, bad); ok {
			t.Errorf("appendURL(%q) accepted", bad)
		}
	}
}

func TestNoHitAllocs(t *testing.T) {
	s := testSet(t,
		`[ipv4-addr:value = '203.0.113.45']`, `[ipv4-addr:value ISSUBSET '198.51.100.0/24']`,
		`[domain-name:value = 'evil.example']`, `[url:value = 'http://bad.example/x']`,
		`[file:hashes.MD5 = '`+md5Hex+`']`, `[email-addr:value = 'a@b.example']`)
	m := s.NewMatcher()
	events := []*event.Event{
		ev("SourceIp", "10.1.2.3", "DestinationIp", "2001:db8::5", "DestinationHostname", "Dead.Beef.example", "Image", `C:\x.exe`),
		ev("QueryName", "www.Microsoft.com", "QueryResults", "::ffff:1.2.3.4;"),
		ev("url", "https://cdn.example.net:8443/a/%7Eb?c=d#e", "Host", "cdn.example.net:8443", "user", "bob@corp.example"),
		ev("Hashes", "SHA1="+sha1Hex+",MD5=00000000000000000000000000000000,SHA256="+sha256Hex+",IMPHASH="+md5Hex),
	}
	var hits []Hit
	for _, e := range events {
		if n := testing.AllocsPerRun(100, func() { hits = m.Match(e, hits[:0]) }); n != 0 {
			t.Errorf("%v: %v allocations", e.Fields, n)
		}
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("url", "http://a.evil.example:80/x%41#y")
	f.Add("Hashes", "SHA256=,MD5=zz,=,,")
	f.Add("Host", "[::1]:80")
	f.Add("uri", "/x")
	f.Add("QueryName", "..evil.example")
	f.Add("sender", "<@>")
	s, _ := Compile([]intel.Indicator{
		{Pattern: `[domain-name:value = 'evil.example']`},
		{Pattern: `[url:value = 'http://a.evil.example/xA']`},
		{Pattern: `[ipv6-addr:value ISSUBSET '::/0'] OR [ipv4-addr:value ISSUBSET '0.0.0.0/0']`},
		{Pattern: `[file:hashes.MD5 = '` + md5Hex + `']`},
		{Pattern: `[email-addr:value = 'a@b']`},
	}, Options{})
	m := s.NewMatcher()
	f.Fuzz(func(t *testing.T, name, value string) {
		e := ev(name, value, "host", value)
		for k := range fieldKinds {
			e.Add(k, event.String(value))
		}
		for _, h := range m.Match(e, nil) {
			_ = h.Observed()
		}
	})
}
