package pattern

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bulwarkhq/bulwark/event"
)

var t0 = time.Date(2026, 4, 17, 5, 0, 0, 0, time.UTC)

// ev builds an event from name/value pairs; values that look like plain
// decimal integers become ints, as the readers produce them.
func ev(at time.Time, kv ...string) *event.Event {
	e := &event.Event{Time: at}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Add(kv[i], event.String(kv[i+1]))
	}
	return e
}

const (
	sha256A = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"
	md5A    = "cead3f77f6cda6ec00f57d76c9a6879f"
)

func sysmonNet(dst string, port int64) *event.Event {
	e := ev(t0, "EventID", "3", "Image", `C:\Windows\System32\svchost.exe`, "User", `CORP\alice`,
		"Protocol", "tcp", "SourceIp", "10.1.2.3", "DestinationIp", dst, "DestinationHostname", "evil.example.com")
	e.Add("SourcePort", event.Int(50123))
	e.Add("DestinationPort", event.Int(port))
	return e
}

func TestMatchEvent(t *testing.T) {
	proc := ev(t0, "EventID", "1", "Image", `C:\Users\bob\AppData\evil.exe`,
		"CommandLine", `evil.exe -enc SQBFAFgA`, "User", `CORP\bob`,
		"Hashes", "SHA1=0000000000000000000000000000000000000000,MD5="+strings.ToUpper(md5A)+",SHA256="+strings.ToUpper(sha256A)+",IMPHASH=00",
		"ParentImage", `C:\Windows\explorer.exe`)
	dns := ev(t0, "EventID", "22", "QueryName", "EVIL.example.com", "Image", `C:\x\chrome.exe`)
	reg := ev(t0, "EventID", "13", "TargetObject", `HKU\S-1-5-21-1\Software\Microsoft\Windows\CurrentVersion\Run\updater`, "Details", `C:\x.exe`)
	file := ev(t0, "EventID", "11", "TargetFilename", `C:\Windows\System32\foo.dll`)
	zeek := ev(t0, "id.orig_h", "192.168.1.5", "id.resp_h", "2001:db8:dead:beef::1", "id.resp_p", "443", "query", "cdn.example.net")
	login := ev(t0, "EventID", "4624", "TargetUserName", "Peter", "IpAddress", "::ffff:198.51.100.7")

	tests := []struct {
		pattern string
		e       *event.Event
		want    bool
	}{
		{`[ipv4-addr:value = '203.0.113.45']`, sysmonNet("203.0.113.45", 443), true},
		{`[ipv4-addr:value = '203.0.113.46']`, sysmonNet("203.0.113.45", 443), false},
		{`[ipv4-addr:value = '203.0.113.45/32']`, sysmonNet("203.0.113.45", 443), true},
		{`[ipv6-addr:value = '203.0.113.45']`, sysmonNet("203.0.113.45", 443), false},
		{`[ipv4-addr:value = '198.51.100.7']`, login, true}, // v4-mapped v6 as Windows writes it
		{`[network-traffic:dst_ref.value = '203.0.113.33/32' AND network-traffic:dst_port = 443]`, sysmonNet("203.0.113.33", 443), true},
		{`[network-traffic:dst_ref.value = '203.0.113.33/32' AND network-traffic:dst_port = 443]`, sysmonNet("203.0.113.33", 8443), false},
		{`[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33']`, sysmonNet("203.0.113.33", 1), true},
		{`[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'evil.example.com']`, sysmonNet("203.0.113.33", 1), true},
		{`[network-traffic:dst_port > 1024]`, sysmonNet("1.1.1.1", 8080), true},
		{`[network-traffic:dst_port > 1024]`, sysmonNet("1.1.1.1", 443), false},
		{`[network-traffic:dst_port = 443]`, zeek, true}, // text "443"
		{`[network-traffic:dst_port IN (80, 443)]`, zeek, true},
		{`[network-traffic:src_port NOT IN (80, 443)]`, sysmonNet("1.1.1.1", 1), true},
		{`[network-traffic:protocols[*] = 'TCP']`, sysmonNet("1.1.1.1", 1), true},
		{`[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']`, zeek, true},
		{`[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beee::/64']`, zeek, false},
		{`[ipv4-addr:value ISSUBSET '10.0.0.0/8']`, sysmonNet("203.0.113.45", 1), true},
		{`[ipv4-addr:value ISSUBSET '11.0.0.0/8']`, sysmonNet("203.0.113.45", 1), false},
		{`[ipv4-addr:value ISSUPERSET '10.1.2.3']`, sysmonNet("203.0.113.45", 1), true},
		{`[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']`, sysmonNet("203.0.113.45", 1), true}, // the destination is outside
		{`[domain-name:value = 'evil.example.com']`, dns, true},                             // domains fold case
		{`[domain-name:value = 'example.com']`, dns, false},                                 // a suffix is not the domain
		{`[domain-name:value = 'vil.example.com']`, dns, false},
		{`[domain-name:value LIKE '%.example.com']`, dns, true},
		{`[domain-name:value LIKE 'e_il.%.com']`, dns, true},
		{`[domain-name:value LIKE 'e_l.%']`, dns, false},
		{`[domain-name:value = 'cdn.example.net']`, zeek, true},
		{`[file:hashes.'SHA-256' = '` + sha256A + `']`, proc, true},
		{`[file:hashes.SHA256 = '` + sha256A + `']`, proc, true},
		{`[file:hashes.MD5 = '` + md5A + `']`, proc, true},
		{`[file:hashes.MD5 = '` + sha256A + `']`, proc, false},    // a hash of another type
		{`[file:hashes.'SHA-1' = '` + md5A + `']`, proc, false},   // ditto
		{`[file:hashes.'SHA-256' = '` + md5A + `']`, proc, false}, // ditto
		{`[file:name = 'evil.exe']`, proc, true},
		{`[file:name = 'EVIL.exe']`, proc, false}, // file names are case-sensitive in STIX
		{`[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32']`, file, true},
		{`[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows']`, file, false},
		{`[process:name = 'evil.exe' AND process:parent_ref.name = 'explorer.exe']`, proc, true},
		{`[process:command_line MATCHES '(?i)-enc\\s+[A-Za-z0-9+/=]{8,}']`, proc, true},
		{`[process:command_line MATCHES '-encodedcommand']`, proc, false},
		{`[process:command_line LIKE '%-enc %']`, proc, true},
		{`[process:command_line NOT LIKE '%-enc %']`, proc, false},
		{`[user-account:account_login = 'bob']`, proc, true}, // from CORP\bob
		{`[user-account:account_login = 'Peter']`, login, true},
		{`[user-account:account_login = 'peter']`, login, false},
		{`[user-account:user_id != 'Paul']`, login, true},
		{`[user-account:user_id != 'Paul']`, dns, false}, // absent: != needs a value
		{`[windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater']`, reg, true},
		{`[windows-registry-key:key LIKE 'hkey_users\\%\\run\\%']`, reg, true},
		{`[win-registry-key:key = 'HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater']`, reg, false},
		{`[EXISTS windows-registry-key:key]`, reg, true},
		{`[EXISTS windows-registry-key:key]`, dns, false},
		{`[ipv4-addr:value = '1.1.1.1'] OR [domain-name:value = 'evil.example.com']`, dns, true},
		{`[ipv4-addr:value = '1.1.1.1'] AND [domain-name:value = 'evil.example.com']`, dns, false},
		{`[domain-name:value = 'evil.example.com'] REPEATS 1 TIMES`, dns, true},
		{`[domain-name:value = 'evil.example.com'] START t'2026-01-01T00:00:00Z' STOP t'2026-04-17T05:00:00Z'`, dns, false},
		{`[domain-name:value = 'evil.example.com'] START t'2026-01-01T00:00:00Z' STOP t'2026-04-17T05:00:01Z'`, dns, true},
		{`[x-acme:thing = 'a']`, dns, false}, // unmapped
	}
	for _, tt := range tests {
		c, err := CompileString(tt.pattern, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.pattern, err)
			continue
		}
		if got := c.MatchEvent(tt.e); got != tt.want {
			t.Errorf("%s on %v = %v, want %v", tt.pattern, tt.e.Fields, got, tt.want)
		}
	}
}

