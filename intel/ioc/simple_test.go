package ioc

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseSimple(t *testing.T) {
	tests := []struct {
		pattern string
		want    []Comparison
	}{
		{`[ipv4-addr:value = '203.0.113.45']`, []Comparison{{Kind: KindIPv4, Value: "203.0.113.45"}}},
		{`[ipv4-addr:value ISSUBSET '198.51.100.0/24']`, []Comparison{{Kind: KindIPv4, Subset: true, Value: "198.51.100.0/24"}}},
		{`[ipv6-addr:value == '2001:db8::1']`, []Comparison{{Kind: KindIPv6, Value: "2001:db8::1"}}},
		{`[domain-name:value = 'evil.example']`, []Comparison{{Kind: KindDomain, Value: "evil.example"}}},
		{`[url:value = 'http://x/y']`, []Comparison{{Kind: KindURL, Value: "http://x/y"}}},
		{`[email-addr:value = 'a@b']`, []Comparison{{Kind: KindEmail, Value: "a@b"}}},
		{`[file:hashes.'SHA-256' = 'aa'] OR [file:hashes.MD5 = 'bb']`,
			[]Comparison{{Kind: KindSHA256, Value: "aa"}, {Kind: KindMD5, Value: "bb"}}},
		{`[file:hashes.SHA256 = 'aa' OR file:hashes.'sha-1' = 'cc']`,
			[]Comparison{{Kind: KindSHA256, Value: "aa"}, {Kind: KindSHA1, Value: "cc"}}},
		{"\t( [url:value = 'a\\'b\\\\c'] OR ([domain-name:value='d']) )\n",
			[]Comparison{{Kind: KindURL, Value: `a'b\c`}, {Kind: KindDomain, Value: "d"}}},
		{`[email-addr:value IN ('a@b', 'c@d')]`,
			[]Comparison{{Kind: KindEmail, Value: "a@b"}, {Kind: KindEmail, Value: "c@d"}}},
		{`[(file:hashes.MD5 = 'x' OR file:hashes.'SHA-512' = 'y')]`,
			[]Comparison{{Kind: KindMD5, Value: "x"}, {Kind: KindSHA512, Value: "y"}}},
	}
	for _, tt := range tests {
		got, err := ParseSimple(tt.pattern)
		if err != nil {
			t.Errorf("ParseSimple(%q): %v", tt.pattern, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseSimple(%q) = %+v, want %+v", tt.pattern, got, tt.want)
		}
	}
}

func TestParseSimpleNotSimple(t *testing.T) {
	for _, p := range []string{
		``,
		`[]`,
		`ipv4-addr:value = '1.2.3.4'`,
		`[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '1.2.3.5']`,
		`[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x']`,
		`[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'x']`,
		`[ipv4-addr:value = '1.2.3.4'] WITHIN 5 SECONDS`,
		`[ipv4-addr:value = '1.2.3.4'] REPEATS 2 TIMES`,
		`[ipv4-addr:value = '1.2.3.4'] START t'2020-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'`,
		`[ipv4-addr:value != '1.2.3.4']`,
		`[NOT ipv4-addr:value = '1.2.3.4']`,
		`[ipv4-addr:value NOT = '1.2.3.4']`,
		`[domain-name:value LIKE '%.evil']`,
		`[url:value MATCHES '^http']`,
		`[domain-name:value ISSUBSET 'x']`,
		`[ipv4-addr:value ISSUPERSET '1.2.3.0/24']`,
		`[file:name = 'evil.exe']`,
		`[file:hashes.'SHA3-256' = 'aa']`,
		`[file:hashes.TLSH = 'aa']`,
		`[network-traffic:dst_ref.value = '1.2.3.4']`,
		`[file:hashes[0] = 'aa']`,
		`[ipv4-addr:value = 5]`,
		`[ipv4-addr:value = t'2020-01-01T00:00:00Z']`,
		`[ipv4-addr:value = h'ff']`,
		`[ipv4-addr:value = '1.2.3.4'`,
		`[ipv4-addr:value = '1.2.3.4]`,
		`[ipv4-addr:value = 'a\nb']`,
		`[ipv4-addr:value = '1.2.3.4'] or [ipv4-addr:value = '1.2.3.5']`,
		`[ipv4-addr:value = '1.2.3.4'] [ipv4-addr:value = '1.2.3.5']`,
		`[ipv4-addr:value IN ('1.2.3.4' '5')]`,
		`[ipv4-addr:value EXISTS]`,
		`[x-custom:value = 'a']`,
	} {
		_, err := ParseSimple(p)
		if !errors.Is(err, ErrNotSimple) {
			t.Errorf("ParseSimple(%q) = %v, want not simple", p, err)
		}
	}
}

func FuzzParseSimple(f *testing.F) {
	for _, s := range []string{
		`[ipv4-addr:value = '203.0.113.45']`,
		`[file:hashes.'SHA-256' = 'aa'] OR [file:hashes.MD5 = 'bb']`,
		`[email-addr:value IN ('a@b', 'c@d')]`,
		`(([url:value = 'a\'b']))`,
		`[a:b.c.d = 'x'] WITHIN 5 SECONDS`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmps, err := ParseSimple(s)
		if err != nil {
			if !errors.Is(err, ErrNotSimple) {
				t.Fatalf("error %v does not match ErrNotSimple", err)
			}
			return
		}
		if len(cmps) == 0 {
			t.Fatalf("simple pattern %q with no comparisons", s)
		}
		for _, c := range cmps {
			if c.Kind == 0 || c.Kind >= numKinds {
				t.Fatalf("bad kind %d", c.Kind)
			}
			_, _, _ = normaliseLiteral(nil, c)
		}
	})
}