func TestLiteralTypes(t *testing.T) {
	e := ev(t0, "when", "2026-04-17T05:24:53.092051Z", "flag", "true", "blob", "FFD8FFE0", "size", "371712")
	e.Add("ratio", event.Float(7.25))
	m := NewMapping()
	for _, f := range []string{"when", "flag", "blob", "size", "ratio"} {
		m.Bind("x:"+f, Text, Source{Field: f})
	}
	tests := []struct {
		pattern string
		want    bool
	}{
		{`[x:when > t'2026-04-17T05:24:53Z']`, true},
		{`[x:when = t'2026-04-17T05:24:53.092051Z']`, true},
		{`[x:when < t'2026-04-17T05:24:53Z']`, false},
		{`[x:flag = true]`, true},
		{`[x:flag = false]`, false},
		{`[x:blob = h'ffd8ffe0']`, true},
		{`[x:blob > h'ffd8']`, true},
		{`[x:blob = b'/9j/4A==']`, true},
		{`[x:size = '371712']`, true}, // the spec compares file:size with a string
		{`[x:size = 371712]`, true},
		{`[x:size >= 371712.5]`, false},
		{`[x:ratio > 7.0]`, true},
		{`[x:ratio < 7]`, false},
		{`[x:flag > 3]`, false}, // not a number: no comparison, even negated
		{`[x:flag NOT > 3]`, false},
		{`[x:size > 'a']`, false}, // strings compare by code point: '3' < 'a'
	}
	for _, tt := range tests {
		c, err := CompileString(tt.pattern, m)
		if err != nil {
			t.Errorf("%s: %v", tt.pattern, err)
			continue
		}
		if got := c.MatchEvent(e); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.pattern, got, tt.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		pattern string
		offset  int
		msg     string
	}{
		{`[process:command_line MATCHES '(?=foo)bar']`, 30, "RE2"},
		{`[process:command_line MATCHES '(a)\\1']`, 30, "PCRE-only"},
		{`[ipv4-addr:value ISSUBSET 'not-a-cidr']`, 26, "IP address or CIDR"},
	}
	for _, tt := range tests {
		_, err := CompileString(tt.pattern, nil)
		var pe *Error
		if !errors.As(err, &pe) || pe.Offset != tt.offset || !strings.Contains(pe.Msg, tt.msg) {
			t.Errorf("%s: got %v, want offset %d and %q", tt.pattern, err, tt.offset, tt.msg)
		}
	}
}

func TestUnmappedAndExtend(t *testing.T) {
	c, err := CompileString(`[x-acme:thing = 'a' OR x-acme:thing = 'b' OR ipv4-addr:value = '1.2.3.4' OR mutex:other = 'z']`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Unmapped(), ","); got != "mutex:other,x-acme:thing" {
		t.Errorf("Unmapped = %s", got)
	}
	m := DefaultMapping()
	m.Bind("x-acme:thing", Fold, Source{Field: "acme.thing"})
	m.Bind("ipv4-addr:value", Text, Source{Field: "peer"}) // joins the existing IPv4 binding
	c, err = CompileString(`[x-acme:thing = 'A'] OR [ipv4-addr:value = '1.2.3.4']`, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Unmapped()) != 0 {
		t.Errorf("Unmapped = %v", c.Unmapped())
	}
	if !c.MatchEvent(ev(t0, "acme.thing", "a")) || !c.MatchEvent(ev(t0, "peer", "1.2.3.4")) {
		t.Error("extended mapping does not match")
	}
}

func TestDefaultTableConvs(t *testing.T) {
	if got := SysmonHash("MD5")("SHA1=AA,MD5=BB"); len(got) != 1 || got[0] != "BB" {
		t.Errorf("SysmonHash = %v", got)
	}
	if got := SysmonHash("SHA256")("SHA1=AA,MD5=BB"); got != nil {
		t.Errorf("SysmonHash of a missing algorithm = %v", got)
	}
	if got := RegistryKey(`HKLM\SOFTWARE\x`); len(got) != 2 || got[1] != `HKEY_LOCAL_MACHINE\SOFTWARE\x` {
		t.Errorf("RegistryKey = %v", got)
	}
	if got := DirName(`C:\a\b.exe`); len(got) != 1 || got[0] != `C:\a` {
		t.Errorf("DirName = %v", got)
	}
	for _, r := range DefaultTable {
		if len(r.Paths) == 0 || len(r.Fields)+len(r.ConvFields) == 0 || (r.Conv == nil) != (len(r.ConvFields) == 0) {
			t.Errorf("malformed row %v", r.Paths)
		}
	}
}

func BenchmarkMatchEvent(b *testing.B) {
	e := sysmonNet("198.51.100.20", 443)
	for _, name := range []string{"UtcTime", "ProcessGuid", "ProcessId", "Initiated", "SourceIsIpv6", "SourceHostname", "DestinationIsIpv6", "DestinationPortName", "RuleName"} {
		e.Add(name, event.String("x"))
	}
	for _, bc := range []struct{ name, pattern string }{
		{"ipv4", `[ipv4-addr:value = '203.0.113.45']`},
		{"traffic", `[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:dst_port = 443]`},
		{"hash", `[file:hashes.'SHA-256' = '` + sha256A + `']`},
	} {
		c, err := CompileString(bc.pattern, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.MatchEvent(e)
			}
		})
	}
}
